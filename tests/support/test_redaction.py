"""The log's last line of defence (`branch_app.logbook.redact` and the `Redactor` filter):
whatever a careless log call passes, what looks like a person's number or name is not written,
and what the help desk needs (counts, codes, times, hashes) is."""

from __future__ import annotations

import logging

import pytest

from branch_app.domain.identity import parse_identity, resident_check_character
from branch_app.logbook import REDACTED, Redactor, redact
from tests.store.samples import HOLDERS

RESIDENT = "44010619900101123" + resident_check_character("44010619900101123")
#: A residence permit for a Hong Kong resident (810000 area code): 18 characters as a resident ID.
HK_RESIDENCE_PERMIT = "81000019900101123" + resident_check_character("81000019900101123")


def test_made_up_resident_numbers_are_valid() -> None:
    for number in (RESIDENT, HK_RESIDENCE_PERMIT):
        assert parse_identity(number).number == number


@pytest.mark.parametrize(
    "secret",
    [
        RESIDENT,
        RESIDENT.lower(),
        "11010519491231002X",
        "11010519491231002x",
        HK_RESIDENCE_PERMIT,
        "440106 19900101 123" + RESIDENT[-1],  # spaced as on a form
        "4401-0619-9001-0112-3" + RESIDENT[-1],
        "440106199001011",  # the old 15-digit number
        "H12345678",  # a Home Return Permit (回乡证)
        "M1234567801",
        "A123456(7)",  # a Hong Kong identity card
        "A123456 (7)",
        "1234567(8)",  # a Macau identity card
        "A123456789",  # a Taiwan identity card
        "E12345678",  # passports
        "G1234567",
        "ABC123456789012",  # a 2017 foreign permanent residence ID
        "X00000019",  # a social security card number
        "6222020012345678901",  # a bank card number
        "6222 0200 1234 5678 901",
        "13800138000",  # mobiles
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "+8613800138000",
        "02083331234",  # a landline
        "王秀英",  # names and addresses (log lines are English)
        "广州市越秀区中山五路219号",
    ],
)
def test_personal_data_is_redacted(secret: str) -> None:
    line = f"lookup failed for {secret}, retrying"
    redacted = redact(line)
    assert REDACTED in redacted
    assert redacted.startswith("lookup failed for ") and redacted.endswith(", retrying")
    leftover = redacted.replace(REDACTED, "")
    assert sum(ch.isdigit() for ch in leftover) <= 1, redacted  # at most a bracketed check digit
    assert leftover.isascii(), redacted


@pytest.mark.parametrize(
    "line",
    [
        "sync run: 3 batches, 250 sent, outcomes {applied: 248, conflict: 2}, 17 pulled, "
        "1 retries, 0 remaining, error None, cancelled False, 12.34s",
        "sync stopped: sync.error.refused (HTTP 503, code busy)",
        "batch of 200 sent: 200 answered, 0 to send again",
        "last sync 2026-11-28T09:00:00.123456+00:00",
        "card read failed (Simulated Reader 0): no_card",
        "audit head 1234 mac 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "device 3f2a9b1c-77e4-4c1a-9a55-0e7d2c9b8f10 at branch GZ-DEV-001",
        "central unavailable (sync.error.timeout); retry 2 in 0.35s",
        "state reported for dev-52260399b1968779",  # a device id that is mostly digits
    ],
)
def test_what_the_help_desk_needs_is_kept(line: str) -> None:
    assert redact(line) == line


def test_the_filter_redacts_message_arguments_and_the_exception() -> None:
    holder = HOLDERS[0]
    try:
        raise ValueError(f"no record for {holder['holder_id']} at {holder['address']}")
    except ValueError as exc:
        record = logging.LogRecord(
            "branch_app.test",
            logging.ERROR,
            __file__,
            1,
            "lookup for %s (%s) failed",
            (holder["holder_id"], holder["phone"]),
            (type(exc), exc, exc.__traceback__),
        )
    assert Redactor().filter(record) is True
    written = logging.Formatter().format(record)
    assert "lookup for [redacted] ([redacted]) failed" in written
    assert "Traceback" in written and "ValueError: no record for [redacted]" in written
    for value in (holder["holder_id"], holder["phone"], holder["address"], "越秀"):
        assert value not in written
