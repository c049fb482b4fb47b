"""The reader service's watch loop on the in-process simulated readers."""

from __future__ import annotations

import queue

import pytest

from readers.apdu import NoPcscService
from readers.backend import ReaderState
from readers.service import (
    CardInserted,
    CardRead,
    CardReadFailed,
    CardWithdrawn,
    ReaderAttached,
    ReaderDetached,
    ReaderEvent,
    ReaderService,
    ServiceLost,
    ServiceRestored,
    diff_states,
)
from readers.simulated import SimulatedCard, SimulatedPsam, SimulatedReaders, card_models

CARD, PSAM = "Simulated Reader 0", "Simulated Reader 1 (PSAM)"


def next_event(events: queue.Queue[ReaderEvent], kind: type[ReaderEvent]) -> ReaderEvent:
    """The next event of `kind` (others before it are skipped), within 5 seconds."""
    while True:
        event = events.get(timeout=5)
        if isinstance(event, kind):
            return event


def test_diff_states_decisions() -> None:
    empty = ReaderState(CARD, False)
    card_a = ReaderState(CARD, True, b"\x3b\x01")
    card_b = ReaderState(CARD, True, b"\x3b\x02")
    assert diff_states([], [empty]) == [ReaderAttached(CARD)]
    assert diff_states([empty], [card_a]) == [CardInserted(CARD, b"\x3b\x01")]
    assert diff_states([card_a], [empty]) == [CardWithdrawn(CARD)]
    assert diff_states([card_a], [card_b]) == [CardWithdrawn(CARD), CardInserted(CARD, b"\x3b\x02")]
    assert diff_states([card_a], []) == [CardWithdrawn(CARD), ReaderDetached(CARD)]
    assert diff_states([card_a], [card_a]) == []


@pytest.fixture
def running() -> tuple[SimulatedReaders, ReaderService, queue.Queue[ReaderEvent]]:
    readers = SimulatedReaders((CARD, PSAM))
    readers.insert(PSAM, SimulatedPsam())
    service = ReaderService(lambda: readers, psam_reader="PSAM", poll_timeout=0.2)
    events: queue.Queue[ReaderEvent] = queue.Queue()
    service.start(events.put)
    yield readers, service, events
    service.stop()


def test_insertion_read_and_removal(running) -> None:  # type: ignore[no-untyped-def]
    readers, _service, events = running
    assert next_event(events, ReaderAttached) == ReaderAttached(CARD)
    readers.insert(CARD, SimulatedCard(card_models()["gen3_psam"]))
    inserted = next_event(events, CardInserted)
    assert inserted.reader == CARD  # type: ignore[attr-defined]
    read = next_event(events, CardRead)
    assert read.reading.authenticated  # type: ignore[attr-defined]
    assert read.reading.name == "黄志强"  # type: ignore[attr-defined]
    readers.remove(CARD)
    assert next_event(events, CardWithdrawn) == CardWithdrawn(CARD)


def test_the_psam_slot_is_not_reported_as_a_holder_card(running) -> None:  # type: ignore[no-untyped-def]
    readers, _service, events = running
    readers.insert(CARD, SimulatedCard(card_models()["gen1"]))
    read = next_event(events, CardRead)
    assert read.reader == CARD  # type: ignore[attr-defined]
    seen: list[ReaderEvent] = []
    while not events.empty():
        seen.append(events.get_nowait())
    assert all(getattr(e, "reader", CARD) != PSAM or isinstance(e, ReaderAttached) for e in seen)


def test_a_failed_read_is_an_event_not_a_crash(running) -> None:  # type: ignore[no-untyped-def]
    readers, _service, events = running
    readers.insert(CARD, SimulatedCard(card_models()["bank_only"]))
    failed = next_event(events, CardReadFailed)
    assert failed.error.code == "not_social_security_card"  # type: ignore[attr-defined]
    card = SimulatedCard(card_models()["gen2_t0"])
    card.pull_out_after(5)
    readers.insert(CARD, card)
    failed = next_event(events, CardReadFailed)
    assert failed.error.code == "card_removed"  # type: ignore[attr-defined]


class FlakyService(SimulatedReaders):
    """Simulated readers whose PC/SC service can be switched off."""

    def __init__(self) -> None:
        super().__init__((CARD,))
        self.down = False

    def reader_states(self) -> list[ReaderState]:
        if self.down:
            raise NoPcscService("test")
        return super().reader_states()

    def wait_for_change(self, known, timeout):  # type: ignore[no-untyped-def]
        if self.down:
            raise NoPcscService("test")
        result = super().wait_for_change(known, timeout)
        if self.down:
            raise NoPcscService("test")
        return result

    def set_down(self, down: bool) -> None:
        self.down = down
        with self._changed:
            self._changed.notify_all()


def test_service_loss_and_return_are_reported() -> None:
    readers = FlakyService()
    readers.insert(CARD, SimulatedCard(card_models()["gen1"]))
    service = ReaderService(lambda: readers, poll_timeout=0.2, retry_interval=0.05)
    events: queue.Queue[ReaderEvent] = queue.Queue()
    service.start(events.put)
    try:
        next_event(events, CardRead)
        readers.set_down(True)
        assert next_event(events, CardWithdrawn) == CardWithdrawn(CARD)
        lost = next_event(events, ServiceLost)
        assert lost.error.code == "no_service"  # type: ignore[attr-defined]
        readers.set_down(False)
        restored = next_event(events, ServiceRestored)
        assert restored.readers == (CARD,)  # type: ignore[attr-defined]
        next_event(events, CardRead)  # the card still in the reader is read again
    finally:
        service.stop()


def test_the_loop_stops_promptly_when_asked() -> None:
    readers = SimulatedReaders((CARD,))
    service = ReaderService(lambda: readers, poll_timeout=0.1)
    events: queue.Queue[ReaderEvent] = queue.Queue()
    service.start(events.put)
    next_event(events, ReaderAttached)
    thread = service._thread
    service.stop(timeout=2)
    assert thread is not None and not thread.is_alive()
