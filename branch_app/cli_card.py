"""`branch-app readers`, `branch-app card read` and `branch-app card watch`.

Every failure ends with one sentence (in the configured language) on stderr and a non-zero exit
status that says which failure it was, so support scripts can tell them apart:

    2 usage (e.g. --unmasked without --reason), configuration   3 no PC/SC service
    4 no reader / reader not found   5 no card   6 card removed during the read
    7 card not responding or answer not understood   8 not a social security card   1 other

Which readers: the configuration's `[reader]` section (`simulated`, `name`, `psam_name`), or
`--backend pcsc|simulated`. Heavy imports stay inside the functions.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import socket
import sys
import time
from typing import TYPE_CHECKING, Any

from branch_app.composition import backend_factory, psam_reader_name
from branch_app.i18n import t
from branch_app.ui.card_text import (
    generation_text,
    holder_text,
    reader_error_text,
    reading_fields,
    unreadable_text,
)

if TYPE_CHECKING:
    from branch_app.config import AppConfig
    from readers.apdu import ReaderError
    from readers.service import ReaderEvent
    from readers.sscard import CardReading

EXIT_BY_ERROR = {
    "no_service": 3,
    "no_reader": 4,
    "reader_not_found": 4,
    "reader_busy": 4,
    "no_card": 5,
    "card_removed": 6,
    "card_not_responding": 7,
    "card_reset": 7,
    "malformed_response": 7,
    "not_social_security_card": 8,
}


def register(subparsers: Any) -> None:
    readers = subparsers.add_parser("readers", help=t("reader.cli.readers_help", language="en"))
    _backend_options(readers)
    readers.set_defaults(func=list_readers_command)

    card = subparsers.add_parser("card", help=t("reader.cli.card_help", language="en"))
    verbs = card.add_subparsers(dest="card_command", metavar="read|watch", required=True)

    read = verbs.add_parser("read", help=t("reader.cli.read_help", language="en"))
    _backend_options(read)
    read.add_argument("--reader", default=None, help=t("reader.cli.reader_option", language="en"))
    read.add_argument("--psam", default=None, help=t("reader.cli.psam_option", language="en"))
    read.add_argument(
        "--json", action="store_true", help=t("reader.cli.json_option", language="en")
    )
    read.add_argument(
        "--bank", action="store_true", help=t("reader.cli.bank_option", language="en")
    )
    read.add_argument(
        "--unmasked", action="store_true", help=t("reader.cli.unmasked_option", language="en")
    )
    read.add_argument("--reason", default="", help=t("reader.cli.reason_option", language="en"))
    read.set_defaults(func=read_card_command)

    watch = verbs.add_parser("watch", help=t("reader.cli.watch_help", language="en"))
    _backend_options(watch)
    watch.add_argument("--reader", default=None, help=t("reader.cli.reader_option", language="en"))
    watch.add_argument("--psam", default=None, help=t("reader.cli.psam_option", language="en"))
    watch.add_argument(
        "--timeout", type=float, default=None, help=t("reader.cli.timeout_option", language="en")
    )
    watch.add_argument(
        "--events", type=int, default=None, help=t("reader.cli.events_option", language="en")
    )
    watch.set_defaults(func=watch_command)


def _backend_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend",
        choices=("pcsc", "simulated"),
        help=t("reader.cli.backend_option", language="en"),
    )
    parser.add_argument(
        "--simulated-card", default="gen2_t0", help=t("reader.cli.card_option", language="en")
    )


# -- helpers ------------------------------------------------------------------------------------


def _setup(args: argparse.Namespace) -> AppConfig | int:
    """Configuration and language; an exit status when the configuration is unusable."""
    from pathlib import Path

    from branch_app.config import ConfigError, load_config
    from branch_app.i18n import Language, language_from_locale, set_language

    try:
        config = load_config(Path(args.config) if getattr(args, "config", None) else None)
    except ConfigError as error:
        set_language(Language(args.language) if args.language else language_from_locale())
        _say(t("reader.cli.config_error", detail=error))
        return 2
    language = args.language or config.ui.language
    set_language(Language(language) if language else language_from_locale())
    return config


def _say(sentence: str) -> None:
    print(f"branch-app: {sentence}", file=sys.stderr, flush=True)


def fail(error: ReaderError, *, as_json: bool = False) -> int:
    """One sentence on stderr (and a JSON error object when asked); the failure's exit status."""
    sentence = reader_error_text(error)
    _say(sentence)
    if as_json:
        print(json.dumps({"error": {"code": error.code, "message": sentence}}, ensure_ascii=False))
    return EXIT_BY_ERROR.get(error.code, 1)


