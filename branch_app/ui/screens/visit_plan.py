"""Planning the day's home visits (规划上门服务), at the branch, online, before leaving.

For each person: the ID number (checked as it is typed, with the document kind), the name, the
address, what they need and why. F10 adds the visit: the person's record is fetched from the
central then (an audited lookup with the purpose "home visit") into the card cache, and the
visit goes onto today's encrypted list (`services.visits`). Offline there is nothing to plan
with: the screen says so in one sentence and adds nothing. Delete takes a visit not started yet
off the list. For home-visit staff and supervisors only (`service_menu`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.widgets import Button, Input, Label, Select, Static

from branch_app.domain.identity import IdentityError, IdentityKind, mask_identity, parse_identity
from branch_app.domain.vocabulary import CentralKnew, Role, VisitNeed
from branch_app.i18n import t
from branch_app.ui.screens.base import ShellScreen
from branch_app.ui.screens.identity_check import (
    AUTOMATIC,
    IdentityNumberValidator,
    describe_identity_error,
    kind_options,
)
from branch_app.ui.screens.visits import masked_name, refusal_words, visits_for
from branch_app.ui.widgets.form_scroll import FormScroll
from branch_app.ui.widgets.paged_table import Formatted, PagedTable
from branch_app.ui.widgets.select_words import reword_select

if TYPE_CHECKING:
    import datetime as dt

    from branch_app.services.visits import PlannedPerson
    from branch_app.store.visits import Visit

#: Who may plan (the service layer checks it again).
PLANNERS = frozenset({Role.HOME_VISIT, Role.SUPERVISOR})


def need_options() -> list[tuple[str, str]]:
    return [(t(f"visits.need.{need.value}"), need.value) for need in VisitNeed]


class VisitPlanScreen(ShellScreen):
    TITLE_KEY = "visits.plan.title"

    DEFAULT_CSS = """
    VisitPlanScreen #plan-list { height: 2fr; padding: 0 1; }
    VisitPlanScreen #plan-table { height: 1fr; }
    VisitPlanScreen #plan-count { height: auto; }
    VisitPlanScreen #plan-message { height: auto; width: 1fr; }
    VisitPlanScreen #plan-message.-error { color: $error; }
    VisitPlanScreen #plan-form { height: 3fr; padding: 0 1; }
    VisitPlanScreen #plan-intro { color: $text-muted; width: 1fr; }
    VisitPlanScreen #plan-gate { color: $error; height: auto; width: 1fr; }
    VisitPlanScreen #plan-fields { height: auto; }
    VisitPlanScreen .plan-column { width: 1fr; height: auto; padding-right: 1; }
    VisitPlanScreen .plan-label { text-style: bold; width: 1fr; }
    VisitPlanScreen #plan-holder-reason { height: auto; }
    VisitPlanScreen #plan-holder-reason.-error { color: $error; }
    VisitPlanScreen Select { width: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.go_home", "shell.key.home", id="back_home"),
        Binding("f10", "add", "visits.key.add", id="plan_add"),
        Binding("delete", "remove", "visits.key.remove", id="plan_remove"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.visits: list[Visit] = []
        self.message: tuple[str, bool] | None = None
        self.busy = False

    # -- layout ----------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        with Vertical(id="plan-list", classes="panel"):
            yield PagedTable(id="plan-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="plan-count")
            yield Static(id="plan-message")
        with FormScroll(id="plan-form", classes="panel"):
            yield Label(id="plan-intro")
            yield Label(id="plan-gate")
            with Horizontal(id="plan-fields"):
                with Vertical(classes="plan-column"):
                    yield Label(id="plan-holder-label", classes="plan-label")
                    yield Select[str](
                        kind_options(), id="plan-holder-kind", allow_blank=False, value=AUTOMATIC
                    )
                    yield Input(
                        id="plan-holder",
                        max_length=20,
                        valid_empty=True,
                        validators=[IdentityNumberValidator(self.holder_kind, self._today)],
                        validate_on=["changed", "submitted"],
                    )
                    yield Static(id="plan-holder-reason")
                    yield Label(id="plan-name-label", classes="plan-label")
                    yield Input(id="plan-name", max_length=40)
                with Vertical(classes="plan-column"):
                    yield Label(id="plan-address-label", classes="plan-label")
                    yield Input(id="plan-address", max_length=200)
                    yield Label(id="plan-need-label", classes="plan-label")
                    yield Select[str](
                        need_options(),
                        id="plan-need",
                        allow_blank=False,
                        value=VisitNeed.APPLICATION.value,
                    )
                    yield Label(id="plan-why-label", classes="plan-label")
                    yield Input(id="plan-why", max_length=200)
            yield Button(id="plan-add", variant="primary")

    def on_mount(self) -> None:
        self.watch(self.app, "status", self._status_changed, init=False)
        self.query_one("#plan-holder", Input).focus()
        self._load()

    def on_screen_resume(self) -> None:
        self.refresh_gate()
        self._load()

    def _status_changed(self, _status: object) -> None:
        self.refresh_gate()

    def _today(self) -> dt.date:
        return self.branch_app.today()

    # -- words -----------------------------------------------------------------------------------
    def relabel(self) -> None:
        self.query_one("#plan-form").border_title = t("visits.plan.title")
        self.query_one("#plan-list").border_title = t("visits.title")
        self.query_one("#plan-intro", Label).update(t("visits.plan.intro"))
        for name in ("holder", "name", "address", "need", "why"):
            self.query_one(f"#plan-{name}-label", Label).update(t(f"visits.plan.{name}"))
        self.query_one("#plan-why", Input).placeholder = t("visits.plan.why_placeholder")
        reword_select(self.query_one("#plan-holder-kind", Select), kind_options(), AUTOMATIC)
        reword_select(
            self.query_one("#plan-need", Select), need_options(), VisitNeed.APPLICATION.value
        )
        self.query_one("#plan-add", Button).label = t("visits.key.add")
        self._show_holder()
        self.refresh_gate()
        self._show()

    # -- the gate --------------------------------------------------------------------------------
    def gate_problem(self) -> str | None:
        """Why nothing can be planned now, in one sentence; `None` when it can."""
        from branch_app.ui.status import SlotState

        app = self.branch_app
        staff = app.status.staff
        if staff is None:
            return t("visits.gate.no_staff")
        if Role(staff.role) not in PLANNERS:
            return t("visits.plan.not_a_planner")
        if app.services.store is None:
            return t("visits.gate.no_store")
        if app.status.connection.state is not SlotState.OK:
            return t("visits.plan.needs_central")
        return None

    def refresh_gate(self) -> None:
        try:
            gate = self.query_one("#plan-gate", Label)
            button = self.query_one("#plan-add", Button)
        except NoMatches:
            return
        problem = self.gate_problem()
        gate.update(problem or "")
        gate.display = problem is not None
        button.disabled = problem is not None or self.busy
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "add":
            try:
                problem = self.gate_problem()
            except NoMatches:
                return None
            return None if self.busy or problem is not None else True
        if action == "remove":
            return None if self.busy or self.chosen() is None else True
        return True

    # -- the holder ------------------------------------------------------------------------------
    def holder_kind(self) -> str:
        try:
            value = self.query_one("#plan-holder-kind", Select).value
        except NoMatches:
            return AUTOMATIC
        return value if isinstance(value, str) else AUTOMATIC

    def _kind(self) -> IdentityKind | None:
        choice = self.holder_kind()
        return None if choice == AUTOMATIC else IdentityKind(choice)

    @on(Select.Changed, "#plan-holder-kind")
    def _kind_changed(self) -> None:
        holder = self.query_one("#plan-holder", Input)
        holder.validate(holder.value)
        self._show_holder()

    @on(Input.Changed, "#plan-holder")
    def _show_holder(self) -> None:
        reason = self.query_one("#plan-holder-reason", Static)
        value = self.query_one("#plan-holder", Input).value
        error = False
        if not value.strip():
            reason.update("")
        else:
            try:
                number = parse_identity(value, kind=self._kind(), today=self._today())
            except IdentityError as problem:
                reason.update(Text(describe_identity_error(problem)))
                error = True
            else:
                reason.update(Text(t("counter.holder.valid", masked=number.masked())))
        reason.set_class(error, "-error")

    @on(Input.Submitted, "#plan-why")
    def _why_submitted(self) -> None:
        self.action_add()

    # -- the list --------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="plan-list")
    def _load(self) -> None:
        try:
            service = visits_for(self.branch_app)
            visits = [] if service is None else service.day()
        except Exception:  # a store not open yet: the list shows when it is
            return
        self.app.call_from_thread(self._loaded, visits)

    def _loaded(self, visits: list[Visit]) -> None:
        self.visits = visits
        self._show()

    def chosen(self) -> Visit | None:
        try:
            table = self.query_one("#plan-table", PagedTable)
        except NoMatches:
            return None
        return table.under_cursor(self.visits)

    def _show(self) -> None:
        try:
            table = self.query_one("#plan-table", PagedTable)
        except NoMatches:
            return

        def cells(visit: Visit) -> tuple[str, ...]:
            return (  # the address last: a narrow screen cuts it
                str(visit.position),
                t(f"visits.need.{visit.need.value}"),
                t(f"visits.central.{visit.central.value}"),
                mask_identity(visit.holder_id),
                masked_name(visit.name),
                visit.address,
            )

        table.show(
            (
                t("visits.col.position"),
                t("visits.col.need"),
                t("visits.col.central"),
                t("visits.col.holder"),
                t("visits.col.name"),
                t("visits.col.address"),
            ),
            Formatted(self.visits, cells),
            cursor=len(self.visits) - 1 if self.visits else None,
        )
        self.query_one("#plan-count", Static).update(
            t("visits.plan.count", planned=len(self.visits), day=self._today().isoformat())
        )
        text, ok = self.message or ("", True)
        line = self.query_one("#plan-message", Static)
        line.update(Text(text))
        line.set_class(not ok, "-error")
        self.refresh_bindings()

    def say(self, text: str, *, ok: bool) -> None:
        self.message = (text, ok)
        self._show()

    # -- adding and removing ---------------------------------------------------------------------
    def action_add(self) -> None:
        from branch_app.services.visits import PlannedPerson

        if self.busy or self.gate_problem() is not None:
            return
        value = self.query_one("#plan-holder", Input).value
        try:
            parse_identity(value, kind=self._kind(), today=self._today())
        except IdentityError as problem:
            self.say(describe_identity_error(problem), ok=False)
            self.query_one("#plan-holder", Input).focus()
            return
        need = self.query_one("#plan-need", Select).value
        person = PlannedPerson(
            holder=value,
            holder_kind=self._kind(),
            name=self.query_one("#plan-name", Input).value,
            address=self.query_one("#plan-address", Input).value,
            need=VisitNeed(need if isinstance(need, str) else VisitNeed.APPLICATION.value),
            why=self.query_one("#plan-why", Input).value,
        )
        self.busy = True
        self.refresh_gate()
        self.say(t("visits.plan.checking"), ok=True)
        self._plan(person)

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan-act")
    def _plan(self, person: PlannedPerson) -> None:
        from branch_app.services.counter import Refusal

        try:
            service = visits_for(self.branch_app)
            if service is None:
                self.app.call_from_thread(self._answered, None, t("visits.gate.no_staff"))
                return
            planned = service.plan(person)
            visits = service.day()
        except Exception as error:
            detail = str(getattr(error, "english", None) or type(error).__name__)
            self.app.call_from_thread(self._answered, None, t("visits.failed", detail=detail))
            return
        if isinstance(planned, Refusal):
            self.app.call_from_thread(self._answered, None, refusal_words(planned))
            return
        self.app.call_from_thread(self._answered, (planned, visits), None)

    def _answered(self, planned: tuple[Visit, list[Visit]] | None, problem: str | None) -> None:
        self.busy = False
        self.refresh_gate()
        if planned is None:
            self.say(problem or "", ok=False)
            return
        visit, self.visits = planned
        central = t(
            "visits.central.record"
            if visit.central is CentralKnew.RECORD
            else "visits.central.no_record"
        )
        self.message = (
            t(
                "visits.plan.added",
                position=visit.position,
                holder=mask_identity(visit.holder_id),
                central=central,
            ),
            True,
        )
        for name in ("holder", "name", "address", "why"):
            self.query_one(f"#plan-{name}", Input).value = ""
        self._show_holder()  # the emptied field's "valid: ..." goes with the number at once
        self.query_one("#plan-holder", Input).focus()
        self._show()

    def action_remove(self) -> None:
        visit = self.chosen()
        if visit is None or self.busy:
            return
        self.busy = True
        self._unplan(visit.ref)

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan-act")
    def _unplan(self, ref: str) -> None:
        from branch_app.services.counter import Refusal

        service = visits_for(self.branch_app)
        if service is None:
            return
        removed = service.unplan(ref)
        visits = service.day()
        if isinstance(removed, Refusal):
            self.app.call_from_thread(self._removed, visits, refusal_words(removed), False)
            return
        text = t("visits.plan.removed", position=removed.position)
        self.app.call_from_thread(self._removed, visits, text, True)

    def _removed(self, visits: list[Visit], text: str, ok: bool) -> None:
        self.busy = False
        self.visits = visits
        self.say(text, ok=ok)
