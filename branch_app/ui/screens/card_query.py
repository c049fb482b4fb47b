"""Query a person's card record: a purpose is required and the query is audited before anything
is shown. The central is asked when this device has a sync configured; otherwise (or when it
cannot be reached) the device's own copy answers, and the screen says which.

When the record shows a new card ready to collect, its number is shown, and F7 opens the
Collection service (`collection.py`) for the same customer: collection and the instant card's
issue are no longer done here (issue 12). The shortcut stays because a teller who has just seen
"ready to collect" goes there next."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Label, Select, Static

from branch_app.domain.vocabulary import ApplicationStatus
from branch_app.i18n import t
from branch_app.ui.counter_text import table
from branch_app.ui.screens.counter_base import CounterScreen, Request
from branch_app.ui.widgets.select_words import reword_select

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
    if (
        application is not None
        and application.status is ApplicationStatus.READY
        and application.new_card_number
    ):
        lines.insert(7, (t("counter.query.new_card"), application.new_card_number))
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
    ]

    def compose_choices(self) -> ComposeResult:
        yield Label(id="query-purpose-label", classes="counter-label")
        yield Select[str](
            purpose_options(), id="query-purpose", allow_blank=False, value=NO_PURPOSE
        )
        yield Label(id="query-note-label", classes="counter-label")
        yield Input(id="query-note", max_length=200)

    def compose_answer(self) -> ComposeResult:
        yield Static(id="query-record")

    def purpose(self) -> str | None:
        value = self.query_one("#query-purpose", Select).value
        return value if isinstance(value, str) and value != NO_PURPOSE else None

    def relabel_choices(self) -> None:
        self.query_one("#query-purpose-label", Label).update(t("counter.choice.purpose"))
        reword_select(self.query_one("#query-purpose", Select), purpose_options(), NO_PURPOSE)
        self.query_one("#query-note-label", Label).update(t("counter.choice.note"))

    def request(self) -> Request | Refusal:
        purpose, note = self.purpose(), self.query_one("#query-note", Input).value.strip()
        return lambda counter, holder, _dry_run: counter.query(holder, purpose, note)

    def _confirm(self, holder: IdentityNumber, request: Request, preview: Answer) -> None:
        """A query is no request: its answer (already audited) is shown without a confirm step."""
        self._finish(preview)

    def show_outcome(self, outcome: Answer) -> None:
        self.query_one("#query-record", Static).update("")
        super().show_outcome(outcome)

    def action_collect(self) -> None:
        """Go to the Collection service for this customer (their number goes with them)."""
        from branch_app.domain.identity import IdentityNumber
        from branch_app.services.customer import HolderSource

        holder = self.holder()
        if isinstance(holder, IdentityNumber):
            source = HolderSource.CARD if self._card_number is not None else HolderSource.TYPED
            self.branch_app.customer_keeper.identified(holder, source)
        self.branch_app.action_open_service("collection")

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

    def reset_choices(self) -> None:
        self.query_one("#query-purpose", Select).value = NO_PURPOSE
        self.query_one("#query-note", Input).value = ""
