"""Today's home visits (今日上门服务): the list planned at the branch, worked through offline.

The list shows each visit's number, the person's ID number and name masked (the address is shown
in full: it is where the member of staff goes), what they need and where the visit stands.
Enter starts the highlighted visit: it is in progress from now, the customer session serves that
person and the counter service their need opens (the counter's screens, worded for a home). Back
here, the panel records the address visited and who else was present; F9 ends the visit with the
receipts of the requests taken saved as PDFs (F11: printed), F6 records that nobody was at home.
Everything slow (the store, the receipts) runs in a worker thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import DataTable, Input, Label, Static

from branch_app.domain.identity import mask_identity
from branch_app.domain.vocabulary import VisitStatus
from branch_app.i18n import Language, t
from branch_app.ui.screens.base import ShellScreen
from branch_app.ui.widgets.form_scroll import FormScroll
from branch_app.ui.widgets.paged_table import Formatted, PagedTable

if TYPE_CHECKING:
    from branch_app.services.counter import Refusal
    from branch_app.services.visits import Visits
    from branch_app.store.visits import PresentPerson, Visit, VisitReceipt
    from branch_app.ui.app import BranchApp


def visits_for(app: BranchApp) -> Visits | None:
    """The home-visit service for the member of staff on duty (reads the keyring: call from a
    thread); `None` when nobody is signed in or the store is not open. Its lookups go through
    the sync service (an audited lookup at the central) when there is one."""
    from branch_app.services.counter import central_lookup_for
    from branch_app.services.visits import Visits
    from branch_app.ui.wiring import desk_for

    store = app.services.store
    desk = desk_for(app)
    if store is None or desk is None:
        return None
    sync = app.services.sync
    lookup = (
        central_lookup_for(sync, learn_name=app.customer_keeper.learned_name)
        if sync is not None
        else None
    )
    return Visits(store, desk, clock=app.now, central_lookup=lookup)


def refusal_words(refusal: Refusal) -> str:
    return t(refusal.message_key, None, **refusal.params)


def masked_name(name: str) -> str:
    from branch_app.services.customer import mask_name

    return mask_name(name)


def local_time(stamp: str | None, app: BranchApp) -> str:
    """`HH:MM` in the app's time zone, from a stored UTC stamp ("" when there is none)."""
    import datetime as dt

    if not stamp:
        return ""
    moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return moment.astimezone(app.now().tzinfo).strftime("%H:%M")


