"""Collection of a new card, a service of its own (it was F7 inside Query), and, at an
instant-issuance branch, the instant card recorded as issued.

Both end with the new card in the reader: its card number and social security number are read and
must match the application (`services.customer.check_new_card`): the holder's number, and for a
card the agency reported, that number. Typing the number from the card's face stays only for a
chip that cannot be read, with the reason, which is audited. The confirm step names the new card
(and how it was taken) and who collects. The holder collects in person; for a child under 16 or
a holder without legal capacity, the legal guardian does, with proof (never an agent): the
applicant form, and the counter's one admission path decides.

F10 confirms the collection; F8 (only where cards are printed) records the instant card issued.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Label, Static

from branch_app.domain.vocabulary import Place, Presenter
from branch_app.i18n import t
from branch_app.ui.screens.counter_base import CounterScreen, Request
from branch_app.ui.widgets.representative import ApplicantForm

if TYPE_CHECKING:
    from branch_app.domain.identity import IdentityNumber
    from branch_app.services.counter import Counter, Refusal
    from branch_app.services.customer import NewCard
    from branch_app.ui.screens.counter_base import Answer
    from readers.sscard import CardReading

#: Who may collect a card: the holder or the legal guardian (an agent never collects).
COLLECTORS = (Presenter.HOLDER, Presenter.GUARDIAN)


def bound_request(card: NewCard, *, issuing: bool, take: Request) -> Request:
    """`take` once the new card is checked against the application (the record this device
    has); a typed number's reason goes to the audit journal with the accepted request."""

    def run(counter: Counter, holder: IdentityNumber, dry_run: bool) -> Answer:
        from branch_app.services.counter import Refusal
        from branch_app.services.customer import check_new_card

        known = counter.known_record(holder.number)
        if isinstance(known, Refusal):
            return known
        pending = known.application
        reported = pending.new_card_number if pending is not None else None
        if issuing or reported is not None:  # else the domain says why nothing is ready
            problem = check_new_card(card, holder, reported, issuing=issuing)
            if problem is not None:
                return Refusal(
                    f"new_card.{problem.value}",
                    f"counter.new_card.{problem.value}",
                    {"reported": reported or ""},
                )
        outcome = take(counter, holder, dry_run)
        if not dry_run and card.typed_reason and outcome.accepted:
            counter.store.audit.record(
                "counter.new_card_typed",
                actor=counter.desk.staff_id,
                holder_id=holder.number,
                reason=card.typed_reason.strip(),
                device=counter.desk.device,
                branch=counter.desk.branch,
                detail={"card_number": (card.card_number or "").strip().upper()},
            )
        return outcome

    return run


