"""Issue 11, findings 1 and 6, through the counter: who stands at the counter for the holder, with
which document, is checked by the counter's one admission path for every holder, and captured on
the application and collection screens.

Each test names the behaviour of commit 890cbaf it catches. There, `Counter._take` ran the applicant
rules only `if applicant is not None and holder.birth_date is not None`, so for a holder whose ID
number carries no birth date (a 2017 foreign permanent residence ID, a passport) every applicant
passed; the counter's `Applicant` had no representative document (only `presenter_birth_date`,
which the screen took from an ID number parsed without choosing its kind), and an agent was never
checked against a child holder. The screens built that old `Applicant`, so none of these would even
reach the counter on 890cbaf's code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from types import SimpleNamespace

import pytest
from textual.widgets import Checkbox, Input, Select, Static

from branch_app.domain import (
    ApplicationKind,
    ApplicationStatus,
    CardRecord,
    IssuanceSpeed,
    PendingApplication,
    Presenter,
    RefusalReason,
)
from branch_app.domain.identity import IdentityKind, IdentityNumber, parse_identity
from branch_app.domain.lifecycle import Representative
from branch_app.services.counter import Accepted, Applicant, Counter, Refusal
from branch_app.store import LocalStore
from branch_app.ui.dialogs.confirm import ConfirmDialog
from branch_app.ui.screens.application import ApplicationScreen
from branch_app.ui.screens.collection import CollectionScreen
from tests.domain.domain_strategies import BOB_ID, PASSPORT_ID, PR_2017_ID, resident_id
from tests.ui.conftest import wait_until

from .conftest import ADULT, NOW, PHOTO
from .screens import counter_app, shown

TODAY = NOW.date()  # Friday 2025-03-14

PR_2017_HOLDER = parse_identity(PR_2017_ID, kind=IdentityKind.FOREIGN_PERMANENT_2017, today=TODAY)
PASSPORT_HOLDER = parse_identity(PASSPORT_ID, kind=IdentityKind.PASSPORT, today=TODAY)
NO_BIRTH_DATE_HOLDERS = pytest.mark.parametrize(
    "holder", [PR_2017_HOLDER, PASSPORT_HOLDER], ids=["pr2017", "passport"]
)
#: A Hong Kong resident aged 10 on TODAY (the permit gives the birth date), and an adult one.
HK_CHILD = parse_identity(resident_id("810000", dt.date(2014, 9, 9), 33), today=TODAY)
HK_ADULT = parse_identity(resident_id("810000", dt.date(1979, 10, 2), 15), today=TODAY)

ADULT_BORN = dt.date(1980, 6, 1)
CHILD_BORN = dt.date(2015, 9, 9)
#: A 10-year-old's resident ID card, shown by someone who says they act as the agent.
TEN_YEAR_OLD_ID = resident_id("440106", dt.date(2014, 12, 1), 71)
TEN_YEAR_OLD = Representative(IdentityKind.RESIDENT, TEN_YEAR_OLD_ID, "Zhou Xiaoming")
GUARDIAN = Representative(IdentityKind.RESIDENT, BOB_ID, "Li Wei")
PASSPORT_AGENT_NUMBER = "G12345678"
PASSPORT_AGENT = Representative(
    IdentityKind.PASSPORT, PASSPORT_AGENT_NUMBER, "Chen Mei", birth_date=dt.date(1970, 1, 1)
)
PR_2017_AGENT_NUMBER = "GBR440075061234"


def apply(counter: Counter, holder: IdentityNumber, **applicant: object) -> Accepted | Refusal:
    outcome = counter.apply(
        holder, ApplicationKind.FIRST, photo_receipt=PHOTO, applicant=Applicant(**applicant)
    )
    assert isinstance(outcome, Accepted | Refusal)
    return outcome


def reasons(outcome: object) -> set[str]:
    """Every refusal code the counter gave at once."""
    assert isinstance(outcome, Refusal), outcome
    return {outcome.code, *(more.code for more in outcome.more)}


def ready_to_collect(holder_id: str) -> CardRecord:
    return replace(
        CardRecord(holder_id=holder_id, version=3),
        application=PendingApplication(
            kind=ApplicationKind.FIRST,
            speed=IssuanceSpeed.NORMAL,
            accepted_on=dt.date(2025, 2, 10),
            status=ApplicationStatus.READY,
            new_card_number="Y00000018",
        ),
    )


# --- finding 1: the rules apply when the holder's ID number carries no birth date -------------


@NO_BIRTH_DATE_HOLDERS
def test_1_an_agent_aged_10_is_refused_to_apply_and_collect(
    store: LocalStore, counter: Counter, holder: IdentityNumber
) -> None:
    # 890cbaf: the rules were skipped for this holder; the application was accepted and queued.
    outcome = apply(
        counter,
        holder,
        presenter=Presenter.AGENT,
        holder_birth_date=ADULT_BORN,
        representative=TEN_YEAR_OLD,
    )
    assert reasons(outcome) == {RefusalReason.AGENT_UNDER_18.value}
    store.card_cache.put(ready_to_collect(holder.number))
    collect = counter.confirm_collection(
        holder,
        applicant=Applicant(
            presenter=Presenter.AGENT, holder_birth_date=ADULT_BORN, representative=TEN_YEAR_OLD
        ),
    )
    assert reasons(collect) == {
        RefusalReason.HOLDER_COLLECTS.value,
        RefusalReason.AGENT_UNDER_18.value,
    }
    assert len(store.outbox) == 0 and store.audit.head == 0


@NO_BIRTH_DATE_HOLDERS
def test_1_an_agent_without_a_birth_date_is_refused(
    store: LocalStore, counter: Counter, holder: IdentityNumber
) -> None:
    # 890cbaf: accepted (rules skipped), though nothing showed the agent to be 18 or older.
    no_birth_date = Representative(IdentityKind.PASSPORT, PASSPORT_AGENT_NUMBER, "Chen Mei")
    outcome = apply(
        counter,
        holder,
        presenter=Presenter.AGENT,
        holder_birth_date=ADULT_BORN,
        representative=no_birth_date,
    )
    assert reasons(outcome) == {RefusalReason.AGENT_AGE_UNKNOWN.value}
    assert len(store.outbox) == 0


@NO_BIRTH_DATE_HOLDERS
def test_1_a_guardian_without_proof_is_refused(
    store: LocalStore, counter: Counter, holder: IdentityNumber
) -> None:
    # 890cbaf: accepted (rules skipped) with no proof of guardianship.
    guardian = {
        "presenter": Presenter.GUARDIAN,
        "holder_birth_date": CHILD_BORN,
        "representative": GUARDIAN,
    }
    outcome = apply(counter, holder, **guardian)
    assert reasons(outcome) == {RefusalReason.GUARDIANSHIP_PROOF_MISSING.value}
    assert len(store.outbox) == 0
    with_proof = apply(counter, holder, guardianship_proof=True, **guardian)
    assert isinstance(with_proof, Accepted)


@NO_BIRTH_DATE_HOLDERS
def test_1_the_holders_birth_date_is_asked_and_recorded_in_the_queued_command(
    store: LocalStore, counter: Counter, holder: IdentityNumber
) -> None:
    # 890cbaf: accepted without the birth date, and the queued command had no place for it, so
    # the central could not check the age either.
    missing = apply(counter, holder)
    assert reasons(missing) == {RefusalReason.HOLDER_BIRTH_DATE_REQUIRED.value}
    assert len(store.outbox) == 0
    taken = apply(counter, holder, holder_birth_date=ADULT_BORN)
    assert isinstance(taken, Accepted)
    [item] = store.outbox.items()
    assert item.payload["applicant"]["holder_birth_date"] == "1980-06-01"
    # with the birth date given, a child of such a holder cannot come alone
    child = apply(counter, holder, holder_birth_date=CHILD_BORN)
    assert reasons(child) == {RefusalReason.GUARDIAN_REQUIRED.value}


# --- finding 6: every representative's own document, of a chosen kind, is checked -------------


def test_6_the_guardians_document_is_captured_and_checked(
    store: LocalStore, counter: Counter
) -> None:
    # 890cbaf: a guardian with proof was accepted with no document of their own (none was taken).
    child = parse_identity(resident_id("440104", CHILD_BORN, 8), today=TODAY)
    guardian = {"presenter": Presenter.GUARDIAN, "guardianship_proof": True}
    assert reasons(apply(counter, child, **guardian)) == {
        RefusalReason.REPRESENTATIVE_DOCUMENT_REQUIRED.value
    }
    wrong_check = BOB_ID[:17] + ("0" if BOB_ID[17] != "0" else "1")
    invalid = Representative(IdentityKind.RESIDENT, wrong_check, "Li Wei")
    assert reasons(apply(counter, child, representative=invalid, **guardian)) == {
        RefusalReason.REPRESENTATIVE_DOCUMENT_INVALID.value
    }
    themselves = Representative(IdentityKind.RESIDENT, child.number, "Li Wei")
    assert reasons(apply(counter, child, representative=themselves, **guardian)) == {
        RefusalReason.REPRESENTATIVE_IS_HOLDER.value
    }
    assert len(store.outbox) == 0
    assert isinstance(apply(counter, child, representative=GUARDIAN, **guardian), Accepted)
    [item] = store.outbox.items()
    document = item.payload["applicant"]["representative"]
    assert (document["kind"], document["number"], document["name"]) == (
        "resident",
        BOB_ID,
        "Li Wei",
    )


def test_6_an_agent_with_a_passport_is_accepted(store: LocalStore, counter: Counter) -> None:
    # 890cbaf: the agent's number was parsed without a kind, so a passport could not be entered;
    # the counter's Applicant had only a birth date, and none given meant agent_age_unknown.
    outcome = apply(counter, HK_ADULT, presenter=Presenter.AGENT, representative=PASSPORT_AGENT)
    assert isinstance(outcome, Accepted)
    [item] = store.outbox.items()
    assert item.payload["applicant"]["representative"]["kind"] == "passport"


def test_6_a_2017_permanent_residence_agents_age_comes_from_the_document(
    store: LocalStore, counter: Counter
) -> None:
    # 890cbaf: a 2017 permanent residence ID carries no birth date, so such an agent always got
    # agent_age_unknown, whatever the document said.
    def agent(born: dt.date | None) -> Representative:
        return Representative(
            IdentityKind.FOREIGN_PERMANENT_2017, PR_2017_AGENT_NUMBER, "Ann Smith", born
        )

    adult = apply(counter, HK_ADULT, presenter=Presenter.AGENT, representative=agent(ADULT_BORN))
    assert isinstance(adult, Accepted)
    # a Macau resident's agent with the same kind of document, but 14, or no birth date given
    other = parse_identity(resident_id("820000", dt.date(1985, 1, 1), 11), today=TODAY)
    young = apply(
        counter, other, presenter=Presenter.AGENT, representative=agent(dt.date(2010, 6, 12))
    )
    assert reasons(young) == {RefusalReason.AGENT_UNDER_18.value}
    unknown = apply(counter, other, presenter=Presenter.AGENT, representative=agent(None))
    assert reasons(unknown) == {RefusalReason.AGENT_AGE_UNKNOWN.value}


def test_6_an_adult_agent_for_a_10_year_old_hong_kong_holder_is_refused(
    store: LocalStore, counter: Counter
) -> None:
    # 890cbaf: the agent branch never asked whether the holder needs a guardian: accepted.
    outcome = apply(counter, HK_CHILD, presenter=Presenter.AGENT, representative=PASSPORT_AGENT)
    assert RefusalReason.GUARDIAN_REQUIRED.value in reasons(outcome)
    assert len(store.outbox) == 0
    guardian = apply(
        counter,
        HK_CHILD,
        presenter=Presenter.GUARDIAN,
        guardianship_proof=True,
        representative=GUARDIAN,
    )
    assert isinstance(guardian, Accepted)


# --- through the screens -------------------------------------------------------------------


async def open_screen(pilot, screen):
    await pilot.app.push_screen(screen)
    await wait_until(pilot, lambda: pilot.app.screen is screen)
    return screen


async def type_into(pilot, selector: str, text: str) -> None:
    """Type `text` into the screen's input as the teller would, and wait until it is there."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    await pilot.press(*text)
    await wait_until(pilot, lambda: field.value == text)


