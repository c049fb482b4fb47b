"""The supervisor's decision on one conflict: uphold the central's record, or correct it with one
of the counter's commands that the lifecycle would apply now; a note is required."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from branch_app.domain.vocabulary import ConflictDecision
from branch_app.i18n import t
from branch_app.ui.counter_text import describe_command, table
from branch_app.ui.supervisor_text import kind_text, reason_text, record_lines

if TYPE_CHECKING:
    from branch_app.domain.lifecycle import Command
    from branch_app.services.supervisor import ConflictRow, Resolution


class ResolveDialog(ModalScreen["Resolution | None"]):
    """The decision on one conflict: uphold, or correct with one command; a note is required."""

    DEFAULT_CSS = """
    ResolveDialog { align: center middle; }
    ResolveDialog > #resolve-box { width: 116; height: auto; max-height: 96%; padding: 0 2;
                                   border: thick $primary; background: $surface; }
    ResolveDialog #resolve-title { text-style: bold; margin: 1 0; }
    ResolveDialog #resolve-columns { height: auto; }
    ResolveDialog #resolve-left { width: 40; height: auto; margin-right: 2; }
    ResolveDialog #resolve-right { width: 1fr; height: auto; }
    ResolveDialog .resolve-label { text-style: bold; margin-top: 1; }
    ResolveDialog #resolve-lines, ResolveDialog #resolve-record { height: auto; }
    ResolveDialog #resolve-record-problem { color: $warning; height: auto; }
    ResolveDialog RadioSet { width: 1fr; height: auto; }
    ResolveDialog #resolve-problem { color: $error; height: auto; }
    ResolveDialog #resolve-buttons { height: auto; margin: 1 0; }
    ResolveDialog Button { margin-right: 2; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "supervisor.key.back", id="supervisor_dialog_back"),
    ]

    def __init__(
        self,
        row: ConflictRow,
        record: Mapping[str, Any] | None,
        choices: list[Command],
        *,
        record_problem: str | None = None,
    ) -> None:
        super().__init__()
        self.row = row
        self.record = record
        self.choices = choices
        self.record_problem = record_problem

    def compose(self) -> ComposeResult:
        row = self.row
        lines = [
            (t("supervisor.col.holder"), row.holder_masked),
            (t("supervisor.conflicts.refused"), kind_text(row.kind, row.command)),
            (t("supervisor.col.reason"), reason_text(row.reason, row.message)),
        ]
        with Vertical(id="resolve-box"):
            yield Label(t("supervisor.resolve.title"), id="resolve-title")
            with Horizontal(id="resolve-columns"):
                with Vertical(id="resolve-left"):
                    yield Static(table(lines), id="resolve-lines")
                    yield Label(t("supervisor.resolve.record_now"), classes="resolve-label")
                    if self.record_problem is not None:
                        yield Static(Text(self.record_problem), id="resolve-record-problem")
                    yield Static(table(record_lines(self.record)), id="resolve-record")
                with Vertical(id="resolve-right"):
                    yield Label(t("supervisor.resolve.decision"), classes="resolve-label")
                    with RadioSet(id="resolve-decision"):
                        yield RadioButton(
                            t("supervisor.resolve.upheld"), value=True, id="decide-upheld"
                        )
                        for index, command in enumerate(self.choices):
                            yield RadioButton(
                                t(
                                    "supervisor.resolve.corrected",
                                    command=describe_command(command),
                                ),
                                id=f"decide-correct-{index}",
                            )
                    if not self.choices:
                        yield Static(
                            t("supervisor.resolve.no_correction"), id="resolve-no-correction"
                        )
                    yield Label(t("supervisor.resolve.note_label"), classes="resolve-label")
                    yield Input(
                        id="resolve-note",
                        max_length=500,
                        placeholder=t("supervisor.resolve.note_placeholder"),
                    )
                    yield Static("", id="resolve-problem")
                    with Horizontal(id="resolve-buttons"):
                        yield Button(
                            t("supervisor.resolve.submit"), id="resolve-yes", variant="primary"
                        )
                        yield Button(t("supervisor.key.back"), id="resolve-no")

    def on_mount(self) -> None:
        self.query_one("#resolve-note", Input).focus()

    def chosen_command(self) -> Command | None:
        pressed = self.query_one("#resolve-decision", RadioSet).pressed_button
        if pressed is None or pressed.id is None or not pressed.id.startswith("decide-correct-"):
            return None
        return self.choices[int(pressed.id.removeprefix("decide-correct-"))]

    def resolution(self) -> Resolution | None:
        """The decision, or None after showing what is missing."""
        from branch_app.services.supervisor import Resolution, note_problem

        note = self.query_one("#resolve-note", Input).value
        problem = note_problem(note)
        if problem is not None:
            self.query_one("#resolve-problem", Static).update(t(problem))
            self.query_one("#resolve-note", Input).focus()
            return None
        command = self.chosen_command()
        version = int((self.record or {}).get("version", 0) or 0)
        return Resolution(
            decision=ConflictDecision.UPHELD if command is None else ConflictDecision.CORRECTED,
            note=note.strip(),
            command=command,
            base_version=version,
        )

    @on(Button.Pressed, "#resolve-yes")
    @on(Input.Submitted, "#resolve-note")
    def _submit(self) -> None:
        resolution = self.resolution()
        if resolution is not None:
            self.dismiss(resolution)

    @on(Button.Pressed, "#resolve-no")
    def action_back(self) -> None:
        self.dismiss(None)
