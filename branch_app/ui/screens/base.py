"""What every full screen shares: the header, the status bar, the key bar, and re-wording."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from branch_app.ui.widgets.key_bar import KeyBar
from branch_app.ui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from branch_app.ui.app import BranchApp


class TitleBar(Static):
    """One line: the application's and the screen's titles. Lighter than Textual's `Header`
    (four widgets and a clock slot), which matters for start-up (bench/bench_startup.py)."""

    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        height: 1;
        width: 1fr;
        text-align: center;
        background: $panel;
        color: $foreground;
        text-style: bold;
    }
    """


class ShellScreen(Screen[None]):
    """A full screen of the shell. Subclasses yield their body and implement `relabel`."""

    #: Catalog key of the screen's title (shown in the header after the app's title).
    TITLE_KEY = "common.app_title"

    @property
    def branch_app(self) -> BranchApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title-bar")
        yield from self.compose_body()
        yield StatusBar()
        yield KeyBar()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        # Textual calls every class's `on_mount` (the subclass's first), so subclasses define
        # their own without calling this one.
        self.watch(self.app, "language", self._language_changed, init=False)
        self._relabel_all()

    def _language_changed(self, _language: object) -> None:
        self._relabel_all()

    def refresh_titles(self) -> None:
        """Words and title again, after a part arrived that changes them (the store)."""
        self._relabel_all()

    def _relabel_all(self) -> None:
        from branch_app.i18n import t

        self.sub_title = t(self.TITLE_KEY)
        self.app.title = t("common.app_title")
        title = f"{self.app.title} — {self.sub_title}"
        store = getattr(getattr(self.app, "services", None), "store", None)
        if getattr(store, "keyring_is_memory", False):
            title += f" — {t('demo.title_mark')}"  # nothing of this run outlives it
        self.query_one(TitleBar).update(title)
        self.relabel()

    def relabel(self) -> None:
        """Put every visible string of this screen in the current language."""
