"""Who stands at the counter for the holder, and the document they show: one form block, used by
the application and by the collection of a new card.

- who presents: the holder, the legal guardian, or an agent (the choices the screen offers);
- the guardian's or agent's own identity document: its kind (every `IdentityKind`, the passport
  and the 2017 permanent residence ID included), number, name, and the birth date printed on it
  when its number carries none;
- the guardian's proof of guardianship, and whether the holder lacks legal capacity;
- the holder's birth date from the document shown, asked only when the holder's ID number
  carries none (a 2017 permanent residence ID, a passport).

The numbers and dates are checked as they are typed (Input validators; the reasons show under
the block). Whether this person may apply or collect is never decided here: the form hands an
`Applicant` to the counter, whose one admission path (`branch_app.domain.admission.admit`) applies
the rules and says every reason it finds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.validation import ValidationResult, Validator
from textual.widgets import Checkbox, Input, Label, Select, Static

from branch_app.domain.identity import IdentityError, IdentityKind, IdentityNumber, parse_identity
from branch_app.domain.vocabulary import Presenter
from branch_app.i18n import for_place, t
from branch_app.ui.screens.identity_check import IdentityNumberValidator
from branch_app.ui.widgets.select_words import reword_select

if TYPE_CHECKING:
    from branch_app.domain.lifecycle import Applicant
    from branch_app.services.counter import Refusal

#: The counter's code for a date the teller typed that is not a date (`counter.refusal.*`).
DATE_UNREADABLE = "date_unreadable"

_DATE = re.compile(r"(\d{4})[-/.]?(\d{1,2})[-/.]?(\d{1,2})")


def parse_date(text: str) -> dt.date | None:
    """`1980-06-01`, `1980/6/1` or `19800601` as a date; `None` when it is not one."""
    found = _DATE.fullmatch(text.strip())
    if found is None:
        return None
    try:
        return dt.date(*(int(part) for part in found.groups()))
    except ValueError:
        return None


class BirthDateValidator(Validator):
    """A birth date as printed on a document: a real date, not after today (empty is allowed:
    whether it is needed is for the rules to say)."""

    def __init__(self, today: Callable[[], dt.date]) -> None:
        super().__init__()
        self._today = today

    def validate(self, value: str) -> ValidationResult:
        if not value.strip():
            return self.success()
        date = parse_date(value)
        if date is None:
            return self.failure(t("counter.applicant.date_invalid"), value)
        if date > self._today():
            return self.failure(t("counter.applicant.date_in_future"), value)
        return self.success()


class WrappingCheckbox(Checkbox):
    """A checkbox whose long label wraps onto more lines instead of being cut at 80 columns."""

    DEFAULT_CSS = """
    WrappingCheckbox { width: 1fr; height: auto; text-wrap: wrap; text-overflow: fold; }
    """

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, len(self.render().wrap(max(width, 1))))


def presenter_options(presenters: Iterable[Presenter]) -> list[tuple[str, str]]:
    return [(t(f"counter.presenter.{p.value}"), p.value) for p in presenters]


def kind_options() -> list[tuple[str, str]]:
    return [(t(f"shell.idkind.{kind.value}"), kind.value) for kind in IdentityKind]


class ApplicantForm(Vertical):
    """The applicant block. `prefix` names the children (`#<prefix>-presenter`, `-proof`, ...);
    `presenters` are the choices offered, the first being the default."""

    DEFAULT_CSS = """
    ApplicantForm { height: auto; width: 1fr; }
    ApplicantForm Input { width: 1fr; }
    ApplicantForm Label { width: 1fr; }
    ApplicantForm .applicant-reason { height: auto; color: $error; }
    """

    def __init__(
        self,
        prefix: str,
        *,
        today: Callable[[], dt.date],
        presenters: tuple[Presenter, ...] = tuple(Presenter),
        label_key: str = "counter.choice.presenter",
        presenter_id: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.prefix = prefix
        self.presenters = presenters
        self.label_key = label_key
        self.presenter_id = presenter_id or f"{prefix}-presenter"
        self._today = today
        #: Whether the holder's ID number (as typed now) carries no birth date.
        self._holder_without_birth_date = False

    def _child_id(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def _q(self, name: str) -> str:
        return f"#{self.prefix}-{name}"

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Label(id=self._child_id("presenter-label"), classes="counter-label")
        yield Select[str](
            presenter_options(self.presenters),
            id=self.presenter_id,
            allow_blank=False,
            value=self.presenters[0].value,
        )
        yield Label(id=self._child_id("holder-born-label"), classes="counter-label -holder-born")
        yield Input(
            id=self._child_id("holder-born"),
            max_length=10,
            classes="-holder-born",
            valid_empty=True,
            validators=[BirthDateValidator(self._today)],
            validate_on=["changed", "submitted"],
        )
        yield WrappingCheckbox(id=self._child_id("proof"), classes="-guardian")
        yield WrappingCheckbox(id=self._child_id("incapacity"), classes="-guardian")
        yield Label(id=self._child_id("rep-label"), classes="counter-label -representative")
        yield Select[str](
            kind_options(),
            id=self._child_id("rep-kind"),
            allow_blank=False,
            value=IdentityKind.RESIDENT.value,
            classes="-representative",
        )
        yield Input(
            id=self._child_id("rep-number"),
            max_length=20,
            classes="-representative",
            valid_empty=True,
            validators=[IdentityNumberValidator(lambda: self.representative_kind(), self._today)],
            validate_on=["changed", "submitted"],
        )
        yield Input(id=self._child_id("rep-name"), max_length=64, classes="-representative")
        yield Label(id=self._child_id("rep-born-label"), classes="counter-label -rep-born")
        yield Input(
            id=self._child_id("rep-born"),
            max_length=10,
            classes="-rep-born",
            valid_empty=True,
            validators=[BirthDateValidator(self._today)],
            validate_on=["changed", "submitted"],
        )
        yield Static(id=self._child_id("applicant-reason"), classes="applicant-reason")

    def on_mount(self) -> None:
        self.show_relevant()

    # -- what is chosen -------------------------------------------------------------------------
    def _select_value(self, selector: str, default: str) -> str:
        value = self.query_one(selector, Select).value
        return value if isinstance(value, str) else default

    def presenter(self) -> Presenter:
        return Presenter(self._select_value(f"#{self.presenter_id}", self.presenters[0].value))

    def representative_kind(self) -> str:
        return self._select_value(self._q("rep-kind"), IdentityKind.RESIDENT.value)

    def _value(self, name: str) -> str:
        return self.query_one(self._q(name), Input).value.strip()

    def _checked(self, name: str) -> bool:
        return self.query_one(self._q(name), Checkbox).value

    def _representative_number_gives_birth_date(self) -> bool:
        """Whether the number typed (or, until one is, the kind chosen) carries a birth date."""
        kind = IdentityKind(self.representative_kind())
        number = self._value("rep-number")
        if number:
            try:
                return parse_identity(number, kind=kind, today=self._today()).birth_date is not None
            except IdentityError:
                pass
        return kind not in (IdentityKind.PASSPORT, IdentityKind.FOREIGN_PERMANENT_2017)

    # -- showing only what matters ---------------------------------------------------------------
    def set_holder(self, holder: IdentityNumber | IdentityError | None) -> None:
        """The holder as typed or read: the birth date is asked when their number has none."""
        self._holder_without_birth_date = (
            isinstance(holder, IdentityNumber) and holder.birth_date is None
        )
        self.show_relevant()

    def show_relevant(self) -> None:
        presenter = self.presenter()
        for widget in self.query(".-holder-born"):
            widget.display = self._holder_without_birth_date
        for widget in self.query(".-guardian"):
            widget.display = presenter is Presenter.GUARDIAN
        representative = presenter is not Presenter.HOLDER
        for widget in self.query(".-representative"):
            widget.display = representative
        rep_born = representative and not self._representative_number_gives_birth_date()
        for widget in self.query(".-rep-born"):
            widget.display = rep_born
        self._show_problems()

    def _show_problems(self) -> None:
        """The reasons the numbers and dates typed (and shown) are not valid, as they are typed."""
        problems: list[str] = []
        for name in ("holder-born", "rep-number", "rep-born"):
            field = self.query_one(self._q(name), Input)
            if not field.display or not field.value.strip():
                continue
            result = field.validate(field.value)
            if result is not None and not result.is_valid:
                problems.extend(result.failure_descriptions)
        self.query_one(self._q("applicant-reason"), Static).update("\n".join(problems))

    @on(Select.Changed)
    @on(Input.Changed)
    def _changed(self, event: Select.Changed | Input.Changed) -> None:
        if event.control.id == self._child_id("rep-kind"):
            number = self.query_one(self._q("rep-number"), Input)
            number.validate(number.value)  # the same number may be valid for another kind
        self.show_relevant()

    # -- words ---------------------------------------------------------------------------------
    def relabel(self) -> None:
        place = getattr(getattr(getattr(self.app, "config", None), "branch", None), "place", None)
        self.query_one(self._q("presenter-label"), Label).update(
            t(for_place(self.label_key, place))  # "at the holder's home" on a home visit
        )
        reword_select(
            self.query_one(f"#{self.presenter_id}", Select),
            presenter_options(self.presenters),
            self.presenters[0].value,
        )
        self.query_one(self._q("holder-born-label"), Label).update(
            t("counter.applicant.holder_birth_date")
        )
        self.query_one(self._q("proof"), Checkbox).label = t("counter.choice.guardianship_proof")
        self.query_one(self._q("incapacity"), Checkbox).label = t(
            "counter.choice.holder_lacks_capacity"
        )
        self.query_one(self._q("rep-label"), Label).update(t("counter.applicant.representative"))
        reword_select(
            self.query_one(self._q("rep-kind"), Select), kind_options(), IdentityKind.RESIDENT.value
        )
        self.query_one(self._q("rep-number"), Input).placeholder = t(
            "counter.applicant.number_placeholder"
        )
        self.query_one(self._q("rep-name"), Input).placeholder = t(
            "counter.applicant.name_placeholder"
        )
        self.query_one(self._q("rep-born-label"), Label).update(
            t("counter.applicant.representative_birth_date")
        )
        for name in ("holder-born", "rep-born"):
            self.query_one(self._q(name), Input).placeholder = t(
                "counter.applicant.date_placeholder"
            )
        self._show_problems()

    # -- the answer ------------------------------------------------------------------------------
    def _date(self, name: str, label_key: str) -> dt.date | Refusal | None:
        """The date typed in `name` (shown), `None` when empty or hidden, or why it is no date."""
        field = self.query_one(self._q(name), Input)
        text = field.value.strip()
        if not field.display or not text:
            return None
        result = field.validate(field.value)
        date = parse_date(text)
        if date is None or (result is not None and not result.is_valid):
            from branch_app.services.counter import Refusal

            reason = (
                result.failure_descriptions[0]
                if result is not None and result.failure_descriptions
                else t("counter.applicant.date_invalid")
            )
            return Refusal(
                DATE_UNREADABLE,
                f"counter.refusal.{DATE_UNREADABLE}",
                {"field": t(label_key), "reason": reason},
            )
        return date

    def applicant(self) -> Applicant | Refusal:
        """Who is at the counter, with what they showed, for the counter to check; a refusal
        only when a date typed is not a date (the rules themselves are the domain's)."""
        from branch_app.domain.lifecycle import Applicant, Representative
        from branch_app.services.counter import Refusal

        holder_born = self._date("holder-born", "counter.applicant.holder_birth_date")
        if isinstance(holder_born, Refusal):
            return holder_born
        presenter = self.presenter()
        if presenter is Presenter.HOLDER:
            return Applicant(holder_birth_date=holder_born)
        rep_born = self._date("rep-born", "counter.applicant.representative_birth_date")
        if isinstance(rep_born, Refusal):
            return rep_born
        number, name = self._value("rep-number"), self._value("rep-name")
        representative = (
            Representative(
                kind=IdentityKind(self.representative_kind()),
                number=number,
                name=name,
                birth_date=rep_born,
            )
            if number or name
            else None
        )
        guardian = presenter is Presenter.GUARDIAN
        return Applicant(
            presenter=presenter,
            holder_birth_date=holder_born,
            holder_has_legal_capacity=not (guardian and self._checked("incapacity")),
            guardianship_proof=guardian and self._checked("proof"),
            representative=representative,
        )

    def confirm_lines(self) -> list[tuple[str, str]]:
        """Who presents, their document (masked) and the holder's birth date, for the confirm
        step."""
        from branch_app.domain.identity import mask_identity

        lines: list[tuple[str, str]] = []
        born = self._date("holder-born", "counter.applicant.holder_birth_date")
        if isinstance(born, dt.date):
            lines.append((t("counter.confirm.holder_birth_date"), born.isoformat()))
        presenter = self.presenter()
        if presenter is Presenter.HOLDER:
            return lines
        lines.append((t("counter.choice.presenter"), t(f"counter.presenter.{presenter.value}")))
        number = self._value("rep-number")
        if number:
            kind = t(f"shell.idkind.{self.representative_kind()}")
            lines.append(
                (
                    t("counter.confirm.representative"),
                    t(
                        "counter.confirm.representative_value",
                        kind=kind,
                        masked=mask_identity(number),
                    ),
                )
            )
        return lines

    def reset(self) -> None:
        """Back to the holder in person, nothing typed (the next customer)."""
        presenter = self.query_one(f"#{self.presenter_id}", Select)
        presenter.value = self.presenters[0].value
        self.query_one(self._q("rep-kind"), Select).value = IdentityKind.RESIDENT.value
        for name in ("holder-born", "rep-number", "rep-name", "rep-born"):
            self.query_one(self._q(name), Input).value = ""
        for name in ("proof", "incapacity"):
            self.query_one(self._q(name), Checkbox).value = False
        self.show_relevant()
