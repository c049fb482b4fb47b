"""Issue 12, bugs 3, 11 and 13, and the holder's document kind at every counter screen.

3: F5 re-words each Select's current value. 11: instant issuance only at an instant-issuance
branch (the speed choice, the refusal in the answer panel, the demo's environment). 13: nothing
cut at 80x24 and 120x36 (see the snapshots below and `_nothing_cut`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, Label, RadioButton, Select
from textual.widgets._select import SelectCurrent

from branch_app.domain.identity import IdentityKind
from branch_app.domain.vocabulary import (
    ApplicationKind,
    ExchangeReason,
    IssuanceSpeed,
    LookupPurpose,
    Presenter,
)
from branch_app.store import LocalStore, MemoryKeyring
from branch_app.ui.screens.application import ApplicationScreen
from branch_app.ui.screens.card_query import CardQueryScreen
from branch_app.ui.screens.counter_base import CounterScreen
from tests.counter.screens import counter_app, shown
from tests.counter.test_counter_applicants import (
    confirm,
    open_screen,
    submit_and_wait,
    type_holder,
    type_into,
)
from tests.domain.domain_strategies import PASSPORT_ID, PR_2017_ID

from .conftest import wait_until

PHOTO = "GZ2025031400A7"


@pytest.fixture
def store(tmp_path: Path, memory_keyring: MemoryKeyring) -> Iterator[LocalStore]:
    opened = LocalStore.open(tmp_path / "data", keyring=memory_keyring)
    try:
        yield opened
    finally:
        opened.close()


def shown_label(screen: CounterScreen, selector: str) -> str:
    """The words a Select shows for its current value."""
    return str(screen.query_one(selector, Select).query_one(SelectCurrent).label)


# -- 3. every Select re-words its current value on F5 ------------------------------------------

#: (screen, Select, value chosen, English words, Chinese words); the first option of each list
#: is among them, as it was the one left in the old language.
SELECTS = [
    (
        "application",
        "#apply-reason",
        ExchangeReason.DAMAGE.value,
        "Damaged card",
        "卡片损坏",
    ),
    ("application", "#apply-reason", ExchangeReason.EXPIRY.value, "Card expired", "卡片到期"),
    ("application", "#apply-presenter", Presenter.HOLDER.value, None, None),
    ("application", "#apply-presenter", Presenter.AGENT.value, None, None),
    ("application", "#apply-rep-kind", IdentityKind.RESIDENT.value, None, None),
    ("application", "#apply-rep-kind", IdentityKind.PASSPORT.value, None, None),
    ("query", "#query-purpose", "none", None, None),
    ("query", "#query-purpose", LookupPurpose.APPLICATION.value, None, None),
    ("application", "#counter-holder-kind", "automatic", None, None),
    ("query", "#counter-holder-kind", IdentityKind.PASSPORT.value, None, None),
]


def words_of(selector: str, value: str, language: str) -> str:
    from branch_app.i18n import t

    key = {
        "#apply-reason": f"counter.exchange_reason.{value}",
        "#apply-presenter": f"counter.presenter.{value}",
        "#apply-rep-kind": f"shell.idkind.{value}",
        "#counter-holder-kind": f"shell.idkind.{value}",
        "#query-purpose": (
            "counter.choice.none" if value == "none" else f"counter.purpose.{value}"
        ),
    }[selector]
    return t(key, language=language)


@pytest.mark.parametrize(("screen_name", "selector", "value", "english", "chinese"), SELECTS)
async def test_bug3_f5_rewords_the_select_current_value(
    store: LocalStore,
    screen_name: str,
    selector: str,
    value: str,
    english: str | None,
    chinese: str | None,
) -> None:
    english = english or words_of(selector, value, "en")
    chinese = chinese or words_of(selector, value, "zh")
    assert english != chinese
    app = counter_app(store, language="en")
    async with app.run_test(size=(120, 36)) as pilot:
        made = (
            ApplicationScreen(kind=ApplicationKind.EXCHANGE)
            if screen_name == "application"
            else CardQueryScreen()
        )
        screen = await open_screen(pilot, made)
        select = screen.query_one(selector, Select)
        select.value = value
        await wait_until(pilot, lambda: shown_label(screen, selector) == english)
        await pilot.press("f5")
        await wait_until(pilot, lambda: shown_label(screen, selector) == chinese)
        assert select.value == value  # the choice is kept
        await pilot.press("f5")
        await wait_until(pilot, lambda: shown_label(screen, selector) == english)
        assert select.value == value


# -- 11. instant issuance only where cards are printed at once ---------------------------------


async def test_bug11_instant_is_offered_disabled_with_the_reason_at_a_normal_branch(
    store: LocalStore,
) -> None:
    app = counter_app(store, language="en", instant=False)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_screen(pilot, ApplicationScreen(speed=IssuanceSpeed.INSTANT))
        instant = screen.query_one("#apply-speed-instant", RadioButton)
        assert instant.disabled and not instant.value
        assert screen.query_one("#apply-speed-normal", RadioButton).value
        note = screen.query_one("#apply-speed-note", Label)
        assert note.display and "only at an instant-issuance branch" in str(note.content)
        # Nothing at the top of the form: the gate is about who may apply here.
        assert not screen.query_one("#counter-gate", Label).display
        # Chosen anyway (a key binding, a stale screen): the refusal is the answer panel's.
        instant.value = True
        await wait_until(pilot, lambda: screen.speed() is IssuanceSpeed.INSTANT)
        await type_holder(pilot, "44010619900101123" + _check("44010619900101123"))
        await type_into(pilot, "#apply-photo", PHOTO)
        result = await submit_and_wait(pilot, screen)
        assert "instant" in result.lower() and result[0].isupper()
        assert not screen.query_one("#counter-gate", Label).display
        assert len(store.outbox) == 0


async def test_bug11_instant_is_offered_at_an_instant_branch(store: LocalStore) -> None:
    app = counter_app(store, language="zh", instant=True)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_screen(pilot, ApplicationScreen(speed=IssuanceSpeed.INSTANT))
        instant = screen.query_one("#apply-speed-instant", RadioButton)
        assert not instant.disabled and instant.value
        assert not screen.query_one("#apply-speed-note", Label).display
        assert screen.speed() is IssuanceSpeed.INSTANT


def test_bug11_the_demo_honours_the_branch_environment() -> None:
    from branch_app.config import ConfigError
    from branch_app.demo.cli import demo_base_config
    from branch_app.domain.vocabulary import Place

    plain = demo_base_config({})
    assert plain.branch.place is Place.BRANCH and plain.source == "defaults"
    instant = demo_base_config(
        {
            "BRANCH_APP_BRANCH_INSTANT_ISSUANCE": "true",
            "BRANCH_APP_UI_LANGUAGE": "en",
            # the demo's own central, store and reader are never taken from the environment
            "BRANCH_APP_CENTRAL_URL": "http://192.0.2.1:1",
            "BRANCH_APP_STORE_DATA_DIR": "/nowhere",
        }
    )
    assert instant.branch.place is Place.INSTANT_BRANCH
    assert instant.ui.language == "en"
    assert instant.central.url == plain.central.url
    assert instant.store.data_dir == plain.store.data_dir
    assert "BRANCH_APP_BRANCH_INSTANT_ISSUANCE" in instant.env_overrides
    with pytest.raises(ConfigError):
        demo_base_config({"BRANCH_APP_BRANCH_INSTANT_ISSUANCE": "perhaps"})


def test_bug11_the_demo_command_builds_its_config_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import argparse

    import branch_app.demo as demo
    from branch_app.demo.cli import demo_command
    from branch_app.domain.vocabulary import Place

    seen = []
    monkeypatch.setenv("BRANCH_APP_BRANCH_INSTANT_ISSUANCE", "true")
    monkeypatch.setattr(demo, "run_demo", lambda config: seen.append(config) or 0)
    args = argparse.Namespace(language="en", home_visit=False, shell_only=False, role="teller")
    assert demo_command(args) == 0
    [config] = seen
    assert config.branch.place is Place.INSTANT_BRANCH


def _check(first17: str) -> str:
    from branch_app.domain.identity import resident_check_character

    return resident_check_character(first17)


# -- the holder's document kind -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "kind"),
    [(PASSPORT_ID, IdentityKind.PASSPORT), (PR_2017_ID, IdentityKind.FOREIGN_PERMANENT_2017)],
    ids=["passport", "pr2017"],
)
async def test_a_passport_or_2017_holder_is_served_through_the_application_screen(
    store: LocalStore, number: str, kind: IdentityKind
) -> None:
    adult_agent = "44010619800601123" + _check("44010619800601123")
    app = counter_app(store, language="en")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_screen(pilot, ApplicationScreen())
        holder_kind = screen.query_one("#counter-holder-kind", Select)
        assert holder_kind.value == "automatic"
        holder_kind.value = kind.value
        await type_holder(pilot, number)
        holder = screen.holder()
        assert holder is not None and not isinstance(holder, Exception)
        assert holder.kind is kind
        born = screen.query_one("#apply-holder-born", Input)
        await wait_until(pilot, lambda: born.display)  # the number carries no birth date
        await type_into(pilot, "#apply-holder-born", "1985-05-05")
        await type_into(pilot, "#apply-photo", PHOTO)
        screen.query_one("#apply-presenter", Select).value = Presenter.AGENT.value
        rep_number = screen.query_one("#apply-rep-number", Input)
        await wait_until(pilot, lambda: rep_number.display)
        await type_into(pilot, "#apply-rep-number", adult_agent)
        await type_into(pilot, "#apply-rep-name", "Chen Mei")
        lines = await confirm(pilot, screen)
        assert "1985-05-05" in lines and number not in lines
        assert "Accepted" in shown(app, "#counter-result")
    [item] = store.outbox.items()
    assert item.holder_kind is kind
    assert item.payload["applicant"]["holder_birth_date"] == "1985-05-05"


async def test_the_holder_kind_is_checked_as_typed(store: LocalStore) -> None:
    """A passport number is no resident ID: refused under automatic, valid as a passport."""
    app = counter_app(store, language="en")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_screen(pilot, CardQueryScreen())
        await type_holder(pilot, PASSPORT_ID)
        assert isinstance(screen.holder(), Exception)
        screen.query_one("#counter-holder-kind", Select).value = IdentityKind.PASSPORT.value
        await wait_until(pilot, lambda: not isinstance(screen.holder(), Exception))
        field = screen.query_one("#counter-holder", Input)
        await wait_until(pilot, lambda: field.is_valid)
        await pilot.press("f4")  # the next customer: back to automatic
        kind = screen.query_one("#counter-holder-kind", Select)
        await wait_until(pilot, lambda: kind.value == "automatic" and field.value == "")
