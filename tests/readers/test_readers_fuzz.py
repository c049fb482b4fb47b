"""Arbitrary card answers: every input ends in a reading or a typed `ReaderError`, nothing else."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from branch_app.i18n import catalog
from readers.apdu import ReaderError
from readers.sscard import CardReading, PsamSession, read_social_security_card

STATUS_WORDS = [
    b"\x90\x00",
    b"\x61\x10",
    b"\x61\x00",
    b"\x6c\x04",
    b"\x6c\x00",
    b"\x6a\x82",
    b"\x6a\x83",
    b"\x69\x82",
    b"\x69\x83",
    b"\x63\xc1",
    b"\x93\x03",
    b"\x67\x00",
]


def answers() -> st.SearchStrategy[bytes]:
    """Mostly plausible answers (data + a known status word), sometimes pure noise."""
    data = st.binary(max_size=80)
    plausible = st.builds(lambda d, sw: d + sw, data, st.sampled_from(STATUS_WORDS))
    record_like = st.builds(
        lambda tag, value, sw: bytes((tag, len(value))) + value + sw,
        st.integers(0, 0x4E),
        st.binary(max_size=40),
        st.sampled_from(STATUS_WORDS[:1] * 3 + STATUS_WORDS),
    )
    return st.one_of(plausible, record_like, st.binary(max_size=300))


class FuzzedCard:
    def __init__(self, draw: st.DataObject, label: str) -> None:
        self.draw = draw
        self.label = label
        self.count = 0

    def transmit(self, apdu: bytes) -> bytes:
        self.count += 1
        assert self.count < 400, "the reader must not keep talking to a card forever"
        return self.draw.draw(answers(), label=self.label)


@given(st.data(), st.booleans(), st.booleans())
def test_arbitrary_answers_end_in_a_reading_or_a_typed_error(
    data: st.DataObject, with_psam: bool, bank_pan: bool
) -> None:
    card = FuzzedCard(data, "card")
    psam = PsamSession(FuzzedCard(data, "psam")) if with_psam else None
    try:
        reading = read_social_security_card(
            card, reader="fuzz", atr=b"\x3b\x00", psam=psam, read_bank_pan=bank_pan
        )
    except ReaderError as error:
        assert f"reader.error.{error.code}" in catalog()
        return
    assert isinstance(reading, CardReading)
    reading.to_dict()
    reading.to_dict(personal=True)
    repr(reading)
    for problem in reading.unreadable:
        assert f"reader.unreadable.{problem.reason.value}" in catalog()
