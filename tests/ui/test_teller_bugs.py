"""Issue 12, "Bugs seen": each bug a new teller hit, as a test that failed before its fix.

The numbers follow the issue. Bug 9 (the idle lock clearing) is tested with the customer session.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text
from textual.command import CommandList, CommandPalette
from textual.widgets import Label, OptionList, Static

from branch_app.demo.staff import demo_staff
from branch_app.domain.identity import resident_check_character
from branch_app.domain.vocabulary import ApplicationKind, Place, Role
from branch_app.services.counter import Counter, Desk, Refusal
from branch_app.store import LocalStore, MemoryKeyring
from branch_app.ui.app import BranchApp
from branch_app.ui.dialogs.help import HelpScreen
from branch_app.ui.dialogs.quit_confirm import QuitConfirm
from branch_app.ui.screens.home import HomeScreen
from branch_app.ui.services import AppServices

from .conftest import FIXED_NOW, SIZE, fixed_clock, make_app, wait_until

#: A Guangzhou resident born 1990-01-01, and one the device never heard of.
ADULT = "44010619900101123" + resident_check_character("44010619900101123")
STRANGER = "44010619850505123" + resident_check_character("44010619850505123")


def text_of(app: BranchApp, selector: str, width: int = 160) -> str:
    """The plain text a Static shows (tables included)."""
    content = app.screen.query_one(selector, Static).content
    if isinstance(content, str | Text):
        return str(content)
    console = Console(width=width, color_system=None)
    with console.capture() as capture:
        console.print(content)
    return capture.get()


@pytest.fixture
def store(tmp_path: Path, memory_keyring: MemoryKeyring) -> Iterator[LocalStore]:
    opened = LocalStore.open(tmp_path / "data", keyring=memory_keyring)
    try:
        yield opened
    finally:
        opened.close()


def counter_on(store: LocalStore, place: Place = Place.BRANCH, lookup=None) -> Counter:
    desk = Desk(
        staff_id="T001",
        role=Role.TELLER,
        place=place,
        branch="GZ-TEST-042",
        device="PC-07",
        bank="test-bank",
    )
    return Counter(store, desk, clock=fixed_clock, central_lookup=lookup)


def store_services(store: LocalStore, role: Role = Role.TELLER) -> AppServices:
    return AppServices(store=store, clock=fixed_clock, staff=demo_staff(role))


# -- 1. the palette's "Service: ..." entries open the service ---------------------------------


async def test_bug1_palette_service_entry_opens_the_service() -> None:
    app = make_app("en", Role.TELLER)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: CommandPalette.is_open(app))
        await pilot.press(*"service: cancellation")
        commands = app.screen.query_one(CommandList)

        def prompts() -> list[str]:
            count = commands.option_count
            return [
                str(commands.get_option_at_index(i).prompt).splitlines()[0] for i in range(count)
            ]

        await wait_until(pilot, lambda: "Service: Cancellation" in prompts())
        if commands.highlighted is None:
            await pilot.press("down")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.current_mode == "cancellation")


# -- 2. F1's column header is words, not markup -------------------------------------------------


@pytest.mark.parametrize(("language", "header"), [("en", "[keymap]"), ("zh", "[keymap]")])
async def test_bug2_help_id_column_keeps_its_brackets(language: str, header: str) -> None:
    app = make_app(language)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        keys = text_of(app, "#help-keys")
        assert header in keys
        assert "(for )" not in keys and "（用于 ）" not in keys


# -- 8. after log-in, Enter opens the highlighted service ---------------------------------------


async def test_bug8_enter_after_log_in_opens_the_highlighted_service() -> None:
    app = make_app("en", role=None)
    async with app.run_test(size=(80, 24)) as pilot:
        menu = app.screen.query_one("#services", OptionList)
        await wait_until(pilot, lambda: menu.highlighted_option is not None)
        assert menu.highlighted_option.id == "identity_check"  # the only one for nobody
        app.sign_in(demo_staff(Role.TELLER))
        await wait_until(pilot, lambda: menu.highlighted_option.id != "identity_check")
        chosen = menu.highlighted_option.id
        assert chosen == "apply_first"
        # The highlighted service is on screen, where the teller sees it.
        assert menu.scroll_offset.y <= menu.highlighted
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, HomeScreen))
        assert app.current_mode == "apply_first"


# -- 10. Ctrl+Q with unsent requests asks first and says what happens to them ------------------


def queue_one_request(store: LocalStore) -> None:
    from branch_app.domain.identity import parse_identity
    from branch_app.services.counter import Accepted

    counter = counter_on(store)
    holder = parse_identity(ADULT, today=FIXED_NOW.date())
    # A first application is accepted for a person the device does not know (offline).
    accepted = counter.apply(holder, ApplicationKind.FIRST, photo_receipt="GZ2025031400A7")
    assert isinstance(accepted, Accepted), accepted


async def test_bug10_quit_with_unsent_requests_asks_and_says_they_are_lost_in_the_demo(
    store: LocalStore,
) -> None:
    queue_one_request(store)
    app = make_app("en", services=store_services(store))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, QuitConfirm))
        assert app.return_code is None
        assert "1 request(s) not sent" in str(app.screen.query_one("#quit-title", Label).content)
        assert "LOST" in text_of(app, "#quit-fate")
        await pilot.press("escape")  # stay
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert app.return_code is None
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, QuitConfirm))
        await pilot.press("y")
        await wait_until(pilot, lambda: app.return_code is not None)
    assert app.return_code == 0


async def test_bug10_quit_with_a_real_keyring_says_the_requests_stay(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue_one_request(store)
    monkeypatch.setattr(LocalStore, "keyring_is_memory", property(lambda _self: False))
    app = make_app("zh", services=store_services(store))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, QuitConfirm))
        assert "保存在本机" in text_of(app, "#quit-fate")
        assert "丢失" not in text_of(app, "#quit-fate")


async def test_bug10_quit_with_nothing_unsent_quits_at_once(store: LocalStore) -> None:
    app = make_app("en", services=store_services(store))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: app.return_code is not None)
    assert app.return_code == 0


# -- 4. "Sync now" with the central down says so at once, whole, and "last sync" stays -----------


@pytest.fixture
def stopped_central_sync(tmp_path: Path, memory_keyring: MemoryKeyring):
    """A device enrolled at a central that synced once and then stopped."""
    from dataclasses import replace

    from branch_app.config import AppConfig, CentralConfig, StoreConfig
    from central.dev.server import start_central
    from sync.service import SyncService

    with start_central(enable_channels=True) as running:
        config = replace(
            AppConfig(),
            central=CentralConfig(url=running.url, timeout_seconds=5.0),
            store=StoreConfig(data_dir=str(tmp_path / "store")),
        )
        store = LocalStore.open(tmp_path / "store", keyring=memory_keyring)
        sync = SyncService(config, store)
        sync.enrol(running.issue_enrolment_code(), "counter 1")
        assert sync.run().ok
        running.stop()
        try:
            yield sync
        finally:
            sync.close()
            store.close()


async def test_bug4_sync_now_with_the_central_down_says_so_within_seconds(
    stopped_central_sync,
) -> None:
    import time

    from textual.app import App

    from branch_app.i18n import Language, set_language
    from branch_app.ui.dialogs.sync_progress import SyncScreen
    from branch_app.ui.widgets.sync_status import SyncStatus

    set_language(Language.ENGLISH)
    sync = stopped_central_sync
    last = sync.last_sync()
    assert last is not None

    class Harness(App[None]):
        def on_mount(self) -> None:
            self.push_screen(SyncScreen(sync))

    app = Harness()
    async with app.run_test(size=(80, 24)) as pilot:
        started = time.monotonic()
        status = app.screen.query_one(SyncStatus)
        await wait_until(pilot, lambda: status.summary is not None, deadline=10)
        assert time.monotonic() - started < 8
        detail = app.screen.query_one("#sync-detail", Static)
        words = str(detail.content)
        assert "not answering" in words and "sent by itself" in words
        # The whole sentence is on screen: the panel wraps it over several lines.
        await pilot.pause()
        assert detail.size.height >= 3
        assert detail.size.width <= status.size.width
    assert sync.last_sync() == last  # nothing reached the central: "last sync" stays


# -- 6. holders the device does not know: one rule ----------------------------------------------


def live_record(holder_id: str):
    import datetime as dt

    from branch_app.domain.lifecycle import CardRecord
    from branch_app.domain.vocabulary import CardState, FunctionStatus

    return CardRecord(
        holder_id=holder_id,
        version=4,
        card_number="X00000019",
        card_state=CardState.ACTIVE,
        social_security=FunctionStatus.NORMAL,
        financial=FunctionStatus.NORMAL,
        bank="test-bank",
        generation=3,
        collected_on=dt.date(2024, 9, 1),
    )


def holder(number: str = STRANGER):
    from branch_app.domain.identity import parse_identity

    return parse_identity(number, today=FIXED_NOW.date())


def test_bug6_online_the_counter_fetches_an_unknown_holder_before_deciding(
    store: LocalStore,
) -> None:
    from branch_app.domain.vocabulary import ExchangeReason, LookupPurpose
    from branch_app.services.counter import Accepted

    asked: list[LookupPurpose] = []

    def lookup(holder_id, purpose, note, holder_kind=None):
        asked.append(purpose)
        return live_record(holder_id)

    counter = counter_on(store, lookup=lookup)
    # Never queried here: an exchange was refused as "no card in use"; now the record is fetched.
    taken = counter.apply(
        holder(),
        ApplicationKind.EXCHANGE,
        exchange_reason=ExchangeReason.QUALITY_PROBLEM,
        police_photo=True,
    )
    assert isinstance(taken, Accepted), taken
    assert not taken.awaits_central
    assert asked == [LookupPurpose.REPLACEMENT_OR_EXCHANGE]
    lookups = [e for e in store.audit.entries() if e.action == "counter.lookup"]
    assert [e.reason for e in lookups] == ["replacement_or_exchange"]


def test_bug6_online_a_holder_the_central_has_no_record_of_is_decided_on_that(
    store: LocalStore,
) -> None:
    from branch_app.domain.vocabulary import CancellationReason

    counter = counter_on(store, lookup=lambda *_args, **_kw: None)
    refused = counter.cancel(holder(), CancellationReason.EMIGRATION, approved_by="S001")
    assert isinstance(refused, Refusal)
    assert refused.code == "nothing_to_cancel"
    assert not refused.awaits_central  # the central said so: nothing waits for it


def test_bug6_offline_decides_on_what_it_has_and_says_which_check_waits(
    store: LocalStore,
) -> None:
    from branch_app.i18n import Language, set_language
    from branch_app.services.counter import Accepted
    from branch_app.ui.counter_text import accepted_lines, refusal_text
    from sync.client import CentralTimeout

    set_language(Language.ENGLISH)

    def offline(*_args, **_kw):
        raise CentralTimeout("ReadTimeout")

    counter = counter_on(store, place=Place.HOME_VISIT, lookup=offline)
    loss = counter.report_loss(holder())
    assert isinstance(loss, Refusal) and loss.awaits_central
    assert "central could not be asked" in refusal_text(loss)
    first = counter.apply(holder(), ApplicationKind.FIRST, photo_receipt="GZ2025031400A7")
    assert isinstance(first, Accepted) and first.awaits_central
    words = "\n".join(accepted_lines(first, online=False))
    assert "checked by the central when the request is sent" in words


# -- 7. an offline query of an unknown person shows no made-up record ---------------------------


def test_bug7_offline_query_of_an_unknown_person_shows_no_record(store: LocalStore) -> None:
    from branch_app.i18n import Language, set_language
    from branch_app.services.counter import QueryAnswer
    from branch_app.ui.screens.card_query import answer_lines, source_text
    from sync.client import CentralTimeout

    set_language(Language.ENGLISH)

    def offline(*_args, **_kw):
        raise CentralTimeout("ReadTimeout")

    answer = counter_on(store, lookup=offline).query(holder(), "holder_enquiry")
    assert isinstance(answer, QueryAnswer) and not answer.known
    assert "Not known on this device" in source_text(answer)
    lines = answer_lines(answer)
    assert [label for label, _ in lines] == ["Holder"]  # no "no card", no "version 0"
    # The central answering "no record" is said as such.
    answer = counter_on(store, lookup=lambda *_a, **_k: None).query(holder(), "holder_enquiry")
    assert isinstance(answer, QueryAnswer)
    assert "The central has no record" in source_text(answer)


# -- 12 and 5. the same request twice; the acceptance follows the sync ---------------------------


def test_bug12_the_same_application_twice_says_already_queued(store: LocalStore) -> None:
    from branch_app.i18n import Language, set_language
    from branch_app.services.counter import Accepted
    from branch_app.ui.counter_text import accepted_lines

    set_language(Language.ENGLISH)
    counter = counter_on(store)
    first = counter.apply(holder(), ApplicationKind.FIRST, photo_receipt="GZ2025031400A7")
    again = counter.apply(holder(), ApplicationKind.FIRST, photo_receipt="GZ2025031400A7")
    assert isinstance(first, Accepted) and isinstance(again, Accepted)
    assert len(store.outbox) == 1
    words = "\n".join(accepted_lines(again, online=True))
    assert f"Already queued as {first.reference}" in words and "Accepted" not in words


def test_bug5_accepted_says_queued_only_offline_then_the_central_answer(store: LocalStore) -> None:
    from branch_app.i18n import Language, set_language
    from branch_app.services.counter import Accepted
    from branch_app.ui.counter_text import accepted_lines

    set_language(Language.ENGLISH)
    taken = counter_on(store).apply(holder(), ApplicationKind.FIRST, photo_receipt="GZ2025031400A7")
    assert isinstance(taken, Accepted)
    offline = "\n".join(accepted_lines(taken, online=False))
    online = "\n".join(accepted_lines(taken, online=True))
    assert "will be sent when online" in offline
    assert "will be sent when online" not in online and "Sent to the central" in online
    applied = "\n".join(accepted_lines(taken, online=True, central=(True, "")))
    assert "Applied at the central" in applied
    refused = "\n".join(accepted_lines(taken, online=True, central=(False, "The card is lost.")))
    assert "Refused by the central: The card is lost." in refused


async def test_bug5_the_answer_panel_follows_the_central_answer(store: LocalStore) -> None:
    from branch_app.services.counter import Accepted
    from branch_app.ui.status import ConnectionStatusChanged, QueueDepthChanged, SlotState

    taken = counter_on(store).apply(holder(), ApplicationKind.FIRST, photo_receipt="GZ2025031400A7")
    assert isinstance(taken, Accepted)
    app = make_app("en", services=store_services(store))
    async with app.run_test(size=(120, 36)) as pilot:
        app.action_open_service("apply_first")
        await wait_until(pilot, lambda: bool(app.screen.query("#counter-result")))
        screen = app.screen
        screen.show_outcome(taken)
        assert "will be sent when online" in text_of(app, "#counter-result")
        app.post_message(ConnectionStatusChanged(SlotState.OK, "sync.status.online"))
        await wait_until(pilot, lambda: "Sent to the central" in text_of(app, "#counter-result"))
        store.outbox.mark_sending([taken.outbox_id])
        store.outbox.record_results(
            [
                {
                    "id": taken.outbox_id,
                    "status": "accepted",
                    "version": 1,
                    "reason": None,
                    "message": None,
                    "record": None,
                }
            ]
        )
        app.post_message(QueueDepthChanged(0, None, 0))
        await wait_until(pilot, lambda: "Applied at the central" in text_of(app, "#counter-result"))
