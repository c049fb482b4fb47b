"""Integration through the real stack: pyscard -> pcscd -> vpcd -> simulated cards over TCP."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator

import pytest

from branch_app.ui.card_text import reader_error_text
from readers.apdu import CardNotResponding, CardRemoved, NotSocialSecurityCard
from readers.backend import read_card
from readers.pcsc import PcscBackend
from readers.service import (
    CardInserted,
    CardRead,
    CardReadFailed,
    CardWithdrawn,
    ReaderEvent,
    ReaderService,
    ServiceLost,
    ServiceRestored,
)
from readers.simulated import SimulatedCard, SimulatedChip, SimulatedPsam, card_models
from readers.sscard import Generation, Unreadable
from readers.vpcd import VPCD_PORTS, PcscdDaemon, VpcdCard

from .conftest import CARD_READER, PSAM_READER, wait_card

pytestmark = [pytest.mark.pcscd]

Insert = Callable[..., VpcdCard]


@pytest.fixture
def insert(pcsc: PcscBackend) -> Iterator[Insert]:
    """Put a simulated chip in a vpcd slot and wait until pcscd sees it; all out at teardown."""
    inserted: list[VpcdCard] = []

    def _insert(chip: SimulatedChip, slot: int = 0, *, wait: bool = True, **kw: object) -> VpcdCard:
        card = VpcdCard(chip, port=VPCD_PORTS[slot], **kw)  # type: ignore[arg-type]
        card.insert()
        inserted.append(card)
        if wait:
            wait_card(pcsc, (CARD_READER, PSAM_READER)[slot], True)
        return card

    yield _insert
    for card in inserted:
        card.remove()
    for reader in (CARD_READER, PSAM_READER):
        wait_card(pcsc, reader, False)


def test_vpcd_slots_are_listed_as_readers(pcsc: PcscBackend) -> None:
    names = [s.name for s in pcsc.reader_states()]
    assert CARD_READER in names and PSAM_READER in names


@pytest.mark.parametrize("label", ["gen1", "gen2_t0", "rare_name", "malformed"])
def test_each_test_card_reads_through_pcscd(pcsc: PcscBackend, insert: Insert, label: str) -> None:
    model = card_models()[label]
    insert(SimulatedCard(model))
    reading = read_card(pcsc, reader=CARD_READER, read_bank_pan=True)
    expected = read_in_process(label)
    assert reading.atr == model.atr
    assert reading.reader == CARD_READER
    for field in ("generation", "name", "social_security_number", "card_number", "birth_date"):
        assert getattr(reading, field) == getattr(expected, field), field
    assert [u.field for u in reading.unreadable] == [u.field for u in expected.unreadable]
    if label == "gen2_t0":
        assert reading.bank_pan_masked == "622848*********5678"


def read_in_process(label: str):  # type: ignore[no-untyped-def]
    from readers.simulated import SimulatedReaders

    readers = SimulatedReaders(("R",))
    readers.insert("R", SimulatedCard(card_models()[label]))
    return read_card(readers, read_bank_pan=True)


def test_third_generation_card_with_a_psam_in_the_second_slot(
    pcsc: PcscBackend, insert: Insert
) -> None:
    insert(SimulatedPsam(), slot=1)
    card = SimulatedCard(card_models()["gen3_psam"])
    insert(card)
    reading = read_card(pcsc, psam_reader=PSAM_READER)
    assert reading.reader == CARD_READER  # the PSAM's reader is never taken for the card
    assert reading.generation is Generation.THIRD
    assert reading.authenticated
    assert reading.social_security_number == "440106199007211537"
    assert card.tries_left == 3


def test_third_generation_card_without_psam(pcsc: PcscBackend, insert: Insert) -> None:
    insert(SimulatedCard(card_models()["gen3_psam"]))
    reading = read_card(pcsc, reader=CARD_READER, psam_reader=PSAM_READER)
    assert reading.holder_needs_psam
    assert reading.card_number == "C00000032"
    reason = reading.reason_for("name")
    assert reason is not None and reason.reason is Unreadable.NEEDS_PSAM


def test_bank_card_is_refused(pcsc: PcscBackend, insert: Insert) -> None:
    insert(SimulatedCard(card_models()["bank_only"]))
    with pytest.raises(NotSocialSecurityCard):
        read_card(pcsc, reader=CARD_READER)


def test_no_card_is_a_clear_error(pcsc: PcscBackend) -> None:
    with pytest.raises(Exception) as caught:
        read_card(pcsc, reader=CARD_READER)
    assert caught.value.code == "no_card"  # type: ignore[attr-defined]


@pytest.mark.parametrize("after", [2, 10])
def test_removal_in_the_middle_of_a_read(pcsc: PcscBackend, insert: Insert, after: int) -> None:
    card = SimulatedCard(card_models()["gen2_t0"])
    insert(card)
    card.pull_out_after(after)
    with pytest.raises(CardRemoved):
        read_card(pcsc, reader=CARD_READER)
    wait_card(pcsc, CARD_READER, False)


def next_event(events: queue.Queue[ReaderEvent], kind: type[ReaderEvent], timeout: float = 10):  # type: ignore[no-untyped-def]
    while True:
        event = events.get(timeout=timeout)
        if isinstance(event, kind):
            return event


def test_watching_insertion_and_removal(pcscd: PcscdDaemon, insert: Insert) -> None:
    service = ReaderService(PcscBackend, psam_reader=PSAM_READER, poll_timeout=0.3)
    events: queue.Queue[ReaderEvent] = queue.Queue()
    service.start(events.put)
    try:
        for label in ("gen1", "rare_name"):
            card = insert(SimulatedCard(card_models()[label]), wait=False)
            assert next_event(events, CardInserted).reader == CARD_READER
            read = next_event(events, CardRead)
            assert read.reading.card_number == card_models()[label].files[0xEF05][7][2:].decode()
            card.remove()
            assert next_event(events, CardWithdrawn) == CardWithdrawn(CARD_READER)
        # A card pulled out while the service reads it: a failed read, then the removal.
        card = SimulatedCard(card_models()["gen2_t0"])
        card.pull_out_after(6)
        insert(card, wait=False)
        failed = next_event(events, CardReadFailed)
        assert failed.error.code == "card_removed"
        next_event(events, CardWithdrawn)
    finally:
        service.stop()


def test_backend_survives_a_pcscd_restart(pcscd: PcscdDaemon, insert: Insert) -> None:
    if not pcscd.started_here:
        pytest.skip("pcscd was already running here; the test restarts only a pcscd it started")
    insert(SimulatedCard(card_models()["gen1"]), stay_inserted=True)
    backend = PcscBackend()  # one long-lived context, as the app keeps it
    service = ReaderService(PcscBackend, poll_timeout=0.3, retry_interval=0.1)
    events: queue.Queue[ReaderEvent] = queue.Queue()
    try:
        assert read_card(backend, reader=CARD_READER).card_number == "A00000011"
        service.start(events.put)
        next_event(events, CardRead)
        pcscd.restart()
        assert next_event(events, ServiceLost).error.code == "no_service"
        next_event(events, ServiceRestored)
        again = next_event(events, CardRead)  # the card, still in, is read on the new context
        assert again.reading.card_number == "A00000011"
        wait_card(backend, CARD_READER, True)
        assert read_card(backend, reader=CARD_READER).card_number == "A00000011"
    finally:
        service.stop()
        backend.close()


def _hold(reader: str, share: str):  # type: ignore[no-untyped-def]
    """Another program's connection to the card (its own PC/SC context)."""
    from smartcard import scard

    result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    assert result == scard.SCARD_S_SUCCESS
    result, handle, _protocol = scard.SCardConnect(
        context, reader, getattr(scard, share), scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
    )
    assert result == scard.SCARD_S_SUCCESS, hex(result)

    def release() -> None:
        scard.SCardDisconnect(handle, scard.SCARD_LEAVE_CARD)
        scard.SCardReleaseContext(context)

    return release