class CollectionScreen(CounterScreen):
    TITLE_KEY = "counter.title.collection"
    INTRO_KEY = "counter.intro.collection"
    SUBMIT_KEY = "counter.key.collect_here"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f8", "issue_instant", "counter.key.issue_here", id="counter_issue_here"),
    ]

    def __init__(self) -> None:
        super().__init__()
        #: The new card as read from its chip, while it is the one in the reader.
        self._read: NewCard | None = None
        self._issuing = False
        #: Whether the request being confirmed is the instant issue (the confirm step's lines).
        self._confirming_issue = False

    def compose_choices(self) -> ComposeResult:
        yield Label(id="collect-card-label", classes="counter-label")
        yield Static(id="collect-card")
        yield Label(id="collect-typed-label", classes="counter-label")
        yield Input(id="collect-card-typed", max_length=9)
        yield Input(id="collect-card-reason", max_length=100)
        yield ApplicantForm(
            "collect",
            today=self._today,
            presenters=COLLECTORS,
            label_key="counter.confirm.collector",
            presenter_id="collect-collector",
            id="collect-applicant",
        )

    def on_mount(self) -> None:
        self._show_card()

    def applicant_form(self) -> ApplicantForm:
        return self.query_one("#collect-applicant", ApplicantForm)

    def _at_instant_branch(self) -> bool:
        return self.branch_app.config.branch.place is Place.INSTANT_BRANCH

    @on(Input.Changed, "#counter-holder")
    def _holder_typed(self) -> None:
        """The holder's birth date is asked when their ID number carries none."""
        self.applicant_form().set_holder(self.holder())

    # -- the new card --------------------------------------------------------------------------
    def use_card(self, reading: CardReading) -> None:
        """The card put in the reader here is the new card (it names its holder too)."""
        from branch_app.services.customer import NewCard

        number = getattr(reading, "social_security_number", None)
        if self.holder() is None:
            super().use_card(reading)
        self._read = NewCard(
            card_number=getattr(reading, "card_number", None), social_security_number=number
        )
        self._show_card()

    def new_card(self) -> NewCard:
        """The card read, or (only when nothing was read) the number typed with its reason."""
        from branch_app.services.customer import NewCard

        typed = self.query_one("#collect-card-typed", Input).value.strip()
        if typed:
            reason = self.query_one("#collect-card-reason", Input).value
            return NewCard(card_number=typed, typed_reason=reason)
        return self._read or NewCard()

    def _show_card(self) -> None:
        card = self._read
        status = self.query_one("#collect-card", Static)
        if card is None or not card.card_number:
            status.update(t("counter.new_card.waiting"))
        else:
            status.update(t("counter.new_card.read_ok", number=card.card_number.upper()))

    # -- requests ------------------------------------------------------------------------------
    def relabel_choices(self) -> None:
        self.query_one("#collect-card-label", Label).update(t("counter.new_card.label"))
        self.query_one("#collect-typed-label", Label).update(t("counter.new_card.typed_label"))
        self.query_one("#collect-card-reason", Input).placeholder = t(
            "counter.new_card.reason_placeholder"
        )
        self.applicant_form().relabel()
        self._show_card()

    def request(self) -> Request | Refusal:
        card = self.new_card()
        self._confirming_issue = self._issuing
        if self._issuing:
            number = card.card_number or ""
            return bound_request(
                card,
                issuing=True,
                take=lambda counter, holder, dry_run: counter.confirm_instant_issuance(
                    holder, number, dry_run=dry_run
                ),
            )
        from branch_app.services.counter import Refusal

        applicant = self.applicant_form().applicant()
        if isinstance(applicant, Refusal):
            return applicant  # a date typed that is not a date
        return bound_request(
            card,
            issuing=False,
            take=lambda counter, holder, dry_run: counter.confirm_collection(
                holder, applicant=applicant, dry_run=dry_run
            ),
        )

    def action_issue_instant(self) -> None:
        """Record the instant card just printed (and now in the reader) as issued."""
        self._issuing = True
        try:
            self.action_submit()  # reads the request synchronously, before any worker starts
        finally:
            self._issuing = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "issue_instant":
            if not self._at_instant_branch():
                return False  # no card printer here: the card agency reports its cards
            return super().check_action("submit", parameters)
        return super().check_action(action, parameters)

    def confirm_lines(self) -> list[tuple[str, str]]:
        """The new card and how it was taken; for a collection, who collects."""
        card = self.new_card()
        number = (card.card_number or "").strip().upper()
        if card.typed_reason is not None:
            how = t("counter.new_card.how_typed", number=number, reason=card.typed_reason.strip())
        else:
            how = t("counter.new_card.how_read", number=number)
        lines = [(t("counter.confirm.new_card"), how)]
        if self._confirming_issue:
            return lines
        presenter = self.applicant_form().presenter()
        lines.append((t("counter.confirm.collector"), t(f"counter.presenter.{presenter.value}")))
        return lines + self.applicant_form().confirm_lines()

    def action_new_request(self) -> None:
        super().action_new_request()
        self._read = None
        self._show_card()

    def reset_choices(self) -> None:
        self.query_one("#collect-card-typed", Input).value = ""
        self.query_one("#collect-card-reason", Input).value = ""
        self.applicant_form().reset()
