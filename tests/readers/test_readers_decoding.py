"""The read's fast paths decide exactly as the plain per-field rules do, for any record bytes.

`_decode_records` writes `parse_record`'s checks out and decodes after the card's last answer;
`decode_bcd` and `decode_bcd_date` take a shortcut for unpadded digits. Each is checked here
against the plain rules (parse, skip padding, decode, note why not) on arbitrary input.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from readers.sscard import (
    BOTH_FILES_READS,
    Outcome,
    Unreadable,
    UnreadableField,
    _decode_records,
    decode_bcd,
    decode_bcd_date,
    is_blank,
    parse_record,
)


def plain_decode(outcomes: list[Outcome]) -> tuple[dict[str, Any], dict[str, bytes], list[Any]]:
    """Field by field, with the public helpers: what the read did before it was made faster."""
    values: dict[str, Any] = {}
    raw: dict[str, bytes] = {}
    unreadable: list[UnreadableField] = []
    for (tag, name, _command, decode), answer in zip(BOTH_FILES_READS, outcomes, strict=True):
        if answer is None:
            continue
        if isinstance(answer, UnreadableField):
            unreadable.append(answer)
            continue
        try:
            value = parse_record(tag, answer[:-2])
        except ValueError as exc:
            unreadable.append(UnreadableField(name, Unreadable.MALFORMED, str(exc)))
            continue
        if decode is None:
            raw[name] = value
            continue
        if is_blank(value):
            continue
        try:
            values[name] = decode(value)
        except (ValueError, IndexError, UnicodeDecodeError) as exc:
            unreadable.append(UnreadableField(name, Unreadable.MALFORMED, type(exc).__name__))
    return values, raw, unreadable


def outcome_for(tag: int) -> st.SearchStrategy[Outcome]:
    """A plausible record for `tag`, a broken one, noise, or an answer the card refused."""
    value = st.one_of(
        st.binary(max_size=32),
        st.sampled_from([b"\x20\x16\x05\x12", b"\x44\x01\x04", b"\xff\xff", b"2.00", b"\x00"]),
        st.text(max_size=8).map(lambda t: t.encode("gb18030")),
    )
    record = st.builds(lambda v: bytes((tag, len(v))) + v + b"\x90\x00", value)
    wrong_length = st.builds(
        lambda v, extra: bytes((tag, len(v) + extra)) + v + b"\x90\x00",
        value,
        st.integers(1, 5),
    )
    other_tag = st.builds(
        lambda t, v: bytes((t, len(v))) + v + b"\x90\x00", st.integers(0, 255), value
    )
    refused = st.sampled_from(
        [None, UnreadableField("x", Unreadable.REFUSED, "6A86")]
    )  # as `_read_records` leaves them
    return st.one_of(
        record,
        wrong_length,
        other_tag,
        st.binary(max_size=6).map(lambda b: b + b"\x90\x00"),
        refused,
    )


@given(st.tuples(*(outcome_for(tag) for tag, _n, _c, _d in BOTH_FILES_READS)))
def test_decoding_after_the_last_answer_matches_the_plain_rules(
    outcomes: tuple[Outcome, ...],
) -> None:
    values: dict[str, Any] = {}
    raw: dict[str, bytes] = {}
    unreadable: list[UnreadableField] = []
    _decode_records(BOTH_FILES_READS, list(outcomes), values, raw, unreadable)
    assert (values, raw, unreadable) == plain_decode(list(outcomes))


def plain_bcd(value: bytes) -> str:
    digits = value.hex().upper().rstrip("F")
    if not digits.isdigit() and digits:
        raise ValueError("not BCD")
    return digits


def plain_bcd_date(value: bytes) -> dt.date:
    digits = plain_bcd(value)
    if len(digits) != 8:
        raise ValueError("a BCD date has 8 digits")
    return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))


def outcome(fn: Any, value: bytes) -> object:
    try:
        return fn(value)
    except ValueError as exc:
        return type(exc)


bcd_like = st.one_of(
    st.binary(max_size=6),
    st.lists(st.integers(0, 9), min_size=0, max_size=10).map(
        lambda ds: bytes.fromhex("".join(map(str, ds)) + ("F" if len(ds) % 2 else ""))
    ),
)


@given(bcd_like)
def test_bcd_shortcut_matches_the_plain_rule(value: bytes) -> None:
    assert outcome(decode_bcd, value) == outcome(plain_bcd, value)
    assert outcome(decode_bcd_date, value) == outcome(plain_bcd_date, value)
