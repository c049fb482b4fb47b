"""The counter service against a real store: accepted means queued once and audited; a refusal
writes nothing; two actions in a row see each other; roles, fees, due dates; no ID in the files."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from branch_app.domain import (
    ApplicationKind,
    ApplicationStatus,
    CancellationReason,
    CardRecord,
    CardState,
    ExchangeReason,
    FeeReason,
    FunctionStatus,
    IssuanceSpeed,
    PendingApplication,
    Place,
    Presenter,
    RefusalReason,
    Role,
    command_from_dict,
    record_to_dict,
)
from branch_app.domain.identity import IdentityKind, resident_check_character
from branch_app.domain.lifecycle import Cancel, Representative, Unlock
from branch_app.domain.vocabulary import LookupPurpose
from branch_app.domain.workdays import DueDate
from branch_app.services.counter import (
    Accepted,
    Applicant,
    Counter,
    Preview,
    QueryAnswer,
    Refusal,
    central_lookup_for,
    verify_approver,
)
from branch_app.store import LocalStore
from sync.client import CentralTimeout
from sync.protocol import LookupRequest, LookupResponse

from .conftest import ADULT, NOW, PHOTO, desk, make_counter

#: A parent who comes for the holder, with their own resident ID card (born 1980-01-01).
PARENT = Representative(
    kind=IdentityKind.RESIDENT,
    number="44010619800101123" + resident_check_character("44010619800101123"),
    name="Parent",
)
#: A made-up police record number for a death.
DEATH_RECORD = "GA-2025-0314"


def active_record(holder_id: str = ADULT, *, bank: str = "icbc", version: int = 4) -> CardRecord:
    return CardRecord(
        holder_id=holder_id,
        version=version,
        card_number="X00000019",
        card_state=CardState.ACTIVE,
        social_security=FunctionStatus.NORMAL,
        financial=FunctionStatus.NORMAL,
        bank=bank,
        generation=3,
        collected_on=dt.date(2024, 9, 1),
    )


def snapshot(store: LocalStore) -> tuple[int, int, int]:
    return len(store.outbox), store.audit.head, len(store.card_cache)


def test_first_application_is_queued_once_with_its_payload_and_audited(
    store: LocalStore, counter: Counter, adult
) -> None:
    outcome = counter.apply(adult, ApplicationKind.FIRST, photo_receipt=PHOTO)
    assert isinstance(outcome, Accepted), outcome
    items = store.outbox.items()
    assert [item.id for item in items] == [outcome.outbox_id]
    item = items[0]
    assert item.kind == "apply" and item.holder_id == ADULT and item.status == "pending"
    assert item.payload == {
        "kind": "apply",
        "application": "first",
        "speed": "normal",
        "accepted_on": "2025-03-14",
        "exchange_reason": None,
        "bank": None,
        "photo_receipt": PHOTO,
        "police_photo": False,
        "applicant": {
            "presenter": "holder",
            "holder_birth_date": None,
            "holder_has_legal_capacity": True,
            "guardianship_proof": False,
            "representative": None,
        },
        "evidence": None,
    }
    assert (item.base_version, item.actor, item.device, item.branch) == (
        0,
        "T001",
        "PC-07",
        "GZ-001",
    )
    assert outcome.fee.amount_yuan == 0 and outcome.fee.reason is FeeReason.FIRST_APPLICATION
    # 12 working days from the day after Fri 14 March 2025 on the official calendar.
    assert outcome.due is not None and outcome.due.date == dt.date(2025, 4, 1)
    assert not outcome.due.provisional and not outcome.instant and not outcome.merged
    assert outcome.holder_masked == "440106********" + ADULT[-4:]
    entries = store.audit.entries(holder_id=ADULT)
    assert len(entries) == 1
    entry = entries[0]
    assert entry.n == outcome.audit_n and entry.action == "counter.apply" and entry.actor == "T001"
    assert entry.reason == "application:first:normal"
    assert entry.detail["outbox_id"] == outcome.outbox_id
    assert entry.detail["command"] == item.payload


def test_refusal_writes_nothing(store: LocalStore, counter: Counter, adult) -> None:
    before = snapshot(store)
    outcome = counter.unlock(adult)  # no card at all
    assert isinstance(outcome, Refusal)
    assert outcome.code == RefusalReason.NO_LIVE_CARD.value
    assert outcome.message_key == "domain.refusal.no_live_card"
    assert snapshot(store) == before


def test_loss_report_then_replacement_see_each_other(
    store: LocalStore, counter: Counter, adult
) -> None:
    store.card_cache.put(active_record())
    loss = counter.report_loss(adult)
    assert isinstance(loss, Accepted)
    assert loss.command.channel.value == "card_bank_branch"  # the card is of this desk's bank
    assert loss.record_after.financial is FunctionStatus.FROZEN
    replacement = counter.apply(adult, ApplicationKind.REPLACEMENT, police_photo=True)
    assert isinstance(replacement, Accepted), replacement
    assert replacement.record_before.card_state is CardState.LOSS_REPORTED
    assert replacement.fee.amount_yuan == 20 and replacement.fee.reason is FeeReason.REPLACEMENT
    # base versions follow the folded record: 4 (cached), then 5 (after the queued loss report)
    assert [i.base_version for i in store.outbox.for_holder(ADULT)] == [4, 5]
    before = snapshot(store)
    unlock = counter.unlock(adult)
    assert isinstance(unlock, Refusal) and unlock.code == RefusalReason.REPLACEMENT_APPLIED.value
    assert snapshot(store) == before


def test_replacement_without_a_loss_report_is_refused(
    store: LocalStore, counter: Counter, adult
) -> None:
    store.card_cache.put(active_record())
    outcome = counter.apply(adult, ApplicationKind.REPLACEMENT, photo_receipt=PHOTO)
    assert isinstance(outcome, Refusal) and outcome.code == "no_loss_report"
    assert len(store.outbox) == 0


def test_a_loss_report_at_another_bank_freezes_both_functions(store: LocalStore, adult) -> None:
    store.card_cache.put(active_record(bank="boc"))
    outcome = make_counter(store).report_loss(adult)
    assert isinstance(outcome, Accepted)
    assert outcome.command.channel.value == "other_bank_branch"  # where it was made, recorded
    assert outcome.record_after.financial is FunctionStatus.FROZEN
    assert outcome.record_after.social_security is FunctionStatus.FROZEN
    assert outcome.fee.amount_yuan == 0


def test_answered_items_are_not_folded_twice(store: LocalStore, counter: Counter, adult) -> None:
    store.card_cache.put(active_record())
    loss = counter.report_loss(adult)
    assert isinstance(loss, Accepted)
    # The central took it: its record is cached and the item is answered.
    store.outbox.record_results(
        [
            {
                "id": loss.outbox_id,
                "status": "accepted",
                "version": 5,
                "reason": None,
                "message": None,
                "record": record_to_dict(loss.record_after),
            }
        ]
    )
    store.card_cache.put(loss.record_after)
    no_card = counter.unlock(adult)
    assert isinstance(no_card, Refusal) and no_card.code == "card_required"
    wrong_card = counter.unlock(adult, card_number="Y00000018")
    assert isinstance(wrong_card, Refusal) and wrong_card.code == "card_not_current"
    unlock = counter.unlock(adult, card_number=" x00000019 ", card_read=False)
    assert isinstance(unlock, Accepted)
    assert unlock.command == Unlock(at_card_bank=True, card_number="X00000019", card_read=False)
    assert unlock.record_before.version == 5
    assert unlock.record_after.card_state is CardState.ACTIVE


def test_instant_issuance_needs_an_instant_branch(store: LocalStore, adult) -> None:
    here = make_counter(store).apply(adult, ApplicationKind.FIRST, IssuanceSpeed.INSTANT)
    assert isinstance(here, Refusal) and here.code == "instant_needs_instant_branch"
    assert len(store.outbox) == 0
    instant_desk = desk(place=Place.INSTANT_BRANCH)
    there = make_counter(store, instant_desk).apply(
        adult, ApplicationKind.FIRST, IssuanceSpeed.INSTANT, photo_receipt=PHOTO
    )
    assert isinstance(there, Accepted) and there.instant and there.due is None


def test_home_visit_staff_cannot_unlock_or_work_at_a_branch(store: LocalStore, adult) -> None:
    store.card_cache.put(active_record())
    visiting = make_counter(store, desk(role=Role.HOME_VISIT, place=Place.HOME_VISIT))
    assert isinstance(visiting.report_loss(adult), Accepted)
    refused = visiting.unlock(adult)
    assert isinstance(refused, Refusal) and refused.code == "unlock_needs_branch"
    at_branch = make_counter(store, desk(role=Role.HOME_VISIT, place=Place.BRANCH))
    refused = at_branch.apply(adult, ApplicationKind.REPLACEMENT, police_photo=True)
    assert isinstance(refused, Refusal) and refused.code == "role_not_at_place"
    assert len(store.outbox) == 1


def test_cancellation_by_a_teller_needs_another_persons_approval(
    store: LocalStore, counter: Counter, adult
) -> None:
    store.card_cache.put(active_record())
    before = snapshot(store)
    no_evidence = counter.cancel(adult, CancellationReason.DEATH, approved_by="S009")
    assert isinstance(no_evidence, Refusal) and no_evidence.code == "death_evidence_required"
    missing = counter.cancel(adult, CancellationReason.DEATH, evidence=DEATH_RECORD)
    assert isinstance(missing, Refusal)
    assert missing.code == RefusalReason.APPROVAL_REQUIRED.value
    assert missing.message_key == "domain.refusal.approval_required"
    itself = counter.cancel(
        adult, CancellationReason.DEATH, evidence=DEATH_RECORD, approved_by="t001"
    )
    assert isinstance(itself, Refusal) and itself.code == "approver_is_requester"
    assert snapshot(store) == before
    approved = counter.cancel(
        adult, CancellationReason.DEATH, evidence=DEATH_RECORD, approved_by="S009"
    )
    assert isinstance(approved, Accepted)
    item = store.outbox.get(approved.outbox_id)
    queued = command_from_dict(item.payload)
    assert queued == Cancel(CancellationReason.DEATH, evidence=DEATH_RECORD, approved_by="S009")
    entry = store.audit.entries(holder_id=ADULT)[-1]
    assert entry.detail["approved_by"] == "S009" and entry.reason == "cancellation:death"


def test_a_supervisor_cancels_without_a_second_person(store: LocalStore, adult) -> None:
    store.card_cache.put(active_record())
    supervisor = make_counter(store, desk(role=Role.SUPERVISOR, staff_id="S009"))
    outcome = supervisor.cancel(adult, CancellationReason.EMIGRATION)
    assert isinstance(outcome, Accepted) and outcome.record_after.card_state is CardState.CANCELLED
    # Friday 2025-03-14: one working day later is Monday 2025-03-17.
    assert outcome.cancelled_by == DueDate(dt.date(2025, 3, 17), provisional=False)
    assert outcome.due is None and outcome.old_account_closes is None
    again = supervisor.apply(adult, ApplicationKind.EXCHANGE, police_photo=True)
    assert isinstance(again, Refusal) and again.code == "card_cancelled"


def test_a_child_needs_the_guardian_with_proof(store: LocalStore, counter: Counter, child) -> None:
    alone = counter.apply(child, ApplicationKind.FIRST)
    assert isinstance(alone, Refusal) and alone.code == "guardian_required"
    no_proof = counter.apply(
        child, ApplicationKind.FIRST, applicant=Applicant(presenter=Presenter.GUARDIAN)
    )
    assert isinstance(no_proof, Refusal) and no_proof.code == "guardianship_proof_missing"
    assert len(store.outbox) == 0
    guardian = Applicant(
        presenter=Presenter.GUARDIAN, guardianship_proof=True, representative=PARENT
    )
    assert isinstance(
        counter.apply(child, ApplicationKind.FIRST, applicant=guardian, photo_receipt=PHOTO),
        Accepted,
    )


def test_an_application_needs_a_photo(store: LocalStore, counter: Counter, adult) -> None:
    missing = counter.apply(adult, ApplicationKind.FIRST)
    assert isinstance(missing, Refusal) and missing.code == "photo_required"
    garbled = counter.apply(adult, ApplicationKind.FIRST, photo_receipt="GZ-2025/03")
    assert isinstance(garbled, Refusal) and garbled.code == "photo_receipt_malformed"
    assert len(store.outbox) == 0
    by_receipt = counter.apply(adult, ApplicationKind.FIRST, photo_receipt=" gz2025031400a7 ")
    assert isinstance(by_receipt, Accepted)
    [item] = store.outbox.items()
    assert item.payload["photo_receipt"] == PHOTO and item.payload["police_photo"] is False


def test_the_police_id_photo_may_stand_in_for_a_receipt(
    store: LocalStore, counter: Counter, adult
) -> None:
    outcome = counter.apply(adult, ApplicationKind.FIRST, police_photo=True)
    assert isinstance(outcome, Accepted)
    [item] = store.outbox.items()
    assert item.payload["photo_receipt"] is None and item.payload["police_photo"] is True


def test_quality_exchange_within_a_year_is_free(store: LocalStore, counter: Counter, adult) -> None:
    store.card_cache.put(active_record())  # collected 2024-09-01, within a year of 2025-03-14
    outcome = counter.apply(
        adult,
        ApplicationKind.EXCHANGE,
        exchange_reason=ExchangeReason.QUALITY_PROBLEM,
        police_photo=True,
    )
    assert isinstance(outcome, Accepted)
    assert outcome.fee.amount_yuan == 0
    assert outcome.fee.reason is FeeReason.QUALITY_PROBLEM_WITHIN_ONE_YEAR


def test_repeated_application_is_merged_without_a_second_fee(
    store: LocalStore, counter: Counter, adult
) -> None:
    first = counter.apply(adult, ApplicationKind.FIRST, photo_receipt=PHOTO)
    again = counter.apply(adult, ApplicationKind.FIRST)  # already pending: merged, no photo asked
    assert isinstance(first, Accepted) and isinstance(again, Accepted)
    assert again.merged and again.fee.amount_yuan == 0 and again.due is None
    # Issue 12, bug 12: the repeat is the same request, already queued: nothing new is queued,
    # and the answer names the first one's reference.
    assert len(store.outbox) == 1
    assert again.queued_as == first.reference and again.reference == first.reference


def test_due_date_in_an_unpublished_year_is_provisional(store: LocalStore, adult) -> None:
    later = dt.datetime(2027, 3, 15, 9, 0, tzinfo=NOW.tzinfo)
    outcome = make_counter(store, now=later).apply(adult, ApplicationKind.FIRST, police_photo=True)
    assert isinstance(outcome, Accepted)
    assert outcome.due is not None and outcome.due.provisional
    assert outcome.due.date > later.date()


def test_collection_needs_an_issued_card(store: LocalStore, counter: Counter, adult) -> None:
    store.card_cache.put(active_record())
    refused = counter.confirm_collection(adult)
    assert isinstance(refused, Refusal) and refused.code == "no_pending_application"
    agent = Applicant(presenter=Presenter.AGENT, representative=PARENT)
    refused = counter.confirm_collection(adult, applicant=agent)
    assert isinstance(refused, Refusal) and refused.code == "holder_collects"
    assert len(store.outbox) == 0


def ready_exchange(new_bank: str) -> CardRecord:
    """An exchange to `new_bank` whose new card is ready, for a holder of an ICBC card."""
    return replace(
        active_record(bank="icbc"),
        application=PendingApplication(
            kind=ApplicationKind.EXCHANGE,
            speed=IssuanceSpeed.NORMAL,
            accepted_on=dt.date(2025, 2, 10),
            status=ApplicationStatus.READY,
            new_card_number="Y00000018",
            bank=new_bank,
        ),
    )


def test_collecting_after_a_change_of_bank_says_when_the_old_account_closes(
    store: LocalStore, counter: Counter, adult
) -> None:
    store.card_cache.put(ready_exchange("boc"))
    outcome = counter.confirm_collection(adult)
    assert isinstance(outcome, Accepted)
    assert outcome.record_after.bank == "boc"
    # Collected Friday 2025-03-14: three working days later is Wednesday 2025-03-19.
    assert outcome.old_account_closes == DueDate(dt.date(2025, 3, 19), provisional=False)


def test_collecting_at_the_same_bank_closes_no_account(
    store: LocalStore, counter: Counter, adult
) -> None:
    store.card_cache.put(ready_exchange("icbc"))
    outcome = counter.confirm_collection(adult)
    assert isinstance(outcome, Accepted) and outcome.old_account_closes is None


def test_query_needs_a_purpose_and_is_audited(store: LocalStore, counter: Counter, adult) -> None:
    refused = counter.query(adult, None)
    assert isinstance(refused, Refusal) and refused.code == "purpose_required"
    unknown = counter.query(adult, "curiosity")
    assert isinstance(unknown, Refusal) and unknown.code == "purpose_unknown"
    assert store.audit.head == 0
    store.card_cache.put(active_record())
    counter.report_loss(adult)
    answer = counter.query(adult, LookupPurpose.HOLDER_ENQUIRY, note="holder asked")
    assert isinstance(answer, QueryAnswer)
    assert answer.source == "cache" and answer.record.card_state is CardState.LOSS_REPORTED
    assert [kind for kind, _ in answer.pending] == ["report_loss"]
    assert answer.central_problem == "counter.query.central_not_configured"
    entry = store.audit.entries(holder_id=ADULT)[-1]
    assert entry.action == "counter.query" and entry.reason == "holder_enquiry"
    assert entry.detail == {"note": "holder asked"}


def test_query_asks_the_central_when_it_can(store: LocalStore, adult) -> None:
    asked: list[tuple[str, LookupPurpose]] = []
    remote = active_record(version=9)

    def lookup(
        holder_id: str, purpose: LookupPurpose, note: str | None, holder_kind=None
    ) -> CardRecord:
        asked.append((holder_id, purpose))
        return remote

    counter = Counter(store, desk(), clock=lambda: NOW, central_lookup=lookup)
    answer = counter.query(adult, "counter_service")
    assert isinstance(answer, QueryAnswer)
    assert asked == [(ADULT, LookupPurpose.COUNTER_SERVICE)]
    assert answer.source == "central" and answer.record.version == 9
    assert store.card_cache.get(ADULT).version == 9

    def offline(holder_id: str, purpose: LookupPurpose, note: str | None, holder_kind=None) -> None:
        raise CentralTimeout("ReadTimeout")

    answer = Counter(store, desk(), clock=lambda: NOW, central_lookup=offline).query(
        adult, "counter_service"
    )
    assert isinstance(answer, QueryAnswer) and answer.source == "cache"
    assert answer.central_problem == "sync.error.timeout"


def test_a_broken_lookup_is_a_bug_not_an_unreachable_central(store: LocalStore, adult) -> None:
    """Only the client's typed errors mean "the central cannot say"; anything else propagates."""

    def broken(holder_id: str, purpose: LookupPurpose, note: str | None, holder_kind=None) -> None:
        raise AttributeError("lookup")

    counter = Counter(store, desk(), clock=lambda: NOW, central_lookup=broken)
    with pytest.raises(AttributeError):
        counter.query(adult, LookupPurpose.COUNTER_SERVICE)


