"""Reading the test cards in process: every generation, the PSAM, failures, decoding."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from branch_app.domain.identity import mask_identity
from branch_app.ui.card_text import (
    masked_name,
    masked_number,
    reader_error_text,
    reading_fields,
    unreadable_text,
)
from readers.apdu import CardNotResponding, CardRemoved, NotSocialSecurityCard
from readers.backend import ReaderState, pick_reader, read_card
from readers.simulated import (
    DEMO_PSAM_MASTER_KEY,
    SimulatedCard,
    SimulatedPsam,
    SimulatedReaders,
    card_models,
    resident_check_character,
)
from readers.sscard import (
    AuthenticationGuard,
    Generation,
    Unreadable,
    _truncate_pan,
    decode_bcd,
    decode_bcd_date,
    find_tlv,
    generation_of,
    parse_record,
)

CARD, PSAM = "Reader 0", "Reader 1 PSAM"


def readers_with(label: str, *, psam: SimulatedPsam | None = None) -> SimulatedReaders:
    readers = SimulatedReaders((CARD, PSAM))
    readers.insert(CARD, SimulatedCard(card_models()[label]))
    if psam is not None:
        readers.insert(PSAM, psam)
    return readers


def test_the_test_holders_have_valid_gb11643_numbers() -> None:
    assert resident_check_character("11010519491231002") == "X"  # the domain's example
    for label, model in card_models().items():
        if not model.has_ssse or label == "malformed":
            continue
        value = model.files[0xEF06][0x08][2:].decode()
        assert value[:4] == "4401"
        assert resident_check_character(value[:17]) == value[17]


def test_first_generation_card() -> None:
    reading = read_card(readers_with("gen1"))
    assert reading.generation is Generation.FIRST
    assert reading.spec_version == "1.00"
    assert reading.name == "陈建国"
    assert reading.social_security_number == "44010319580315031X"
    assert masked_number(reading) == "440103********031X"
    assert reading.sex == "1"
    assert reading.birth_date == dt.date(1958, 3, 15)
    assert reading.issue_date == dt.date(2005, 3, 10)
    assert reading.expiry_date == dt.date(2015, 3, 10)
    assert reading.card_number == "A00000011"
    assert reading.area_code == "440103"
    assert reading.birthplace == "440103"
    assert reading.issuing_organisation == "广州市人社局"
    assert reading.unreadable == ()
    assert reading.atr == card_models()["gen1"].atr


def test_second_generation_t0_card_reads_the_same_as_t1() -> None:
    readers = readers_with("gen2_t0")
    reading = read_card(readers, read_bank_pan=True)
    assert reading.generation is Generation.SECOND
    assert reading.name == "李秀英"
    assert reading.sex == "2"
    assert reading.social_security_number == "440104197211020429"
    assert reading.bank_pan_masked == "622848*********5678"
    assert "6228480000012345678" not in repr(reading.to_dict())


def test_rare_character_name_spans_the_4e_extension() -> None:
    reading = read_card(readers_with("rare_name"))
    assert reading.name == "古丽娜尔·阿卜杜热西提·买买䶮提"
    assert reading.ethnicity == "05"
    assert masked_name(reading) == "古" + "*" * (len(reading.name) - 1)


def test_third_generation_card_with_psam_authenticates_and_reads_holder() -> None:
    readers = readers_with("gen3_psam", psam=SimulatedPsam())
    reading = read_card(readers, psam_reader="PSAM", read_bank_pan=True)
    assert reading.generation is Generation.THIRD
    assert reading.authenticated
    assert reading.expiry_date is None  # no printed expiry on 3rd-generation cards
    assert reading.name == "黄志强"
    assert reading.social_security_number == "440106199007211537"
    assert not reading.holder_needs_psam
    assert reading.bank_pan_masked == "621700*********6543"


def test_third_generation_card_without_psam_asks_for_the_id_number() -> None:
    reading = read_card(readers_with("gen3_psam"), psam_reader="PSAM")
    assert reading.holder_needs_psam
    assert reading.card_number == "C00000032"  # EF05 needs no authentication
    assert reading.social_security_number is None
    assert reading.matches_social_security_number("440106199007211537") is None
    reason = reading.reason_for("social_security_number")
    assert reason is not None and reason.reason is Unreadable.NEEDS_PSAM
    assert "PSAM" in unreadable_text(reason, "en") and "PSAM" in unreadable_text(reason, "zh")


def test_a_wrong_psam_costs_exactly_one_try_and_is_never_retried() -> None:
    card = SimulatedCard(card_models()["gen3_psam"])
    readers = SimulatedReaders((CARD, PSAM))
    readers.insert(CARD, card)
    readers.insert(PSAM, SimulatedPsam(master_key=bytes(16)))
    guard = AuthenticationGuard()
    reading = read_card(readers, psam_reader="PSAM", guard=guard)
    assert reading.holder_needs_psam and not reading.authenticated
    reason = reading.reason_for("name")
    assert reason is not None and reason.reason is Unreadable.AUTHENTICATION_REFUSED
    assert reason.detail == "63C2"
    assert card.tries_left == 2
    # Re-inserting the card (same service, same guard) does not spend another try.
    readers.insert(CARD, card)
    again = read_card(readers, psam_reader="PSAM", guard=guard)
    assert again.holder_needs_psam
    assert card.tries_left == 2
    # The right PSAM still works on a fresh guard, and the counter resets on success.
    readers.insert(PSAM, SimulatedPsam(DEMO_PSAM_MASTER_KEY))
    assert read_card(readers, psam_reader="PSAM", guard=AuthenticationGuard()).authenticated
    assert card.tries_left == 3


def test_a_blocked_key_is_reported_as_such() -> None:
    card = SimulatedCard(card_models()["gen3_psam"])
    card.tries_left = 0
    readers = SimulatedReaders((CARD, PSAM))
    readers.insert(CARD, card)
    readers.insert(PSAM, SimulatedPsam())
    reading = read_card(readers, psam_reader="PSAM")
    reason = reading.reason_for("social_security_number")
    assert reason is not None and reason.reason is Unreadable.KEY_BLOCKED


def test_bank_card_is_not_a_social_security_card() -> None:
    with pytest.raises(NotSocialSecurityCard) as caught:
        read_card(readers_with("bank_only"))
    assert caught.value.detail == "bank card"
    assert "社会保障卡" in reader_error_text(caught.value, "zh")


def test_malformed_records_are_listed_not_fatal() -> None:
    reading = read_card(readers_with("malformed"))
    assert reading.generation is Generation.SECOND
    assert reading.ethnicity == "01"  # the good records still read
    broken = {u.field: u for u in reading.unreadable}
    for name in (
        "issuing_organisation",
        "issue_date",
        "expiry_date",
        "card_number",
        "social_security_number",
        "name",
        "sex",
        "birth_date",
    ):
        assert broken[name].reason is Unreadable.MALFORMED, name
        assert getattr(reading, name) is None


@pytest.mark.parametrize("after", [1, 3, 9, 12, 18])
def test_removal_mid_read_never_gives_a_partial_record(after: int) -> None:
    card = SimulatedCard(card_models()["gen2_t0"])
    readers = SimulatedReaders((CARD,))
    readers.insert(CARD, card)
    card.pull_out_after(after)
    with pytest.raises(CardRemoved):
        read_card(readers)
    assert readers.reader_states() == [ReaderState(CARD, False)]


def test_a_mute_card_is_not_responding() -> None:
    readers = readers_with("gen1")
    readers.set_mute(CARD)
    with pytest.raises(CardNotResponding):
        read_card(readers)


def test_reader_choice() -> None:
    states = [ReaderState("ACS ACR39U 00 00", False), ReaderState("ACS ACR39U PSAM 00 01", True)]
    assert pick_reader(states, exclude="PSAM").name == "ACS ACR39U 00 00"
    assert pick_reader(states, "acr39u 00 00").name == "ACS ACR39U 00 00"
    with pytest.raises(Exception, match="reader_not_found") as caught:
        pick_reader(states, "Gemalto")
    assert caught.value.code == "reader_not_found"  # type: ignore[attr-defined]
    with pytest.raises(Exception) as none:
        pick_reader([])
    assert none.value.code == "no_reader"  # type: ignore[attr-defined]


def test_reading_repr_and_dict_hide_personal_data_entirely() -> None:
    """Readers never mask (one masking rule, the domain's): personal fields are simply absent."""
    reading = read_card(readers_with("gen1"))
    text = repr(reading) + repr(reading.to_dict())
    for part in ("44010319580315031X", "031X", "440103*", "陈建国", "陈", "1958"):
        assert part not in text
    assert reading.to_dict()["social_security_number"] is None
    assert reading.to_dict(personal=True)["social_security_number"] == "44010319580315031X"
    shown = reading_fields(reading)
    assert shown["social_security_number"] == "440103********031X"
    assert shown["name"] == "陈**" and shown["birth_date"] == "1958-**-**"


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=0, max_value=20).flatmap(
        lambda n: st.text(alphabet="0123456789X", min_size=n, max_size=n)
    )
)
def test_bank_card_truncation_is_the_domain_masking_rule_at_every_length(digits: str) -> None:
    """The one number readers truncates itself (a bank card's, never kept whole) by the same rule."""
    assert _truncate_pan(digits) == mask_identity(digits)


def test_decoders() -> None:
    assert decode_bcd(bytes.fromhex("4401FF")) == "4401"
    assert decode_bcd_date(bytes.fromhex("20240229")) == dt.date(2024, 2, 29)
    with pytest.raises(ValueError):
        decode_bcd_date(bytes.fromhex("20230229"))
    with pytest.raises(ValueError):
        decode_bcd(bytes.fromhex("4A"))
    assert parse_record(0x03, bytes.fromhex("0304332E3030")) == b"3.00"
    with pytest.raises(ValueError):
        parse_record(0x03, bytes.fromhex("0404332E3030"))
    assert generation_of("2.01") is Generation.SECOND
    assert generation_of("9.99") is Generation.UNKNOWN
    assert generation_of(None) is Generation.UNKNOWN
    assert find_tlv(bytes.fromhex("70085A0662220200001F"), 0x5A) == bytes.fromhex("62220200001F")
    assert find_tlv(bytes.fromhex("7008"), 0x5A) is None
