"""Query a person's card record: a purpose is required and the query is audited before anything
is shown. The central is asked when this device has a sync configured; otherwise (or when it
cannot be reached) the device's own copy answers, and the screen says which.

When the record shows a new card ready to collect, F7 confirms the collection through the same
confirm step as every other request. The holder collects in person; for a child under 16, or a
holder without legal capacity, the legal guardian does, with proof of guardianship (never an
agent); a guardian shows their own identity document too (the applicant form, `ApplicantForm`),
and the counter's one admission path decides."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Label, Select, Static

from branch_app.domain.vocabulary import Place, Presenter
from branch_app.i18n import t
from branch_app.ui.counter_text import table
from branch_app.ui.screens.counter_base import CounterScreen, Request
from branch_app.ui.widgets.representative import ApplicantForm

if TYPE_CHECKING:
    from branch_app.domain.identity import IdentityNumber
    from branch_app.services.counter import QueryAnswer, Refusal
    from branch_app.ui.screens.counter_base import Answer

PURPOSES = (
    "counter_service",
    "holder_enquiry",
    "application",
    "loss_report",
    "unlock",
    "replacement_or_exchange",
    "cancellation",
    "home_visit",
)
NO_PURPOSE = "none"
#: Who may collect a card: the holder or the legal guardian (an agent never collects).
COLLECTORS = (Presenter.HOLDER, Presenter.GUARDIAN)


def purpose_options() -> list[tuple[str, str]]:
    return [(t("counter.choice.none"), NO_PURPOSE)] + [
        (t(f"counter.purpose.{p}"), p) for p in PURPOSES
    ]


def answer_lines(answer: QueryAnswer) -> list[tuple[str, str]]:
    """The record in words (the card number is the card's, not personal: shown in full)."""
    if not answer.known:  # nothing here but the blank start: show no made-up record (bug 7)
        return [(t("counter.confirm.holder"), answer.holder_masked)]
    record = answer.record
    dash = t("counter.query.none")
    application = record.application
    lines = [
        (t("counter.confirm.holder"), answer.holder_masked),
        (t("counter.query.state"), t(f"counter.state.{record.card_state.value}")),
        (t("counter.query.card_number"), record.card_number or dash),
        (
            t("counter.query.social_security"),
            t(f"counter.function.{record.social_security.value}"),
        ),
        (t("counter.query.financial"), t(f"counter.function.{record.financial.value}")),
        (t("counter.query.bank"), record.bank or dash),
        (
            t("counter.query.application"),
            dash
            if application is None
            else t(
                "counter.query.application_value",
                kind=t(f"counter.kind.{application.kind.value}"),
                speed=t(f"counter.speed.{application.speed.value}"),
                accepted_on=application.accepted_on.isoformat(),
                status=t(f"counter.app_status.{application.status.value}"),
            ),
        ),
        (
            t("counter.query.pending"),
            ", ".join(t(f"counter.kind_name.{kind}") for kind, _ in answer.pending) or dash,
        ),
        (t("counter.query.version"), str(record.version)),
    ]
    return lines


def when(iso: str | None) -> str:
    """`2025-03-14 02:30 UTC` from the store's ISO 8601 time (as stored, so never ambiguous)."""
    if not iso:
        return "—"
    return iso[:16].replace("T", " ") + " UTC"


def source_text(answer: QueryAnswer) -> str:
    if answer.source == "central":
        return t("counter.query.source.central")
    if answer.source == "cache":
        return t("counter.query.source.cache", fetched_at=when(answer.fetched_at))
    if answer.central_problem is None:
        return t("counter.query.source.central_none")
    return t("counter.query.source.none")


class CardQueryScreen(CounterScreen):
    TITLE_KEY = "counter.title.query"
    INTRO_KEY = "counter.intro.query"
    SUBMIT_KEY = "counter.query.submit"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f7", "collect", "counter.key.collect", id="counter_collect"),
        Binding("f8", "issue_instant", "counter.key.issue_instant", id="counter_issue_instant"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._collecting = False
        self._issuing = False

    def compose_choices(self) -> ComposeResult:
        yield Label(id="query-purpose-label", classes="counter-label")
        yield Select[str](
            purpose_options(), id="query-purpose", allow_blank=False, value=NO_PURPOSE
        )
        yield Label(id="query-note-label", classes="counter-label")
        yield Input(id="query-note", max_length=200)
        yield ApplicantForm(
            "query",
            today=self._today,
            presenters=COLLECTORS,
            label_key="counter.choice.collector",
            presenter_id="query-collector",
            id="query-applicant",
        )
        yield Label(id="query-instant-label", classes="counter-label -instant")
        yield Input(id="query-instant-card", max_length=9, classes="-instant")

    def on_mount(self) -> None:
        self._show_relevant()

    def applicant_form(self) -> ApplicantForm:
        return self.query_one("#query-applicant", ApplicantForm)

    def collector(self) -> Presenter:
        return self.applicant_form().presenter()

    @on(Input.Changed, "#counter-holder")
    def _holder_typed(self) -> None:
        """The holder's birth date is asked when their ID number carries none."""
        self.applicant_form().set_holder(self.holder())

    def _show_relevant(self) -> None:
        """The instant card's number is asked only where cards are printed."""
        for widget in self.query(".-instant"):
            widget.display = self._at_instant_branch()

    def _at_instant_branch(self) -> bool:
        """Cards are printed here (an instant-issuance branch), so their issue is recorded here."""

        return self.branch_app.config.branch.place is Place.INSTANT_BRANCH

    def compose_answer(self) -> ComposeResult:
        yield Static(id="query-record")

    def purpose(self) -> str | None:
        value = self.query_one("#query-purpose", Select).value
        return value if isinstance(value, str) and value != NO_PURPOSE else None

    def relabel_choices(self) -> None:
        self.query_one("#query-purpose-label", Label).update(t("counter.choice.purpose"))
        select = self.query_one("#query-purpose", Select)
        chosen = self.purpose() or NO_PURPOSE
        with select.prevent(Select.Changed):
            select.set_options(purpose_options())
            select.value = chosen
        self.query_one("#query-note-label", Label).update(t("counter.choice.note"))
        self.applicant_form().relabel()
        self.query_one("#query-instant-label", Label).update(t("counter.choice.instant_card"))

    def request(self) -> Request | Refusal:
        if self._issuing:
            number = self.query_one("#query-instant-card", Input).value
            return lambda counter, holder, dry_run: counter.confirm_instant_issuance(
                holder, number, dry_run=dry_run
            )
        if self._collecting:
            from branch_app.services.counter import Refusal

            applicant = self.applicant_form().applicant()
            if isinstance(applicant, Refusal):
                return applicant  # a date typed that is not a date
            return lambda counter, holder, dry_run: counter.confirm_collection(
                holder, applicant=applicant, dry_run=dry_run
            )
        purpose, note = self.purpose(), self.query_one("#query-note", Input).value.strip()
        return lambda counter, holder, _dry_run: counter.query(holder, purpose, note)

    def _confirm(self, holder: IdentityNumber, request: Request, preview: Answer) -> None:
        """A query is no request: its answer (already audited) is shown without a confirm step;
        a collection is one, and is confirmed like any other."""
        from branch_app.services.counter import Preview

        if isinstance(preview, Preview):
            super()._confirm(holder, request, preview)
        else:
            self._finish(preview)

    def show_outcome(self, outcome: Answer) -> None:
        self.query_one("#query-record", Static).update("")
        super().show_outcome(outcome)

    def action_collect(self) -> None:
        """Confirm that the holder collects the new card today."""
        self._collecting = True
        try:
            self.action_submit()  # reads the request synchronously, before any worker starts
        finally:
            self._collecting = False

    def action_issue_instant(self) -> None:
        """Record the number of the instant card just printed for this holder."""
        self._issuing = True
        try:
            self.action_submit()  # reads the request synchronously, before any worker starts
        finally:
            self._issuing = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "issue_instant" and not self._at_instant_branch():
            return False  # no card printer here: the card agency reports its cards
        if action in ("collect", "issue_instant"):
            return super().check_action("submit", parameters)
        return super().check_action(action, parameters)

    def show_other(self, outcome: Answer) -> None:
        from branch_app.services.counter import QueryAnswer

        if not isinstance(outcome, QueryAnswer):
            return
        lines = [source_text(outcome)]
        if outcome.central_problem:
            lines.append(t("counter.query.offline_note", problem=t(outcome.central_problem)))
        self.show_message("\n".join(lines), ok=True)
        self.query_one("#query-record", Static).update(table(answer_lines(outcome)))

    def action_new_request(self) -> None:
        super().action_new_request()
        self.query_one("#query-record", Static).update("")

    def confirm_lines(self) -> list[tuple[str, str]]:
        """Only a collection is confirmed on this screen (a query's answer is shown at once)."""
        return self.applicant_form().confirm_lines()

    def reset_choices(self) -> None:
        self.query_one("#query-purpose", Select).value = NO_PURPOSE
        self.query_one("#query-note", Input).value = ""
        self.applicant_form().reset()
        self.query_one("#query-instant-card", Input).value = ""
        self._show_relevant()