def test_identify_refuses_with_the_domain_reason(counter: Counter) -> None:
    refused = counter.identify(ADULT[:-1] + ("0" if ADULT[-1] != "0" else "1"))
    assert isinstance(refused, Refusal)
    assert refused.code == "identity.check_character"
    assert refused.message_key == "domain.identity.check_character"
    assert counter.identify(ADULT.lower()).number == ADULT


def test_no_plain_id_number_in_the_store_files(
    store: LocalStore, counter: Counter, adult, tmp_path: Path
) -> None:
    store.card_cache.put(active_record())
    assert isinstance(counter.report_loss(adult), Accepted)
    assert isinstance(
        counter.apply(adult, ApplicationKind.REPLACEMENT, photo_receipt=PHOTO), Accepted
    )
    assert isinstance(counter.query(adult, "holder_enquiry"), QueryAnswer)
    store.outbox.flush()
    files = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
    assert files
    for path in files:
        content = path.read_bytes()
        assert ADULT.encode() not in content, path.name
        assert ADULT[:17].encode() not in content, path.name


@pytest.mark.parametrize("role", [Role.TELLER, Role.SUPERVISOR])
def test_permissions_of_counter_staff_on_a_home_visit(store: LocalStore, adult, role) -> None:
    store.card_cache.put(active_record())
    visiting = make_counter(store, desk(role=role, place=Place.HOME_VISIT))
    refused = visiting.cancel(adult, CancellationReason.DEATH, approved_by="S777")
    assert isinstance(refused, Refusal) and refused.code == "not_on_home_visit"
    assert len(store.outbox) == 0


