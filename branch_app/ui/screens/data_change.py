"""Data change (信息变更): the holder's contact details, changed with the holder (or the guardian)
present; no new card. The new details are shown masked; they travel encrypted in the outbox and
the audit journal. A change of card-face data (name, an upgraded ID number, a corrected birth
date) rests on the police record and makes a new card: the intro sends the teller to Exchange."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import Input, Label

from branch_app.domain.identity import mask_contact
from branch_app.domain.lifecycle import ChangeContact, Command
from branch_app.i18n import t
from branch_app.ui.screens.counter_base import CounterScreen, Request

if TYPE_CHECKING:
    from branch_app.services.counter import Refusal


class DataChangeScreen(CounterScreen):
    TITLE_KEY = "counter.title.data_change"
    INTRO_KEY = "counter.intro.data_change"

    def compose_choices(self) -> ComposeResult:
        yield Label(id="change-mobile-label", classes="counter-label")
        yield Input(id="change-mobile", max_length=11, restrict=r"[0-9]*")
        yield Label(id="change-address-label", classes="counter-label")
        yield Input(id="change-address", max_length=64)

    def relabel_choices(self) -> None:
        self.query_one("#change-mobile-label", Label).update(t("counter.choice.new_mobile"))
        self.query_one("#change-address-label", Label).update(t("counter.choice.new_address"))

    def sample_command(self) -> Command:
        return ChangeContact(mobile="13800000000")

    def details(self) -> tuple[str, str]:
        return (
            self.query_one("#change-mobile", Input).value.strip(),
            self.query_one("#change-address", Input).value.strip(),
        )

    def request(self) -> Request | Refusal:
        mobile, address = self.details()
        command = ChangeContact(mobile=mobile or None, address=address or None)
        return lambda counter, holder, dry_run: counter.take(
            holder, command, why="data_change:contact", dry_run=dry_run
        )

    def confirm_lines(self) -> list[tuple[str, str]]:
        mobile, address = self.details()
        lines = []
        if mobile:
            lines.append((t("counter.confirm.new_mobile"), mask_contact(mobile)))
        if address:
            lines.append((t("counter.confirm.new_address"), mask_contact(address)))
        return lines

    def reset_choices(self) -> None:
        self.query_one("#change-mobile", Input).value = ""
        self.query_one("#change-address", Input).value = ""
