"""What any source of readers offers (PC/SC or simulated), and reading a card from one.

`CardBackend` is the seam between the pure card logic and the IO: the PC/SC backend
(`readers.pcsc`) and the in-process simulated backend (`readers.simulated`) both implement it, so
the reader service, the CLI and the widget run the same code on both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from readers.apdu import NoCard, NoReader, ReaderError, ReaderNotFound
from readers.sscard import (
    AuthenticationGuard,
    CardReading,
    PsamSession,
    read_social_security_card,
)


@dataclass(frozen=True, slots=True)
class ReaderState:
    """One reader as last seen: its name and whether a card sits in it."""

    name: str
    card_present: bool
    atr: bytes = b""


class CardConnection(Protocol):
    """An open connection to the card in one reader (a `Transport` with its ATR)."""

    reader: str
    atr: bytes

    def transmit(self, apdu: bytes) -> bytes: ...

    def close(self) -> None: ...


class CardBackend(Protocol):
    """A source of readers. Every wait takes a timeout, so a caller can always stop."""

    def reader_states(self) -> list[ReaderState]:
        """The readers now connected; raises `NoPcscService` when the service is down."""
        ...

    def wait_for_change(self, known: Sequence[ReaderState], timeout: float) -> list[ReaderState]:
        """Block until the readers or cards differ from `known`, or `timeout` seconds pass."""
        ...

    def connect(self, reader: str) -> CardConnection:
        """Connect to the card in `reader`: `NoCard`, `ReaderNotFound`, ... on failure."""
        ...

    def close(self) -> None: ...


def pick_reader(
    states: Sequence[ReaderState], wanted: str = "", *, exclude: str = ""
) -> ReaderState:
    """The reader to read from: the one named (a substring is enough), else the first with a card.

    `exclude` names the PSAM's reader, which never holds the holder's card.
    """
    candidates = [s for s in states if not (exclude and exclude in s.name)]
    if not states:
        raise NoReader()
    if wanted:
        for state in candidates:
            if state.name == wanted:
                return state
        for state in candidates:
            if wanted.lower() in state.name.lower():
                return state
        raise ReaderNotFound(name=wanted)
    if not candidates:
        raise NoReader()
    with_card = [s for s in candidates if s.card_present]
    return with_card[0] if with_card else candidates[0]


def find_psam_reader(states: Sequence[ReaderState], psam_name: str) -> ReaderState | None:
    if not psam_name:
        return None
    for state in states:
        if psam_name == state.name or psam_name.lower() in state.name.lower():
            return state
    return None


def read_card(
    backend: CardBackend,
    *,
    reader: str = "",
    psam_reader: str = "",
    guard: AuthenticationGuard | None = None,
    read_bank_pan: bool = False,
) -> CardReading:
    """Read the social security card in `reader` (or the first reader holding a card).

    A PSAM in `psam_reader` is used for 3rd-generation cards; when it is configured but absent
    the reading says the holder fields need a PSAM. Raises `ReaderError` on every failure.
    """
    states = backend.reader_states()
    chosen = pick_reader(states, reader, exclude=psam_reader)
    if not chosen.card_present:
        raise NoCard(chosen.name)
    psam_state = find_psam_reader(states, psam_reader)
    connection = backend.connect(chosen.name)
    psam_connection: CardConnection | None = None
    try:
        psam = None
        if psam_state is not None and psam_state.card_present:
            try:
                psam_connection = backend.connect(psam_state.name)
                psam = PsamSession(psam_connection)
            except ReaderError:
                psam = None  # the reading will say the holder fields need a PSAM
        return read_social_security_card(
            connection,
            reader=chosen.name,
            atr=connection.atr,
            psam=psam,
            guard=guard,
            read_bank_pan=read_bank_pan,
        )
    finally:
        connection.close()
        if psam_connection is not None:
            psam_connection.close()
