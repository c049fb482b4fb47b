"""Card applications: first, replacement (after a loss report) or exchange; normal or instant.

Who stands at the counter, with which document, is captured by the applicant form
(`ApplicantForm`: the guardian's or agent's own document, the proof of guardianship, the holder's
legal capacity and, when the holder's ID number carries none, the birth date from the document);
the counter's one admission path decides whether they may apply, and says every reason it finds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Label, RadioButton, RadioSet, Select

from branch_app.domain.lifecycle import Applicant, Apply, Command
from branch_app.domain.vocabulary import ApplicationKind, ExchangeReason, IssuanceSpeed, Presenter
from branch_app.i18n import t
from branch_app.ui.screens.counter_base import CounterScreen, Request
from branch_app.ui.widgets.representative import ApplicantForm, WrappingCheckbox
from branch_app.ui.widgets.select_words import reword_select

if TYPE_CHECKING:
    from branch_app.services.counter import Refusal

KINDS = tuple(ApplicationKind)
SPEEDS = tuple(IssuanceSpeed)


def reason_options() -> list[tuple[str, str]]:
    return [(t(f"counter.exchange_reason.{r.value}"), r.value) for r in ExchangeReason]


class ApplicationScreen(CounterScreen):
    TITLE_KEY = "counter.title.application"
    INTRO_KEY = "counter.intro.application"

    DEFAULT_CSS = """
    ApplicationScreen .counter-label { width: 1fr; }
    ApplicationScreen .apply-note { width: 1fr; color: $text-muted; }
    """

    def __init__(
        self,
        kind: ApplicationKind = ApplicationKind.FIRST,
        speed: IssuanceSpeed = IssuanceSpeed.NORMAL,
    ) -> None:
        super().__init__()
        self.initial_kind = kind
        self.initial_speed = speed

    def compose_choices(self) -> ComposeResult:
        yield Label(id="apply-kind-label", classes="counter-label")
        yield RadioSet(
            *(RadioButton(id=f"apply-kind-{k.value}", value=k is self.initial_kind) for k in KINDS),
            id="apply-kind",
        )
        yield Label(id="apply-speed-label", classes="counter-label")
        instant = self.instant_branch()
        # Instant issuance only where cards are printed at once (issue 12, bug 11): elsewhere
        # it is offered disabled, with the reason under it.
        speed = self.initial_speed if instant else IssuanceSpeed.NORMAL
        yield RadioSet(
            *(
                RadioButton(
                    id=f"apply-speed-{s.value}",
                    value=s is speed,
                    disabled=s is IssuanceSpeed.INSTANT and not instant,
                )
                for s in SPEEDS
            ),
            id="apply-speed",
        )
        yield Label(id="apply-speed-note", classes="apply-note")
        yield Label(id="apply-reason-label", classes="counter-label -exchange")
        yield Select[str](
            reason_options(),
            id="apply-reason",
            allow_blank=False,
            value=ExchangeReason.DAMAGE.value,
            classes="-exchange",
        )
        yield Label(id="apply-bank-label", classes="counter-label -exchange")
        yield Input(id="apply-bank", max_length=64, classes="-exchange")
        yield Label(id="apply-evidence-label", classes="counter-label -exchange")
        yield Input(id="apply-evidence", max_length=32, classes="-exchange")
        yield Label(id="apply-photo-label", classes="counter-label")
        yield Input(id="apply-photo", max_length=32)
        yield WrappingCheckbox(id="apply-police-photo")
        yield ApplicantForm("apply", today=self._today, id="apply-applicant")

    def on_mount(self) -> None:
        self._show_relevant()

    # -- choices ----------------------------------------------------------------------------
    def instant_branch(self) -> bool:
        """Whether this device's branch issues cards at once (an instant-issuance branch)."""
        from branch_app.domain.vocabulary import Place

        return self.branch_app.config.branch.place is Place.INSTANT_BRANCH

    def kind(self) -> ApplicationKind:
        return KINDS[self.query_one("#apply-kind", RadioSet).pressed_index or 0]

    def speed(self) -> IssuanceSpeed:
        return SPEEDS[self.query_one("#apply-speed", RadioSet).pressed_index or 0]

    def _select_value(self, selector: str, default: str) -> str:
        value = self.query_one(selector, Select).value
        return value if isinstance(value, str) else default

    def exchange_reason(self) -> ExchangeReason:
        return ExchangeReason(self._select_value("#apply-reason", ExchangeReason.DAMAGE.value))

    def applicant_form(self) -> ApplicantForm:
        return self.query_one("#apply-applicant", ApplicantForm)

    def presenter(self) -> Presenter:
        return self.applicant_form().presenter()

    def relabel_choices(self) -> None:
        self.query_one("#apply-kind-label", Label).update(t("counter.choice.application_kind"))
        for kind in KINDS:
            button = self.query_one(f"#apply-kind-{kind.value}", RadioButton)
            button.label = t(f"counter.kind.{kind.value}")
        self.query_one("#apply-speed-label", Label).update(t("counter.choice.speed"))
        for speed in SPEEDS:
            button = self.query_one(f"#apply-speed-{speed.value}", RadioButton)
            button.label = t(f"counter.speed.{speed.value}")
        note = self.query_one("#apply-speed-note", Label)
        note.display = not self.instant_branch()
        note.update(t("counter.choice.instant_not_here"))
        self.query_one("#apply-reason-label", Label).update(t("counter.choice.exchange_reason"))
        self._reword_select(
            "#apply-reason",
            reason_options(),
            ExchangeReason.DAMAGE.value,
        )
        self.query_one("#apply-bank-label", Label).update(t("counter.choice.bank"))
        self.query_one("#apply-evidence-label", Label).update(
            t("counter.choice.card_face_evidence")
        )
        self.query_one("#apply-photo-label", Label).update(t("counter.choice.photo_receipt"))
        self.query_one("#apply-police-photo", Checkbox).label = t("counter.choice.police_photo")
        self.applicant_form().relabel()

    def _reword_select(self, selector: str, options: list[tuple[str, str]], default: str) -> None:
        reword_select(self.query_one(selector, Select), options, default)

    @on(RadioSet.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed, "#apply-police-photo")
    def _choice_changed(self) -> None:
        self._show_relevant()
        self.refresh_gate()

    def photo(self) -> tuple[str, bool]:
        """The photo receipt number typed, and whether the police ID photo is to be used."""
        if self.query_one("#apply-police-photo", Checkbox).value:
            return "", True
        return self.query_one("#apply-photo", Input).value.strip(), False

    def _show_relevant(self) -> None:
        """Only the fields the chosen application needs are shown."""
        exchange = self.kind() is ApplicationKind.EXCHANGE
        for widget in self.query(".-exchange"):
            widget.display = exchange
        bank_needed = exchange and self.exchange_reason() is ExchangeReason.CHANGE_OF_BANK
        self.query_one("#apply-bank", Input).display = bank_needed
        self.query_one("#apply-bank-label", Label).display = bank_needed
        # A change of card-face data rests on the police record: its number is asked for.
        face = exchange and self.exchange_reason() is ExchangeReason.CARD_FACE_CHANGE
        self.query_one("#apply-evidence", Input).display = face
        self.query_one("#apply-evidence-label", Label).display = face
        # The receipt number is not asked for when the police ID photo is used.
        self.query_one("#apply-photo", Input).display = not self.query_one(
            "#apply-police-photo", Checkbox
        ).value

    @on(Input.Changed, "#counter-holder")
    def _holder_typed(self) -> None:
        """The holder's birth date is asked when their ID number carries none."""
        self.applicant_form().set_holder(self.holder())

    def holder_kind_changed(self) -> None:
        self._holder_typed()

    def sample_command(self) -> Command:
        # The gate asks whether this person may take applications here at all; the chosen
        # speed is decided with the request, its refusal shown in the answer panel like every
        # refusal (issue 12, bug 11).
        return Apply(
            application=ApplicationKind.FIRST,
            speed=IssuanceSpeed.NORMAL,
            accepted_on=self._today(),
        )

    def request(self) -> Request | Refusal:
        kind, speed = self.kind(), self.speed()
        reason = self.exchange_reason() if kind is ApplicationKind.EXCHANGE else None
        bank = self.query_one("#apply-bank", Input).value.strip()
        bank = bank if reason is ExchangeReason.CHANGE_OF_BANK else ""
        evidence = self.query_one("#apply-evidence", Input).value.strip()
        evidence = evidence if reason is ExchangeReason.CARD_FACE_CHANGE else ""
        applicant = self.applicant_form().applicant()
        if not isinstance(applicant, Applicant):
            return applicant  # a date typed that is not a date
        receipt, police_photo = self.photo()
        return lambda counter, holder, dry_run: counter.apply(
            holder,
            kind,
            speed,
            exchange_reason=reason,
            bank=bank or None,
            photo_receipt=receipt or None,
            police_photo=police_photo,
            applicant=applicant,
            evidence=evidence or None,
            dry_run=dry_run,
        )

    def confirm_lines(self) -> list[tuple[str, str]]:
        receipt, police_photo = self.photo()
        photo = (
            t("counter.photo.police")
            if police_photo
            else t("counter.photo.receipt", receipt=receipt.upper())
        )
        lines = [(t("counter.confirm.photo"), photo), *self.applicant_form().confirm_lines()]
        evidence = self.query_one("#apply-evidence", Input)
        if evidence.display and evidence.value.strip():
            lines.append((t("counter.confirm.evidence"), evidence.value.strip().upper()))
        return lines

    def reset_choices(self) -> None:
        self.query_one(f"#apply-kind-{self.initial_kind.value}", RadioButton).value = True
        speed = self.initial_speed if self.instant_branch() else IssuanceSpeed.NORMAL
        self.query_one(f"#apply-speed-{speed.value}", RadioButton).value = True
        self.applicant_form().reset()
        self.query_one("#apply-bank", Input).value = ""
        self.query_one("#apply-evidence", Input).value = ""
        self.query_one("#apply-photo", Input).value = ""
        self.query_one("#apply-police-photo", Checkbox).value = False
        self._show_relevant()
