"""The card widget: which reader, whether a card is in it, whose card (masked), which generation.

Given a `readers.service.ReaderService`, it runs the service's watch loop in a thread worker. The
worker never touches widgets: each reader event becomes one of the widget's nested messages
(past tense: `CardStatus.CardInserted`, `CardRead`, `CardRemoved`, ...) posted with the
thread-safe `post_message`, handled on the app thread. The messages bubble, so a screen or the
app can react (`on_card_status_card_read` to open the holder's record). The widget also posts
the status bar's `ReaderStatusChanged`, so the bar's reader slot follows the card.

    yield CardStatus(app.services.reader)   # once, e.g. in the home screen
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.widgets import Static
from textual.worker import get_current_worker

from branch_app.i18n import t
from branch_app.logbook import log_reader_event
from branch_app.ui.card_text import (
    generation_text,
    holder_text,
    masked_number,
    reader_error_text,
)
from branch_app.ui.status import ReaderStatusChanged, SlotState

if TYPE_CHECKING:
    from readers.apdu import ReaderError
    from readers.service import ReaderEvent, ReaderService
    from readers.sscard import CardReading


class CardStatus(Static):
    """Live card state, fed by the reader service through messages."""

    DEFAULT_CSS = """
    CardStatus { height: auto; padding: 0 1; }
    CardStatus.-card { color: $success; }
    CardStatus.-waiting { color: $text-muted; }
    CardStatus.-error { color: $error; }
    """

    class CardInserted(Message):
        """A card went into `reader` (its reading follows as `CardRead` or `CardReadFailed`)."""

        def __init__(self, reader: str) -> None:
            super().__init__()
            self.reader = reader

    class CardRead(Message):
        """The card in `reader` was read; `reading` holds the fields (masked in its repr)."""

        def __init__(self, reader: str, reading: CardReading) -> None:
            super().__init__()
            self.reader = reader
            self.reading = reading

    class CardReadFailed(Message):
        """The card in `reader` could not be read; `error` says why in both languages."""

        def __init__(self, reader: str, error: ReaderError) -> None:
            super().__init__()
            self.reader = reader
            self.error = error

    class CardRemoved(Message):
        def __init__(self, reader: str) -> None:
            super().__init__()
            self.reader = reader

    class ReaderFound(Message):
        def __init__(self, reader: str) -> None:
            super().__init__()
            self.reader = reader

    class ReaderLost(Message):
        def __init__(self, reader: str) -> None:
            super().__init__()
            self.reader = reader

    class ServiceLost(Message):
        """The PC/SC service stopped; the widget keeps retrying until `ServiceRestored`."""

        def __init__(self, error: ReaderError) -> None:
            super().__init__()
            self.error = error

    class ServiceRestored(Message):
        pass

    def __init__(self, service: ReaderService | None = None, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.service = service
        self.readers: list[str] = []
        self.card_reader: str | None = None
        self.reading: CardReading | None = None
        self.error: ReaderError | None = None
        self.reading_in_progress = False
        self.service_down = False

    # -- the worker -------------------------------------------------------------------------
    def on_mount(self) -> None:
        if hasattr(self.app, "language"):
            self.watch(self.app, "language", lambda _value: self.refresh_text(), init=False)
        self.refresh_text()
        if self.service is not None:
            self.watch_readers()

    @work(thread=True, exclusive=True, exit_on_error=False, group="card-reader")
    def watch_readers(self) -> None:
        """The service's loop, in a thread; ends within its poll timeout once cancelled."""
        assert self.service is not None
        worker = get_current_worker()
        self.service.run(self.forward, should_stop=lambda: worker.is_cancelled)

    def forward(self, event: ReaderEvent) -> None:
        """Reader thread: turn a service event into this widget's message. No widget access."""
        log_reader_event(event)  # the rotating log: what happened, never the card's data
        message = self.message_for(event)
        if message is not None:
            self.post_message(message)

    @classmethod
    def message_for(cls, event: ReaderEvent) -> Message | None:
        from readers import service as ev

        if isinstance(event, ev.CardInserted):
            return cls.CardInserted(event.reader)
        if isinstance(event, ev.CardRead):
            return cls.CardRead(event.reader, event.reading)
        if isinstance(event, ev.CardReadFailed):
            return cls.CardReadFailed(event.reader, event.error)
        if isinstance(event, ev.CardWithdrawn):
            return cls.CardRemoved(event.reader)
        if isinstance(event, ev.ReaderAttached):
            return cls.ReaderFound(event.reader)
        if isinstance(event, ev.ReaderDetached):
            return cls.ReaderLost(event.reader)
        if isinstance(event, ev.ServiceLost):
            return cls.ServiceLost(event.error)
        if isinstance(event, ev.ServiceRestored):
            return cls.ServiceRestored()
        return None

    # -- handlers (app thread) ----------------------------------------------------------------
    @on(ReaderFound)
    def _reader_found(self, message: ReaderFound) -> None:
        if message.reader not in self.readers:
            self.readers.append(message.reader)
        self.refresh_text()

    @on(ReaderLost)
    def _reader_lost(self, message: ReaderLost) -> None:
        if message.reader in self.readers:
            self.readers.remove(message.reader)
        if self.card_reader == message.reader:
            self._clear_card()
        self.refresh_text()

    @on(CardInserted)
    def _card_inserted(self, message: CardInserted) -> None:
        self.card_reader = message.reader
        self.reading, self.error, self.reading_in_progress = None, None, True
        self.refresh_text()

    @on(CardRead)
    def _card_read(self, message: CardRead) -> None:
        self.card_reader = message.reader
        self.reading, self.error, self.reading_in_progress = message.reading, None, False
        self.refresh_text()

    @on(CardReadFailed)
    def _card_read_failed(self, message: CardReadFailed) -> None:
        self.card_reader = message.reader
        self.reading, self.error, self.reading_in_progress = None, message.error, False
        self.refresh_text()

    @on(CardRemoved)
    def _card_removed(self, message: CardRemoved) -> None:
        if self.card_reader in (None, message.reader):
            self._clear_card()
        self.refresh_text()

    @on(ServiceLost)
    def _service_lost(self, message: ServiceLost) -> None:
        self.service_down = True
        self.readers.clear()
        self._clear_card()
        self.error = message.error
        self.refresh_text()

    @on(ServiceRestored)
    def _service_restored(self) -> None:
        self.service_down = False
        self.error = None
        self.refresh_text()

    def _clear_card(self) -> None:
        self.card_reader = None
        self.reading = None
        self.error = None
        self.reading_in_progress = False

    # -- what it shows ------------------------------------------------------------------------
    @property
    def card_present(self) -> bool:
        return self.card_reader is not None

    def _holder_reader(self) -> str:
        if self.card_reader:
            return self.card_reader
        psam = self.service.psam_reader.lower() if self.service and self.service.psam_reader else ""
        names = [r for r in self.readers if not (psam and psam in r.lower())]
        return names[0] if names else ""

    def describe(self) -> tuple[str, SlotState, str, dict[str, object]]:
        """(widget line, status slot state, slot catalog key, its params)."""
        language = _language()
        if self.service is None:
            return t("common.not_available"), SlotState.UNAVAILABLE, "common.not_available", {}
        if self.service_down:
            return t("reader.widget.service_lost"), SlotState.ERROR, "reader.status.no_service", {}
        reader = self._holder_reader()
        if not reader:
            return t("reader.widget.no_reader"), SlotState.WARNING, "reader.status.no_reader", {}
        if self.reading_in_progress:
            line = t("reader.widget.reading", reader=reader)
            return line, SlotState.BUSY, "reader.status.reading", {}
        if self.error is not None:
            return (
                reader_error_text(self.error, language),
                SlotState.ERROR,
                "reader.status.failed",
                {},
            )
        reading = self.reading
        if reading is not None:
            if reading.holder_needs_psam:
                line = t(
                    "reader.widget.card_psam",
                    card_number=reading.card_number or t("reader.value.none"),
                    generation=generation_text(reading),
                )
            else:
                line = t(
                    "reader.widget.card",
                    holder=holder_text(reading),
                    generation=generation_text(reading),
                    reader=reader,
                )
            slot_holder = masked_number(reading) or reading.card_number or ""
            return line, SlotState.OK, "reader.status.card", {"holder": slot_holder}
        return t("reader.widget.no_card", reader=reader), SlotState.OK, "reader.status.ready", {}

    def refresh_text(self) -> None:
        line, state, slot_key, slot_params = self.describe()
        self.set_class(state is SlotState.OK and self.reading is not None, "-card")
        self.set_class(
            state in (SlotState.WAITING, SlotState.BUSY, SlotState.UNAVAILABLE), "-waiting"
        )
        self.set_class(state in (SlotState.ERROR, SlotState.WARNING), "-error")
        self.update(Text(f"{t('reader.widget.title')}: {line}"))
        if self.service is not None:
            # A catalog key: the status bar words it at render time, so a language switch re-words it.
            self.app.post_message(ReaderStatusChanged(state, slot_key, **slot_params))


def _language() -> str:
    from branch_app.i18n import current_language

    return current_language().value
