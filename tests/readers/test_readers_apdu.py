"""The APDU layer: command encoding, 61xx/6Cxx handling, status words to typed errors."""

from __future__ import annotations

import pytest

from branch_app.i18n import catalog
from branch_app.ui.card_text import reader_error_text
from readers import apdu
from readers.apdu import (
    Command,
    MalformedResponse,
    ReaderError,
    Response,
    exchange,
    status_error,
)


class ScriptedCard:
    """Answers from a script and records what it was sent (a unit-test double of a card)."""

    def __init__(self, *answers: str) -> None:
        self.answers = [bytes.fromhex(a) for a in answers]
        self.sent: list[str] = []

    def transmit(self, command: bytes) -> bytes:
        self.sent.append(command.hex().upper())
        return self.answers.pop(0)


def test_command_encodings_follow_the_card_specification() -> None:
    from readers.sscard import SSSE_NAME

    assert (
        apdu.select_by_name(SSSE_NAME).to_bytes().hex().upper()
        == "00A404000F7378312E73682EC9E7BBE1B1A3D5CF"
    )
    assert apdu.select_file(0xEF05).to_bytes().hex().upper() == "00A4020002EF05"
    assert apdu.read_record_by_tag(0x08, 20).to_bytes().hex().upper() == "00B2080014"
    assert apdu.get_challenge().to_bytes().hex().upper() == "0084000008"
    assert apdu.external_authenticate(0x0A, bytes(16)).to_bytes()[:5].hex().upper() == "0082000A10"
    assert apdu.read_record(1, sfi=1).to_bytes().hex().upper() == "00B2010C00"


def test_command_rejects_impossible_fields() -> None:
    with pytest.raises(ValueError):
        Command(0x100, 0, 0, 0)
    with pytest.raises(ValueError):
        Command(0, 0, 0, 0, bytes(256))


def test_get_response_follows_61xx_and_joins_the_data() -> None:
    card = ScriptedCard("6104", "01020304 6102", "0506 9000")
    response = exchange(card, apdu.select_file(0xEF05))
    assert response == Response(bytes.fromhex("010203040506"), 0x9000)
    assert card.sent[1:] == ["00C0000004", "00C0000002"]


def test_6cxx_resends_with_the_length_the_card_asked_for() -> None:
    card = ScriptedCard("6C05", "0803414243 9000")
    response = exchange(card, apdu.read_record_by_tag(0x08, 20))
    assert response.data == bytes.fromhex("0803414243")
    assert card.sent == ["00B2080014", "00B2080005"]


def test_a_card_asking_twice_for_another_le_is_malformed() -> None:
    with pytest.raises(MalformedResponse):
        exchange(ScriptedCard("6C05", "6C06"), apdu.get_challenge())


def test_endless_61xx_is_cut_off() -> None:
    card = ScriptedCard(*(["6101"] + ["00 6101"] * 40))
    with pytest.raises(MalformedResponse):
        exchange(card, apdu.get_challenge())


def test_an_answer_without_status_word_is_malformed() -> None:
    with pytest.raises(MalformedResponse):
        Response.from_bytes(b"\x90")


@pytest.mark.parametrize(
    ("sw", "code"),
    [
        (0x6700, "wrong_length"),
        (0x6982, "security_status_not_satisfied"),
        (0x6983, "key_blocked"),
        (0x6985, "conditions_not_satisfied"),
        (0x6A81, "function_not_supported"),
        (0x6A82, "file_not_found"),
        (0x6A83, "record_not_found"),
        (0x6A86, "wrong_parameters"),
        (0x63C2, "verification_failed"),
        (0x9303, "application_locked"),
        (0x6F00, "card_status"),
    ],
)
def test_each_status_word_has_its_typed_error(sw: int, code: str) -> None:
    error = status_error(sw)
    assert error.code == code
    assert error.sw == sw
    assert reader_error_text(error, "en") != reader_error_text(error, "zh")
    assert error.code in str(error)  # logs name the code


def test_verification_failure_says_how_many_tries_are_left() -> None:
    error = status_error(0x63C2)
    assert error.tries_left == 2  # type: ignore[attr-defined]
    assert error.params["tries_left"] == 2
    assert "2" in reader_error_text(error, "en") and "2" in reader_error_text(error, "zh")


def test_every_error_code_has_its_sentence_in_the_reader_catalog() -> None:
    def subclasses(cls: type[ReaderError]) -> list[type[ReaderError]]:
        found = [cls]
        for sub in cls.__subclasses__():
            found += subclasses(sub)
        return found

    from readers import pcsc  # noqa: F401  (ReaderBusy lives there)

    classes = subclasses(ReaderError)
    assert len(classes) > 15
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes)), "every error has its own code"
    for cls in classes:
        assert f"reader.error.{cls.code}" in catalog(), cls
        assert not hasattr(cls, "english") and not hasattr(cls, "chinese"), "no prose in readers"
