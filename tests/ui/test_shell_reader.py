"""The reader joins the shell after the first screen: card widget on the home screen, status slot.

Real reader service on in-process simulated readers (the same path as the demo), no hardware.
"""

from __future__ import annotations

from branch_app.ui.services import AppServices
from branch_app.ui.widgets.card_status import CardStatus
from readers.service import ReaderService
from readers.simulated import SimulatedCard, SimulatedPsam, SimulatedReaders, card_models

from .conftest import SIZE, fixed_clock, make_app, wait_until
from .test_shell_app import text_of

CARD, PSAM = "Simulated Reader 0", "Simulated Reader 1 (PSAM)"


async def test_reader_starts_after_the_first_screen_and_feeds_the_status_bar() -> None:
    readers = SimulatedReaders((CARD, PSAM))
    readers.insert(PSAM, SimulatedPsam())
    built: list[ReaderService] = []

    def factory() -> ReaderService:
        service = ReaderService(lambda: readers, psam_reader="PSAM", poll_timeout=0.1)
        built.append(service)
        return service

    app = make_app("en", services=AppServices(clock=fixed_clock, reader_factory=factory))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: bool(app.screen.query(CardStatus)))
        assert app.services.reader is built[0]
        assert app.screen.query_one("#card-status").border_title == "Card"
        readers.insert(CARD, SimulatedCard(card_models()["gen2_t0"]))
        await wait_until(pilot, lambda: "440104********0429" in text_of(app, "#status-reader"))
        assert app.screen.query_one("#status-reader").has_class("-ok")
        assert "440104197211020429" not in text_of(app, "#status-reader")
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.screen.query_one("#card-status").border_title == "卡片")
        readers.remove(CARD)
        await wait_until(pilot, lambda: "440104" not in text_of(app, "#status-reader"))


async def test_a_reader_that_cannot_start_is_an_error_in_the_bar_not_a_crash() -> None:
    def broken() -> ReaderService:
        raise OSError("no PC/SC service")

    app = make_app("en", services=AppServices(clock=fixed_clock, reader_factory=broken))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "cannot start" in text_of(app, "#status-reader"))
        # the label is shortened when the bar is short of room (issue 12, bug 13)
        assert text_of(app, "#status-reader").endswith(": cannot start: no PC/SC service")
        assert app.screen.query_one("#status-reader").has_class("-error")
        assert not app.screen.query(CardStatus)
