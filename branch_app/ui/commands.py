"""The command palette (ctrl+p): every action of the shell, with prefixed, translated titles.

Titles read "Service: Check an identity document", "Language: English", "Theme: High contrast",
so a teller can type the kind of thing they want. Only what `check_action` allows is offered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.widgets.option_list import Option

from branch_app.i18n import t

if TYPE_CHECKING:
    from branch_app.ui.app import BranchApp


def palette_title(prefix_key: str, name: str) -> str:
    return t("shell.palette.title", prefix=t(prefix_key), name=name)


class ShellCommands(Provider):
    """Services, navigation, language, themes, help, demo role and quit."""

    @property
    def branch_app(self) -> BranchApp:
        return self.app  # type: ignore[return-value]

    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        app = self.branch_app
        yield from app.palette_commands()
        if app.services.palette_extras is not None:  # the demo's own entries
            yield from app.services.palette_extras(app)

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, partial(_run, callback), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(_run, callback), help=help_text)


def _run(callback: Callable[[], object]) -> None:
    callback()


class ShellCommandPalette(CommandPalette):
    """Textual's palette with its one built-in sentence ("No matches found") translated."""

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Mirrors CommandPalette._start_no_matches_countdown (Textual 8.2) with translated text.
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(Text(t("shell.palette.no_matches"), style="not bold")),
                        disabled=True,
                        id=self._NO_MATCHES,
                    )
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
