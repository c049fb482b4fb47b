"""The card widget in a Pilot test, fed by the reader service on in-process simulated readers."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Iterator

import pytest
from textual import on
from textual.app import App, ComposeResult
from textual.message import Message

from branch_app.i18n import Language, current_language, set_language
from branch_app.ui.status import ReaderStatusChanged, SlotState
from branch_app.ui.widgets.card_status import CardStatus
from readers.service import ReaderService
from readers.simulated import SimulatedCard, SimulatedPsam, SimulatedReaders, card_models

CARD, PSAM = "Simulated Reader 0", "Simulated Reader 1 (PSAM)"


class CardApp(App[None]):
    """A bare app around the widget, recording every message that bubbles up."""

    def __init__(self, service: ReaderService | None) -> None:
        super().__init__()
        self.service = service
        self.messages: list[Message] = []
        self.arrived = asyncio.Event()

    def compose(self) -> ComposeResult:
        yield CardStatus(self.service, id="card")

    def _record(self, message: Message) -> None:
        self.messages.append(message)
        self.arrived.set()

    @on(CardStatus.CardInserted)
    @on(CardStatus.CardRead)
    @on(CardStatus.CardReadFailed)
    @on(CardStatus.CardRemoved)
    @on(CardStatus.ReaderFound)
    def _card_message(self, message: Message) -> None:
        self._record(message)

    @on(ReaderStatusChanged)
    def _slot(self, message: ReaderStatusChanged) -> None:
        self._record(message)

    async def wait_for(self, kind: type[Message], count: int = 1, timeout: float = 5.0) -> Message:
        """The `count`-th message of `kind`, waiting on arrivals (never on a clock)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.messages if isinstance(m, kind)]
            if len(found) >= count:
                return found[count - 1]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {kind.__name__} #{count} within {timeout}s")
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), remaining)
            except TimeoutError:
                continue


@pytest.fixture
def english() -> Iterator[None]:
    before = current_language()
    set_language(Language.ENGLISH)
    yield
    set_language(before)


def rendered(app: CardApp) -> str:
    return str(app.query_one(CardStatus).render())


async def test_widget_follows_cards_in_and_out(english: None) -> None:
    readers = SimulatedReaders((CARD, PSAM))
    readers.insert(PSAM, SimulatedPsam())
    service = ReaderService(lambda: readers, psam_reader="PSAM", poll_timeout=0.1)
    app = CardApp(service)
    async with app.run_test() as pilot:
        await app.wait_for(CardStatus.ReaderFound)
        await pilot.pause()
        assert "No card in Simulated Reader 0" in rendered(app)

        readers.insert(CARD, SimulatedCard(card_models()["gen2_t0"]))
        read = await app.wait_for(CardStatus.CardRead)
        await pilot.pause()
        assert read.reading.card_number == "B00000027"  # type: ignore[attr-defined]
        text = rendered(app)
        assert "440104********0429" in text and "李**" in text
        assert "2nd generation" in text and "Simulated Reader 0" in text
        assert "440104197211020429" not in text and "李秀英" not in text
        widget = app.query_one(CardStatus)
        assert widget.card_present and widget.has_class("-card")
        slot = [m for m in app.messages if isinstance(m, ReaderStatusChanged)][-1]
        assert (slot.state, slot.text) == (SlotState.OK, "reader.status.card")
        assert slot.params == {"holder": "440104********0429"}

        readers.remove(CARD)
        await app.wait_for(CardStatus.CardRemoved)
        await pilot.pause()
        assert "No card in" in rendered(app)
        assert not widget.card_present

        # A 3rd-generation card with the PSAM, then a bank card that is refused.
        readers.insert(CARD, SimulatedCard(card_models()["gen3_psam"]))
        read = await app.wait_for(CardStatus.CardRead, count=2)
        assert read.reading.authenticated  # type: ignore[attr-defined]
        readers.remove(CARD)
        await app.wait_for(CardStatus.CardRemoved, count=2)
        readers.insert(CARD, SimulatedCard(card_models()["bank_only"]))
        failed = await app.wait_for(CardStatus.CardReadFailed)
        await pilot.pause()
        assert failed.error.code == "not_social_security_card"  # type: ignore[attr-defined]
        assert "not a social security card" in rendered(app)
        assert widget.has_class("-error")


async def test_widget_says_when_the_holder_needs_a_psam(english: None) -> None:
    readers = SimulatedReaders((CARD,))
    readers.insert(CARD, SimulatedCard(card_models()["gen3_psam"]))
    app = CardApp(ReaderService(lambda: readers, poll_timeout=0.1))
    async with app.run_test() as pilot:
        await app.wait_for(CardStatus.CardRead)
        await pilot.pause()
        assert "type the ID number" in rendered(app)
        assert "C00000032" in rendered(app)


async def test_widget_speaks_chinese() -> None:
    before = current_language()
    set_language(Language.CHINESE)
    try:
        readers = SimulatedReaders((CARD,))
        readers.insert(CARD, SimulatedCard(card_models()["gen1"]))
        app = CardApp(ReaderService(lambda: readers, poll_timeout=0.1))
        async with app.run_test() as pilot:
            await app.wait_for(CardStatus.CardRead)
            await pilot.pause()
            text = rendered(app)
            assert "社保卡" in text and "第一代" in text and "陈**" in text
    finally:
        set_language(before)


async def test_widget_without_a_service_says_not_available(english: None) -> None:
    app = CardApp(None)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert "not available" in rendered(app)


async def test_quitting_stops_the_reader_thread(english: None) -> None:
    readers = SimulatedReaders((CARD,))
    threads: list[threading.Thread] = []

    def backend() -> SimulatedReaders:
        threads.append(threading.current_thread())  # the thread the watch loop runs in
        return readers

    app = CardApp(ReaderService(backend, poll_timeout=0.1))
    async with app.run_test():
        await app.wait_for(CardStatus.ReaderFound)
        assert len(threads) == 1 and threads[0] is not threading.main_thread()
    # The app's exit cancelled the worker; the loop notices within its poll timeout. The wait
    # runs on a thread of its own: the reader's loop ran on a thread of the default executor,
    # which `asyncio.to_thread` could hand back, and a thread cannot join itself.
    with concurrent.futures.ThreadPoolExecutor(1) as waiter:
        loop = asyncio.get_running_loop()
        for _ in range(50):
            if not _loop_running(threads[0]):
                break
            await asyncio.wait_for(loop.run_in_executor(waiter, threads[0].join, 0.1), 1)
    assert not _loop_running(threads[0])


def _loop_running(thread: threading.Thread) -> bool:
    """Whether `thread` is still inside `ReaderService.run` (executor threads outlive it)."""
    import sys

    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        if frame.f_code.co_name == "run" and "readers/service.py" in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False