async def type_holder(pilot, number: str) -> None:
    await type_into(pilot, "#counter-holder", number)


async def submit_and_wait(pilot, screen) -> str:
    screen.outcome = None
    await pilot.press("f10")
    await wait_until(pilot, lambda: screen.outcome is not None and not screen.busy)
    return shown(pilot.app, "#counter-result")


async def confirm(pilot, screen, key: str = "f10") -> str:
    screen.outcome = None
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog))
    lines = str(pilot.app.screen.query_one("#confirm-lines").content)
    await pilot.press("enter")
    await wait_until(pilot, lambda: screen.outcome is not None and not screen.busy)
    return lines


async def test_screen_a_2017_holders_birth_date_is_asked_and_a_young_passport_agent_refused(
    store: LocalStore,
) -> None:
    """Findings 1 and 6 on the application screen: the holder's birth date field appears only for
    a number without one; an agent chooses the passport as their document and gives its birth
    date; the domain's reasons are shown, several at once."""
    # 890cbaf: the screen parsed the agent's number without a kind (a passport was refused by the
    # screen itself) and the counter skipped the rules for this holder.
    app = counter_app(store)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_screen(pilot, ApplicationScreen())
        born = screen.query_one("#apply-holder-born", Input)
        await type_holder(pilot, ADULT)
        assert not born.display  # a resident ID gives the birth date
        screen.query_one("#counter-holder", Input).value = ""
        await type_holder(pilot, PR_2017_ID)
        await wait_until(pilot, lambda: born.display)
        await type_into(pilot, "#apply-photo", PHOTO)
        result = await submit_and_wait(pilot, screen)
        assert "carries no birth date" in result and len(store.outbox) == 0

        await type_into(pilot, "#apply-holder-born", "2015-09-09")  # a child
        screen.query_one("#apply-presenter", Select).value = Presenter.AGENT.value
        kind = screen.query_one("#apply-rep-kind", Select)
        await wait_until(pilot, lambda: kind.display)
        kind.value = IdentityKind.PASSPORT.value
        rep_born = screen.query_one("#apply-rep-born", Input)
        await wait_until(pilot, lambda: rep_born.display)  # a passport number has no birth date
        await type_into(pilot, "#apply-rep-number", PASSPORT_AGENT_NUMBER)
        await type_into(pilot, "#apply-rep-name", "Chen Mei")
        await type_into(pilot, "#apply-rep-born", "2014-12-01")
        result = await submit_and_wait(pilot, screen)
        # both reasons at once: the child needs the guardian, and the agent is under 18
        assert "the legal guardian must come" in result and "18 or older" in result
        assert len(store.outbox) == 0

        born.value = ""
        await type_into(pilot, "#apply-holder-born", "1980-06-01")
        screen.query_one("#apply-rep-born", Input).value = ""
        await type_into(pilot, "#apply-rep-born", "1970-01-01")
        lines = await confirm(pilot, screen)
        assert "An agent" in lines and "Passport *****5678" in lines
        assert PASSPORT_AGENT_NUMBER not in lines and "1980-06-01" in lines
    [item] = store.outbox.items()
    applicant = item.payload["applicant"]
    assert applicant["holder_birth_date"] == "1980-06-01"
    assert applicant["representative"] == {
        "kind": "passport",
        "number": PASSPORT_AGENT_NUMBER,
        "name": "Chen Mei",
        "birth_date": "1970-01-01",
    }


