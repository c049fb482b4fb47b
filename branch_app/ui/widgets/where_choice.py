"""Which bank this branch is, relative to the card's bank: the loss report's and the unlock's choice."""

from __future__ import annotations

from textual.widgets import RadioButton, RadioSet

from branch_app.i18n import t

#: The "where" choices: decided from the record's bank, or said by the teller.
WHERE = ("auto", "card_bank", "other_bank")


def where_flag(index: int | None) -> bool | None:
    """`at_card_bank` for the counter: None lets the record's bank decide."""
    choice = WHERE[index or 0]
    return None if choice == "auto" else choice == "card_bank"


class WhereChoice(RadioSet):
    """Which bank this branch is, relative to the card's bank. `suffix` picks the service's
    wording of the two explicit choices (`_unlock`)."""

    def __init__(
        self,
        suffix: str = "",
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        self.suffix = suffix
        buttons = [RadioButton(id=f"where-{choice}", value=choice == "auto") for choice in WHERE]
        super().__init__(*buttons, name=name, id=id, classes=classes, disabled=disabled)

    def relabel(self) -> None:
        for choice in WHERE:
            key = f"counter.where.{choice}" + (self.suffix if choice != "auto" else "")
            self.query_one(f"#where-{choice}", RadioButton).label = t(key)

    def at_card_bank(self) -> bool | None:
        return where_flag(self.pressed_index)

    def reset(self) -> None:
        self.query_one("#where-auto", RadioButton).value = True