def _chosen(args: argparse.Namespace, config: AppConfig) -> tuple[bool, str, str]:
    simulated = config.reader.simulated if args.backend is None else args.backend == "simulated"
    reader = getattr(args, "reader", None)
    psam = getattr(args, "psam", None)
    reader = config.reader.name if reader is None else reader
    if psam is None:
        psam = psam_reader_name(config.reader, simulated=simulated)
    if not simulated and config.source == "defaults":
        # No file: the safe default (real readers) applies; say where a configuration goes.
        _say(t("shell.config.no_file_readers", path=config.file_path()))
    return simulated, reader, psam


def render_reading(reading: CardReading, *, unmasked: bool = False) -> str:
    """The reading as aligned `label  value` lines for the terminal."""
    data = reading_fields(reading, unmasked=unmasked)
    data["generation"] = generation_text(reading)
    if reading.sex:
        data["sex"] = t(f"reader.sex.{reading.sex}")
    if reading.expiry_date is None and reading.reason_for("expiry_date") is None:
        data["expiry_date"] = t("reader.value.no_expiry")
    order = (
        "reader",
        "generation",
        "card_number",
        "card_identification_code",
        "area_code",
        "card_type",
        "issuing_organisation",
        "issue_date",
        "expiry_date",
        "social_security_number",
        "name",
        "sex",
        "birth_date",
        "birthplace",
        "ethnicity",
        "bank_pan_masked",
        "atr",
    )
    labels = {key: t(f"reader.field.{key}") for key in order}
    width = max(_display_width(label) for label in labels.values()) + 2
    lines = []
    for key in order:
        value = data.get(key)
        if key == "bank_pan_masked" and value is None:
            continue
        label = labels[key]
        shown = t("reader.value.none") if value in (None, "") else str(value)
        problem = reading.reason_for(key)
        if problem is not None:
            shown = f"{t('reader.field.unreadable')}: {unreadable_text(problem)}"
        lines.append(label + " " * (width - _display_width(label)) + shown)
    if reading.holder_needs_psam:
        lines.append("")
        lines.append(t("reader.needs_psam"))
    if not unmasked:
        lines.append(t("reader.masked_note"))
    return "\n".join(lines)


def _display_width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def audit_unmasked(config: AppConfig, reading: CardReading, reason: str) -> str | None:
    """Record who showed a full number, and why, in the store's audit journal.

    Returns None when recorded, else the reason it could not be (then nothing is shown).
    """
    try:
        from branch_app.store import LocalStore

        store = LocalStore.open(config.data_dir())
    except Exception as exc:  # the journal's own errors carry a sentence; show its class
        return f"{type(exc).__name__}: {exc}"
    try:
        store.audit.record(
            "card.read_unmasked",
            actor=getpass.getuser(),
            holder_id=reading.social_security_number,
            reason=reason,
            device=socket.gethostname(),
            branch=config.branch.code,
            detail={"card_number": reading.card_number, "reader": reading.reader},
        )
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        store.close()
    return None


# -- the commands ---------------------------------------------------------------------------------


def list_readers_command(args: argparse.Namespace) -> int:
    from readers.apdu import ReaderError

    config = _setup(args)
    if isinstance(config, int):
        return config
    simulated, _reader, _psam = _chosen(args, config)
    backend = backend_factory(
        config.reader, simulated=simulated, simulated_card=args.simulated_card
    )()
    try:
        states = backend.reader_states()
    except ReaderError as error:
        return fail(error)
    finally:
        backend.close()
    if not states:
        _say(t("reader.cli.no_readers"))
        return 4
    for state in states:
        mark = t("reader.state.card") if state.card_present else t("reader.state.empty")
        print(t("reader.cli.reader_line", name=state.name, state=mark))
    if simulated:
        print(t("reader.cli.simulated_note"))
    return 0