async def test_screen_a_guardian_collecting_shows_their_document(store: LocalStore) -> None:
    """Finding 6 at collection: the guardian's own document is asked for and checked, and a
    2017 permanent residence holder's birth date is asked there too (finding 1)."""
    # 890cbaf: a guardian with proof collected with no document; for this holder no rule ran.
    store.card_cache.put(ready_to_collect(PR_2017_ID))
    app = counter_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot, CollectionScreen())
        await type_holder(pilot, PR_2017_ID)
        # the new card in the reader (issue 12: collection binds the card read)
        reading = SimpleNamespace(
            card_number="Y00000018", social_security_number=PR_2017_ID, holder_needs_psam=False
        )
        screen.use_card(reading)  # type: ignore[arg-type]
        born = screen.query_one("#collect-holder-born", Input)
        await wait_until(pilot, lambda: born.display)
        await type_into(pilot, "#collect-holder-born", "2015-09-09")
        screen.query_one("#collect-collector", Select).value = Presenter.GUARDIAN.value
        proof = screen.query_one("#collect-proof", Checkbox)
        await wait_until(pilot, lambda: proof.display)
        proof.value = True
        screen.outcome = None
        await pilot.press("f10")
        await wait_until(pilot, lambda: screen.outcome is not None and not screen.busy)
        assert "their own identity document" in shown(app, "#counter-result")
        await type_into(pilot, "#collect-rep-number", PR_2017_ID)  # the holder's own number
        await type_into(pilot, "#collect-rep-name", "Li Wei")
        kind = screen.query_one("#collect-rep-kind", Select)
        kind.value = IdentityKind.FOREIGN_PERMANENT_2017.value
        screen.outcome = None
        await pilot.press("f10")
        await wait_until(pilot, lambda: screen.outcome is not None and not screen.busy)
        assert "cannot be the holder" in shown(app, "#counter-result")
        assert len(store.outbox) == 0

        kind.value = IdentityKind.RESIDENT.value
        number = screen.query_one("#collect-rep-number", Input)
        number.value = ""
        await type_into(pilot, "#collect-rep-number", BOB_ID)
        lines = await confirm(pilot, screen, "f10")
        assert "The legal guardian" in lines and "Resident ID card 440106" in lines
    [item] = store.outbox.items()
    assert item.kind == "confirm_collection"
    assert item.payload["applicant"]["representative"]["number"] == BOB_ID
    assert item.payload["applicant"]["holder_birth_date"] == "2015-09-09"


