"""Check an identity document: the number is checked as it is typed, with the exact reason.

Nothing is stored, logged or sent: the number stays in the input until the teller clears it or
leaves, and the result shows it masked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.validation import ValidationResult, Validator
from textual.widgets import Input, Label, Select, Static

from branch_app.domain.identity import (
    IdentityError,
    IdentityKind,
    IdentityNumber,
    age_on,
    parse_identity,
)
from branch_app.i18n import catalog, t
from branch_app.ui.screens.base import ShellScreen

AUTOMATIC = "automatic"


def describe_identity_error(error: IdentityError) -> str:
    """The exact reason in the current language (the domain's English text as a last resort)."""
    key = f"domain.identity.{error.code}"
    if key in catalog():
        return t(key, None, **error.params)
    return str(error)


def check_identity(
    text: str, kind_choice: str, today: dt.date
) -> IdentityNumber | IdentityError | None:
    """The parsed number, the refusal, or `None` while nothing has been typed."""
    if not text.strip():
        return None
    kind = None if kind_choice == AUTOMATIC else IdentityKind(kind_choice)
    try:
        return parse_identity(text, kind=kind, today=today)
    except IdentityError as error:
        return error


class IdentityNumberValidator(Validator):
    """Drives the input's `-invalid` style and carries the reason."""

    def __init__(self, kind_choice: Callable[[], str], today: Callable[[], dt.date]) -> None:
        super().__init__()
        self._kind_choice = kind_choice
        self._today = today

    def validate(self, value: str) -> ValidationResult:
        outcome = check_identity(value, self._kind_choice(), self._today())
        if isinstance(outcome, IdentityError):
            return self.failure(describe_identity_error(outcome), value)
        return self.success()


def result_lines(identity: IdentityNumber, today: dt.date) -> list[tuple[str, str]]:
    dash = "—"
    birth = identity.birth_date
    return [
        (t("shell.idcheck.kind"), t(f"shell.idkind.{identity.kind.value}")),
        (t("shell.idcheck.number"), identity.masked()),
        (t("shell.idcheck.birth_date"), birth.isoformat() if birth else dash),
        (
            t("shell.idcheck.age"),
            t("shell.idcheck.years", n=age_on(birth, today)) if birth else dash,
        ),
        (t("shell.idcheck.sex"), t(f"shell.sex.{identity.sex.value}") if identity.sex else dash),
    ]


def kind_options() -> list[tuple[str, str]]:
    """The document choices in the current language, automatic detection first."""
    options = [(t("shell.idkind.automatic"), AUTOMATIC)]
    options += [(t(f"shell.idkind.{kind.value}"), kind.value) for kind in IdentityKind]
    return options


class IdentityCheckScreen(ShellScreen):
    TITLE_KEY = "shell.idcheck.title"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.go_home", "shell.key.home", id="back_home"),
    ]

    def compose_body(self) -> ComposeResult:
        with Vertical(id="idcheck-body", classes="panel"):
            yield Label(id="idcheck-intro")
            with Horizontal(id="idcheck-row"):
                yield Select[str](
                    kind_options(), id="idcheck-kind", allow_blank=False, value=AUTOMATIC
                )
                yield Input(
                    id="idcheck-number",
                    max_length=20,
                    valid_empty=True,
                    validators=[IdentityNumberValidator(self._kind_choice, self._today)],
                    validate_on=["changed", "submitted"],
                )
            yield Static(id="idcheck-reason")
            yield Static(id="idcheck-result")
            yield Label(id="idcheck-privacy")

    def _kind_choice(self) -> str:
        value = self.query_one("#idcheck-kind", Select).value
        return value if isinstance(value, str) else AUTOMATIC

    def _today(self) -> dt.date:
        return self.branch_app.today()

    def on_mount(self) -> None:
        self.query_one("#idcheck-number", Input).focus()

    def relabel(self) -> None:
        self.query_one("#idcheck-body").border_title = t("shell.idcheck.title")
        self.query_one("#idcheck-intro", Label).update(t("shell.idcheck.intro"))
        self.query_one("#idcheck-privacy", Label).update(t("shell.idcheck.privacy"))
        number = self.query_one("#idcheck-number", Input)
        number.placeholder = t("shell.idcheck.placeholder")
        kind = self.query_one("#idcheck-kind", Select)
        chosen = self._kind_choice()
        with kind.prevent(Select.Changed):
            kind.set_options(kind_options())
            kind.value = chosen
        self.recheck()

    @on(Input.Changed, "#idcheck-number")
    def _number_changed(self, _event: Input.Changed) -> None:
        self._show_outcome()

    @on(Select.Changed, "#idcheck-kind")
    def _kind_changed(self, _event: Select.Changed) -> None:
        self.recheck()

    def recheck(self) -> None:
        """Validate again (after a change of kind or language) and show the outcome."""
        self.query_one("#idcheck-number", Input).validate(
            self.query_one("#idcheck-number", Input).value
        )
        self._show_outcome()

    def _show_outcome(self) -> None:
        number = self.query_one("#idcheck-number", Input)
        outcome = check_identity(number.value, self._kind_choice(), self._today())
        reason = self.query_one("#idcheck-reason", Static)
        result = self.query_one("#idcheck-result", Static)
        if outcome is None:
            reason.update("")
            result.update("")
        elif isinstance(outcome, IdentityError):
            reason.update(Text(describe_identity_error(outcome)))
            result.update("")
        else:
            reason.update(Text(t("shell.idcheck.valid")))
            table = Text()
            for index, (label, value) in enumerate(result_lines(outcome, self._today())):
                if index:
                    table.append("\n")
                table.append(f"{label}  ", style="bold")
                table.append(value)
            result.update(table)
        reason.set_class(isinstance(outcome, IdentityError), "-error")
        reason.set_class(isinstance(outcome, IdentityNumber), "-ok")
