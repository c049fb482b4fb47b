"""Issue 11 at the domain level: one or more tests per numbered finding, with made-up people.

Each test failed on the domain before the issue's rules (see the finding it names) and passes now.
The counter's side of the same findings is tested under tests/counter.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from branch_app.domain.admission import Admission, Approver, Maker, admit
from branch_app.domain.identity import IdentityKind, IdentityNumber, parse_identity
from branch_app.domain.lifecycle import (
    Applicant,
    Applied,
    Apply,
    Cancel,
    CardRecord,
    Command,
    ConfirmCollection,
    ConfirmIssuance,
    Merged,
    Refused,
    ReportLoss,
    Representative,
    Unlock,
    command_from_dict,
    command_to_dict,
    decide,
)
from branch_app.domain.roles import check_applicant
from branch_app.domain.vocabulary import (
    ApplicantAction,
    ApplicationKind,
    CancellationReason,
    CardState,
    ExchangeReason,
    FunctionStatus,
    IssuanceSpeed,
    LossChannel,
    Place,
    Presenter,
    RefusalReason,
    Role,
)
from branch_app.i18n import Language, t
from tests.domain.domain_strategies import (
    ALICE_ID,
    BOB_ID,
    NEW_CARD,
    OLD_CARD,
    PASSPORT_ID,
    PR_2017_ID,
    resident_id,
)

DAY = dt.date(2026, 3, 2)
PHOTO = "GZ2026030200B1"
TELLER = Maker("T001", Role.TELLER)
SUPERVISOR = Maker("S001", Role.SUPERVISOR)

ALICE = parse_identity(ALICE_ID, today=DAY)
PR_2017_HOLDER = parse_identity(PR_2017_ID, kind=IdentityKind.FOREIGN_PERMANENT_2017, today=DAY)
PASSPORT_HOLDER = parse_identity(PASSPORT_ID, kind=IdentityKind.PASSPORT, today=DAY)
#: A 10-year-old Hong Kong resident (the permit gives the birth date).
HK_CHILD = parse_identity(
    resident_id("810000", dt.date(2015, 9, 9), 33), kind=IdentityKind.HONG_KONG_PERMIT, today=DAY
)

#: An adult Hong Kong resident.
HK_ADULT_ID = resident_id("810000", dt.date(1979, 10, 2), 15)

ADULT_BORN = dt.date(1980, 6, 1)
CHILD_BORN = dt.date(2015, 9, 9)
#: A 10-year-old's resident ID, shown by someone who claims to act as an agent.
TEN_YEAR_OLD = Representative(
    IdentityKind.RESIDENT, resident_id("440106", dt.date(2015, 12, 1), 71), "Zhou Xiaoming"
)
ADULT_GUARDIAN = Representative(IdentityKind.RESIDENT, BOB_ID, "Li Wei")
PASSPORT_AGENT = Representative(
    IdentityKind.PASSPORT, "G12345678", "Chen Mei", birth_date=dt.date(1970, 1, 1)
)
PR_2017_AGENT = Representative(
    IdentityKind.FOREIGN_PERMANENT_2017, "GBR440075061234", "Ann Smith", dt.date(1975, 6, 12)
)


def first_application(**applicant: Any) -> Apply:
    return Apply(
        ApplicationKind.FIRST,
        IssuanceSpeed.NORMAL,
        DAY,
        photo_receipt=PHOTO,
        applicant=Applicant(**applicant),
    )


def admitted(command: Command, record: CardRecord, holder: IdentityNumber, **kw: Any) -> Admission:
    answer = admit(
        command,
        record,
        holder=holder,
        maker=kw.pop("maker", TELLER),
        place=kw.pop("place", Place.BRANCH),
        today=DAY,
        **kw,
    )
    assert isinstance(answer, Admission), answer
    return answer


def refusals(
    command: Command, record: CardRecord, holder: IdentityNumber, **kw: Any
) -> set[RefusalReason]:
    answer = admit(
        command,
        record,
        holder=holder,
        maker=kw.pop("maker", TELLER),
        place=kw.pop("place", Place.BRANCH),
        today=DAY,
        **kw,
    )
    assert isinstance(answer, Refused), answer
    return {answer.reason, *answer.also}


def step(record: CardRecord, command: Command) -> CardRecord:
    decision = decide(record, command)
    assert isinstance(decision, Applied), decision
    return decision.record


def card_in_use(bank: str | None = "ICBC") -> CardRecord:
    record = step(
        CardRecord.new(ALICE_ID), Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, DAY, bank=bank)
    )
    record = step(record, ConfirmIssuance(OLD_CARD, DAY))
    return step(record, ConfirmCollection(DAY))


# --- 1. the applicant rules apply when the holder's ID carries no birth date -------------------

NO_BIRTH_DATE_HOLDERS = [PR_2017_HOLDER, PASSPORT_HOLDER]


@pytest.mark.parametrize("holder", NO_BIRTH_DATE_HOLDERS, ids=["pr2017", "passport"])
def test_1_an_agent_aged_10_is_refused_for_a_holder_without_birth_date(
    holder: IdentityNumber,
) -> None:
    apply = first_application(
        presenter=Presenter.AGENT, holder_birth_date=ADULT_BORN, representative=TEN_YEAR_OLD
    )
    assert RefusalReason.AGENT_UNDER_18 in refusals(apply, CardRecord.new(holder.number), holder)
    collect = ConfirmCollection(DAY, applicant=apply.applicant)
    found = check_applicant(
        ApplicantAction.COLLECT, holder=holder, applicant=collect.applicant, on=DAY
    )
    assert {r.reason for r in found} == {
        RefusalReason.HOLDER_COLLECTS,
        RefusalReason.AGENT_UNDER_18,
    }


@pytest.mark.parametrize("holder", NO_BIRTH_DATE_HOLDERS, ids=["pr2017", "passport"])
def test_1_an_agent_without_a_birth_date_is_refused(holder: IdentityNumber) -> None:
    no_birth_date = Representative(IdentityKind.PASSPORT, "G12345678", "Chen Mei")
    apply = first_application(
        presenter=Presenter.AGENT, holder_birth_date=ADULT_BORN, representative=no_birth_date
    )
    assert refusals(apply, CardRecord.new(holder.number), holder) == {
        RefusalReason.AGENT_AGE_UNKNOWN
    }


@pytest.mark.parametrize("holder", NO_BIRTH_DATE_HOLDERS, ids=["pr2017", "passport"])
def test_1_a_guardian_without_proof_is_refused(holder: IdentityNumber) -> None:
    apply = first_application(
        presenter=Presenter.GUARDIAN, holder_birth_date=CHILD_BORN, representative=ADULT_GUARDIAN
    )
    record = CardRecord.new(holder.number)
    assert refusals(apply, record, holder) == {RefusalReason.GUARDIANSHIP_PROOF_MISSING}
    with_proof = first_application(
        presenter=Presenter.GUARDIAN,
        holder_birth_date=CHILD_BORN,
        guardianship_proof=True,
        representative=ADULT_GUARDIAN,
    )
    assert admitted(with_proof, record, holder).record_after.application is not None
    # and a child of this kind cannot come alone
    alone = first_application(holder_birth_date=CHILD_BORN)
    assert refusals(alone, record, holder) == {RefusalReason.GUARDIAN_REQUIRED}


@pytest.mark.parametrize("holder", NO_BIRTH_DATE_HOLDERS, ids=["pr2017", "passport"])
def test_1_the_holders_birth_date_is_required_from_the_document(holder: IdentityNumber) -> None:
    record = CardRecord.new(holder.number)
    assert refusals(first_application(), record, holder) == {
        RefusalReason.HOLDER_BIRTH_DATE_REQUIRED
    }
    for action in ApplicantAction:
        found = check_applicant(action, holder=holder, applicant=Applicant(), on=DAY)
        assert [r.reason for r in found] == [RefusalReason.HOLDER_BIRTH_DATE_REQUIRED]
    apply = first_application(holder_birth_date=ADULT_BORN)
    taken = admitted(apply, record, holder).command
    assert isinstance(taken, Apply) and taken.applicant.holder_birth_date == ADULT_BORN
    # recorded with the command, so the central checks the same birth date
    assert command_from_dict(command_to_dict(apply)) == apply


# --- 2. unlock needs the found card, and it must be the record's current card -----------------


def test_2_unlock_without_the_card_is_refused() -> None:
    lost = step(card_in_use(), ReportLoss(LossChannel.ONLINE))
    assert refusals(Unlock(at_card_bank=True), lost, ALICE) == {RefusalReason.CARD_REQUIRED}


def test_2_unlock_with_another_card_is_refused_and_with_the_current_one_restores() -> None:
    lost = step(card_in_use(), ReportLoss(LossChannel.ONLINE))
    other = Unlock(at_card_bank=True, card_number=NEW_CARD, card_read=True)
    assert refusals(other, lost, ALICE) == {RefusalReason.CARD_NOT_CURRENT}
    typed = Unlock(at_card_bank=True, card_number=OLD_CARD, card_read=False)
    assert admitted(typed, lost, ALICE).record_after.card_state is CardState.ACTIVE


def test_2_the_card_an_exchange_replaced_cannot_unlock_the_new_one() -> None:
    record = step(
        card_in_use(),
        Apply(ApplicationKind.EXCHANGE, IssuanceSpeed.NORMAL, DAY, ExchangeReason.DAMAGE),
    )
    record = step(step(record, ConfirmIssuance(NEW_CARD, DAY)), ConfirmCollection(DAY))
    lost = step(record, ReportLoss(LossChannel.GOVERNMENT_HOTLINE))
    old = Unlock(at_card_bank=True, card_number=OLD_CARD, card_read=True)
    assert decide(lost, old) == Refused(RefusalReason.CARD_NOT_CURRENT)


# --- 3. a loss report through any channel freezes both; unlock restores both anywhere ----------


@pytest.mark.parametrize("channel", list(LossChannel))
def test_3_every_channel_freezes_both_and_any_branch_restores_both(channel: LossChannel) -> None:
    lost = admitted(ReportLoss(channel), card_in_use(), ALICE).record_after
    assert (lost.social_security, lost.financial) == (FunctionStatus.FROZEN, FunctionStatus.FROZEN)
    found = Unlock(at_card_bank=False, card_number=OLD_CARD, card_read=True)
    back = admitted(found, lost, ALICE).record_after
    assert (back.social_security, back.financial) == (FunctionStatus.NORMAL, FunctionStatus.NORMAL)


# --- 4. death is final; other grounds allow a new first application; no card, nothing to cancel --


def test_4_death_is_final() -> None:
    cancel = Cancel(CancellationReason.DEATH, evidence="GA-2026-0001234")
    dead = admitted(cancel, card_in_use(), ALICE, maker=SUPERVISOR).record_after
    assert refusals(first_application(), dead, ALICE) == {RefusalReason.HOLDER_DECEASED}


@pytest.mark.parametrize(
    "reason",
    [
        CancellationReason.MOVED_OUT_OF_PROVINCE,
        CancellationReason.EMIGRATION,
        CancellationReason.LOSS_OF_ENTITLEMENT,
        CancellationReason.DISAPPEARANCE,
    ],
)
def test_4_after_other_grounds_a_new_first_card_with_a_new_number(
    reason: CancellationReason,
) -> None:
    cancelled = admitted(Cancel(reason), card_in_use(), ALICE, maker=SUPERVISOR).record_after
    assert cancelled.card_state is CardState.CANCELLED
    again = admitted(first_application(), cancelled, ALICE)
    assert again.fee.amount_yuan == 0
    record = step(again.record_after, ConfirmIssuance(NEW_CARD, DAY + dt.timedelta(days=10)))
    record = step(record, ConfirmCollection(DAY + dt.timedelta(days=14)))
    assert record.holder_id == ALICE_ID  # the same social security number
    assert record.card_number == NEW_CARD != OLD_CARD
    assert record.card_state is CardState.ACTIVE
    assert record.cancellation_reason is None
    assert record.version > cancelled.version


def test_4_cancelling_a_person_with_no_card_is_refused() -> None:
    for reason in CancellationReason:
        command = Cancel(reason, evidence="GA-2026-0001234")
        assert refusals(command, CardRecord.new(ALICE_ID), ALICE, maker=SUPERVISOR) == {
            RefusalReason.NOTHING_TO_CANCEL
        }
    # a first card in production can be cancelled
    in_production = step(
        CardRecord.new(ALICE_ID), Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, DAY)
    )
    assert admitted(Cancel(CancellationReason.EMIGRATION), in_production, ALICE, maker=SUPERVISOR)


# --- 5. a second, different exchange is refused, never merged -----------------------------------


def exchange(reason: ExchangeReason, bank: str | None = None) -> Apply:
    return Apply(
        ApplicationKind.EXCHANGE, IssuanceSpeed.NORMAL, DAY, reason, bank=bank, photo_receipt=PHOTO
    )


def test_5_a_second_different_exchange_is_refused() -> None:
    damaged = admitted(exchange(ExchangeReason.DAMAGE), card_in_use(), ALICE).record_after
    bank_change = exchange(ExchangeReason.CHANGE_OF_BANK, bank="CCB")
    assert decide(damaged, bank_change) == Refused(RefusalReason.APPLICATION_PENDING)
    assert refusals(bank_change, damaged, ALICE) == {RefusalReason.APPLICATION_PENDING}
    instant = Apply(ApplicationKind.EXCHANGE, IssuanceSpeed.INSTANT, DAY, ExchangeReason.DAMAGE)
    assert decide(damaged, instant) == Refused(RefusalReason.APPLICATION_PENDING)


def test_5_a_second_bank_change_to_another_bank_is_refused_the_same_one_merges() -> None:
    to_ccb = admitted(
        exchange(ExchangeReason.CHANGE_OF_BANK, "CCB"), card_in_use(), ALICE
    ).record_after
    assert decide(to_ccb, exchange(ExchangeReason.CHANGE_OF_BANK, "BOC")) == Refused(
        RefusalReason.APPLICATION_PENDING
    )
    same = admitted(exchange(ExchangeReason.CHANGE_OF_BANK, "CCB"), to_ccb, ALICE)
    assert same.merged and same.record_after == to_ccb


def test_5_an_identical_exchange_merges() -> None:
    damaged = step(card_in_use(), exchange(ExchangeReason.DAMAGE))
    assert decide(damaged, exchange(ExchangeReason.DAMAGE)) == Merged(damaged)


# --- 6. the representative's document, for every representative --------------------------------


def test_6_a_guardian_without_a_document_is_refused() -> None:
    child = parse_identity(resident_id("440104", CHILD_BORN, 8), today=DAY)
    apply = first_application(presenter=Presenter.GUARDIAN, guardianship_proof=True)
    assert refusals(apply, CardRecord.new(child.number), child) == {
        RefusalReason.REPRESENTATIVE_DOCUMENT_REQUIRED
    }
    wrong_check = BOB_ID[:17] + ("0" if BOB_ID[17] != "0" else "1")
    invalid = Representative(IdentityKind.RESIDENT, wrong_check, "Li Wei")
    apply = first_application(
        presenter=Presenter.GUARDIAN, guardianship_proof=True, representative=invalid
    )
    assert refusals(apply, CardRecord.new(child.number), child) == {
        RefusalReason.REPRESENTATIVE_DOCUMENT_INVALID
    }


def test_6_an_agent_with_a_passport_is_accepted() -> None:
    hk_adult = parse_identity(HK_ADULT_ID, kind=IdentityKind.HONG_KONG_PERMIT, today=DAY)
    apply = first_application(presenter=Presenter.AGENT, representative=PASSPORT_AGENT)
    assert admitted(apply, CardRecord.new(hk_adult.number), hk_adult).command == apply


def test_6_a_2017_permanent_residence_agents_age_comes_from_the_document() -> None:
    hk_adult = parse_identity(HK_ADULT_ID, kind=IdentityKind.HONG_KONG_PERMIT, today=DAY)
    record = CardRecord.new(hk_adult.number)
    apply = first_application(presenter=Presenter.AGENT, representative=PR_2017_AGENT)
    assert admitted(apply, record, hk_adult)
    young = Representative(
        IdentityKind.FOREIGN_PERMANENT_2017, "GBR440075061234", "Ann Smith", dt.date(2010, 6, 12)
    )
    apply = first_application(presenter=Presenter.AGENT, representative=young)
    assert refusals(apply, record, hk_adult) == {RefusalReason.AGENT_UNDER_18}
    unknown = Representative(IdentityKind.FOREIGN_PERMANENT_2017, "GBR440075061234", "Ann Smith")
    apply = first_application(presenter=Presenter.AGENT, representative=unknown)
    assert refusals(apply, record, hk_adult) == {RefusalReason.AGENT_AGE_UNKNOWN}


def test_6_an_adult_agent_for_a_10_year_old_hong_kong_holder_is_refused() -> None:
    apply = first_application(presenter=Presenter.AGENT, representative=PASSPORT_AGENT)
    assert RefusalReason.GUARDIAN_REQUIRED in refusals(
        apply, CardRecord.new(HK_CHILD.number), HK_CHILD
    )
    guardian = first_application(
        presenter=Presenter.GUARDIAN, guardianship_proof=True, representative=ADULT_GUARDIAN
    )
    assert admitted(guardian, CardRecord.new(HK_CHILD.number), HK_CHILD)


# --- 7. a death cancellation needs its evidence -------------------------------------------------


def test_7_a_death_cancellation_needs_the_police_record_or_certificate_number() -> None:
    card = card_in_use()
    for missing in (None, "", "   "):
        command = Cancel(CancellationReason.DEATH, evidence=missing)
        assert refusals(command, card, ALICE, maker=SUPERVISOR) == {
            RefusalReason.DEATH_EVIDENCE_REQUIRED
        }
    garbled = Cancel(CancellationReason.DEATH, evidence="x")
    assert refusals(garbled, card, ALICE, maker=SUPERVISOR) == {RefusalReason.EVIDENCE_MALFORMED}
    certified = Cancel(CancellationReason.DEATH, evidence="GA-2026-0001234")
    answer = admitted(certified, card, ALICE, maker=SUPERVISOR)
    assert answer.record_after.cancellation_reason is CancellationReason.DEATH
    assert command_from_dict(command_to_dict(certified)) == certified
    # a teller's request names the approving supervisor as well
    by_teller = Cancel(CancellationReason.DEATH, evidence="GA-2026-0001234", approved_by="S001")
    assert admitted(by_teller, card, ALICE, approver=Approver("S001", Role.SUPERVISOR))


def test_7_other_grounds_need_no_death_evidence() -> None:
    assert admitted(Cancel(CancellationReason.EMIGRATION), card_in_use(), ALICE, maker=SUPERVISOR)


# --- 8. small ones: 29 February, a death told as a death ---------------------------------------


def test_8_someone_born_on_29_february_is_a_year_older_on_28_february() -> None:
    """Civil Code art. 201, the same reading as the fee's one year (`fees.one_year_after`)."""
    leap_agent = Representative(
        IdentityKind.RESIDENT, resident_id("440106", dt.date(2008, 2, 29), 51), "Chen Mei"
    )
    hk_adult = parse_identity(HK_ADULT_ID, kind=IdentityKind.HONG_KONG_PERMIT, today=DAY)
    applicant = Applicant(presenter=Presenter.AGENT, representative=leap_agent)
    for on, expected in [
        (dt.date(2026, 2, 27), [RefusalReason.AGENT_UNDER_18]),
        (dt.date(2026, 2, 28), []),
    ]:
        found = check_applicant(ApplicantAction.APPLY, holder=hk_adult, applicant=applicant, on=on)
        assert [r.reason for r in found] == expected, on
    leap_holder = parse_identity(resident_id("440104", dt.date(2008, 2, 29), 22), today=DAY)
    on_28th = check_applicant(
        ApplicantAction.APPLY, holder=leap_holder, applicant=Applicant(), on=dt.date(2024, 2, 28)
    )
    assert [r.reason for r in on_28th] == [RefusalReason.GUARDIAN_REQUIRED]  # 2024 is a leap year
    assert (
        check_applicant(
            ApplicantAction.APPLY,
            holder=leap_holder,
            applicant=Applicant(),
            on=dt.date(2024, 2, 29),
        )
        == []
    )


def test_8_a_death_is_told_as_a_death() -> None:
    dead = step(card_in_use(), Cancel(CancellationReason.DEATH, evidence="GA-2026-0001234"))
    moved = step(card_in_use(), Cancel(CancellationReason.MOVED_OUT_OF_PROVINCE))
    death = decide(dead, ReportLoss(LossChannel.ONLINE))
    plain = decide(moved, ReportLoss(LossChannel.ONLINE))
    assert isinstance(death, Refused) and isinstance(plain, Refused)
    assert death.reason is RefusalReason.HOLDER_DECEASED
    assert plain.reason is RefusalReason.CARD_CANCELLED
    for language in Language:
        assert t(death.message_key, language) != t(plain.message_key, language)
