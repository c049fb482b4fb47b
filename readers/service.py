"""The reader service: a watch loop that reads cards as they go in and reports what happens.

Built for a UI thread worker (or its own thread): `run()` blocks, waits on the backend with a
short timeout so it notices a stop request quickly, and hands every event to a callback. The
callback runs in the reader thread; a UI turns it into a message (Textual's `post_message` is
thread-safe) and never touches widgets from it. A lost PC/SC service is reported and retried
until it comes back, with a fresh backend context each time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from readers.apdu import NoPcscService, ReaderError
from readers.backend import CardBackend, ReaderState, read_card
from readers.sscard import AuthenticationGuard, CardReading


@dataclass(frozen=True)
class ReaderEvent:
    """Something the reader service saw."""


@dataclass(frozen=True)
class ReaderAttached(ReaderEvent):
    reader: str


@dataclass(frozen=True)
class ReaderDetached(ReaderEvent):
    reader: str


@dataclass(frozen=True)
class CardInserted(ReaderEvent):
    reader: str
    atr: bytes


@dataclass(frozen=True)
class CardRead(ReaderEvent):
    reader: str
    reading: CardReading


@dataclass(frozen=True)
class CardReadFailed(ReaderEvent):
    reader: str
    error: ReaderError


@dataclass(frozen=True)
class CardWithdrawn(ReaderEvent):
    reader: str


@dataclass(frozen=True)
class ServiceLost(ReaderEvent):
    error: ReaderError


@dataclass(frozen=True)
class ServiceRestored(ReaderEvent):
    readers: tuple[str, ...]


EventCallback = Callable[[ReaderEvent], None]


def diff_states(before: Sequence[ReaderState], after: Sequence[ReaderState]) -> list[ReaderEvent]:
    """The events that turn `before` into `after` (pure: the loop's decisions, testable alone)."""
    events: list[ReaderEvent] = []
    old = {s.name: s for s in before}
    new = {s.name: s for s in after}
    for name, state in old.items():
        if name not in new:
            if state.card_present:
                events.append(CardWithdrawn(name))
            events.append(ReaderDetached(name))
    for name, state in new.items():
        previous = old.get(name)
        if previous is None:
            events.append(ReaderAttached(name))
            if state.card_present:
                events.append(CardInserted(name, state.atr))
            continue
        if previous.card_present and not state.card_present:
            events.append(CardWithdrawn(name))
        elif state.card_present and (not previous.card_present or previous.atr != state.atr):
            if previous.card_present:
                events.append(CardWithdrawn(name))  # swapped between two looks
            events.append(CardInserted(name, state.atr))
    return events


class ReaderService:
    """Watches the readers, reads each inserted card once, and reports through a callback."""

    def __init__(
        self,
        backend_factory: Callable[[], CardBackend],
        *,
        reader: str = "",
        psam_reader: str = "",
        read_on_insert: bool = True,
        read_bank_pan: bool = False,
        poll_timeout: float = 0.5,
        retry_interval: float = 1.0,
    ) -> None:
        self.backend_factory = backend_factory
        self.reader = reader
        self.psam_reader = psam_reader
        self.read_on_insert = read_on_insert
        self.read_bank_pan = read_bank_pan
        self.poll_timeout = poll_timeout
        self.retry_interval = retry_interval
        #: One guard for the service's life: a card that refused authentication is not re-tried.
        self.guard = AuthenticationGuard()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watches(self, reader: str) -> bool:
        """Whether cards in `reader` are the holder's (not the PSAM, and the configured reader)."""
        if self.psam_reader and self.psam_reader.lower() in reader.lower():
            return False
        return not self.reader or self.reader.lower() in reader.lower()

    # -- the loop ----------------------------------------------------------------------------
    def run(self, on_event: EventCallback, should_stop: Callable[[], bool] | None = None) -> None:
        """Watch until `should_stop()` (or `stop()`); returns within about `poll_timeout`."""

        def stopped() -> bool:
            return self._stop.is_set() or (should_stop is not None and should_stop())

        backend = self.backend_factory()
        known: list[ReaderState] = []
        service_up: bool | None = None
        try:
            while not stopped():
                try:
                    if service_up:
                        states = backend.wait_for_change(known, self.poll_timeout)
                    else:
                        states = backend.reader_states()
                except NoPcscService as exc:
                    if service_up is not False:
                        for event in diff_states(known, []):
                            on_event(event)
                        on_event(ServiceLost(exc))
                    known, service_up = [], False
                    self._stop.wait(min(self.retry_interval, self.poll_timeout))
                    continue
                except ReaderError as exc:  # a reader failing while listed: report, keep going
                    on_event(ServiceLost(exc))
                    self._stop.wait(min(self.retry_interval, self.poll_timeout))
                    continue
                if service_up is False:
                    on_event(ServiceRestored(tuple(s.name for s in states)))
                service_up = True
                events = diff_states(known, states)
                known = states
                for event in events:
                    if isinstance(event, CardInserted | CardWithdrawn) and not self.watches(
                        event.reader
                    ):
                        continue
                    on_event(event)
                    if isinstance(event, CardInserted) and self.read_on_insert and not stopped():
                        on_event(self._read(backend, event.reader))
        finally:
            backend.close()

    def _read(self, backend: CardBackend, reader: str) -> ReaderEvent:
        try:
            reading = read_card(
                backend,
                reader=reader,
                psam_reader=self.psam_reader,
                guard=self.guard,
                read_bank_pan=self.read_bank_pan,
            )
        except ReaderError as exc:
            return CardReadFailed(reader, exc)
        return CardRead(reader, reading)

    # -- its own thread ---------------------------------------------------------------------
    def start(self, on_event: EventCallback) -> None:
        """Run the loop in a daemon thread of its own (for callers without a worker API)."""
        if self._thread is not None:
            raise RuntimeError("the reader service is already running")
        self._stop.clear()
        self._thread = threading.Thread(
            target=self.run, args=(on_event,), name="reader-service", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def read_now(self, reader: str = "") -> CardReading:
        """Read on demand in the calling thread, with a backend of its own."""
        backend = self.backend_factory()
        try:
            return read_card(
                backend,
                reader=reader or self.reader,
                psam_reader=self.psam_reader,
                guard=self.guard,
                read_bank_pan=self.read_bank_pan,
            )
        finally:
            backend.close()