def test_a_dry_run_decides_without_writing(store: LocalStore, counter: Counter, adult) -> None:
    store.card_cache.put(active_record())
    before = snapshot(store)
    preview = counter.report_loss(adult, dry_run=True)
    assert isinstance(preview, Preview) and not isinstance(preview, Accepted)
    assert preview.record_after.card_state is CardState.LOSS_REPORTED
    assert snapshot(store) == before
    taken = counter.report_loss(adult)
    assert isinstance(taken, Accepted) and taken.command == preview.command
    assert taken.reference == f"{taken.seq}-{taken.outbox_id[:8].upper()}"


class FakeClient:
    """Stands in for `sync.client.CentralClient` (the central's answers are decided elsewhere)."""

    def __init__(self, answer: LookupResponse | Exception | None) -> None:
        self.answer = answer
        self.requests: list[LookupRequest] = []

    def __enter__(self) -> FakeClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def lookup(self, request: LookupRequest) -> LookupResponse | None:
        self.requests.append(request)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_central_lookup_asks_the_client_and_reads_no_record_as_none() -> None:
    record = active_record()
    client = FakeClient(LookupResponse(record=record_to_dict(record)))
    lookup = central_lookup_for(SimpleNamespace(client=lambda: client))
    assert lookup(ADULT, LookupPurpose.HOLDER_ENQUIRY, "asked") == record
    assert client.requests == [
        LookupRequest(holder_id=ADULT, purpose=LookupPurpose.HOLDER_ENQUIRY, note="asked")
    ]
    missing = central_lookup_for(SimpleNamespace(client=lambda: FakeClient(None)))
    assert missing(ADULT, LookupPurpose.COUNTER_SERVICE, None) is None
    offline = central_lookup_for(SimpleNamespace(client=lambda: FakeClient(CentralTimeout())))
    with pytest.raises(CentralTimeout):
        offline(ADULT, LookupPurpose.COUNTER_SERVICE, None)


