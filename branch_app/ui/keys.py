"""How keys are written for people: `F1`, `Ctrl+P`, `Esc`."""

from __future__ import annotations

_KEY_NAMES = {"escape": "Esc", "enter": "Enter", "delete": "Del", "question_mark": "?"}


def key_display(keys: str) -> str:
    """`f1` -> `F1`, `ctrl+p` -> `Ctrl+P`, `escape` -> `Esc`; several keys joined with " / "."""
    shown = []
    for key in keys.split(","):
        parts = [p.strip() for p in key.split("+")]
        shown.append(
            "+".join(_KEY_NAMES.get(p, p.capitalize() if len(p) > 1 else p.upper()) for p in parts)
        )
    return " / ".join(shown)
