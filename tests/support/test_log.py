"""The rotating log: where it goes, that it rotates and keeps five old files, that a second start
changes nothing, that a folder it cannot write stops nothing, and what a reader event leaves in it."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from branch_app.config import AppConfig, StoreConfig
from branch_app.logbook import LOG_FILE, log_files, log_folder, log_reader_event, start_logging
from readers.apdu import NoCard
from readers.service import (
    CardInserted,
    CardReadFailed,
    CardWithdrawn,
    ReaderAttached,
    ServiceRestored,
)


def read_log(folder: Path) -> str:
    for handler in logging.getLogger("branch_app").handlers:
        handler.flush()
    return "".join(path.read_text(encoding="utf-8") for path in reversed(log_files(folder)))


def test_the_log_folder_is_the_data_folders_unless_configured(tmp_path: Path) -> None:
    config = AppConfig(store=StoreConfig(data_dir=str(tmp_path / "data")))
    assert log_folder(config) == tmp_path / "data" / "logs"
    moved = AppConfig(store=StoreConfig(data_dir=str(tmp_path / "data"), log_dir="~/elsewhere"))
    assert log_folder(moved) == Path("~/elsewhere").expanduser()


def test_the_log_rotates_and_keeps_five_old_files(tmp_path: Path, start_log) -> None:
    folder = tmp_path / "logs"
    start_log(folder, max_bytes=2_000)
    log = logging.getLogger("sync.engine")
    for n in range(400):
        log.info("batch of %d sent: %d answered, %d to send again", n, n, 0)
    files = log_files(folder)
    assert [p.name for p in files] == [LOG_FILE, *(f"{LOG_FILE}.{n}" for n in range(1, 6))]
    assert all(p.stat().st_size <= 2_000 for p in files)
    assert "batch of 399 sent" in files[0].read_text(encoding="utf-8")
    assert "batch of 0 sent" not in read_log(folder)  # the oldest went with the sixth file
    assert os.stat(folder).st_mode & 0o077 == 0  # only the user reads it


def test_only_the_projects_loggers_at_info_and_one_handler_however_often_started(
    tmp_path: Path, start_log
) -> None:
    folder = tmp_path / "logs"
    handler = start_log(folder)
    assert start_logging(folder) is handler  # a second entry point in the same process
    logging.getLogger("branch_app.ui").debug("not at debug")
    logging.getLogger("httpx").warning("GET /v1/lookup/11010519491231002X")  # a library's
    logging.getLogger("readers.pcsc").warning("reader gone")
    logging.getLogger("sync.service").error("device state not exchanged")
    text = read_log(folder)
    assert "not at debug" not in text and "/v1/lookup" not in text
    assert "WARNING readers.pcsc: reader gone" in text
    assert "ERROR sync.service: device state not exchanged" in text
    assert text.count("device state not exchanged") == 1


def test_a_folder_that_cannot_be_written_stops_nothing(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    assert start_logging(blocked / "logs") is None
    logging.getLogger("branch_app").error("still fine")


def test_reader_events_say_what_happened_never_the_card(tmp_path: Path, start_log) -> None:
    folder = tmp_path / "logs"
    start_log(folder)
    atr = bytes.fromhex("3B6B00FF3180718131A0000000000090")
    for event in (
        ReaderAttached("Simulated Reader 0"),
        CardInserted("Simulated Reader 0", atr),
        CardReadFailed("Simulated Reader 0", NoCard("SW 6A82 after SELECT", holder="X00000019")),
        CardWithdrawn("Simulated Reader 0"),
        ServiceRestored(("Simulated Reader 0", "Simulated Reader 1 (PSAM)")),
    ):
        log_reader_event(event)
    text = read_log(folder)
    assert "INFO branch_app.reader: reader attached (Simulated Reader 0)" in text
    assert "INFO branch_app.reader: card inserted (Simulated Reader 0)" in text
    assert "WARNING branch_app.reader: card read failed (Simulated Reader 0): no_card" in text
    assert "card removed (Simulated Reader 0)" in text
    assert "card reader service back (2 readers)" in text
    assert atr.hex().upper() not in text.upper() and "6A82" not in text and "X0000" not in text


def test_a_card_read_by_the_reader_service_leaves_no_holder_data(tmp_path: Path, start_log) -> None:
    """The reader service on the simulated card, each event logged as the card widget does."""
    from branch_app.composition import SIMULATED_PSAM, backend_factory
    from branch_app.config import ReaderConfig
    from readers.service import CardRead, ReaderService

    folder = tmp_path / "logs"
    start_log(folder)
    service = ReaderService(
        backend_factory(ReaderConfig(simulated=True)), psam_reader=SIMULATED_PSAM
    )
    readings: list[CardRead] = []
    done = threading.Event()

    def on_event(event: object) -> None:
        log_reader_event(event)
        if isinstance(event, CardRead):
            readings.append(event)
            done.set()

    worker = threading.Thread(target=service.run, args=(on_event, done.is_set), daemon=True)
    worker.start()
    assert done.wait(30), "the simulated card was never read"
    worker.join(10)
    reading = readings[0].reading
    text = read_log(folder)
    assert "card read (Simulated Reader 0)" in text
    personal = [reading.name, reading.social_security_number, reading.card_number]
    assert all(personal), reading
    for value in personal:
        assert value not in text