class FakeAuthenticator:
    """Stands in for `sync.auth.Authenticator` (its own tests cover passwords and lock-outs)."""

    def __init__(self, roles: dict[tuple[str, str], str]) -> None:
        self.roles = roles

    def login(self, staff_id: str, password: str) -> SimpleNamespace:
        from sync.auth import WrongCredentials

        role = self.roles.get((staff_id, password))
        if role is None:
            raise WrongCredentials()
        return SimpleNamespace(staff_id=staff_id, role=role)


def test_verify_approver_needs_a_supervisor_with_the_right_password() -> None:
    directory = FakeAuthenticator({("S009", "right"): "supervisor", ("T002", "right"): "teller"})
    sync = SimpleNamespace(authenticator=lambda: directory)
    assert verify_approver(sync, "S009", "right") is None
    wrong = verify_approver(sync, "S009", "wrong")
    assert isinstance(wrong, Refusal) and wrong.code == "approver_not_verified"
    teller = verify_approver(sync, "T002", "right")
    assert isinstance(teller, Refusal) and teller.code == "approver_not_supervisor"


def test_the_audit_says_whether_the_approval_was_verified(
    store: LocalStore, counter: Counter, adult
) -> None:
    store.card_cache.put(active_record())
    outcome = counter.cancel(
        adult,
        CancellationReason.DEATH,
        evidence=DEATH_RECORD,
        approved_by="S009",
        approval_verified=True,
    )
    assert isinstance(outcome, Accepted)
    detail = store.audit.entries(holder_id=ADULT)[-1].detail
    assert detail["approved_by"] == "S009" and detail["approval_verified"] is True


