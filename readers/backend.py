"""What any source of readers offers (PC/SC or simulated), and reading a card from one.

`CardBackend` is the seam between the pure card logic and the IO: the PC/SC backend
(`readers.pcsc`) and the in-process simulated backend (`readers.simulated`) both implement it, so
the reader service, the CLI and the widget run the same code on both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from readers.apdu import NoCard, NoReader, PsamMissing, ReaderError, ReaderNotFound
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


class ReaderPsam:
    """The PSAM in another reader, connected only when a 3rd-generation card needs it."""

    def __init__(self, backend: CardBackend, psam_reader: str) -> None:
        self.backend = backend
        self.psam_reader = psam_reader
        self.connection: CardConnection | None = None
        self._session: PsamSession | None = None
        self._tried = False

    def available(self) -> bool:
        if not self._tried:
            self._tried = True
            self.connection = _connect_named(self.backend, self.psam_reader)
            if self.connection is not None:
                self._session = PsamSession(self.connection)
        return self._session is not None

    def external_authentication_cryptogram(self, diversification: bytes, challenge: bytes) -> bytes:
        if not self.available() or self._session is None:
            raise PsamMissing(self.psam_reader)
        return self._session.external_authentication_cryptogram(diversification, challenge)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _connect_named(backend: CardBackend, name: str) -> CardConnection | None:
    """Connect to the card in the reader called `name` (exactly, else by substring); None if no card."""
    try:
        return backend.connect(name)
    except ReaderNotFound:
        pass
    except ReaderError:
        return None
    try:
        state = find_psam_reader(backend.reader_states(), name)
        if state is None or not state.card_present:
            return None
        return backend.connect(state.name)
    except ReaderError:
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

    A reader named exactly is connected at once (no listing: the common case at a counter, and
    the fast one). A PSAM in `psam_reader` is connected only for a 3rd-generation card; when it
    is configured but absent the reading says the holder fields need a PSAM. Raises
    `ReaderError` on every failure.
    """
    connection: CardConnection | None = None
    if reader:
        try:
            connection = backend.connect(reader)
        except ReaderNotFound:
            connection = None  # not an exact name: look it up below
    if connection is None:
        chosen = pick_reader(backend.reader_states(), reader, exclude=psam_reader)
        if not chosen.card_present:
            raise NoCard(chosen.name)
        connection = backend.connect(chosen.name)
    psam = ReaderPsam(backend, psam_reader) if psam_reader else None
    try:
        return read_social_security_card(
            connection,
            reader=connection.reader,
            atr=connection.atr,
            psam=psam,
            guard=guard,
            read_bank_pan=read_bank_pan,
        )
    finally:
        connection.close()
        if psam is not None:
            psam.close()