async def test_screen_the_form_checks_as_typed_and_f5_rewords_every_label_and_select(
    store: LocalStore,
) -> None:
    """The document number is checked for the chosen kind as it is typed, a date that is no date
    is said at once and refused before the counter is asked; F5 re-words the labels and the
    Selects' current values."""
    app = counter_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot, ApplicationScreen())
        await type_holder(pilot, PR_2017_ID)
        screen.query_one("#apply-presenter", Select).value = Presenter.AGENT.value
        kind = screen.query_one("#apply-rep-kind", Select)
        await wait_until(pilot, lambda: kind.display)
        await type_into(pilot, "#apply-rep-number", PASSPORT_AGENT_NUMBER)
        number = screen.query_one("#apply-rep-number", Input)
        reason = "#apply-applicant-reason"
        await wait_until(pilot, lambda: "-invalid" in number.classes)  # not a resident ID
        assert "18" in shown(app, reason)  # the identity check's reason: 18 characters expected
        kind.value = IdentityKind.PASSPORT.value
        await wait_until(pilot, lambda: "-invalid" not in number.classes)
        await wait_until(pilot, lambda: shown(app, reason) == "")
        await type_into(pilot, "#apply-rep-born", "1970-13-01")
        await wait_until(pilot, lambda: "YYYY-MM-DD" in shown(app, reason))
        await type_into(pilot, "#apply-holder-born", "1980-06-01")
        await pilot.press("f10")
        await wait_until(pilot, lambda: screen.outcome is not None)
        assert "Their birth date" in shown(app, "#counter-result")  # refused before the counter

        await pilot.press("f5")
        await wait_until(pilot, lambda: "年-月-日" in shown(app, reason))
        for selector, words in (
            ("#apply-presenter-label", "办理人"),
            ("#apply-holder-born-label", "持卡人出生日期"),
            ("#apply-rep-label", "监护人或代理人本人证件"),
            ("#apply-rep-born-label", "其出生日期"),
        ):
            assert words in shown(app, selector), selector
        for selector, words in (("#apply-presenter", "代理人"), ("#apply-rep-kind", "护照")):
            current = screen.query_one(selector, Select).query_one("SelectCurrent #label", Static)
            assert words in str(current.content), selector
        assert screen.query_one("#apply-rep-name", Input).placeholder == "证件上的姓名"
        assert screen.query_one("#apply-proof", Checkbox).label.plain.startswith("已出示监护")
        assert len(store.outbox) == 0


