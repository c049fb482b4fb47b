"""F1: every key (with its id, for the keymap), the configuration in use, and how to change it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from branch_app.config import default_config_path
from branch_app.i18n import t
from branch_app.ui.keys import key_display

if TYPE_CHECKING:
    from branch_app.ui.app import BranchApp


class HelpScreen(ModalScreen[None]):
    """Keys and settings; Escape or F1 closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "shell.key.close", id="help_close"),
        Binding("f1", "close", "shell.key.close", show=False, id="help_close_f1"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(id="help-keys")
            yield Static(id="help-config")

    @property
    def branch_app(self) -> BranchApp:
        return self.app  # type: ignore[return-value]

    def on_mount(self) -> None:
        self.watch(self.app, "language", self._language_changed, init=True)
        self.query_one("#help-body").focus()

    def _language_changed(self, _language: object) -> None:
        body = self.query_one("#help-body")
        body.border_title = t("shell.help.title")
        body.border_subtitle = t("shell.help.close_hint")
        self.query_one("#help-keys", Static).update(self._keys_table())
        self.query_one("#help-config", Static).update(self._config_table())

    def _keys_table(self) -> Table:
        table = Table(title=Text(t("shell.help.keys")), expand=True, title_justify="left")
        # Headers as Text: "[keymap]" in a header is words, not markup (issue 12, bug 2).
        table.add_column(Text(t("shell.help.col_key")), no_wrap=True)
        table.add_column(Text(t("shell.help.col_action")))
        table.add_column(Text(t("shell.help.col_id")), no_wrap=True)
        for binding_id, keys, description in self.branch_app.key_reference():
            table.add_row(Text(key_display(keys)), Text(t(description)), Text(binding_id))
        return table

    def _config_table(self) -> Table:
        config = self.branch_app.config
        table = Table(title=Text(t("shell.help.settings")), expand=True, title_justify="left")
        table.add_column(Text(t("shell.help.col_setting")), no_wrap=True)
        table.add_column(Text(t("shell.help.col_value")))
        source = config.source if config.source != "defaults" else t("shell.help.defaults")
        overrides = ", ".join(config.env_overrides) or t("shell.help.none")
        rows = [
            (t("shell.help.source"), source),
            (t("shell.help.default_path"), str(default_config_path())),
            (t("shell.help.env"), overrides),
            (t("shell.help.keymap"), t("shell.help.keymap_how")),
            (t("shell.help.theme"), t(f"shell.theme.{self.app.theme}")),
        ]
        for setting, value in rows:
            table.add_row(Text(setting), Text(value))
        return table

    def action_close(self) -> None:
        self.dismiss(None)
