"""The modal the command palette's "Sync now" opens: one sync with its progress panel
(`SyncStatus`); Escape cancels a running sync, then closes."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen

from branch_app.ui.widgets.sync_status import SyncStatus

if TYPE_CHECKING:
    from sync.engine import SyncSummary  # noqa: F401 (the dismiss type, a string below)
    from sync.service import SyncService


class SyncScreen(ModalScreen["SyncSummary | None"]):
    """The modal around one sync; Escape cancels a running sync, then closes."""

    DEFAULT_CSS = """
    SyncScreen { align: center middle; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "common.cancel", id="sync_close")
    ]

    def __init__(self, service: SyncService) -> None:
        super().__init__()
        self.service = service

    def compose(self) -> ComposeResult:
        yield SyncStatus(self.service, id="sync-status")

    def action_close(self) -> None:
        status = self.query_one(SyncStatus)
        if status.summary is None:
            status.cancel_event.set()
            return
        self.dismiss(status.summary)

    @on(SyncStatus.Closed)
    def _panel_closed(self) -> None:
        self.dismiss(self.query_one(SyncStatus).summary)