class VisitsScreen(ShellScreen):
    TITLE_KEY = "visits.title"

    DEFAULT_CSS = """
    VisitsScreen #visits-main { height: 3fr; padding: 0 1; }
    VisitsScreen #visits-intro { color: $text-muted; height: auto; width: 1fr; }
    VisitsScreen #visits-table { height: 1fr; }
    VisitsScreen #visits-count { height: auto; }
    VisitsScreen #visits-detail { height: 2fr; }
    VisitsScreen #visits-about { width: 1fr; height: 1fr; padding: 0 1; }
    VisitsScreen #visits-record { width: 1fr; height: 1fr; padding: 0 1; }
    VisitsScreen .visits-label { text-style: bold; width: 1fr; }
    VisitsScreen #visits-summary { height: auto; width: 1fr; }
    VisitsScreen #visits-present { height: auto; width: 1fr; margin-top: 1; }
    VisitsScreen #visits-message { height: auto; width: 1fr; margin-top: 1; }
    VisitsScreen #visits-message.-error { color: $error; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.go_home", "shell.key.home", id="back_home"),
        Binding("f10", "start", "visits.key.start", id="visits_start"),
        Binding("f6", "not_at_home", "visits.key.not_at_home", id="visits_not_at_home"),
        Binding("f9", "end_visit(False)", "visits.key.end_save", id="visits_end_save"),
        Binding("f11", "end_visit(True)", "visits.key.end_print", id="visits_end_print"),
        Binding("ctrl+r", "reload", "visits.key.reload", id="visits_reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.visits: list[Visit] = []
        self.problem: str | None = None
        self.message: tuple[str, bool] | None = None
        self.busy = False
        #: The visit the panel shows (its ref), kept across reloads.
        self._chosen: str | None = None

    # -- layout ----------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        with Vertical(id="visits-main", classes="panel"):
            yield Static(id="visits-intro")
            yield PagedTable(id="visits-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="visits-count")
        with Horizontal(id="visits-detail"):
            with VerticalScroll(id="visits-about", classes="panel"):
                yield Static(id="visits-summary")
                yield Static(id="visits-present")
                yield Static(id="visits-message")
            with FormScroll(id="visits-record", classes="panel"):
                yield Label(id="visits-address-label", classes="visits-label")
                yield Input(id="visits-address", max_length=200)
                yield Label(id="visits-present-label", classes="visits-label")
                yield Input(id="visits-present-kind", max_length=20)
                yield Input(id="visits-present-name", max_length=40)

    def on_mount(self) -> None:
        self.query_one("#visits-table", PagedTable).focus()
        self.action_reload()

    def on_screen_resume(self) -> None:
        self.action_reload()  # a request taken on a counter screen, the store opened since

    # -- words -----------------------------------------------------------------------------------
    def relabel(self) -> None:
        self.query_one("#visits-main").border_title = t("visits.title")
        self.query_one("#visits-about").border_title = t("visits.detail.title")
        self.query_one("#visits-intro", Static).update(t("visits.intro"))
        self.query_one("#visits-address-label", Label).update(t("visits.detail.address"))
        self.query_one("#visits-present-label", Label).update(t("visits.detail.present"))
        self.query_one("#visits-present-kind", Input).placeholder = t("visits.detail.present_kind")
        self.query_one("#visits-present-name", Input).placeholder = t("visits.detail.present_name")
        self._show()

    # -- reading ---------------------------------------------------------------------------------
    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="visits")
    def _load(self) -> None:
        app = self.branch_app
        if app.status.staff is None:
            self.app.call_from_thread(self._loaded, [], "visits.gate.no_staff")
            return
        try:
            service = visits_for(app)
            if service is None:
                self.app.call_from_thread(self._loaded, [], "visits.gate.no_store")
                return
            day = service.day()
            shown = [
                (_with_taken(service, v) if v.status is VisitStatus.IN_PROGRESS else v) for v in day
            ]
        except Exception as error:  # a store that cannot be read: say so
            self.app.call_from_thread(self._loaded, [], t("visits.failed", detail=_detail(error)))
            return
        self.app.call_from_thread(self._loaded, shown, None)

    def _loaded(self, visits: list[Visit], problem: str | None) -> None:
        self.visits = visits
        self.problem = problem
        self._show()

    # -- showing ---------------------------------------------------------------------------------
    def chosen(self) -> Visit | None:
        """The visit under the list's cursor."""
        try:
            table = self.query_one("#visits-table", PagedTable)
        except NoMatches:
            return None
        return table.under_cursor(self.visits)

    def _show(self) -> None:
        try:
            table = self.query_one("#visits-table", PagedTable)
        except NoMatches:
            return
        needs = {v.need: t(f"visits.need.{v.need.value}") for v in self.visits}
        statuses = {v.status: t(f"visits.status.{v.status.value}") for v in self.visits}

        def cells(visit: Visit) -> tuple[str, ...]:
            return (  # the address last: a narrow screen cuts it, never the status
                str(visit.position),
                statuses[visit.status],
                needs[visit.need],
                mask_identity(visit.holder_id),
                masked_name(visit.name),
                visit.visited_address or visit.address,
            )

        refs = [v.ref for v in self.visits]
        cursor = refs.index(self._chosen) if self._chosen in refs else None
        table.show(
            (
                t("visits.col.position"),
                t("visits.col.status"),
                t("visits.col.need"),
                t("visits.col.holder"),
                t("visits.col.name"),
                t("visits.col.address"),
            ),
            Formatted(self.visits, cells),
            cursor=cursor,
        )
        count = self.query_one("#visits-count", Static)
        if self.problem is not None:
            count.update(t(self.problem) if self.problem.startswith("visits.") else self.problem)
        elif not self.visits:
            count.update(t("visits.empty"))
        else:
            finished = sum(1 for v in self.visits if v.finished)
            count.update(t("visits.count", finished=finished, planned=len(self.visits)))
        self._show_detail()
        self.refresh_bindings()

    def _show_detail(self) -> None:
        visit = self.chosen()
        summary = self.query_one("#visits-summary", Static)
        address = self.query_one("#visits-address", Input)
        present = self.query_one("#visits-present", Static)
        if visit is None:
            summary.update(t("visits.detail.none"))
            address.value = ""
            present.update("")
        else:
            lines = [
                t(
                    "visits.detail.summary",
                    position=visit.position,
                    holder=mask_identity(visit.holder_id),
                    name=masked_name(visit.name),
                    need=t(f"visits.need.{visit.need.value}"),
                    why=visit.why,
                    status=t(f"visits.status.{visit.status.value}"),
                )
            ]
            if visit.started_at and visit.ended_at:
                start = local_time(visit.started_at, self.branch_app)
                end = local_time(visit.ended_at, self.branch_app)
                lines.append(t("visits.detail.times", start=start, end=end))
            elif visit.started_at:
                start = local_time(visit.started_at, self.branch_app)
                lines.append(t("visits.detail.since", start=start))
            if visit.requests:
                references = ", ".join(r.reference for r in visit.requests)
                lines.append(
                    t("visits.detail.requests", count=len(visit.requests), references=references)
                )
            if visit.receipts:
                lines.append(t("visits.detail.receipts", count=len(visit.receipts)))
            summary.update(Text("\n".join(lines)))
            if visit.ref != self._chosen or not address.value:
                address.value = visit.visited_address or visit.address
            people = [
                t("visits.detail.present_line", kind=p.kind, name=masked_name(p.name))
                for p in visit.present
            ]
            present.update(Text("\n".join(people) or t("visits.detail.nobody_present")))
            self._chosen = visit.ref
        editable = visit is not None and visit.status is VisitStatus.IN_PROGRESS
        for field in self.query("#visits-record Input").results(Input):
            field.disabled = not editable
        self._show_message()

    def say(self, text: str, *, ok: bool = True) -> None:
        self.message = (text, ok)
        self._show_message()

    def _show_message(self) -> None:
        line = self.query_one("#visits-message", Static)
        text, ok = self.message or ("", True)
        line.update(Text(text))
        line.set_class(not ok, "-error")

    @on(DataTable.RowHighlighted, "#visits-table")
    def _highlighted(self) -> None:
        visit = self.chosen()
        if visit is not None and visit.ref != self._chosen:
            self.message = None
        self._show_detail()
        self.refresh_bindings()

    @on(DataTable.RowSelected, "#visits-table")
    def _selected(self) -> None:
        self.action_start()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("start", "not_at_home", "end_visit"):
            try:
                visit = self.chosen()
            except Exception:  # asked before the table is mounted
                return False
            if visit is None or visit.finished:
                return False
            if action == "end_visit":
                return None if self.busy or visit.status is not VisitStatus.IN_PROGRESS else True
            return None if self.busy else True
        return True

    # -- the visit -------------------------------------------------------------------------------
    def action_start(self) -> None:
        visit = self.chosen()
        if visit is None or visit.finished or self.busy:
            return
        self.busy = True
        self._start(visit.ref)

    @work(thread=True, exclusive=True, exit_on_error=False, group="visits-act")
    def _start(self, ref: str) -> None:
        from branch_app.services.counter import Refusal
        from branch_app.services.visits import service_for

        try:
            service = visits_for(self.branch_app)
            if service is None:
                self.app.call_from_thread(self._done, t("visits.gate.no_staff"), False)
                return
            started = service.start(ref)
            if isinstance(started, Refusal):
                self.app.call_from_thread(self._done, refusal_words(started), False)
                return
            holder = service.holder(started)
        except Exception as error:
            self.app.call_from_thread(self._done, t("visits.failed", detail=_detail(error)), False)
            return
        self.app.call_from_thread(self._started, started, holder, service_for(started))

    def _started(self, visit: Visit, holder: object, service_id: str) -> None:
        from branch_app.domain.identity import IdentityNumber
        from branch_app.services.customer import HolderSource

        self.busy = False
        assert isinstance(holder, IdentityNumber)
        keeper = self.branch_app.customer_keeper
        keeper.identified(holder, HolderSource.TYPED, name=visit.name or None)
        self.message = (
            t("visits.started", position=visit.position, holder=holder.masked()),
            True,
        )
        self._replace(visit)
        self.app.notify(self.message[0])
        self.branch_app.action_open_service(service_id)

    def _replace(self, visit: Visit) -> None:
        self.visits = [visit if v.ref == visit.ref else v for v in self.visits]
        self._chosen = visit.ref
        self._show()

    def _done(self, text: str, ok: bool) -> None:
        self.busy = False
        self.say(text, ok=ok)
        self.refresh_bindings()

    @on(Input.Submitted, "#visits-address")
    def _address_submitted(self, event: Input.Submitted) -> None:
        visit = self.chosen()
        if visit is not None:
            self._record(visit.ref, event.value, None)

    @on(Input.Submitted, "#visits-present-name")
    @on(Input.Submitted, "#visits-present-kind")
    def _present_submitted(self) -> None:
        from branch_app.store.visits import PresentPerson

        visit = self.chosen()
        kind = self.query_one("#visits-present-kind", Input)
        name = self.query_one("#visits-present-name", Input)
        if visit is None:
            return
        if not name.value.strip() and kind.value.strip():
            name.focus()  # Enter after "what they are": now their name
            return
        people = (*visit.present, PresentPerson(kind.value, name.value))
        self._record(visit.ref, None, people)

    @work(thread=True, exclusive=True, exit_on_error=False, group="visits-act")
    def _record(
        self, ref: str, address: str | None, present: tuple[PresentPerson, ...] | None
    ) -> None:
        from branch_app.services.counter import Refusal

        try:
            service = visits_for(self.branch_app)
            if service is None:
                return
            recorded = service.record(ref, address=address, present=present)
        except Exception as error:
            self.app.call_from_thread(self._done, t("visits.failed", detail=_detail(error)), False)
            return
        if isinstance(recorded, Refusal):
            self.app.call_from_thread(self._done, refusal_words(recorded), False)
            return
        self.app.call_from_thread(self._recorded, recorded, present is not None)

    def _recorded(self, visit: Visit, present: bool) -> None:
        if present:
            self.query_one("#visits-present-kind", Input).value = ""
            self.query_one("#visits-present-name", Input).value = ""
            self.query_one("#visits-present-kind", Input).focus()
        self.message = (t("visits.recorded"), True)
        self._replace(visit)

    def action_not_at_home(self) -> None:
        visit = self.chosen()
        if visit is None or visit.finished or self.busy:
            return
        self.busy = True
        self._end(visit.ref, None)

    def action_end_visit(self, printed: bool) -> None:
        visit = self.chosen()
        if visit is None or visit.status is not VisitStatus.IN_PROGRESS or self.busy:
            return
        self.busy = True
        self._end(visit.ref, bool(printed))

    @work(thread=True, exclusive=True, exit_on_error=False, group="visits-act")
    def _end(self, ref: str, printed: bool | None) -> None:
        """Thread: the receipts of the requests taken (saved, or printed), then the end;
        `printed` None: nobody was at home."""
        from branch_app.services.counter import Refusal

        app = self.branch_app
        try:
            service = visits_for(app)
            visit = None if service is None else service.store.visits.get(ref)
            if service is None or visit is None:
                self.app.call_from_thread(self._done, t("visits.refusal.unknown_visit"), False)
                return
            if printed is None:
                ended = service.end(ref, status=VisitStatus.NOT_AT_HOME)
            else:
                receipts = self._receipts(service, visit, printed)
                if isinstance(receipts, str):
                    self.app.call_from_thread(
                        self._done, t("visits.receipts_failed", reason=receipts), False
                    )
                    return
                ended = service.end(ref, receipts=receipts)
        except Exception as error:
            self.app.call_from_thread(self._done, t("visits.failed", detail=_detail(error)), False)
            return
        if isinstance(ended, Refusal):
            self.app.call_from_thread(self._done, refusal_words(ended), False)
            return
        self.app.call_from_thread(self._ended, ended, printed)

    def _receipts(self, service: Visits, visit: Visit, printed: bool) -> list[VisitReceipt] | str:
        """Thread: each request's receipt made as the counter's Ctrl+S / F11 make it (recorded
        in the audit journal too); the reason in words when one cannot be made."""
        from branch_app.services.printing import PrintFailed, SystemPrinter
        from branch_app.services.receipt import FontMissing
        from branch_app.store.visits import VisitReceipt
        from branch_app.ui.receipts import daybook_for, make_receipt_pdf

        app = self.branch_app
        book = daybook_for(app)
        made: list[VisitReceipt] = []
        for request in service.taken(visit):
            receipt = None if book is None else book.receipt(request.outbox_id)
            if receipt is None:
                return t("receipt.unknown")
            try:
                path = make_receipt_pdf(app, receipt, Language.CHINESE)
                where = str(path)
                if printed:
                    printer = SystemPrinter(app.config.printer.name)
                    where = printer.print_file(path, title=receipt.reference) or "lp"
            except FontMissing:
                return t("receipt.font_missing")
            except PrintFailed as error:
                return t(f"receipt.print.error.{error.code}", detail=error.detail)
            assert book is not None
            book.record_receipt(receipt, printed=printed, where=where)
            made.append(VisitReceipt(request.outbox_id, printed, where))
        return made

    def _ended(self, visit: Visit, printed: bool | None) -> None:
        self.busy = False
        if printed is None:
            self.message = (t("visits.ended_not_at_home", position=visit.position), True)
        else:
            how = t("visits.ended.printed" if printed else "visits.ended.saved")
            self.message = (
                t(
                    "visits.ended",
                    position=visit.position,
                    requests=len(visit.requests),
                    receipts=len(visit.receipts),
                    how=how,
                ),
                True,
            )
        keeper = self.branch_app.customer_keeper
        current = keeper.current
        if current is not None and current.holder.number == visit.holder_id:
            keeper.end(go_home=False)  # the next visit starts with nobody's forms
        self._replace(visit)
        self.query_one("#visits-table", PagedTable).focus()  # on to the next visit


def _with_taken(service: Visits, visit: Visit) -> Visit:
    """A visit in progress shows the requests taken so far."""
    import dataclasses

    return dataclasses.replace(visit, requests=service.taken(visit))


def _detail(error: Exception) -> str:
    return str(getattr(error, "english", None) or type(error).__name__)