def test_a_card_shared_with_another_program_is_read_inside_a_transaction(
    pcsc: PcscBackend, insert: Insert
) -> None:
    insert(SimulatedCard(card_models()["gen1"]))
    release = _hold(CARD_READER, "SCARD_SHARE_SHARED")
    try:
        assert read_card(pcsc, reader=CARD_READER).card_number == "A00000011"
    finally:
        release()


def test_a_card_held_exclusively_by_another_program_is_busy(
    pcsc: PcscBackend, insert: Insert
) -> None:
    insert(SimulatedCard(card_models()["gen1"]))
    release = _hold(CARD_READER, "SCARD_SHARE_EXCLUSIVE")
    try:
        with pytest.raises(Exception) as caught:
            read_card(pcsc, reader=CARD_READER)
        assert caught.value.code == "reader_busy"  # type: ignore[attr-defined]
        assert "其他程序" in reader_error_text(caught.value, "zh")  # type: ignore[arg-type]
    finally:
        release()
    assert read_card(pcsc, reader=CARD_READER).card_number == "A00000011"


def test_the_atr_follows_a_card_swapped_between_two_reads(
    pcscd: PcscdDaemon, insert: Insert
) -> None:
    """One long-lived backend, nothing watching in between: the second reading has the new ATR."""
    first, second = card_models()["gen1"], card_models()["rare_name"]
    assert first.atr != second.atr
    backend = PcscBackend()
    observer = PcscBackend()  # waits on pcscd with its own context, so `backend` learns nothing
    try:
        card = insert(SimulatedCard(first))
        reading = read_card(backend, reader=CARD_READER)
        assert (reading.atr, reading.card_number) == (first.atr, "A00000011")
        card.remove()
        wait_card(observer, CARD_READER, False)
        insert(SimulatedCard(second))
        reading = read_card(backend, reader=CARD_READER)
        assert reading.atr == second.atr
        assert reading.name == read_in_process("rare_name").name
    finally:
        backend.close()
        observer.close()


def test_a_closed_connection_sends_nothing(pcsc: PcscBackend, insert: Insert) -> None:
    chip = SimulatedCard(card_models()["gen1"])
    insert(chip)
    connection = pcsc.connect(CARD_READER)
    assert connection.atr == chip.atr
    connection.close()
    sent = chip.apdu_count
    with pytest.raises(CardNotResponding):
        connection.transmit(bytes.fromhex("00A4040000"))
    assert chip.apdu_count == sent
    assert read_card(pcsc, reader=CARD_READER).card_number == "A00000011"  # context still good


def test_a_context_from_before_a_pcscd_restart_reads_at_once(
    pcscd: PcscdDaemon, insert: Insert
) -> None:
    """The first read after a restart connects on a fresh context instead of failing once."""
    if not pcscd.started_here:
        pytest.skip("pcscd was already running here; the test restarts only a pcscd it started")
    insert(SimulatedCard(card_models()["gen1"]), stay_inserted=True)
    backend = PcscBackend()
    try:
        assert read_card(backend, reader=CARD_READER).card_number == "A00000011"
        pcscd.restart()
        observer = PcscBackend()
        try:
            wait_card(observer, CARD_READER, True)
        finally:
            observer.close()
        assert read_card(backend, reader=CARD_READER).card_number == "A00000011"
    finally:
        backend.close()