def test_an_instant_card_printed_here_is_issued_then_collected(store: LocalStore, adult) -> None:
    instant = make_counter(store, desk(place=Place.INSTANT_BRANCH))
    applied = instant.apply(adult, ApplicationKind.FIRST, IssuanceSpeed.INSTANT, police_photo=True)
    assert isinstance(applied, Accepted)
    garbled = instant.confirm_instant_issuance(adult, "X0000001")
    assert isinstance(garbled, Refusal) and garbled.code == "card_number_malformed"
    issued = instant.confirm_instant_issuance(adult, " X00000019 ")
    assert isinstance(issued, Accepted)
    assert issued.record_after.application is not None
    assert issued.record_after.application.new_card_number == "X00000019"
    collected = instant.confirm_collection(adult)
    assert isinstance(collected, Accepted)
    assert collected.record_after.card_state is CardState.ACTIVE
    assert collected.record_after.card_number == "X00000019"
    kinds = [item.kind for item in store.outbox.items()]
    assert kinds == ["apply", "confirm_issuance", "confirm_collection"]


def test_only_an_instant_application_at_an_instant_branch_is_issued_at_the_counter(
    store: LocalStore, adult
) -> None:
    normal = make_counter(store)
    assert isinstance(normal.apply(adult, ApplicationKind.FIRST, police_photo=True), Accepted)
    here = normal.confirm_instant_issuance(adult, "X00000019")
    assert isinstance(here, Refusal) and here.code == "instant_needs_instant_branch"
    instant = make_counter(store, desk(place=Place.INSTANT_BRANCH))
    not_instant = instant.confirm_instant_issuance(adult, "X00000019")
    assert isinstance(not_instant, Refusal) and not_instant.code == "not_an_instant_application"
    assert [item.kind for item in store.outbox.items()] == ["apply"]


def test_a_decision_on_a_person_the_device_does_not_know_awaits_the_central(
    store: LocalStore, counter: Counter, adult
) -> None:
    unknown = counter.apply(adult, ApplicationKind.FIRST, photo_receipt=PHOTO, dry_run=True)
    assert isinstance(unknown, Preview) and unknown.awaits_central
    store.card_cache.put(active_record())
    known = counter.report_loss(adult, dry_run=True)
    assert isinstance(known, Preview) and not known.awaits_central
