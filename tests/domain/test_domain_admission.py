"""The one admission path: its fixed order, each step's refusal, the second person, the
consequences, and that whatever it admits is exactly the lifecycle's decision."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from branch_app.domain.admission import (
    Admission,
    Approver,
    Maker,
    Policy,
    admit,
    approval_of,
    is_instant,
)
from branch_app.domain.fees import FeeDecision, FeeReason
from branch_app.domain.identity import IdentityKind, IdentityNumber, parse_identity
from branch_app.domain.lifecycle import (
    Applicant,
    Applied,
    Apply,
    Cancel,
    CardRecord,
    ChangeContact,
    Command,
    ConfirmCollection,
    ConfirmIssuance,
    Merged,
    Refused,
    ReportLoss,
    Representative,
    Unlock,
    decide,
)
from branch_app.domain.roles import permission
from branch_app.domain.vocabulary import (
    ApplicationKind,
    CancellationReason,
    ExchangeReason,
    IssuanceSpeed,
    LossChannel,
    Place,
    Presenter,
    RefusalReason,
    Role,
)
from branch_app.domain.workdays import (
    CANCELLATION_WORKING_DAYS,
    OLD_ACCOUNT_CLOSING_WORKING_DAYS,
    due_date,
)
from tests.domain.domain_strategies import (
    ALICE_ID,
    BOB_ID,
    NEW_CARD,
    OLD_CARD,
    PASSPORT_ID,
    any_records,
    commands,
    resident_id,
)

DAY = dt.date(2026, 3, 2)
PHOTO = "GZ2026030200B1"
EVIDENCE = "GA-2026-0001234"
TELLER = Maker("T001", Role.TELLER)
SUPERVISOR = Maker("S001", Role.SUPERVISOR)
HOME_VISITOR = Maker("H001", Role.HOME_VISIT)
VERIFIED_SUPERVISOR = Approver("S001", Role.SUPERVISOR)
ALICE = parse_identity(ALICE_ID, today=DAY)
CHILD_ID = resident_id("440104", dt.date(2016, 4, 4), 8)
CHILD = parse_identity(CHILD_ID, today=DAY)
GUARDIAN = Applicant(
    presenter=Presenter.GUARDIAN,
    guardianship_proof=True,
    representative=Representative(IdentityKind.RESIDENT, BOB_ID, "Li Wei"),
)


def answer(
    command: Command,
    record: CardRecord,
    *,
    holder: IdentityNumber = ALICE,
    maker: Maker = TELLER,
    place: Place = Place.BRANCH,
    **kw: Any,
) -> Admission | Refused:
    return admit(command, record, holder=holder, maker=maker, place=place, today=DAY, **kw)


def refusal(command: Command, record: CardRecord, **kw: Any) -> RefusalReason:
    found = answer(command, record, **kw)
    assert isinstance(found, Refused), found
    return found.reason


def admitted(command: Command, record: CardRecord, **kw: Any) -> Admission:
    found = answer(command, record, **kw)
    assert isinstance(found, Admission), found
    assert found.command == command
    return found


def step(record: CardRecord, command: Command) -> CardRecord:
    decision = decide(record, command)
    assert isinstance(decision, Applied), decision
    return decision.record


def card_in_use(holder_id: str = ALICE_ID, bank: str | None = "ICBC") -> CardRecord:
    first = Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, DAY, bank=bank)
    record = step(CardRecord.new(holder_id), first)
    record = step(record, ConfirmIssuance(OLD_CARD, DAY))
    return step(record, ConfirmCollection(DAY))


def ready(record: CardRecord, command: Apply) -> CardRecord:
    """`record` after `command` was taken and the new card was printed."""
    return step(step(record, command), ConfirmIssuance(NEW_CARD, DAY))


# --- the fixed order: a command failing several steps is refused for the earliest one ----------


def test_an_application_is_refused_for_its_earliest_failing_step() -> None:
    child_with_card = card_in_use(CHILD_ID)
    bare = Apply(ApplicationKind.FIRST, IssuanceSpeed.INSTANT, DAY)  # the child alone, no photo
    fails_all = {"holder": CHILD, "place": Place.BRANCH}
    # 0. home-visit staff at a branch: the role comes before the place's own limits
    assert refusal(bare, child_with_card, holder=CHILD, maker=HOME_VISITOR) is (
        RefusalReason.ROLE_NOT_AT_PLACE
    )
    # 1. permission: instant issuance needs an instant-issuance branch
    assert refusal(bare, child_with_card, **fails_all) is RefusalReason.INSTANT_NEEDS_INSTANT_BRANCH
    # 2. the applicant rules: a child comes with a guardian
    at_instant = {"holder": CHILD, "place": Place.INSTANT_BRANCH}
    assert refusal(bare, child_with_card, **at_instant) is RefusalReason.GUARDIAN_REQUIRED
    # 3. the documents: the photo
    with_guardian = replace(bare, applicant=GUARDIAN)
    assert refusal(with_guardian, child_with_card, **at_instant) is RefusalReason.PHOTO_REQUIRED
    # 5. the lifecycle: one live card per person
    with_photo = replace(with_guardian, photo_receipt=PHOTO)
    assert refusal(with_photo, child_with_card, **at_instant) is RefusalReason.LIVE_CARD_EXISTS
    assert admitted(with_photo, CardRecord.new(CHILD_ID), **at_instant).instant


def test_a_cancellation_is_refused_for_its_earliest_failing_step() -> None:
    nothing = CardRecord.new(ALICE_ID)
    bare = Cancel(CancellationReason.DEATH)
    # 1. permission: no cancellation on a home visit
    assert refusal(bare, nothing, place=Place.HOME_VISIT) is RefusalReason.NOT_ON_HOME_VISIT
    # 3. the documents: the death's evidence
    assert refusal(bare, nothing) is RefusalReason.DEATH_EVIDENCE_REQUIRED
    # 4. the second person
    with_evidence = replace(bare, evidence=EVIDENCE)
    assert refusal(with_evidence, nothing) is RefusalReason.APPROVAL_REQUIRED
    # 5. the lifecycle: nothing to cancel
    approved = replace(with_evidence, approved_by="S001")
    assert refusal(approved, nothing, approver=VERIFIED_SUPERVISOR) is (
        RefusalReason.NOTHING_TO_CANCEL
    )
    assert admitted(approved, card_in_use(), approver=VERIFIED_SUPERVISOR)


def test_a_collection_is_refused_for_its_earliest_failing_step() -> None:
    hk_id = resident_id("810000", dt.date(1979, 10, 2), 15)
    hk = parse_identity(hk_id, kind=IdentityKind.HONG_KONG_PERMIT, today=DAY)
    pending = step(CardRecord.new(hk_id), Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, DAY))
    agent = Applicant(
        presenter=Presenter.AGENT,
        representative=Representative(
            IdentityKind.PASSPORT, "G12345678", "Chen Mei", dt.date(1970, 1, 1)
        ),
    )
    by_agent = ConfirmCollection(DAY, applicant=agent)
    assert refusal(by_agent, pending, holder=hk, place=Place.HOME_VISIT) is (
        RefusalReason.COLLECTION_NEEDS_BRANCH
    )
    assert refusal(by_agent, pending, holder=hk) is RefusalReason.HOLDER_COLLECTS
    in_person = ConfirmCollection(DAY)
    assert refusal(in_person, pending, holder=hk) is RefusalReason.CARD_NOT_ISSUED_YET


def test_the_applicant_step_names_every_problem_it_finds() -> None:
    alone = Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, DAY, photo_receipt=PHOTO)
    guardian_without_anything = replace(alone, applicant=Applicant(presenter=Presenter.GUARDIAN))
    found = answer(guardian_without_anything, CardRecord.new(CHILD_ID), holder=CHILD)
    assert isinstance(found, Refused)
    assert (found.reason, found.also) == (
        RefusalReason.GUARDIANSHIP_PROOF_MISSING,
        (RefusalReason.REPRESENTATIVE_DOCUMENT_REQUIRED,),
    )


# --- each step's refusals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "place", "reason"),
    [
        (Unlock(True, OLD_CARD), Place.HOME_VISIT, RefusalReason.UNLOCK_NEEDS_BRANCH),
        (ConfirmIssuance(NEW_CARD, DAY), Place.BRANCH, RefusalReason.ISSUED_BY_CARD_AGENCY),
        (ConfirmIssuance(NEW_CARD, DAY), Place.HOME_VISIT, RefusalReason.NOT_ON_HOME_VISIT),
        (
            Apply(ApplicationKind.FIRST, IssuanceSpeed.INSTANT, DAY, photo_receipt=PHOTO),
            Place.HOME_VISIT,
            RefusalReason.INSTANT_NEEDS_INSTANT_BRANCH,
        ),
    ],
)
def test_permission_refusals(command: Command, place: Place, reason: RefusalReason) -> None:
    assert refusal(command, card_in_use(), place=place) is reason


def test_a_holder_without_a_birth_date_in_the_number_gives_it_from_the_document() -> None:
    passport_holder = parse_identity(PASSPORT_ID, kind=IdentityKind.PASSPORT, today=DAY)
    apply = Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, DAY, photo_receipt=PHOTO)
    record = CardRecord.new(PASSPORT_ID)
    assert refusal(apply, record, holder=passport_holder) is (
        RefusalReason.HOLDER_BIRTH_DATE_REQUIRED
    )
    dated = replace(apply, applicant=Applicant(holder_birth_date=dt.date(1980, 6, 1)))
    assert admitted(dated, record, holder=passport_holder)


@pytest.mark.parametrize(
    ("receipt", "police_photo", "reason"),
    [
        (None, False, RefusalReason.PHOTO_REQUIRED),
        ("12345", False, RefusalReason.PHOTO_RECEIPT_MALFORMED),
        ("GZ-2026/03", True, RefusalReason.PHOTO_RECEIPT_MALFORMED),
        (None, True, None),
        (PHOTO, False, None),
    ],
)
def test_the_photo(receipt: str | None, police_photo: bool, reason: RefusalReason | None) -> None:
    apply = Apply(
        ApplicationKind.FIRST,
        IssuanceSpeed.NORMAL,
        DAY,
        photo_receipt=receipt,
        police_photo=police_photo,
    )
    found = answer(apply, CardRecord.new(ALICE_ID))
    if reason is None:
        assert isinstance(found, Admission)
    else:
        assert isinstance(found, Refused) and found.reason is reason


def test_a_repeated_application_is_merged_without_asking_for_the_photo_again() -> None:
    first = Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, DAY, photo_receipt=PHOTO)
    pending = admitted(first, CardRecord.new(ALICE_ID)).record_after
    again = admitted(replace(first, photo_receipt=None), pending)
    assert again.merged and again.record_after == pending
    assert again.fee == FeeDecision(0, FeeReason.NOT_CHARGED_SERVICE)
    different = Apply(ApplicationKind.FIRST, IssuanceSpeed.INSTANT, DAY)
    assert refusal(different, pending, place=Place.INSTANT_BRANCH) is (
        RefusalReason.APPLICATION_PENDING
    )


def test_a_card_face_exchange_rests_on_the_police_records_evidence() -> None:
    card = card_in_use()
    face = Apply(
        ApplicationKind.EXCHANGE,
        IssuanceSpeed.NORMAL,
        DAY,
        ExchangeReason.CARD_FACE_CHANGE,
        photo_receipt=PHOTO,
    )
    assert refusal(face, card) is RefusalReason.CARD_FACE_EVIDENCE_REQUIRED
    assert refusal(replace(face, evidence="no!"), card) is RefusalReason.EVIDENCE_MALFORMED
    assert admitted(replace(face, evidence=EVIDENCE), card).fee.reason is FeeReason.EXCHANGE
    damage = replace(face, exchange_reason=ExchangeReason.DAMAGE)
    assert admitted(damage, card)  # other exchanges need no evidence


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (ChangeContact(), RefusalReason.CONTACT_REQUIRED),
        (ChangeContact(address="  "), RefusalReason.CONTACT_REQUIRED),
        (ChangeContact(mobile="1380013800"), RefusalReason.MOBILE_MALFORMED),
        (ChangeContact(mobile="23800138000"), RefusalReason.MOBILE_MALFORMED),
        (ChangeContact(mobile="138 0013 8000"), RefusalReason.MOBILE_MALFORMED),
    ],
)
def test_a_contact_change_names_a_well_formed_detail(
    change: ChangeContact, reason: RefusalReason
) -> None:
    assert refusal(change, card_in_use()) is reason


def test_a_contact_change_is_taken_at_the_counter_and_on_a_home_visit() -> None:
    change = ChangeContact(mobile="13800138000", address="Room 1, 2 Huacheng Road")
    for maker, place in [(TELLER, Place.BRANCH), (HOME_VISITOR, Place.HOME_VISIT)]:
        taken = admitted(change, card_in_use(), maker=maker, place=place)
        assert taken.fee == FeeDecision(0, FeeReason.NOT_CHARGED_SERVICE)
        assert taken.due is None and taken.record_after.card_number == OLD_CARD
    assert refusal(change, CardRecord.new(ALICE_ID)) is RefusalReason.NO_RECORD


# --- the second person -------------------------------------------------------------------------

CANCEL = Cancel(CancellationReason.EMIGRATION)


@pytest.mark.parametrize(
    ("approved_by", "approver", "reason"),
    [
        (None, VERIFIED_SUPERVISOR, RefusalReason.APPROVAL_REQUIRED),
        ("  ", VERIFIED_SUPERVISOR, RefusalReason.APPROVAL_REQUIRED),
        ("T001", Approver("T001", Role.SUPERVISOR), RefusalReason.APPROVER_IS_REQUESTER),
        ("t001", Approver("t001", Role.SUPERVISOR), RefusalReason.APPROVER_IS_REQUESTER),
        ("S001", None, RefusalReason.APPROVER_NOT_SUPERVISOR),  # not verified
        ("S001", Approver("S001", Role.TELLER), RefusalReason.APPROVER_NOT_SUPERVISOR),
        ("S001", Approver("S002", Role.SUPERVISOR), RefusalReason.APPROVER_NOT_SUPERVISOR),
        ("T002", Approver("T002", Role.TELLER), RefusalReason.APPROVER_NOT_SUPERVISOR),
    ],
)
def test_a_tellers_cancellation_needs_a_verified_supervisor(
    approved_by: str | None, approver: Approver | None, reason: RefusalReason
) -> None:
    command = replace(CANCEL, approved_by=approved_by)
    assert refusal(command, card_in_use(), approver=approver) is reason


def test_a_verified_supervisor_approves_and_a_supervisor_needs_no_second_person() -> None:
    for named in ("S001", "s001"):
        command = replace(CANCEL, approved_by=named)
        assert approval_of(command) == named
        assert admitted(command, card_in_use(), approver=VERIFIED_SUPERVISOR)
    assert approval_of(CANCEL) is None and approval_of(ReportLoss(LossChannel.ONLINE)) is None
    assert admitted(CANCEL, card_in_use(), maker=SUPERVISOR)


# --- consequences ------------------------------------------------------------------------------


def test_a_first_application_is_free_and_due_in_working_days() -> None:
    first = Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, DAY, photo_receipt=PHOTO)
    taken = admitted(first, CardRecord.new(ALICE_ID))
    assert taken.fee == FeeDecision(0, FeeReason.FIRST_APPLICATION)
    assert taken.due == due_date(DAY)
    assert (taken.old_account_closes, taken.cancelled_by) == (None, None)
    assert not taken.awaits_central and not taken.merged and not taken.instant


def test_a_replacement_is_charged_the_configured_fee() -> None:
    lost = step(card_in_use(), ReportLoss(LossChannel.ONLINE))
    replacement = Apply(ApplicationKind.REPLACEMENT, IssuanceSpeed.NORMAL, DAY, photo_receipt=PHOTO)
    assert admitted(replacement, lost).fee == FeeDecision(20, FeeReason.REPLACEMENT)
    policy = Policy(replacement_fee_yuan=25)
    assert admitted(replacement, lost, policy=policy).fee == FeeDecision(25, FeeReason.REPLACEMENT)


def test_an_instant_issuance_has_no_due_date() -> None:
    lost = step(card_in_use(), ReportLoss(LossChannel.ONLINE))
    instant = Apply(ApplicationKind.REPLACEMENT, IssuanceSpeed.INSTANT, DAY, photo_receipt=PHOTO)
    taken = admitted(instant, lost, place=Place.INSTANT_BRANCH)
    assert is_instant(instant) and taken.instant
    assert taken.due is None
    assert taken.fee.reason is FeeReason.REPLACEMENT


def test_a_quality_exchange_within_a_year_is_free() -> None:
    quality = Apply(
        ApplicationKind.EXCHANGE,
        IssuanceSpeed.NORMAL,
        DAY,
        ExchangeReason.QUALITY_PROBLEM,
        photo_receipt=PHOTO,
    )
    taken = admitted(quality, card_in_use())
    assert taken.fee == FeeDecision(0, FeeReason.QUALITY_PROBLEM_WITHIN_ONE_YEAR)
    assert taken.due == due_date(DAY)


def test_the_due_date_follows_the_policys_calendar_overrides() -> None:
    accepted = dt.date(2040, 3, 1)  # a year without a published schedule
    first = Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, accepted, photo_receipt=PHOTO)
    plain = due_date(accepted)
    overrides = {plain.date: False}
    taken = admitted(first, CardRecord.new(ALICE_ID), policy=Policy(calendar_overrides=overrides))
    assert taken.due == due_date(accepted, overrides=overrides)
    assert taken.due is not None and taken.due.date > plain.date


def test_collecting_after_a_change_of_bank_says_when_the_old_account_closes() -> None:
    to_ccb = Apply(
        ApplicationKind.EXCHANGE, IssuanceSpeed.NORMAL, DAY, ExchangeReason.CHANGE_OF_BANK, "CCB"
    )
    collected_on = DAY + dt.timedelta(days=20)
    taken = admitted(ConfirmCollection(collected_on), ready(card_in_use(), to_ccb))
    assert taken.old_account_closes == due_date(collected_on, OLD_ACCOUNT_CLOSING_WORKING_DAYS)
    assert taken.record_after.bank == "CCB"
    assert taken.fee.reason is FeeReason.NOT_CHARGED_SERVICE and taken.due is None
    damage = Apply(ApplicationKind.EXCHANGE, IssuanceSpeed.NORMAL, DAY, ExchangeReason.DAMAGE)
    same_bank = admitted(ConfirmCollection(collected_on), ready(card_in_use(), damage))
    assert same_bank.old_account_closes is None


def test_a_cancellation_says_when_the_card_agency_cancels_the_card() -> None:
    taken = admitted(CANCEL, card_in_use(), maker=SUPERVISOR)
    assert taken.cancelled_by == due_date(DAY, CANCELLATION_WORKING_DAYS)
    assert taken.due is None and taken.fee.reason is FeeReason.NOT_CHARGED_SERVICE


def test_without_consequences_only_the_decision() -> None:
    lost = step(card_in_use(), ReportLoss(LossChannel.ONLINE))
    replacement = Apply(ApplicationKind.REPLACEMENT, IssuanceSpeed.NORMAL, DAY, photo_receipt=PHOTO)
    full = admitted(replacement, lost)
    bare = admitted(replacement, lost, consequences=False)
    assert bare.decision == full.decision
    assert bare.fee == FeeDecision(0, FeeReason.NOT_CHARGED_SERVICE)
    assert (bare.due, bare.old_account_closes, bare.cancelled_by) == (None, None, None)
    cancelled = admitted(CANCEL, card_in_use(), maker=SUPERVISOR, consequences=False)
    assert cancelled.cancelled_by is None


def test_a_record_the_central_has_not_confirmed_awaits_the_central() -> None:
    first = Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, DAY, photo_receipt=PHOTO)
    unconfirmed = admitted(first, CardRecord.new(ALICE_ID), record_confirmed=False)
    assert unconfirmed.awaits_central
    assert unconfirmed.fee.reason is FeeReason.FIRST_APPLICATION  # consequences still given
    again = admitted(first, unconfirmed.record_after, record_confirmed=False)
    assert again.merged and again.awaits_central
    bare = admitted(first, CardRecord.new(ALICE_ID), record_confirmed=False, consequences=False)
    assert bare.awaits_central
    assert not admitted(first, CardRecord.new(ALICE_ID)).awaits_central


# --- admit is the lifecycle's decision behind the other checks ---------------------------------

HOLDERS = [
    ALICE,
    CHILD,
    parse_identity(PASSPORT_ID, kind=IdentityKind.PASSPORT, today=DAY),
    parse_identity(
        resident_id("810000", dt.date(1979, 10, 2), 15),
        kind=IdentityKind.HONG_KONG_PERMIT,
        today=DAY,
    ),
]


@settings(max_examples=300)
@given(
    record=any_records,
    command=commands,
    holder=st.sampled_from(HOLDERS),
    approver=st.none() | st.just(VERIFIED_SUPERVISOR) | st.just(Approver("S001", Role.TELLER)),
    confirmed=st.booleans(),
    consequences=st.booleans(),
    data=st.data(),
)
def test_admit_either_refuses_or_is_the_lifecycles_decision(
    record: CardRecord,
    command: Command,
    holder: IdentityNumber,
    approver: Approver | None,
    confirmed: bool,
    consequences: bool,
    data: st.DataObject,
) -> None:
    """For any command and record, with a maker permitted there: refused, or exactly `decide`."""
    permitted = [
        (role, place)
        for role in Role
        for place in Place
        if permission(role, place, command).allowed
    ]
    role, place = data.draw(st.sampled_from(permitted), label="role and place")
    record = replace(record, holder_id=holder.number)
    found = admit(
        command,
        record,
        holder=holder,
        maker=Maker("M001", role),
        place=place,
        today=DAY,
        approver=approver,
        record_confirmed=confirmed,
        consequences=consequences,
    )
    decision = decide(record, command)
    if isinstance(found, Refused):
        event("refused")
        assert isinstance(found.reason, RefusalReason)
        if isinstance(decision, Refused) and found.reason in (decision.reason, *decision.also):
            assert found == decision
        return
    event("merged" if found.merged else "applied")
    assert found.decision == decision
    assert isinstance(decision, Applied | Merged)
    assert found.command == command
    assert found.awaits_central is not confirmed
    if not consequences or found.merged:
        assert found.fee == FeeDecision(0, FeeReason.NOT_CHARGED_SERVICE)
        assert (found.due, found.old_account_closes, found.cancelled_by) == (None, None, None)