def read_card_command(args: argparse.Namespace) -> int:
    from readers.apdu import ReaderError
    from readers.backend import read_card

    config = _setup(args)
    if isinstance(config, int):
        return config
    if args.unmasked and not args.reason.strip():
        _say(t("reader.cli.reason_required"))
        return 2
    simulated, reader, psam = _chosen(args, config)
    try:
        factory = backend_factory(
            config.reader, simulated=simulated, simulated_card=args.simulated_card
        )
    except ValueError as exc:
        _say(str(exc))
        return 2
    backend = factory()
    try:
        reading = read_card(backend, reader=reader, psam_reader=psam, read_bank_pan=args.bank)
    except ReaderError as error:
        return fail(error, as_json=args.json)
    finally:
        backend.close()
    unmasked = bool(args.unmasked)
    if unmasked and reading.social_security_number:
        problem = audit_unmasked(config, reading, args.reason.strip())
        if problem is not None:
            _say(t("reader.cli.audit_failed", detail=problem))
            return 1
    if args.json:
        data = reading_fields(reading, unmasked=unmasked)
        data["simulated"] = simulated
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(render_reading(reading, unmasked=unmasked))
        if simulated:
            print(t("reader.cli.simulated_note"))
    return 0


def describe_event(event: ReaderEvent) -> str:
    """One line for `card watch` (holder always masked)."""
    from readers import service as ev

    if isinstance(event, ev.CardInserted):
        return t("reader.event.inserted", reader=event.reader)
    if isinstance(event, ev.CardRead):
        reading = event.reading
        return t(
            "reader.event.read",
            reader=event.reader,
            generation=generation_text(reading),
            card_number=reading.card_number or t("reader.value.none"),
            holder=holder_text(reading),
        ) + (f" {t('reader.needs_psam')}" if reading.holder_needs_psam else "")
    if isinstance(event, ev.CardReadFailed):
        return t(
            "reader.event.read_failed", reader=event.reader, error=reader_error_text(event.error)
        )
    if isinstance(event, ev.CardWithdrawn):
        return t("reader.event.removed", reader=event.reader)
    if isinstance(event, ev.ReaderAttached):
        return t("reader.event.attached", reader=event.reader)
    if isinstance(event, ev.ReaderDetached):
        return t("reader.event.detached", reader=event.reader)
    if isinstance(event, ev.ServiceLost):
        return t("reader.event.service_lost", error=reader_error_text(event.error))
    if isinstance(event, ev.ServiceRestored):
        return t("reader.event.service_restored")
    return type(event).__name__


def watch_command(args: argparse.Namespace) -> int:
    from readers import service as ev

    config = _setup(args)
    if isinstance(config, int):
        return config
    simulated, reader, psam = _chosen(args, config)
    try:
        factory = backend_factory(
            config.reader, simulated=simulated, simulated_card=args.simulated_card
        )
    except ValueError as exc:
        _say(str(exc))
        return 2
    service = ev.ReaderService(factory, reader=reader, psam_reader=psam, poll_timeout=0.3)
    deadline = time.monotonic() + args.timeout if args.timeout else None
    card_events = 0

    def on_event(event: ev.ReaderEvent) -> None:
        nonlocal card_events
        stamp = time.strftime("%H:%M:%S")
        print(f"{stamp} {describe_event(event)}", flush=True)
        # An insertion counts once its read is done, so `--events 1` still shows the card.
        if isinstance(event, ev.CardRead | ev.CardReadFailed | ev.CardWithdrawn):
            card_events += 1

    def should_stop() -> bool:
        if args.events is not None and card_events >= args.events:
            return True
        return deadline is not None and time.monotonic() >= deadline

    print(t("reader.cli.watching"), flush=True)
    if simulated:
        print(t("reader.cli.simulated_note"), flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        service.run(on_event, should_stop)
    return 0


if os.name == "nt":  # pragma: no cover - Windows consoles: make Chinese text print
    sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
