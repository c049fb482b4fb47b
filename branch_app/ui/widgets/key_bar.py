"""The line of keys under each screen, in the current language.

Textual's `Footer` shows a binding's description as written; our bindings carry a catalog key as
their description instead, so this bar can render them in Chinese or English and re-render on a
language switch. Bindings that `check_action` hides are left out; disabled ones are dimmed.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from branch_app.i18n import catalog, t


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar { height: 1; }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.watch(self.app, "language", self._language_changed, init=False)
        self._render_keys()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: object) -> None:
        self._render_keys()

    def _language_changed(self, _language: object) -> None:
        self._render_keys()

    def _render_keys(self) -> None:
        known = catalog()
        line = Text(no_wrap=True, overflow="ellipsis")
        seen: set[str] = set()
        active = list(self.screen.active_bindings.values())
        # Priority bindings (quit) come first in Textual's order; show them last, as a footer does.
        active.sort(key=lambda item: item[1].priority)
        for _node, binding, enabled, _tooltip in active:
            if not binding.show or binding.description not in known:
                continue
            if binding.description in seen:
                continue
            seen.add(binding.description)
            key_style = "bold reverse" if enabled else "dim reverse"
            line.append(f" {self.app.get_key_display(binding)} ", style=key_style)
            line.append(f" {t(binding.description)} ", style="" if enabled else "dim")
        self.update(line)
