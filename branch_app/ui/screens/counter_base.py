"""What every counter service screen shares: the holder, the gate, the confirm step, the answer.

A service screen (`application.py`, `loss_report.py`, ...) yields its choices and says which
request they make; this base does the rest the same way everywhere:

- the holder's ID number, checked as it is typed (the identity check's validator), or filled
  from the card in the reader when a `CardStatus.CardRead` arrives (then shown masked only);
- the gate: nobody signed in, no local store, or `permission(role, place, command)` says no ->
  the reason is shown and Submit is disabled;
- Submit (F10, or Enter in the number) decides the request without writing (`dry_run`), shows a
  refusal at once, or asks `ConfirmDialog` (masked ID, service, fee, due date);
- once confirmed, `branch_app.services.counter` queues it (durable) and audits it; only then does the
  screen say "accepted", with the reference.

The store and the central are used in a thread worker so the counter never freezes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, TypeAlias

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import Button, Input, Label, Select, Static

from branch_app.domain.identity import IdentityError, IdentityNumber, parse_identity
from branch_app.domain.lifecycle import Command
from branch_app.i18n import for_place, t
from branch_app.ui.counter_text import accepted_lines, outcome_lines, refusal_text, table
from branch_app.ui.dialogs.confirm import ConfirmDialog
from branch_app.ui.receipts import ReceiptScreen
from branch_app.ui.screens.identity_check import (
    AUTOMATIC,
    IdentityNumberValidator,
    describe_identity_error,
    kind_options,
)
from branch_app.ui.status import OutboxChanged
from branch_app.ui.widgets.card_status import CardStatus
from branch_app.ui.widgets.select_words import reword_select
from branch_app.ui.wiring import counter_for

if TYPE_CHECKING:
    import datetime as dt

    from branch_app.services.counter import Checked, Counter, QueryAnswer, Refusal
    from readers.sscard import CardReading

#: What a request answers: a preview (dry run) or an acceptance, a refusal, or the query's record.
Answer: TypeAlias = "Checked | QueryAnswer"

#: What a screen's choices turn into: run the request for this holder (for real, or not).
Request = Callable[["Counter", IdentityNumber, bool], Answer]


# -- the screen ------------------------------------------------------------------------------


class CounterScreen(ReceiptScreen):
    """A counter service. Subclasses set the keys and implement the choice hooks; an accepted
    request's receipt is printed (F11) or saved (Ctrl+S) from the answer (`ReceiptScreen`)."""

    TITLE_KEY = "counter.title.application"
    INTRO_KEY = "counter.intro.application"
    SUBMIT_KEY = "counter.key.submit"

    DEFAULT_CSS = """
    CounterScreen #counter-columns { height: 1fr; }
    CounterScreen #counter-body { width: 3fr; height: 1fr; padding: 0 1; }
    CounterScreen #counter-answer { width: 2fr; height: 1fr; padding: 0 1; }
    CounterScreen .counter-label { margin-top: 1; text-style: bold; }
    CounterScreen #counter-intro { color: $text-muted; width: 1fr; }
    CounterScreen #counter-customer { width: 1fr; height: auto; text-style: bold; display: none; }
    CounterScreen #counter-gate { color: $error; height: auto; width: 1fr; }
    CounterScreen #counter-holder-reason { height: auto; }
    CounterScreen #counter-holder-reason.-error { color: $error; }
    CounterScreen #counter-holder-reason.-ok { color: $success; }
    CounterScreen RadioSet { height: auto; width: 1fr; }
    CounterScreen Select { width: 1fr; }
    CounterScreen #counter-holder-row { height: auto; width: 1fr; }
    CounterScreen #counter-holder-row Select { width: 2fr; }
    CounterScreen #counter-holder-row Input { width: 3fr; }
    CounterScreen #counter-submit { margin-top: 1; }
    CounterScreen #counter-result { height: auto; padding: 0 1; }
    CounterScreen #counter-result.-ok { border: round $success; }
    CounterScreen #counter-result.-error { border: round $error; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.go_home", "shell.key.home", id="back_home"),
        Binding("f10", "submit", "counter.key.submit", id="counter_submit"),
        Binding("f4", "new_request", "counter.key.new", id="counter_new"),
    ]

    def __init__(self) -> None:
        super().__init__()
        #: The number read from the card in the reader (never shown in full), while it is the
        #: input's value.
        self._card_number: str | None = None
        #: The masked number is the customer session's (not a card read on this screen).
        self._from_session = False
        #: The last answer, kept for tests and for re-wording after a language switch.
        self.outcome: Answer | None = None
        #: The central's answer to the last accepted request, once the sync brought it.
        self._central: tuple[bool, str] | None = None
        self.busy = False

    # -- layout ---------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        with Horizontal(id="counter-columns"):
            with VerticalScroll(id="counter-body", classes="panel"):
                yield Static(id="counter-customer")
                yield Label(id="counter-intro")
                yield Label(id="counter-gate")
                yield Label(id="counter-holder-label", classes="counter-label")
                with Horizontal(id="counter-holder-row"):
                    # The holder's document kind: automatic reads a resident ID, an old
                    # permanent residence ID, a Hong Kong, Macao or Taiwan permit; a passport
                    # or a 2017 permanent residence ID is chosen here.
                    yield Select[str](
                        kind_options(), id="counter-holder-kind", allow_blank=False, value=AUTOMATIC
                    )
                    yield Input(
                        id="counter-holder",
                        max_length=20,
                        valid_empty=True,
                        validators=[IdentityNumberValidator(self.holder_kind, self._today)],
                        validate_on=["changed", "submitted"],
                    )
                yield Static(id="counter-holder-reason")
                yield from self.compose_choices()
                yield Button(id="counter-submit", variant="primary")
            with VerticalScroll(id="counter-answer", classes="panel"):
                yield Static(id="counter-result")
                yield from self.compose_answer()

    def compose_choices(self) -> ComposeResult:
        """The service's own choices (RadioSet, Select, Input...)."""
        yield from ()

    def compose_answer(self) -> ComposeResult:
        """More of the answer panel, under the result (the query's record)."""
        yield from ()

    def on_mount(self) -> None:
        self.watch(self.app, "status", self._status_changed, init=False)
        self.query_one("#counter-holder", Input).focus()
        self.use_customer()

    def _status_changed(self, _status: object) -> None:
        self.refresh_gate()
        self._follow_accepted()

    def _online(self) -> bool:
        from branch_app.ui.status import SlotState

        return self.branch_app.status.connection.state is SlotState.OK

    def _follow_accepted(self) -> None:
        """The last accepted request's words follow the sync (issue 12, bug 5): "sending" once
        online, then the central's answer, read from the outbox after each status change."""
        from branch_app.services.counter import Accepted

        outcome = self.outcome
        if not isinstance(outcome, Accepted) or outcome.queued_as or self._central is not None:
            return
        self.show_outcome(outcome)  # online or not may have changed
        self._read_answer(outcome.outbox_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="counter-follow")
    def _read_answer(self, outbox_id: str) -> None:
        from branch_app.domain.vocabulary import ANSWERED, REFUSED
        from branch_app.ui.supervisor_text import reason_text

        store = self.branch_app.services.store
        if store is None:
            return
        try:
            item = store.outbox.get(outbox_id)
        except KeyError:  # gone (archived without an archive): nothing more to say
            return
        if item.status not in ANSWERED:
            return
        result = item.result or {}
        central = (
            (False, reason_text(result.get("reason"), result.get("message")))
            if item.status in REFUSED
            else (True, "")
        )
        self.app.call_from_thread(self._central_answered, outbox_id, central)

    def _central_answered(self, outbox_id: str, central: tuple[bool, str]) -> None:
        from branch_app.services.counter import Accepted

        outcome = self.outcome
        if isinstance(outcome, Accepted) and outcome.outbox_id == outbox_id:
            self._central = central
            self.show_outcome(outcome)

    def on_screen_resume(self) -> None:
        # The store may have arrived (it opens after the first screen) or the staff changed.
        self.refresh_gate()
        self.use_customer()

    # -- the customer session (issue 12: one customer at a time) ------------------------------
    def use_customer(self) -> None:
        """Work for the customer being served: their number prefilled (masked), who is served
        in the panel's subtitle. Nothing when nobody is."""
        keeper = self.branch_app.customer_keeper
        current = keeper.current
        if current is not None and current.holder.number != self._card_number:
            try:
                holder = self.query_one("#counter-holder", Input)
            except NoMatches:  # resumed before it was composed: `on_mount` comes next
                return
            self._card_number = current.holder.number
            self._from_session = True
            self._set_holder_kind(current.holder.kind.value)
            holder.password = True
            holder.value = current.holder.number
        self.show_customer()

    def show_customer(self) -> None:
        """Who is served, on its own line at the top of the form: it wraps, never cut (a
        border's subtitle was cut at 80 and 120 columns)."""
        try:
            line = self.query_one("#counter-customer", Static)
        except NoMatches:
            return
        text = self.branch_app.customer_keeper.bar_text()
        line.update(text)
        line.display = bool(text)

    def _today(self) -> dt.date:
        return self.branch_app.today()

    def _place(self) -> object:
        """Where this device is used: its words follow (a home visit's, `i18n.for_place`)."""
        return self.branch_app.config.branch.place

    # -- hooks for the services --------------------------------------------------------------
    def sample_command(self) -> Command | None:
        """A command of this service, for the role gate (`permission` does not look at the
        record); `None`: no gate (the query)."""
        return None

    def request(self) -> Request | Refusal:
        """The request the choices make, or a refusal of the choices themselves."""
        raise NotImplementedError

    def confirm_lines(self) -> list[tuple[str, str]]:
        """Lines the confirm dialog shows beyond holder, service, fee and due date."""
        return []

    def relabel_choices(self) -> None:
        """Re-word the service's own choices."""

    # -- re-wording ------------------------------------------------------------------------------
    def relabel(self) -> None:
        self.query_one("#counter-body").border_title = t(self.TITLE_KEY)
        self.query_one("#counter-answer").border_title = t("counter.answer.title")
        self.query_one("#counter-intro", Label).update(t(for_place(self.INTRO_KEY, self._place())))
        self.query_one("#counter-holder-label", Label).update(t("counter.holder.label"))
        self.query_one("#counter-holder", Input).placeholder = t("counter.holder.placeholder")
        reword_select(self.query_one("#counter-holder-kind", Select), kind_options(), AUTOMATIC)
        self.query_one("#counter-submit", Button).label = t(self.SUBMIT_KEY)
        self.relabel_choices()
        self._show_holder()
        self.refresh_gate()
        self.show_customer()
        if self.outcome is not None:
            self.show_outcome(self.outcome)

    # -- the gate ------------------------------------------------------------------------------
    def gate_problem(self) -> str | None:
        """Why this service cannot be used here now, in words; `None` when it can."""
        staff = self.branch_app.status.staff
        if staff is None:
            return t("counter.gate.no_staff")
        if self.branch_app.services.store is None:
            return t("counter.gate.no_store")
        command = self.sample_command()
        if command is None:
            return None
        from branch_app.domain.roles import permission
        from branch_app.domain.vocabulary import Role

        role = Role(staff.role)
        allowed = permission(role, self.branch_app.config.branch.place, command)
        if allowed.allowed or allowed.message_key is None:
            return None
        return t(
            "counter.gate.not_allowed",
            role=t(f"shell.role.{role.value}"),
            reason=t(allowed.message_key),
        )

    def refresh_gate(self) -> None:
        try:
            problem = self.gate_problem()
            gate = self.query_one("#counter-gate", Label)
        except NoMatches:  # not composed yet: `relabel` at mount does it
            return
        gate.update(problem or "")
        gate.display = problem is not None
        self.query_one("#counter-submit", Button).disabled = problem is not None or self.busy

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit":
            try:
                problem = self.gate_problem()
            except NoMatches:  # asked by the key bar before the choices are mounted
                return None
            return None if self.busy or problem is not None else True
        return super().check_action(action, parameters)

    # -- the holder ----------------------------------------------------------------------------
    def holder_kind(self) -> str:
        """The holder's document kind chosen (`AUTOMATIC` or an `IdentityKind` value)."""
        try:
            value = self.query_one("#counter-holder-kind", Select).value
        except NoMatches:
            return AUTOMATIC
        return value if isinstance(value, str) else AUTOMATIC

    def _set_holder_kind(self, kind: str) -> None:
        for select in self.query("#counter-holder-kind").results(Select):
            select.value = kind

    def holder(self) -> IdentityNumber | IdentityError | None:
        from branch_app.domain.identity import IdentityKind

        value = self.query_one("#counter-holder", Input).value
        if not value.strip():
            return None
        choice = self.holder_kind()
        kind = None if choice == AUTOMATIC else IdentityKind(choice)
        try:
            return parse_identity(value, kind=kind, today=self._today())
        except IdentityError as error:
            return error

    @on(Select.Changed, "#counter-holder-kind")
    def _holder_kind_changed(self, _event: Select.Changed) -> None:
        holder = self.query_one("#counter-holder", Input)
        holder.validate(holder.value)  # the same number may be valid for another kind
        self._show_holder()
        self.holder_kind_changed()

    def holder_kind_changed(self) -> None:
        """A service that follows the holder (the application's birth date) hears of a new kind."""

    def use_card(self, reading: CardReading) -> None:
        """Fill the holder from a card reading; the number is shown masked only."""
        number = getattr(reading, "social_security_number", None)
        if getattr(reading, "holder_needs_psam", False) or not number:
            self.notify(t("counter.holder.card_needs_psam"), severity="warning")
            return
        holder = self.query_one("#counter-holder", Input)
        self._card_number = number
        self._from_session = False
        self._set_holder_kind(AUTOMATIC)  # a card's number is a resident's or a permit's
        holder.password = True
        holder.value = number
        self._show_holder()

    @on(CardStatus.CardRead)
    def _card_read(self, message: CardStatus.CardRead) -> None:
        self.use_card(message.reading)

    @on(Input.Changed, "#counter-holder")
    def _holder_changed(self, event: Input.Changed) -> None:
        # The input's value now, not the event's: a change posted before the card was read
        # (a form reset) arrives after it and must not unmask the card's number.
        if self._card_number is not None and event.input.value != self._card_number:
            self._card_number = None  # typed over: an ordinary, visible input again
            self._from_session = False
            event.input.password = False
        self._show_holder()

    @on(Input.Submitted, "#counter-holder")
    def _holder_submitted(self, _event: Input.Submitted) -> None:
        self.action_submit()

    def _show_holder(self) -> None:
        reason = self.query_one("#counter-holder-reason", Static)
        outcome = self.holder()
        if outcome is None:
            reason.update("")
        elif isinstance(outcome, IdentityError):
            reason.update(Text(describe_identity_error(outcome)))
        elif self._card_number is not None:
            key = (
                "counter.holder.from_session" if self._from_session else "counter.holder.from_card"
            )
            reason.update(Text(t(key, masked=outcome.masked())))
        else:
            reason.update(Text(t("counter.holder.valid", masked=outcome.masked())))
        reason.set_class(isinstance(outcome, IdentityError), "-error")
        reason.set_class(isinstance(outcome, IdentityNumber), "-ok")

    # -- submitting ------------------------------------------------------------------------------
    def action_submit(self) -> None:
        if self.busy or self.gate_problem() is not None:
            return
        holder = self.holder()
        if holder is None:
            self.show_message(t("counter.holder.missing"), ok=False)
            self.query_one("#counter-holder", Input).focus()
            return
        if isinstance(holder, IdentityError):
            self.show_message(describe_identity_error(holder), ok=False)
            self.query_one("#counter-holder", Input).focus()
            return
        from branch_app.services.customer import HolderSource

        source = HolderSource.CARD if self._card_number is not None else HolderSource.TYPED
        self.branch_app.customer_keeper.identified(holder, source)
        request = self.request()
        if not callable(request):
            self.show_outcome(request)
            return
        self._set_busy(True)
        self.show_message(t("counter.result.checking"), ok=None)
        self._decide(holder, request)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.refresh_gate()
        self.refresh_bindings()

    @work(thread=True, exclusive=True, exit_on_error=False, group="counter")
    def _decide(self, holder: IdentityNumber, request: Request) -> None:
        """Thread: decide without writing, then confirm (or show the refusal) on the app thread."""
        try:
            counter = counter_for(self.branch_app)
            if counter is None:
                self.app.call_from_thread(self._finish, None)
                return
            preview = request(counter, holder, True)
        except Exception as error:  # the store refused: say so, never "accepted"
            self.app.call_from_thread(self._failed, error)
            return
        self.app.call_from_thread(self._confirm, holder, request, preview)

    def _confirm(self, holder: IdentityNumber, request: Request, preview: Answer) -> None:
        from branch_app.services.counter import Preview

        if not isinstance(preview, Preview):
            self._finish(preview)
            return
        lines = outcome_lines(preview) + self.confirm_lines()

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self.show_message(t("counter.result.working"), ok=None)
                self._take(holder, request)
            else:
                self._set_busy(False)
                self.show_message(t("counter.confirm.cancelled"), ok=None)

        self.show_message("", ok=None)
        self.app.push_screen(ConfirmDialog(lines, online=self._online()), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="counter")
    def _take(self, holder: IdentityNumber, request: Request) -> None:
        """Thread: queue (durable) and audit; the answer goes back to the app thread."""
        try:
            counter = counter_for(self.branch_app)
            outcome = None if counter is None else request(counter, holder, False)
        except Exception as error:
            self.app.call_from_thread(self._failed, error)
            return
        self.app.call_from_thread(self._finish, outcome)

    def _failed(self, error: Exception) -> None:
        self._set_busy(False)
        detail = getattr(error, "english", None) or type(error).__name__
        self.outcome = None
        self.show_message(t("counter.result.failed", detail=detail), ok=False)

    def _finish(self, outcome: Answer | None) -> None:
        from branch_app.services.counter import Accepted

        self._set_busy(False)
        if outcome is None:
            self.refresh_gate()
            return
        if isinstance(outcome, Accepted):
            self.post_message(OutboxChanged())  # the status bar's queue, and a send if online
            self.branch_app.customer_keeper.served(self.TITLE_KEY, outcome.reference)
        self.show_outcome(outcome)

    # -- the answer ----------------------------------------------------------------------------
    def show_message(self, text: str, *, ok: bool | None) -> None:
        result = self.query_one("#counter-result", Static)
        result.update(Text(text))
        result.set_class(ok is True, "-ok")
        result.set_class(ok is False, "-error")

    def show_outcome(self, outcome: Answer) -> None:
        """An accepted request with its reference, or the refusal and what to do next."""
        from branch_app.services.counter import Accepted, Refusal

        if outcome is not self.outcome:
            self._central = None
        self.outcome = outcome
        if isinstance(outcome, Refusal):
            self.show_message(refusal_text(outcome), ok=False)
            return
        if isinstance(outcome, Accepted):
            lines = accepted_lines(outcome, online=self._online(), central=self._central)
            text = Text("\n".join(lines))
            text.append("\n")
            text.append_text(table(outcome_lines(outcome)))
            result = self.query_one("#counter-result", Static)
            result.update(text)
            result.set_class(True, "-ok")
            result.set_class(False, "-error")
            return
        self.show_other(outcome)

    def show_other(self, outcome: Answer) -> None:
        """A service's own kind of answer (the query's record)."""

    def action_new_request(self) -> None:
        """Clear the holder and the answer for the next person."""
        holder = self.query_one("#counter-holder", Input)
        self._card_number = None
        self._from_session = False
        self._set_holder_kind(AUTOMATIC)
        holder.password = False
        holder.value = ""
        self.outcome = None
        self.show_message("", ok=None)
        self.reset_choices()
        holder.focus()

    def reset_choices(self) -> None:
        """Put the service's choices back to their defaults."""
