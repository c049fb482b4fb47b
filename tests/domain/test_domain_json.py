"""The JSON shapes of commands and records: round trips, and hostile input meets only
CommandFormatError with a message that says what is wrong."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from branch_app.domain.identity import IdentityKind
from branch_app.domain.lifecycle import (
    Applicant,
    Apply,
    Cancel,
    CardRecord,
    ChangeContact,
    Command,
    CommandFormatError,
    ConfirmCollection,
    ConfirmIssuance,
    Contact,
    PendingApplication,
    Representative,
    Unlock,
    command_from_dict,
    command_to_dict,
    decide,
    photo_problem,
    record_from_dict,
    record_to_dict,
)
from branch_app.domain.vocabulary import (
    ApplicationKind,
    ApplicationStatus,
    CancellationReason,
    CardState,
    ExchangeReason,
    IssuanceSpeed,
    Presenter,
    RefusalReason,
)
from tests.domain.domain_strategies import ALICE_ID, OLD_CARD, any_records, commands

#: The holder in person, as the applicant of a command queued before the applicant travelled.
HOLDER_IN_PERSON_JSON = {
    "presenter": "holder",
    "holder_birth_date": None,
    "holder_has_legal_capacity": True,
    "guardianship_proof": False,
    "representative": None,
}
#: Fields added to a command after items were queued without them, with the value they read as.
LATER_FIELDS: dict[tuple[str, str], Any] = {
    ("apply", "photo_receipt"): None,
    ("apply", "police_photo"): False,
    ("apply", "applicant"): HOLDER_IN_PERSON_JSON,
    ("apply", "evidence"): None,
    ("unlock", "card_number"): None,
    ("unlock", "card_read"): False,
    ("confirm_collection", "applicant"): HOLDER_IN_PERSON_JSON,
    ("cancel", "evidence"): None,
    ("cancel", "approved_by"): None,
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)


@given(commands)
def test_command_round_trip_through_json_text(command: Command) -> None:
    data = json.loads(json.dumps(command_to_dict(command)))
    assert command_from_dict(data) == command


@given(st.lists(commands, max_size=20))
def test_record_round_trip_for_every_reachable_record(sequence: list[Command]) -> None:
    record = CardRecord.new(ALICE_ID)
    for command in sequence:
        decision = decide(record, command)
        if not hasattr(decision, "record"):
            continue
        record = decision.record
        data = json.loads(json.dumps(record_to_dict(record)))
        assert record_from_dict(data) == record


def test_command_shape_is_flat_and_named() -> None:
    command = Apply(
        ApplicationKind.EXCHANGE,
        IssuanceSpeed.INSTANT,
        dt.date(2026, 3, 2),
        exchange_reason=ExchangeReason.QUALITY_PROBLEM,
        photo_receipt="GZ2026030200B1",
    )
    assert command_to_dict(command) == {
        "kind": "apply",
        "application": "exchange",
        "speed": "instant",
        "accepted_on": "2026-03-02",
        "exchange_reason": "quality_problem",
        "bank": None,
        "photo_receipt": "GZ2026030200B1",
        "police_photo": False,
        "applicant": HOLDER_IN_PERSON_JSON,
        "evidence": None,
    }
    assert command_to_dict(Unlock(True, OLD_CARD, card_read=True)) == {
        "kind": "unlock",
        "at_card_bank": True,
        "card_number": OLD_CARD,
        "card_read": True,
    }


def test_the_applicant_and_the_representative_document_travel_as_nested_objects() -> None:
    command = ConfirmCollection(
        dt.date(2026, 3, 2),
        applicant=Applicant(
            presenter=Presenter.GUARDIAN,
            holder_birth_date=dt.date(2015, 5, 5),
            guardianship_proof=True,
            representative=Representative(
                IdentityKind.PASSPORT, "G12345678", "Chen Mei", dt.date(1970, 1, 1)
            ),
        ),
    )
    data = command_to_dict(command)
    assert data["applicant"] == {
        "presenter": "guardian",
        "holder_birth_date": "2015-05-05",
        "holder_has_legal_capacity": True,
        "guardianship_proof": True,
        "representative": {
            "kind": "passport",
            "number": "G12345678",
            "name": "Chen Mei",
            "birth_date": "1970-01-01",
        },
    }
    assert command_from_dict(json.loads(json.dumps(data))) == command
    assert "G12345678" not in repr(command) and "Chen Mei" not in repr(command)
    for spoiled, message in [
        ({**data["applicant"], "presenter": "neighbour"}, "presenter must be one of holder"),
        ({**data["applicant"], "extra": 1}, "applicant: unknown field(s) 'extra'"),
        ("guardian", "applicant: expected an object, got str"),
        (
            {**data["applicant"], "representative": {"kind": "passport"}},
            "representative: missing field(s)",
        ),
    ]:
        with pytest.raises(CommandFormatError) as caught:
            command_from_dict(data | {"applicant": spoiled})
        assert message in str(caught.value)


@pytest.mark.parametrize(
    ("old_body", "expected"),
    [
        (
            {"kind": "unlock", "at_card_bank": False},
            Unlock(at_card_bank=False, card_number=None, card_read=False),
        ),
        (
            {"kind": "confirm_collection", "collected_on": "2025-03-14"},
            ConfirmCollection(dt.date(2025, 3, 14)),
        ),
        ({"kind": "cancel", "reason": "emigration"}, Cancel(CancellationReason.EMIGRATION)),
        (
            {
                "kind": "apply",
                "application": "exchange",
                "speed": "normal",
                "accepted_on": "2025-03-14",
                "exchange_reason": "damage",
                "bank": None,
                "photo_receipt": "GZ2025031400B1",
                "police_photo": False,
            },
            Apply(
                ApplicationKind.EXCHANGE,
                IssuanceSpeed.NORMAL,
                dt.date(2025, 3, 14),
                ExchangeReason.DAMAGE,
                photo_receipt="GZ2025031400B1",
            ),
        ),
    ],
)
def test_commands_queued_before_the_later_fields_read_as_before(
    old_body: dict[str, Any], expected: Command
) -> None:
    command = command_from_dict(old_body)
    assert command == expected
    if isinstance(command, Apply | ConfirmCollection):
        assert command.applicant == Applicant()  # the holder in person


def test_an_application_queued_before_the_photo_fields_reads_as_before() -> None:
    old_body = {
        "kind": "apply",
        "application": "first",
        "speed": "normal",
        "accepted_on": "2025-03-14",
        "exchange_reason": None,
        "bank": None,
    }
    command = command_from_dict(old_body)
    assert isinstance(command, Apply)
    assert command.photo_receipt is None and command.police_photo is False
    with pytest.raises(CommandFormatError, match="police_photo must be true or false"):
        command_from_dict(old_body | {"police_photo": "yes"})


def test_a_photo_is_a_receipt_number_or_the_police_photo() -> None:
    day = dt.date(2026, 3, 2)
    bare = Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, day)
    assert photo_problem(bare) is RefusalReason.PHOTO_REQUIRED
    assert photo_problem(replace(bare, police_photo=True)) is None
    assert photo_problem(replace(bare, photo_receipt="GZ2026030200B1")) is None
    for garbled in ("", "12345", "GZ-2026/03", "X" * 33, "照片回执123456"):
        assert photo_problem(replace(bare, photo_receipt=garbled)) is (
            RefusalReason.PHOTO_RECEIPT_MALFORMED
        ), garbled


def _with_guardian(name: str) -> dict[str, Any]:
    command = ConfirmCollection(
        dt.date(2026, 3, 2),
        applicant=Applicant(
            presenter=Presenter.GUARDIAN,
            holder_birth_date=dt.date(2015, 5, 5),
            guardianship_proof=True,
            representative=Representative(IdentityKind.PASSPORT, "E12345678", name),
        ),
    )
    return command_to_dict(command)


_APPLICATION = command_to_dict(
    Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, dt.date(2026, 3, 2), bank="icbc")
)
#: (body, field, reader's place) for each free text of a command a person types at the counter.
_TYPED_TEXTS: list[tuple[dict[str, Any], list[str], str]] = [
    (command_to_dict(Cancel(CancellationReason.DEATH, "GA-2026-0001234")), ["evidence"], "cancel"),
    (_APPLICATION, ["bank"], "apply"),
    (_APPLICATION | {"photo_receipt": "GZ2026030200B1"}, ["photo_receipt"], "apply"),
    (_APPLICATION | {"evidence": "GA-2026-0001234"}, ["evidence"], "apply"),
    (_with_guardian("Chen Mei"), ["applicant", "representative", "name"], "confirm_collection"),
    (_with_guardian("Chen Mei"), ["applicant", "representative", "number"], "confirm_collection"),
    (
        command_to_dict(ChangeContact(address="Room 1, 2 Huacheng Road")),
        ["address"],
        "change_contact",
    ),
    (command_to_dict(ChangeContact(mobile="13800138000")), ["mobile"], "change_contact"),
]
_CONTROLS = ["\x00", "\x1b[2J", "\t", "\n", "\r", "\x7f", "\x85", "\x9b31m", "\u0008"]


@pytest.mark.parametrize(("body", "path", "kind"), _TYPED_TEXTS)
@pytest.mark.parametrize("control", _CONTROLS)
def test_a_typed_text_with_a_control_character_is_malformed(
    body: dict[str, Any], path: list[str], kind: str, control: str
) -> None:
    """Issue 10: NUL breaks PostgreSQL's text, an escape or a line break forges a log line or
    hides text on a screen. The reader refuses the command (the central answers that one
    command `malformed_payload`, the rest of its batch goes on); the message names the field,
    never the text (a name, an address)."""
    assert command_from_dict(body) is not None  # the clean body reads
    spoiled = json.loads(json.dumps(body))
    holder = spoiled
    for key in path[:-1]:
        holder = holder[key]
    text = f"Li {control}Wei 李伟"
    holder[path[-1]] = text
    with pytest.raises(CommandFormatError) as caught:
        command_from_dict(spoiled)
    message = str(caught.value)
    assert message.startswith(f"{kind} command")
    assert f"{path[-1]} holds a control character" in message
    assert "Li" not in message and "李伟" not in message


def test_typed_texts_keep_every_printable_character() -> None:
    """Chinese, full-width punctuation, a no-break space and an emoji are no control characters."""
    address = "广州市越秀区 华城路２号\u00a0（东门）🏢"
    body = command_to_dict(ChangeContact(address=address))
    command = command_from_dict(body)
    assert isinstance(command, ChangeContact) and command.address == address


def test_record_shape() -> None:
    record = CardRecord(
        holder_id=ALICE_ID,
        version=4,
        card_state=CardState.NO_CARD,
        application=PendingApplication(
            ApplicationKind.FIRST, IssuanceSpeed.NORMAL, dt.date(2026, 1, 5), bank="ICBC"
        ),
    )
    data = record_to_dict(record)
    assert data["application"] == {
        "kind": "first",
        "speed": "normal",
        "accepted_on": "2026-01-05",
        "status": "in_production",
        "new_card_number": None,
        "bank": "ICBC",
        "exchange_reason": None,
    }
    assert data["version"] == 4 and data["card_state"] == "no_card"
    assert data["contact"] is None
    with_contact = replace(record, contact=Contact("13800138000", "Room 1, 2 Huacheng Road"))
    assert record_to_dict(with_contact)["contact"] == {
        "mobile": "13800138000",
        "address": "Room 1, 2 Huacheng Road",
    }
    assert record_from_dict(json.loads(json.dumps(record_to_dict(with_contact)))) == with_contact


def test_a_record_stored_before_the_later_fields_reads_as_before() -> None:
    exchange = PendingApplication(
        ApplicationKind.EXCHANGE,
        IssuanceSpeed.NORMAL,
        dt.date(2026, 1, 5),
        exchange_reason=ExchangeReason.DAMAGE,
    )
    record = CardRecord(ALICE_ID, version=3, application=exchange)
    data = record_to_dict(record)
    del data["contact"]
    del data["application"]["exchange_reason"]
    old = record_from_dict(json.loads(json.dumps(data)))
    assert old == replace(record, application=replace(exchange, exchange_reason=None))
    assert old.contact is None
    with pytest.raises(CommandFormatError, match="contact: missing field"):
        record_from_dict(record_to_dict(record) | {"contact": {"mobile": None}})


@given(any_records)
def test_any_record_round_trips(record: CardRecord) -> None:
    assert record_from_dict(json.loads(json.dumps(record_to_dict(record)))) == record


def _unlock(**changes: Any) -> dict[str, Any]:
    return {"kind": "unlock", "at_card_bank": True, **changes}


def _issuance(**changes: Any) -> dict[str, Any]:
    return {"kind": "confirm_issuance", "card_number": "X00000019", "issued_on": "2026-01-02"} | (
        changes
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "command: expected an object, got list"),
        ({"kind": "fly"}, "kind must be one of apply, report_loss"),
        ({}, "kind must be one of"),
        ({"kind": "unlock"}, "unlock command: missing field(s) at_card_bank"),
        (_unlock(extra=1), "unlock command: unknown field(s) 'extra'"),
        (_unlock(at_card_bank=1), "at_card_bank must be true or false, got 1"),
        (_issuance(issued_on="2026-02-30"), "issued_on 2026-02-30 is not a real date"),
        (_issuance(issued_on="20260102"), "issued_on must be a date as YYYY-MM-DD"),
        (_issuance(issued_on="2026-W01-1"), "issued_on must be a date as YYYY-MM-DD"),
        (_issuance(card_number=123), "card_number must be a string, got int"),
        (_issuance(card_number="9" * 65), "card_number is longer than 64 characters"),
        ({"kind": "report_loss", "channel": "pigeon"}, "channel must be one of online"),
        ({"kind": "cancel", "reason": None}, "reason must be one of death"),
        ({1: 2, "kind": "unlock"}, "field names must be strings"),
    ],
)
def test_malformed_commands_say_what_is_wrong(data: object, message: str) -> None:
    with pytest.raises(CommandFormatError) as caught:
        command_from_dict(data)
    assert message in str(caught.value)


def test_malformed_records_say_what_is_wrong() -> None:
    good = record_to_dict(CardRecord.new(ALICE_ID))
    assert record_from_dict(good) == CardRecord.new(ALICE_ID)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"version": -1}, "version must be a whole number >= 0"),
        ({"version": True}, "version must be a whole number >= 0"),
        ({"card_state": "lost"}, "card_state must be one of no_card"),
        ({"application": {"kind": "first"}}, "record application: missing field(s)"),
        ({"collected_on": 20260101}, "collected_on must be a date as YYYY-MM-DD"),
    ]
    for change, message in cases:
        with pytest.raises(CommandFormatError) as caught:
            record_from_dict(good | change)
        assert message in str(caught.value)
    with pytest.raises(CommandFormatError, match="missing field"):
        record_from_dict({k: v for k, v in good.items() if k != "bank"})
    application = record_to_dict(
        CardRecord(
            ALICE_ID,
            application=PendingApplication(
                ApplicationKind.FIRST,
                IssuanceSpeed.NORMAL,
                dt.date(2026, 1, 5),
                ApplicationStatus.READY,
                "X00000019",
            ),
        )
    )
    assert record_from_dict(application).application is not None


@given(json_values)
def test_arbitrary_json_meets_only_command_format_error(data: object) -> None:
    try:
        command = command_from_dict(data)
    except CommandFormatError as error:
        assert str(error)
    else:
        assert command_from_dict(command_to_dict(command)) == command


leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=12) | st.dates().map(str)


@given(commands, st.data())
def test_a_valid_body_with_one_field_spoiled_meets_only_command_format_error(
    command: Command, data: st.DataObject
) -> None:
    body = command_to_dict(command)
    fields = sorted(set(body) - {"kind"})
    operation = data.draw(st.sampled_from(["replace", "drop", "add"]), label="operation")
    if operation == "replace":
        body[data.draw(st.sampled_from(fields), label="field")] = data.draw(leaves | json_values)
    elif operation == "drop":
        dropped = data.draw(st.sampled_from(fields), label="field")
        del body[dropped]
    else:
        body[data.draw(st.text(min_size=1, max_size=12).filter(lambda k: k not in body))] = None
    try:
        spoiled = command_from_dict(body)
    except CommandFormatError as error:
        # "<kind> command: ...", or "<kind> command applicant: ..." for a nested object
        assert str(error).startswith(f"{command.kind} command")
    else:
        if operation == "drop":
            # Only a field added after items were queued without it may be missing: the
            # command then reads as it did before that field existed.
            assert (command.kind, dropped) in LATER_FIELDS
            assert command_to_dict(spoiled) == command_to_dict(command) | {
                dropped: LATER_FIELDS[command.kind, dropped]
            }
            return
        assert operation == "replace"
        assert command_to_dict(spoiled) == body


@given(json_values)
def test_arbitrary_json_records_meet_only_command_format_error(data: object) -> None:
    try:
        record = record_from_dict(data)
    except CommandFormatError as error:
        assert str(error).startswith("record")
    else:
        assert record_from_dict(record_to_dict(record)) == record


def test_a_deeply_nested_body_is_refused_without_recursion() -> None:
    deep: object = "x"
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(CommandFormatError):
        command_from_dict({"kind": "unlock", "at_card_bank": deep})
    assert ConfirmIssuance("X00000019", dt.date(2026, 1, 2)) == command_from_dict(_issuance())
