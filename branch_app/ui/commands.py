"""The command palette (ctrl+p): every action of the shell, with prefixed, translated titles.

Titles read "Service: Check an identity document", "Language: English", "Theme: High contrast",
so a teller can type the kind of thing they want. Only what `check_action` allows is offered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

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