APPLICANT_SIZES = pytest.mark.parametrize(
    ("size", "language"), [((80, 24), "zh"), ((120, 36), "en")], ids=["80x24-zh", "120x36-en"]
)


@APPLICANT_SIZES
def test_snapshot_the_agent_block_after_a_refusal(
    snap_compare, store: LocalStore, size: tuple[int, int], language: str
) -> None:
    """An agent for a 2017 permanent residence holder, refused for two reasons at once: the
    representative block (kind, number, name, birth date) scrolled into view, nothing cut."""

    async def refuse(pilot) -> None:
        screen = await open_screen(pilot, ApplicationScreen())
        await type_holder(pilot, PR_2017_ID)
        await type_into(pilot, "#apply-holder-born", "2015-09-09")
        screen.query_one("#apply-police-photo", Checkbox).value = True
        screen.query_one("#apply-presenter", Select).value = Presenter.AGENT.value
        kind = screen.query_one("#apply-rep-kind", Select)
        await wait_until(pilot, lambda: kind.display)
        kind.value = IdentityKind.PASSPORT.value
        await type_into(pilot, "#apply-rep-number", PASSPORT_AGENT_NUMBER)
        await type_into(pilot, "#apply-rep-name", "Chen Mei")
        await type_into(pilot, "#apply-rep-born", "2014-12-01")
        await pilot.press("f10")
        await wait_until(pilot, lambda: screen.outcome is not None and not screen.busy)
        screen.query_one("#apply-rep-born", Input).scroll_visible(animate=False)
        await pilot.pause()

    app = counter_app(store, language=language)
    assert snap_compare(app, terminal_size=size, run_before=refuse)
