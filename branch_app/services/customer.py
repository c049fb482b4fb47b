"""The customer session: one person served at a time, from identifying them to the end.

No Textual here. The app starts a session when the holder is identified (the card in the reader,
or the ID number typed with its document kind); every service screen then works for that person
until the teller ends the session, the idle lock ends it or the teller logs out. Nothing of one
customer may be shown to the next: the app clears every form when `end` returns.

The holder's name comes from the card or the central's lookup. It is shown masked (the first
character, then `*`); `reveal_name` gives it in full for a moment and writes who asked, and why,
to the audit journal first.

`check_new_card` binds a new card to its application: the card in the reader (or, only when its
chip cannot be read, the number typed from its face with the reason) must carry the holder's
social security number and, for a card the agency reported, the number it reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from branch_app.domain.identity import IdentityNumber

if TYPE_CHECKING:
    from branch_app.services.ports import AuditJournal


class HolderSource(StrEnum):
    """How the holder was identified."""

    CARD = "card"
    TYPED = "typed"


class NewCardProblem(StrEnum):
    """Why a new card cannot be bound to the application (catalog `counter.new_card.<code>`)."""

    NOT_READ = "not_read"  # no card read and no typed number
    REASON_REQUIRED = "reason_required"  # a typed number without why the chip was not read
    OTHER_HOLDER = "other_holder"  # the card's social security number is another person's
    NUMBER_DIFFERS = "number_differs"  # not the card the agency reported for this application
    NOTHING_READY = "nothing_ready"  # the record shows no new card for this holder


def mask_name(name: str) -> str:
    """`张**`: the first character, then one `*` for each other (at least one)."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


@dataclass(frozen=True)
class ServedRequest:
    """One request made for the customer: the service and the reference given to them."""

    service: str
    reference: str
    at: dt.datetime


@dataclass(frozen=True)
class CustomerSession:
    """Who is being served, since when, and what was done for them."""

    holder: IdentityNumber
    started_at: dt.datetime
    source: HolderSource
    #: From the card or the central; never shown unmasked except through `reveal_name`.
    name: str | None = None
    requests: tuple[ServedRequest, ...] = ()

    @property
    def masked_name(self) -> str:
        return mask_name(self.name) if self.name else ""

    def __repr__(self) -> str:  # personal data: never in logs or tracebacks
        return f"CustomerSession({self.source.value}, requests={len(self.requests)})"


@dataclass(frozen=True)
class NewCard:
    """A new card as the teller presents it: read from the chip, or typed with a reason."""

    card_number: str | None = None
    social_security_number: str | None = None
    #: Why the chip could not be read; set only when the number was typed.
    typed_reason: str | None = None

    @property
    def read(self) -> bool:
        return self.typed_reason is None and self.card_number is not None

    def __repr__(self) -> str:
        return f"NewCard(read={self.read})"


def check_new_card(
    card: NewCard, holder: IdentityNumber, reported: str | None, *, issuing: bool
) -> NewCardProblem | None:
    """Whether `card` is the holder's new card. `reported` is the number the card agency gave
    for the application (`None` for an instant card printed here: `issuing`)."""
    number = (card.card_number or "").strip().upper()
    if not number:
        return NewCardProblem.NOT_READ
    if card.typed_reason is not None and not card.typed_reason.strip():
        return NewCardProblem.REASON_REQUIRED
    if card.typed_reason is None:
        ssn = (card.social_security_number or "").strip().upper()
        if ssn != holder.number.upper():
            return NewCardProblem.OTHER_HOLDER
    if issuing:
        return None
    if reported is None:
        return NewCardProblem.NOTHING_READY
    if number != reported.strip().upper():
        return NewCardProblem.NUMBER_DIFFERS
    return None


@dataclass
class CustomerDesk:
    """The one customer at this counter now (or nobody), and the name's audited reveal."""

    clock: Callable[[], dt.datetime]
    current: CustomerSession | None = None
    #: Sessions ended so far (counts only: nothing personal is kept).
    ended: int = field(default=0)

    def start(
        self, holder: IdentityNumber, *, source: HolderSource, name: str | None = None
    ) -> CustomerSession:
        """Serve `holder` now. The same person again keeps the session (and learns the name
        when it comes); another person ends the previous one first."""
        current = self.current
        if current is not None and current.holder.number == holder.number:
            if name and not current.name:
                current = replace(current, name=name)
                self.current = current
            return current
        if current is not None:
            self.end()
        self.current = CustomerSession(
            holder=holder, started_at=self.clock(), source=source, name=name or None
        )
        return self.current

    def learn_name(self, holder_id: str, name: str | None) -> None:
        """The central's lookup or a card gave the name of the person being served."""
        current = self.current
        if current is not None and name and current.holder.number == holder_id:
            self.current = replace(current, name=name)

    def served(self, service: str, reference: str) -> None:
        """A request was accepted for the customer being served."""
        current = self.current
        if current is None:
            return
        request = ServedRequest(service=service, reference=reference, at=self.clock())
        self.current = replace(current, requests=(*current.requests, request))

    def end(self) -> CustomerSession | None:
        """Nobody is served any more; the session that ended, if any."""
        ended, self.current = self.current, None
        if ended is not None:
            self.ended += 1
        return ended

    def reveal_name(
        self,
        audit: AuditJournal,
        *,
        actor: str,
        why: str,
        device: str = "",
        branch: str = "",
    ) -> str | None:
        """The name in full, after the reveal is audited (who, why); `None`: no name known."""
        current = self.current
        if current is None or not current.name:
            return None
        audit.record(
            "counter.name_revealed",
            actor=actor,
            holder_id=current.holder.number,
            reason=why,
            device=device,
            branch=branch,
        )
        return current.name
