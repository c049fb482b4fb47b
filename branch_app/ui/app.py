"""The Textual application: modes, keys, language, themes, role gating and the status bar.

`BranchApp(config, services)` is all a launcher or a test needs. The parts that exist are handed
in through `AppServices`; a missing part shows "not available" in the status bar. Later parts post
the messages of `branch_app.ui.status` to update the bar, and call `sign_in`/`sign_out` (or post
`StaffOnDutyChanged`) when someone logs in.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.reactive import reactive

from branch_app.config import AppConfig
from branch_app.domain.vocabulary import UNSENT, Role
from branch_app.i18n import Language, language_from_locale, set_language, t
from branch_app.ui.commands import ShellCommandPalette, ShellCommands, palette_title
from branch_app.ui.controllers.customer_keeper import CustomerKeeper
from branch_app.ui.keys import key_display
from branch_app.ui.screens.base import ShellScreen
from branch_app.ui.screens.counter_modes import COUNTER_MODES, COUNTER_SERVICES
from branch_app.ui.screens.home import HomeScreen
from branch_app.ui.service_menu import SERVICES_BY_ID, service_access
from branch_app.ui.services import AppServices, StaffOnDuty
from branch_app.ui.status import (
    WAITING,
    ConnectionStatusChanged,
    OutboxChanged,
    QueueDepthChanged,
    ReaderStatusChanged,
    RequestsRefused,
    SlotState,
    StaffOnDutyChanged,
    StatusSnapshot,
)
from branch_app.ui.themes import CUSTOM_THEMES, THEME_CHOICES, next_theme
from branch_app.ui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.screen import Screen

    from branch_app.store import LocalStore
    from branch_app.ui.controllers.session_keeper import SessionKeeper
    from branch_app.ui.widgets.card_status import CardStatus
    from readers.service import ReaderService
    from sync.service import SyncService

#: Set to 1 to exit as soon as the first screen is ready (the startup benchmark).
EXIT_WHEN_READY_ENV = "BRANCH_APP_EXIT_WHEN_READY"

#: Services that have a screen now, by service id -> mode name.
BUILT_SERVICES: dict[str, str] = {"identity_check": "identity", **COUNTER_SERVICES}


def identity_check_screen() -> Screen[None]:
    """The identity check, imported on first use: it pulls in the domain, which start-up
    does not need (see bench/bench_startup.py)."""
    from branch_app.ui.screens.identity_check import IdentityCheckScreen

    return IdentityCheckScreen()


def initial_language(config: AppConfig) -> Language:
    return Language(config.ui.language) if config.ui.language else language_from_locale()


class BranchApp(App[int]):
    """The counter application for social security cards."""

    CSS_PATH = "app.tcss"
    COMMANDS: ClassVar[set] = {ShellCommands}
    MODES: ClassVar[dict] = {
        "home": HomeScreen,
        "identity": identity_check_screen,
        **COUNTER_MODES,
    }
    DEFAULT_MODE = "home"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "shell.key.help", id="help"),
        Binding(
            "f2", "open_service('identity_check')", "shell.key.identity_check", id="identity_check"
        ),
        Binding("f3", "go_home", "shell.key.home", id="home"),
        Binding("f5", "toggle_language", "shell.key.language", id="language"),
        Binding("f6", "next_theme", "shell.key.theme", id="theme"),
        Binding("f9", "demo_next_role", "shell.key.demo_role", id="demo_role"),
        Binding("f12", "end_customer", "shell.key.end_customer", id="end_customer"),
        Binding("ctrl+n", "reveal_name", "shell.key.reveal_name", id="reveal_name", show=False),
        Binding("ctrl+l", "log_out", "shell.key.log_out", id="log_out", show=False),
        Binding("ctrl+p", "command_palette", "shell.key.palette", id="palette"),
        Binding("ctrl+q", "quit", "shell.key.quit", id="quit", priority=True),
        # Tab moves the focus before the next key is handed out: as a screen's (non-priority)
        # binding the keys typed right after it (a fast typist, a scanner, tmux's send-keys)
        # still reach the field it leaves.
        Binding(
            "tab", "focus_next", "shell.key.next_field", id="next_field", show=False, priority=True
        ),
        Binding(
            "shift+tab",
            "focus_previous",
            "shell.key.previous_field",
            id="previous_field",
            show=False,
            priority=True,
        ),
    ]

    language: reactive[Language] = reactive(Language.CHINESE, init=False)
    status: reactive[StatusSnapshot] = reactive(StatusSnapshot, init=False)

    def __init__(self, config: AppConfig, services: AppServices | None = None) -> None:
        self.config = config
        self.services = services or AppServices()
        super().__init__()
        for theme in CUSTOM_THEMES:
            self.register_theme(theme)
        self._theme_warning: str | None = None
        #: The home mode's screen, once mounted (it shows the card widget when the reader starts).
        self.home_screen: HomeScreen | None = None
        #: The sync's login and idle timeout (`SessionKeeper`), when a store and sync exist.
        self.session_keeper: SessionKeeper | None = None
        #: One customer at a time: who is served, and the clearing when they leave.
        self.customer_keeper = CustomerKeeper(self)
        if config.ui.theme in self.available_themes:
            self.theme = config.ui.theme
        else:
            self._theme_warning = config.ui.theme
        language = initial_language(config)
        set_language(language)
        self.set_reactive(BranchApp.language, language)
        self.set_reactive(BranchApp.status, self._initial_status())
        self.title = t("common.app_title")
        if config.keymap:
            self.set_keymap(config.keymap_dict())

    def _initial_status(self) -> StatusSnapshot:
        snapshot = StatusSnapshot(staff=self.services.staff)
        if self.services.reader is not None or self.services.reader_factory is not None:
            snapshot = snapshot.with_reader(WAITING.state, WAITING.text)
        if self.services.sync is not None:
            snapshot = snapshot.with_connection(WAITING.state, WAITING.text)
        if self.services.store is not None:
            snapshot = replace(snapshot, queue=WAITING)  # the sync monitor reports the depth
        return snapshot

    def get_key_display(self, binding: Binding) -> str:
        """`F1`, `Ctrl+P`, `Esc`: the way keys are printed on a keyboard."""
        return key_display(binding.key)

    # -- time ---------------------------------------------------------------------------------
    def now(self) -> dt.datetime:
        return self.services.clock()

    def today(self) -> dt.date:
        return self.services.clock().date()

    # -- start-up ------------------------------------------------------------------------------
    def on_mount(self) -> None:
        if self._theme_warning is not None:
            self.notify(
                t("shell.theme.unknown", name=self._theme_warning),
                severity="warning",
            )
        if self.services.sync is not None and self.services.store is not None:
            self._keep_sessions(self.services.sync)

    def _keep_sessions(self, sync: SyncService) -> None:
        """Enrolment, login and the idle timeout, once a store and a sync exist."""
        from branch_app.ui.controllers.session_keeper import SessionKeeper

        self.session_keeper = SessionKeeper(self, sync)
        self.session_keeper.start()

    async def on_event(self, event: events.Event) -> None:
        if self.session_keeper is not None and isinstance(event, events.Key | events.MouseDown):
            self.session_keeper.touch()  # the counter is in use: the idle timeout starts again
        await super().on_event(event)

    def on_ready(self) -> None:
        """The first screen is laid out and drawn: the startup benchmark's finish line, and the
        moment to start the parts whose imports would have delayed it."""
        if os.environ.get(EXIT_WHEN_READY_ENV) == "1":
            self.exit(0)
            return
        if not self.config.central.configured and self.services.sync is None:
            self.notify(
                t("shell.config.no_central", path=self.config.file_path()),
                severity="warning",
                timeout=30,
            )
        if self.services.store is None and self.services.store_factory is not None:
            self._open_store()
        if self.services.reader is None and self.services.reader_factory is not None:
            self._start_reader()

    @work(thread=True, exclusive=True, exit_on_error=False, group="store-open")
    def _open_store(self) -> None:
        """Thread: open the local store and build the sync (tinydb, cryptography, keyring and
        httpx imports), then hand them to the app thread. A store that cannot be opened ends
        the app with its one sentence: a counter must not run without its outbox."""
        assert self.services.store_factory is not None
        try:
            store, sync = self.services.store_factory()
        except Exception as error:
            explain = getattr(error, "message", None)
            sentence = explain(str(self.language)) if callable(explain) else str(error)
            self.call_from_thread(self.exit, None, 3, sentence)
            return
        self.call_from_thread(self.store_opened, store, sync)

    def store_opened(self, store: LocalStore, sync: SyncService | None) -> None:
        """App thread: the store (and the sync, with a central) exist; sessions start and
        titles say a demo keyring."""
        self.services.store = store
        self.services.sync = sync
        if sync is not None:
            self._keep_sessions(sync)
        for screen in self.screen_stack:
            if isinstance(screen, ShellScreen):
                screen.refresh_titles()

    @work(thread=True, exclusive=True, exit_on_error=False, group="reader-start")
    def _start_reader(self) -> None:
        """Thread: build the reader service (imports pyscard), then hand it to the app thread."""
        assert self.services.reader_factory is not None
        try:
            service = self.services.reader_factory()
        except Exception as error:  # a missing PC/SC stack must not take the counter down
            self.post_message(
                ReaderStatusChanged(SlotState.ERROR, "shell.status.reader_failed", detail=error)
            )
            return
        self.call_from_thread(self.reader_started, service)

    def reader_started(self, service: ReaderService) -> None:
        """App thread: the reader service exists; the home screen shows the card widget."""
        self.services.reader = service
        if self.home_screen is not None:
            self.home_screen.show_card_widget(service)

    # -- who is on duty --------------------------------------------------------------------------
    @property
    def role(self) -> Role | None:
        staff = self.status.staff
        if staff is None:
            return None
        return staff.role

    def sign_in(self, staff: StaffOnDuty) -> None:
        self.status = self.status.with_staff(staff)
        self.refresh_bindings()

    def sign_out(self) -> None:
        self.status = self.status.with_staff(None)
        self.refresh_bindings()

    # -- status bar messages -------------------------------------------------------------------
    @property
    def status_bar(self) -> StatusBar:
        """A status bar to call `show_*` on; every bar shows the same snapshot, so any will do
        (the nearest screen that has one, when a dialog without a bar is in front)."""
        for screen in reversed(self.screen_stack):
            bars = screen.query(StatusBar)
            if bars:
                return bars.first()
        raise LookupError("no screen with a status bar is mounted yet")

    @on(ReaderStatusChanged)
    def _reader_status(self, message: ReaderStatusChanged) -> None:
        self.status = self.status.with_reader(message.state, message.text, **message.params)

    @on(ConnectionStatusChanged)
    def _connection_status(self, message: ConnectionStatusChanged) -> None:
        self.status = self.status.with_connection(message.state, message.text, **message.params)

    @on(QueueDepthChanged)
    def _queue_status(self, message: QueueDepthChanged) -> None:
        self.status = self.status.with_queue(
            message.depth, message.oldest_age, message.awaiting_supervisor
        )

    def on_unmount(self) -> None:
        keeper = self.session_keeper
        if keeper is not None and keeper.monitor is not None:
            keeper.monitor.stop()

    @on(RequestsRefused)
    def _requests_refused(self, message: RequestsRefused) -> None:
        self.notify(
            t("sync.background.refused", count=message.count), severity="warning", timeout=30
        )

    @on(OutboxChanged)
    def _outbox_changed(self, _message: OutboxChanged) -> None:
        keeper = self.session_keeper
        if keeper is not None and keeper.monitor is not None:
            keeper.monitor.check_now()

    @on(StaffOnDutyChanged)
    def _staff_changed(self, message: StaffOnDutyChanged) -> None:
        if message.staff is None:
            self.sign_out()
        else:
            self.sign_in(message.staff)

    def on_card_status_card_read(self, message: CardStatus.CardRead) -> None:
        """The card widget lives on the home screen, so its messages reach the app: a card read
        while a counter service is in front fills that service's holder."""
        self.customer_keeper.card_read(message.reading)
        use_card = getattr(self.screen, "use_card", None)
        if callable(use_card):
            use_card(message.reading)

    # -- role gating ----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_service":
            service_id = str(parameters[0]) if parameters else ""
            if BUILT_SERVICES.get(service_id) == self.current_mode:
                return False  # already there: keep the key bar short
            return service_access(service_id, self.role, self.config.branch.place)
        if action == "demo_next_role":
            return self.services.demo
        if action == "go_home":
            return self.current_mode != "home"
        if action == "end_customer":
            return self.customer_keeper.current is not None
        return True

    # -- actions -------------------------------------------------------------------------------
    def action_help(self) -> None:
        from branch_app.ui.dialogs.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_go_home(self) -> None:
        if self.current_mode != "home":
            self.switch_mode("home")

    def action_open_service(self, service_id: str) -> None:
        mode = BUILT_SERVICES.get(service_id)
        if (
            mode is None
            or service_access(service_id, self.role, self.config.branch.place) is not True
        ):
            return
        if self.current_mode != mode:
            self.switch_mode(mode)

    # -- the customer session, log out, switch user (issue 12) ----------------------------------
    def action_end_customer(self) -> None:
        """Finish with this customer: every form and result is cleared, home comes back."""
        if self.customer_keeper.end():
            self.notify(t("counter.customer.ended"))
        self.refresh_bindings()

    def action_reveal_name(self) -> None:
        """The holder's name in full for a few seconds (audited)."""
        self.customer_keeper.reveal_name()

    def action_log_out(self) -> None:
        """Log out without quitting; a supervisor who stepped in hands back to the teller."""
        keeper = self.session_keeper
        if keeper is not None and keeper.step_back():
            return
        if keeper is not None:
            keeper.log_out()
        else:  # no sync, so no log-in to come back to: nobody is on duty
            self.customer_keeper.end()
            self.sign_out()

    def action_step_in(self) -> None:
        """A supervisor steps in over this session (approvals) without ending it."""
        if self.session_keeper is not None:
            self.session_keeper.step_in()

    def action_sync_now(self) -> None:
        """Send the queue and fetch changes now, with a progress bar (the sync's modal)."""
        from branch_app.ui.dialogs.sync_progress import SyncScreen

        if self.services.sync is not None and not isinstance(self.screen, SyncScreen):
            self.push_screen(SyncScreen(self.services.sync))

    async def action_quit(self) -> None:
        self.request_quit()

    def request_quit(self) -> None:
        """Ctrl+Q: quit at once when nothing waits to be sent; otherwise say how many requests
        are unsent and what becomes of them (kept, or lost with the demo's keys), and ask."""
        from branch_app.ui.dialogs.quit_confirm import QuitConfirm

        if isinstance(self.screen, QuitConfirm):
            return
        unsent = self.unsent_requests()
        if unsent == 0:
            self.exit()
            return
        store = self.services.store
        lost = bool(getattr(store, "keyring_is_memory", False))

        def answered(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.exit()

        self.push_screen(QuitConfirm(unsent, lost=lost), answered)

    def unsent_requests(self) -> int:
        """Requests in the outbox not yet sent (0 without a store)."""
        store = self.services.store
        if store is None:
            return 0
        counts = store.outbox.counts()
        return sum(counts.get(status.value, 0) for status in UNSENT)

    def action_help_quit(self) -> None:
        """Ctrl+C does not quit (it copies in an input); say which key does, in the language."""
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(t("shell.quit_hint", key=key_display(key)))
                return

    def action_toggle_language(self) -> None:
        self.set_language(
            Language.ENGLISH if self.language is Language.CHINESE else Language.CHINESE
        )

    def set_language(self, language: Language) -> None:
        """Switch every screen to `language` (each re-words itself when `language` changes)."""
        set_language(language)
        self.title = t("common.app_title")
        self.language = language

    def action_next_theme(self) -> None:
        self.theme = next_theme(self.theme)

    def action_demo_next_role(self) -> None:
        """Demo only: act as the next role, to show what each one may do."""
        if self.services.act_as is None:
            return
        roles = list(Role)
        staff = self.status.staff
        current = staff.role if staff is not None else roles[-1]
        following = roles[(roles.index(current) + 1) % len(roles)]
        self.sign_in(self.services.act_as(following))
        self.notify(t("shell.demo.acting_as", role=t(f"shell.role.{following}")))

    def action_command_palette(self) -> None:
        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            self.push_screen(
                ShellCommandPalette(
                    placeholder=t("shell.palette.placeholder"), id="--command-palette"
                )
            )

    # -- palette and help ------------------------------------------------------------------------
    def palette_commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        """(title, help, callback) for every command the palette may offer now."""
        place = self.config.branch.place
        for service_id in BUILT_SERVICES:
            if service_access(service_id, self.role, place) is True:
                service = SERVICES_BY_ID[service_id]
                yield (
                    palette_title("shell.palette.prefix.service", t(service.title_key)),
                    t("shell.palette.help.service"),
                    # The action itself, not `run_action` (a coroutine the palette would never
                    # await: issue 12, bug 1).
                    partial(self.action_open_service, service_id),
                )
        yield (
            palette_title("shell.palette.prefix.go", t("shell.home.title")),
            t("shell.palette.help.home"),
            self.action_go_home,
        )
        for language in Language:
            yield (
                palette_title("shell.palette.prefix.language", t(f"shell.language.{language}")),
                t("shell.palette.help.language"),
                partial(self.set_language, language),
            )
        for theme in THEME_CHOICES:
            yield (
                palette_title("shell.palette.prefix.theme", t(f"shell.theme.{theme}")),
                t("shell.palette.help.theme"),
                partial(setattr, self, "theme", theme),
            )
        if self.customer_keeper.current is not None:
            yield (
                palette_title("shell.palette.prefix.app", t("shell.key.end_customer")),
                t("shell.palette.help.end_customer"),
                self.action_end_customer,
            )
        if self.status.staff is not None:
            yield (
                palette_title("shell.palette.prefix.app", t("shell.key.log_out")),
                t("shell.palette.help.log_out"),
                self.action_log_out,
            )
        if self.session_keeper is not None and self.status.staff is not None:
            yield (
                palette_title("shell.palette.prefix.app", t("shell.key.step_in")),
                t("shell.palette.help.step_in"),
                self.action_step_in,
            )
        if self.services.sync is not None:
            yield (
                palette_title("shell.palette.prefix.app", t("sync.command.sync_now")),
                t("sync.command.sync_now_help"),
                self.action_sync_now,
            )
        yield (
            palette_title("shell.palette.prefix.help", t("shell.help.title")),
            t("shell.palette.help.help"),
            self.action_help,
        )
        if self.services.demo:
            for role in Role:
                yield (
                    palette_title("shell.palette.prefix.demo", t(f"shell.role.{role}")),
                    t("shell.palette.help.demo"),
                    partial(self._demo_act_as, role),
                )
        yield (
            palette_title("shell.palette.prefix.app", t("shell.key.quit")),
            t("shell.palette.help.quit"),
            self.request_quit,
        )

    def _demo_act_as(self, role: Role) -> None:
        if self.services.act_as is not None:
            self.sign_in(self.services.act_as(role))

    def key_reference(self) -> list[tuple[str, str, str]]:
        """(binding id, keys, description key) of every shell key, with the keymap applied."""
        from branch_app.ui.dialogs.confirm import ConfirmDialog
        from branch_app.ui.dialogs.help import HelpScreen
        from branch_app.ui.dialogs.resolve_conflict import ResolveDialog
        from branch_app.ui.screens.card_query import CardQueryScreen
        from branch_app.ui.screens.counter_base import CounterScreen
        from branch_app.ui.screens.identity_check import IdentityCheckScreen
        from branch_app.ui.screens.supervisor_base import SupervisorScreen
        from branch_app.ui.screens.supervisor_conflicts import ConflictsScreen
        from branch_app.ui.screens.supervisor_queue import SyncQueueScreen

        keymap = self.config.keymap_dict()
        rows: list[tuple[str, str, str]] = []
        owners: tuple[type[DOMNode], ...] = (
            BranchApp,
            IdentityCheckScreen,
            CounterScreen,
            CardQueryScreen,
            ConfirmDialog,
            HelpScreen,
        )
        if self.role is Role.SUPERVISOR:  # a teller's help does not list the supervisor's tools
            owners += (SupervisorScreen, SyncQueueScreen, ConflictsScreen, ResolveDialog)
        for owner in owners:
            for binding in owner.BINDINGS:
                if not isinstance(binding, Binding) or binding.id is None or not binding.show:
                    continue
                if any(row[0] == binding.id for row in rows):
                    continue  # the same key on several screens (Esc: home) is listed once
                if binding.id == "demo_role" and not self.services.demo:
                    continue
                rows.append((binding.id, keymap.get(binding.id, binding.key), binding.description))
        return rows
