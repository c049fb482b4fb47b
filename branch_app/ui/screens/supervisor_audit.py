"""The audit journal for a supervisor: search it, check its chain, export a period for an inspector.

The words and the rules are the service's (`branch_app.services.audit_review`): a search by
holder needs a purpose and is recorded before anything is shown; rows show holders masked and
no personal detail. This screen only reads what was typed (the ID number through the domain's
`parse_identity`, the days as `YYYY-MM-DD`), runs the service in thread workers and shows what
comes back. The typed ID number leaves its field when the search starts: it is hashed, never
written anywhere, and the rows show it masked.

The export goes to the folder typed on the screen, else to `[printer] folder` (where the
branch's documents are saved), else `exports` in the data folder, as receipts do.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from branch_app.domain.vocabulary import LookupPurpose
from branch_app.i18n import t
from branch_app.ui.screens.supervisor_base import (
    SupervisorScreen,
    desk_of,
    local_time,
    row_under_cursor,
)
from branch_app.ui.widgets.paged_table import Formatted, PagedTable
from branch_app.ui.widgets.select_words import reword_select

if TYPE_CHECKING:
    from branch_app.services.audit_review import (
        AuditReview,
        ChainCheck,
        ExportDone,
        JournalRow,
        Period,
        Search,
        SearchResult,
    )
    from branch_app.ui.app import BranchApp

ANY = "any"
NO_PURPOSE = "none"


def exports_folder(app: BranchApp) -> Path:
    """Where an export goes when no folder is typed (the receipts' pattern)."""
    folder = app.config.printer.folder
    if folder:
        return Path(folder).expanduser()
    store = app.services.store
    return (store.data_dir if store is not None else app.config.data_dir()) / "exports"


def review_of(app: BranchApp) -> AuditReview | None:
    """The journal's review for the supervisor on duty (reads the keyring: a worker only)."""
    from branch_app.services.audit_review import AuditReview
    from branch_app.store.audit_search import JournalReader

    store = app.services.store
    desk = desk_of(app)
    if store is None or desk is None:
        return None
    return AuditReview(store.audit, JournalReader(store.audit, store.keys), desk, clock=app.now)


def chain_words(check: ChainCheck) -> str:
    """The chain's check in the words of `branch-app store verify-audit`."""
    if check.ok:
        return t("store.audit.ok", count=check.checked)
    problem_key = f"store.audit.problem.{check.problem}"
    problem = t(problem_key)
    words = t(
        "store.audit.broken",
        n=check.first_bad if check.first_bad is not None else check.checked + 1,
        problem=problem if problem != problem_key else str(check.problem),
        file=check.file or "—",
        count=check.checked,
    )
    if check.anchored is not None:
        words += " " + t("store.audit.anchored", head=check.anchored, first=check.checked + 1)
    return words + " " + t("audit_review.verify_hint")


def purpose_options() -> list[tuple[str, str]]:
    return [(t("audit_review.choose_purpose"), NO_PURPOSE)] + [
        (t(f"counter.purpose.{purpose.value}"), purpose.value) for purpose in LookupPurpose
    ]


class AuditJournalScreen(SupervisorScreen):
    TITLE_KEY = "audit_review.title"

    DEFAULT_CSS = """
    AuditJournalScreen .supervisor-side { width: 33; }
    AuditJournalScreen .audit-label { height: 1; padding: 0 1; color: $text-muted; }
    AuditJournalScreen #audit-period Input { width: 1fr; }
    AuditJournalScreen #audit-period { height: auto; }
    AuditJournalScreen .supervisor-side Button { width: 1fr; min-width: 0; margin: 0; }
    AuditJournalScreen #audit-detail { height: auto; min-height: 2; padding: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f7", "search", "audit_review.key.search", id="audit_search"),
        Binding("f8", "verify", "audit_review.key.verify", id="audit_verify"),
        Binding("f10", "export", "audit_review.key.export", id="audit_export"),
    ]

    class Searched(Message):
        def __init__(
            self, result: SearchResult | None, problem: str | None, generation: int
        ) -> None:
            super().__init__()
            self.result = result
            self.problem = problem
            self.generation = generation

    class ActionsRead(Message):
        def __init__(self, actions: list[str]) -> None:
            super().__init__()
            self.actions = actions

    class Verified(Message):
        def __init__(self, check: ChainCheck | None, problem: str | None) -> None:
            super().__init__()
            self.check = check
            self.problem = problem

    class Exported(Message):
        def __init__(self, done: ExportDone | None, problem: str | None) -> None:
            super().__init__()
            self.done = done
            self.problem = problem

    def __init__(self) -> None:
        super().__init__()
        self.result: SearchResult | None = None
        self.check: ChainCheck | None = None
        self.exported: ExportDone | None = None
        self.actions: list[str] = []
        self._rows: dict[str, JournalRow] = {}

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="supervisor-body"):
            with Vertical(classes="supervisor-side panel", id="audit-side"):
                yield Label(id="audit-holder-label", classes="audit-label")
                yield Input(id="audit-holder", max_length=32)
                yield Label(id="audit-purpose-label", classes="audit-label")
                yield Select[str](
                    purpose_options(), id="audit-purpose", allow_blank=False, value=NO_PURPOSE
                )
                yield Label(id="audit-note-label", classes="audit-label")
                yield Input(id="audit-note", max_length=200)
                yield Label(id="audit-actor-label", classes="audit-label")
                yield Input(id="audit-actor", max_length=32)
                yield Label(id="audit-action-label", classes="audit-label")
                yield Select[str](
                    [(t("audit_review.any_action"), ANY)],
                    id="audit-action",
                    allow_blank=False,
                    value=ANY,
                )
                yield Label(id="audit-period-label", classes="audit-label")
                with Horizontal(id="audit-period"):
                    yield Input(id="audit-from", max_length=10)
                    yield Input(id="audit-to", max_length=10)
                with Horizontal(classes="supervisor-row"):
                    yield Button(id="audit-search-button", variant="primary")
                    yield Button(id="audit-verify-button")
            with Vertical(classes="supervisor-main panel", id="audit-main"):
                yield Static(id="audit-intro", classes="supervisor-intro")
                yield PagedTable(id="audit-table", cursor_type="row", zebra_stripes=True)
                yield Static(id="audit-found", classes="supervisor-message")
                yield Static(id="audit-detail")
                yield Label(id="audit-folder-label", classes="audit-label")
                with Horizontal(classes="supervisor-row"):
                    yield Input(id="audit-folder", max_length=400)
                    yield Button(id="audit-export-button", variant="warning")
                yield Static(id="audit-message", classes="supervisor-message")

    def on_mount(self) -> None:
        self.query_one("#audit-table", PagedTable).focus()

    # -- words -----------------------------------------------------------------------------------
    def relabel(self) -> None:
        self.query_one("#audit-side").border_title = t("audit_review.search_panel")
        self.query_one("#audit-main").border_title = t("audit_review.results")
        self.query_one("#audit-intro", Static).update(t("audit_review.intro"))
        for name in ("holder", "purpose", "note", "actor", "action", "period", "folder"):
            self.query_one(f"#audit-{name}-label", Label).update(t(f"audit_review.label.{name}"))
        self.query_one("#audit-holder", Input).placeholder = t("audit_review.placeholder.holder")
        self.query_one("#audit-actor", Input).placeholder = t("audit_review.placeholder.actor")
        self.query_one("#audit-from", Input).placeholder = t("audit_review.placeholder.from")
        self.query_one("#audit-to", Input).placeholder = t("audit_review.placeholder.to")
        self.query_one("#audit-folder", Input).placeholder = str(exports_folder(self.branch_app))
        self.query_one("#audit-search-button", Button).label = t("audit_review.key.search")
        self.query_one("#audit-verify-button", Button).label = t("audit_review.key.verify")
        self.query_one("#audit-export-button", Button).label = t("audit_review.key.export")
        reword_select(self.query_one("#audit-purpose", Select), purpose_options(), NO_PURPOSE)
        self._reword_actions()
        self._show_result()

    def _reword_actions(self) -> None:
        options = [(t("audit_review.any_action"), ANY)] + [(a, a) for a in self.actions]
        reword_select(self.query_one("#audit-action", Select), options, ANY)

    # -- what was typed --------------------------------------------------------------------------
    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def period(self) -> Period:
        """The days typed (`ReviewRefused` when one is no date)."""
        from branch_app.services.audit_review import Period, parse_day

        return Period(parse_day(self._value("audit-from")), parse_day(self._value("audit-to")))

    def search_asked(self) -> Search | str:
        """The search typed, or what is wrong with it (in words)."""
        from branch_app.domain.identity import IdentityError, parse_identity
        from branch_app.services.audit_review import ReviewRefused, Search

        try:
            period = self.period()
        except ReviewRefused as refused:
            return t(refused.key)
        typed = self._value("audit-holder")
        holder = None
        if typed:
            try:
                holder = parse_identity(typed, today=self.branch_app.now().date())
            except IdentityError as error:
                from branch_app.ui.screens.identity_check import describe_identity_error

                return describe_identity_error(error)
        purpose = self.query_one("#audit-purpose", Select).value
        action = self.query_one("#audit-action", Select).value
        return Search(
            holder=holder,
            purpose=(
                LookupPurpose(purpose)
                if isinstance(purpose, str) and purpose != NO_PURPOSE
                else None
            ),
            note=self._value("audit-note"),
            actor=self._value("audit-actor"),
            action=action if isinstance(action, str) and action != ANY else "",
            period=period,
        )

    # -- reading ---------------------------------------------------------------------------------
    def action_reload(self) -> None:
        """The actions to choose from, and the entries again unless a holder is typed (a holder
        search is made on purpose: it is recorded)."""
        problem = self.gate_problem()
        if problem is not None:
            self.result = None
            self._show_result()
            self.show_message("audit-message", t(problem), ok=False)
            return
        self._read_actions()
        holder_shown = self.result is not None and self.result.audit_n is not None
        if not self._value("audit-holder") and not holder_shown:
            self.action_search()

    @work(thread=True, exclusive=True, exit_on_error=False, group="audit-actions")
    def _read_actions(self) -> None:
        from branch_app.store.audit_search import JournalReader

        store = self.store()
        try:
            actions = JournalReader(store.audit, store.keys).actions()
        except Exception:  # a damaged month: the search and the check say so
            return
        self.post_message(self.ActionsRead(actions))

    @on(ActionsRead)
    def _actions_read(self, message: ActionsRead) -> None:
        if message.actions != self.actions:
            self.actions = message.actions
            self._reword_actions()

    def action_search(self) -> None:
        from branch_app.services.audit_review import search_problem

        if self.gate_problem() is not None:
            return
        asked = self.search_asked()
        if not isinstance(asked, str) and (problem := search_problem(asked)) is not None:
            asked = t(problem)
        if isinstance(asked, str):
            self.show_message("audit-message", asked, ok=False)
            return
        self.show_message("audit-message", "", ok=None)
        self.query_one("#audit-found", Static).update(t("supervisor.working"))
        if asked.holder is not None:
            # the number goes to the worker only: it does not stay on the screen
            self.query_one("#audit-holder", Input).value = ""
        self._search(asked, self.next_generation())

    @work(thread=True, exclusive=True, exit_on_error=False, group="audit-search")
    def _search(self, search: Search, generation: int) -> None:
        from branch_app.services.audit_review import ReviewRefused

        try:
            review = review_of(self.branch_app)
            if review is None:
                self.post_message(self.Searched(None, t("supervisor.gate.not_supervisor"), 0))
                return
            result = review.search(search)
        except ReviewRefused as refused:
            self.post_message(self.Searched(None, t(refused.key), generation))
            return
        except Exception as error:  # a damaged journal: say so, never a traceback
            detail = getattr(error, "english", None) or type(error).__name__
            self.post_message(
                self.Searched(None, t("supervisor.failed", detail=detail), generation)
            )
            return
        self.post_message(self.Searched(result, None, generation))

    @on(Searched)
    def _searched(self, message: Searched) -> None:
        if message.generation and message.generation != self.generation:
            return  # a later search is on its way
        if message.problem is not None:
            self.show_message("audit-message", message.problem, ok=False)
            return
        self.result = message.result
        self._show_result()
        if self.result is not None and self.result.audit_n is not None:
            self._read_actions()  # the search's own action is in the journal now

    def _found_words(self) -> str:
        result = self.result
        if result is None:
            return ""
        if not result.rows:
            words = t("audit_review.found_none")
        elif result.more:
            words = t("audit_review.found_more", count=len(result.rows))
        else:
            words = t("audit_review.found", count=len(result.rows))
        if result.audit_n is not None:
            about = result.rows[0].holder if result.rows else ""
            words = t("audit_review.about_holder", holder=about) + " " + words
            words += " " + t("audit_review.searched_holder", n=result.audit_n)
        return words

    def _show_result(self) -> None:
        table = self.query_one("#audit-table", PagedTable)
        result = self.result
        if result is None:
            table.clear(columns=True)
            self._rows = {}
            self.query_one("#audit-found", Static).update("")
            self._show_detail()
            return
        now = self.branch_app.now()
        self._rows = {str(row.n): row for row in result.rows}
        keep = row_under_cursor(table)

        def cells(row: JournalRow) -> tuple[str, ...]:
            return (
                str(row.n),
                local_time(row.at, now),
                row.holder,
                row.action,
                row.actor,
                row.reason,
            )

        keys = list(self._rows)
        table.show(
            (
                t("audit_review.col.n"),
                t("audit_review.col.when"),
                t("audit_review.col.holder"),
                t("audit_review.col.action"),
                t("audit_review.col.actor"),
                t("audit_review.col.reason"),
            ),
            Formatted(result.rows, cells),
            keys,
            cursor=keys.index(keep) if keep in self._rows else None,
        )
        self.query_one("#audit-found", Static).update(self._found_words())
        self._show_detail()

    def selected(self) -> JournalRow | None:
        chosen = row_under_cursor(self.query_one("#audit-table", DataTable))
        return self._rows.get(chosen) if chosen is not None else None

    @on(DataTable.RowHighlighted, "#audit-table")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        detail = self.query_one("#audit-detail", Static)
        row = self.selected()
        if row is None:
            detail.update("")
            return
        text = Text(
            t(
                "audit_review.detail",
                n=row.n,
                actor=row.actor,
                device=row.device,
                branch=row.branch,
            ),
            style="bold",
        )
        text.append("\n")
        text.append(t("audit_review.detail.reason", reason=row.reason or "—"))
        refs = dict(row.refs)
        if row.ref:
            refs.setdefault("outbox_id", row.ref)
        if refs:
            text.append("\n")
            listed = ", ".join(f"{key}={value}" for key, value in refs.items())
            text.append(t("audit_review.detail.refs", refs=listed))
        if row.recovered:
            text.append("\n")
            text.append(t("audit_review.detail.recovered"), style="italic")
        detail.update(text)

    # -- the chain -------------------------------------------------------------------------------
    def action_verify(self) -> None:
        if self.busy or self.gate_problem() is not None:
            return
        self.busy = True
        self.show_message("audit-message", t("audit_review.verifying"), ok=None)
        self._verify()

    @work(thread=True, exclusive=True, exit_on_error=False, group="audit-verify")
    def _verify(self) -> None:
        try:
            review = review_of(self.branch_app)
            if review is None:
                self.post_message(self.Verified(None, t("supervisor.gate.not_supervisor")))
                return
            check = review.verify()
        except Exception as error:
            detail = getattr(error, "english", None) or type(error).__name__
            self.post_message(self.Verified(None, t("supervisor.failed", detail=detail)))
            return
        self.post_message(self.Verified(check, None))

    @on(Verified)
    def _verified(self, message: Verified) -> None:
        self.busy = False
        if message.check is None:
            self.show_message("audit-message", message.problem or "", ok=False)
            return
        self.check = message.check
        self.show_message("audit-message", chain_words(message.check), ok=message.check.ok)

    # -- the export ------------------------------------------------------------------------------
    def action_export(self) -> None:
        from branch_app.services.audit_review import ReviewRefused

        if self.busy or self.gate_problem() is not None:
            return
        try:
            period = self.period()
        except ReviewRefused as refused:
            self.show_message("audit-message", t(refused.key), ok=False)
            return
        if period.first is None or period.last is None:
            self.show_message("audit-message", t("audit_review.refused.period_required"), ok=False)
            return
        typed = self._value("audit-folder")
        folder = Path(typed).expanduser() if typed else exports_folder(self.branch_app)
        self.busy = True
        self.show_message("audit-message", t("supervisor.working"), ok=None)
        self._export(period, folder)

    @work(thread=True, exclusive=True, exit_on_error=False, group="audit-export")
    def _export(self, period: Period, folder: Path) -> None:
        from branch_app.services.audit_review import ReviewRefused

        try:
            review = review_of(self.branch_app)
            if review is None:
                self.post_message(self.Exported(None, t("supervisor.gate.not_supervisor")))
                return
            done = review.export(period, folder)
        except ReviewRefused as refused:
            self.post_message(self.Exported(None, t(refused.key)))
            return
        except OSError as error:
            detail = error.strerror or type(error).__name__
            self.post_message(self.Exported(None, t("audit_review.export_failed", detail=detail)))
            return
        except Exception as error:
            detail = getattr(error, "english", None) or type(error).__name__
            self.post_message(self.Exported(None, t("supervisor.failed", detail=detail)))
            return
        self.post_message(self.Exported(done, None))

    @on(Exported)
    def _exported(self, message: Exported) -> None:
        self.busy = False
        if message.done is None:
            self.show_message("audit-message", message.problem or "", ok=False)
            return
        self.exported = done = message.done
        if self.result is None or self.result.audit_n is None:
            self.action_search()  # the export's own entry is in the journal now
        self.show_message(
            "audit-message",
            t(
                "audit_review.exported",
                count=done.entries,
                path=str(done.path),
                sha256=done.sha256,
                n=done.audit_n,
            ),
            ok=True,
        )

    # -- keys and buttons ------------------------------------------------------------------------
    @on(Button.Pressed, "#audit-search-button")
    def _search_pressed(self) -> None:
        self.action_search()

    @on(Button.Pressed, "#audit-verify-button")
    def _verify_pressed(self) -> None:
        self.action_verify()

    @on(Button.Pressed, "#audit-export-button")
    def _export_pressed(self) -> None:
        self.action_export()

    @on(Input.Submitted, "#audit-side Input")
    def _submitted(self) -> None:
        self.action_search()

    @on(Input.Submitted, "#audit-folder")
    def _folder_submitted(self) -> None:
        self.action_export()
