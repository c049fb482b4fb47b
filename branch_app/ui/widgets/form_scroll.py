"""A scrolling panel of fields that is not a Tab stop of its own."""

from __future__ import annotations

from textual.containers import VerticalScroll


class FormScroll(VerticalScroll):
    """Scrolls like `VerticalScroll`, but Tab goes straight to its fields.

    Textual's scrolling containers take the focus themselves (so that a keyboard can scroll
    them); a panel of inputs does not need it: the focused field is scrolled into view. Without
    this, Tab from a list stopped on the panel first, drawing no focus mark."""

    can_focus = False
