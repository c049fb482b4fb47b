"""Re-wording a `Select` after a language switch (issue 12, bug 3), keeping what is chosen.

`Select.set_options` picks the first option, and the shown label is re-drawn only when the value
changes: setting the chosen value back when it is that first option would keep the previous
language's words. So the value passes by another option first, without any `Changed` message.
"""

from __future__ import annotations

from textual.widgets import Select


def reword_select(select: Select[str], options: list[tuple[str, str]], default: str) -> None:
    """New `options` (same values, new words) for `select`, its value kept (else `default`)."""
    value = select.value
    chosen = value if isinstance(value, str) else default
    values = [option for _label, option in options]
    if chosen not in values:
        chosen = default
    with select.prevent(Select.Changed):
        select.set_options(options)
        if select.value == chosen and len(values) > 1:
            select.value = values[-1] if chosen != values[-1] else values[0]
        select.value = chosen
