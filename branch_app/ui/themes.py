"""The themes a teller can choose, including one with high contrast for low vision and glare."""

from __future__ import annotations

from textual.theme import Theme

HIGH_CONTRAST = Theme(
    name="branch-high-contrast",
    primary="#FFFF00",
    secondary="#00FFFF",
    accent="#FFFF00",
    warning="#FFD700",
    error="#FF6060",
    success="#00FF66",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#101010",
    boost="#202020",
    dark=True,
    luminosity_spread=0.0,
    text_alpha=1.0,
    variables={
        "border": "#FFFFFF",
        "border-blurred": "#C0C0C0",
        "block-cursor-foreground": "#000000",
        "block-cursor-background": "#FFFF00",
        "block-cursor-text-style": "bold",
        "input-cursor-background": "#FFFF00",
        "input-cursor-foreground": "#000000",
        "input-selection-background": "#0000FF",
        "footer-key-foreground": "#FFFF00",
        "scrollbar": "#FFFFFF",
    },
)

#: The themes offered, in the order the theme key cycles through them.
THEME_CHOICES: tuple[str, ...] = ("textual-dark", "textual-light", HIGH_CONTRAST.name)
CUSTOM_THEMES: tuple[Theme, ...] = (HIGH_CONTRAST,)


def next_theme(current: str) -> str:
    """The theme after `current` in `THEME_CHOICES` (the first one for any other theme)."""
    try:
        index = THEME_CHOICES.index(current)
    except ValueError:
        return THEME_CHOICES[0]
    return THEME_CHOICES[(index + 1) % len(THEME_CHOICES)]
