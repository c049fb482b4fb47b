"""The home screen: the branch profile, who is on duty, and the services menu."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from branch_app.config import AppConfig
from branch_app.i18n import t
from branch_app.ui.screens.base import ShellScreen
from branch_app.ui.service_menu import MenuEntry, menu_for
from branch_app.ui.services import StaffOnDuty
from branch_app.ui.status import StatusSnapshot

if TYPE_CHECKING:
    from readers.service import ReaderService


def profile_lines(config: AppConfig) -> list[tuple[str, str]]:
    """(label, value) pairs describing this branch and device."""
    branch = config.branch
    return [
        (t("shell.profile.code"), branch.code),
        (t("shell.profile.bank"), branch.bank),
        (
            t("shell.profile.instant"),
            t("common.yes") if branch.instant_issuance else t("common.no"),
        ),
        (t("shell.profile.device"), t(f"shell.device.{branch.device_kind.value}")),
    ]


def duty_lines(staff: StaffOnDuty | None) -> list[tuple[str, str]]:
    if staff is None:
        return [(t("shell.duty.nobody"), "")]
    return [
        (t("shell.duty.name"), staff.name),
        (t("shell.duty.staff_id"), staff.staff_id),
        (t("shell.duty.role"), t(f"shell.role.{staff.role.value}")),
    ]


def _table(lines: list[tuple[str, str]]) -> Text:
    text = Text()
    for index, (label, value) in enumerate(lines):
        if index:
            text.append("\n")
        text.append(label, style="bold")
        if value:
            text.append(f"  {value}")
    return text


def menu_options(entries: list[MenuEntry], width: int = 0) -> list[Option | None]:
    """The option list: a heading per group, a separator between groups, hints on blocked items
    (on a line of their own when the menu is `width` cells wide and the line would be cut)."""
    from rich.cells import cell_len

    options: list[Option | None] = []
    group = None
    for entry in entries:
        if entry.service.group != group:
            if group is not None:
                options.append(None)
            group = entry.service.group
            options.append(Option(Text(t(group), style="bold underline"), disabled=True))
        prompt = Text("  " + t(entry.service.title_key), no_wrap=True, overflow="ellipsis")
        if entry.blocked_by is not None:
            hint = f"  · {t(entry.blocked_by)}"
            if width and cell_len(prompt.plain + hint) > width:
                hint = f"\n  · {t(entry.blocked_by)}"
            prompt.append(hint, style="italic")
        options.append(Option(prompt, id=entry.service.id, disabled=entry.blocked_by is not None))
    return options


class HomeScreen(ShellScreen):
    TITLE_KEY = "shell.home.title"

    #: False once the person on duty changed: the next re-wording highlights the first service.
    _keep_highlight = True

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="home-body"):
            with Vertical(id="home-left"):
                yield Static(id="branch-profile", classes="panel")
                yield Static(id="on-duty", classes="panel")
            yield OptionList(id="services", classes="panel")

    def on_mount(self) -> None:
        self._menu_staff: StaffOnDuty | None = self.branch_app.status.staff
        self.watch(self.app, "status", self._status_changed, init=False)
        self.query_one("#services", OptionList).focus()
        self.branch_app.home_screen = self
        if self.branch_app.services.reader is not None:
            self.show_card_widget(self.branch_app.services.reader)

    def show_card_widget(self, service: ReaderService) -> None:
        """Mount the card widget (once) under the branch profile; it runs the reader's loop."""
        from branch_app.ui.widgets.card_status import CardStatus

        if self.query(CardStatus):
            return
        card = CardStatus(service, id="card-status", classes="panel")
        card.border_title = t("shell.card.title")
        self.query_one("#home-left").mount(card)

    _menu_width = 0

    def on_resize(self) -> None:
        # The menu's width is known once laid out: word the blocked hints for it.
        self.call_after_refresh(self._menu_resized)

    def _menu_resized(self) -> None:
        services = self.query_one("#services", OptionList)
        if services.scrollable_content_region.width != self._menu_width:
            self.relabel()

    def _status_changed(self, snapshot: StatusSnapshot) -> None:
        if snapshot.staff != self._menu_staff:
            self._menu_staff = snapshot.staff
            # Someone else now: the menu starts again at its first service, so Enter opens
            # the one the teller sees highlighted (issue 12, bug 8), not what the previous
            # person (or nobody) had highlighted.
            self._keep_highlight = False
            self.relabel()

    def relabel(self) -> None:
        config = self.branch_app.config
        staff = self.branch_app.status.staff
        profile = self.query_one("#branch-profile", Static)
        profile.border_title = t("shell.profile.title")
        profile.update(_table(profile_lines(config)))
        duty = self.query_one("#on-duty", Static)
        duty.border_title = t("shell.duty.title")
        duty.update(_table(duty_lines(staff)))
        for card in self.query("#card-status"):
            card.border_title = t("shell.card.title")
        services = self.query_one("#services", OptionList)
        services.border_title = t("shell.services.title")
        highlighted = services.highlighted_option
        keep = highlighted.id if highlighted is not None else None
        if not self._keep_highlight:
            keep = None
            self._keep_highlight = True
        role = staff.role if staff is not None else None
        self._menu_width = services.scrollable_content_region.width
        services.set_options(menu_options(menu_for(role, config.branch.place), self._menu_width))
        if keep is not None:
            try:
                services.highlighted = services.get_option_index(keep)
            except OptionDoesNotExist:
                services.action_first()
        else:
            services.action_first()
        services.scroll_to_highlight()

    @on(OptionList.OptionSelected, "#services")
    async def _service_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            await self.app.run_action(f"open_service({event.option.id!r})")
