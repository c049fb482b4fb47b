"""The line of keys under each screen, in the current language.

Textual's `Footer` shows a binding's description as written; our bindings carry a catalog key as
their description instead, so this bar can render them in Chinese or English and re-render on a
language switch. Bindings that `check_action` hides are left out; disabled ones are dimmed.

Nothing is cut (issue 12, bug 13): when the keys do not fit on one line they are drawn closer
together, and when they still do not fit they go on a second line (never a key split from its
words).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from branch_app.i18n import catalog, t


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar { height: auto; }
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

    def on_resize(self) -> None:
        self._render_keys()

    def _render_keys(self) -> None:
        keys = self._keys()
        width = self.size.width
        for tight in (False, True):
            pieces = [piece(key, words, enabled, tight) for key, words, enabled in keys]
            if width <= 0 or sum(p.cell_len for p in pieces) <= width:
                break
        lines: list[Text] = [Text(no_wrap=True)]
        for part in pieces:
            if width > 0 and lines[-1].cell_len and lines[-1].cell_len + part.cell_len > width:
                lines.append(Text(no_wrap=True))
            lines[-1].append_text(part)
        self.update(Text("\n", no_wrap=True).join(lines))

    def _keys(self) -> list[tuple[str, str, bool]]:
        """(key, words, enabled) of each binding shown, in the order a footer shows them."""
        known = catalog()
        keys: list[tuple[str, str, bool]] = []
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
            keys.append((self.app.get_key_display(binding), t(binding.description), enabled))
        return keys


def piece(key: str, words: str, enabled: bool, tight: bool) -> Text:
    """One key and its words: `[ F1 ] Help ` (tight: `[F1] Help `, the key's own spaces gone)."""
    text = Text(no_wrap=True)
    shown = key if tight else f" {key} "
    text.append(shown, style="bold reverse" if enabled else "dim reverse")
    text.append(f" {words} ", style="" if enabled else "dim")
    return text
