"""Simulated cards and PSAM from one card model, and an in-process reader backend.

The same `SimulatedCard` answers APDUs in process (unit tests, the demo, training) and behind
the real pcscd through vpcd (`readers.vpcd`). A `CardModel` says what the card holds (EF05/EF06
records as raw bytes, so malformed cards are possible), its generation, whether it answers T=0
style (61xx / 6Cxx), whether EF06 needs PSAM authentication, and its try counter. Every person
on these cards is made up; the keys are made up too.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from readers.apdu import CardNotResponding, CardRemoved, NoCard, ReaderNotFound
from readers.backend import ReaderState
from readers.sm4 import diversify, pad_block, sm4_encrypt_block
from readers.sscard import BANK_AID, EF05, EF06, EXTERNAL_AUTH_KEY, SSSE_NAME

#: Master key of the simulated PSAM (made up; a real PSAM's key never leaves it).
DEMO_PSAM_MASTER_KEY = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")


def t1_atr(historical: bytes) -> bytes:
    """An ATR offering T=1 (TA1=13, TD1=81, TD2=01) with the given historical bytes and TCK."""
    body = bytes((0x90 | len(historical), 0x13, 0x81, 0x01)) + historical
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3b" + body + bytes((tck,))


def t0_atr(historical: bytes) -> bytes:
    """An ATR offering only T=0 (TB1=00, TC1=00), no TCK."""
    return bytes((0x3B, 0x60 | len(historical), 0x00, 0x00)) + historical


def record(tag: int, value: bytes) -> bytes:
    """A simple `tag | length | value` record."""
    return bytes((tag, len(value))) + value


def bcd(digits: str, length: int) -> bytes:
    """Digits as BCD, F-padded to `length` bytes."""
    return bytes.fromhex(digits.ljust(length * 2, "F"))


def resident_check_character(first17: str) -> str:
    """GB 11643 check character (local copy: readers does not import the domain)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11]


def card_number_with_check(first8: str) -> str:
    """Card number check character as in the public personalisation tools (A=10 .. Z=35)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(first8, weights, strict=True)
    )
    r = 11 - total % 11
    return first8 + ("X" if r == 10 else "0" if r == 11 else str(r))


@dataclass(frozen=True)
class CardModel:
    """What a simulated card holds and how it behaves."""

    label: str
    atr: bytes
    #: fid -> tag -> the raw record the card answers for READ RECORD by that tag.
    files: Mapping[int, Mapping[int, bytes]] = field(default_factory=dict)
    has_ssse: bool = True
    #: Answers 61xx to commands with response data and 6Cxx to any Le that is not exact.
    t0_style: bool = False
    #: Key 0x0A of EXTERNAL AUTHENTICATE; when set, EF06 needs authentication (3rd generation).
    holder_key: bytes | None = None
    auth_tries: int = 3
    #: Records of the bank application (SFI 1), by record number; empty: no bank application.
    bank_records: tuple[bytes, ...] = ()


class CardPulled(Exception):
    """Raised by a simulated card told to leave the reader after a number of APDUs."""


class SimulatedChip:
    """APDU processing common to the simulated card and PSAM: ATR, power, T=0 chaining."""

    def __init__(self, atr: bytes, *, t0_style: bool) -> None:
        self.atr = atr
        self.t0_style = t0_style
        self._pending = b""
        self._pull_after: int | None = None
        self.lock = threading.Lock()
        self.apdu_count = 0

    def pull_out_after(self, apdus: int | None) -> None:
        """Make the card leave the reader when its `apdus`-th next command arrives."""
        self._pull_after = apdus

    def power_on(self) -> None:
        self._pending = b""

    def process(self, apdu: bytes) -> bytes:
        """One command in, one answer out; raises only `CardPulled`."""
        with self.lock:
            self.apdu_count += 1
            if self._pull_after is not None:
                self._pull_after -= 1
                if self._pull_after <= 0:
                    self._pull_after = None
                    raise CardPulled()
            try:
                return self._dispatch(bytes(apdu))
            except Exception:
                return b"\x6f\x00"  # the card's "no precise diagnosis"

    def _dispatch(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            return b"\x67\x00"
        cla, ins, p1, p2 = apdu[:4]
        data, le = b"", None
        if len(apdu) == 5:
            le = apdu[4] or 256
        elif len(apdu) > 5:
            lc = apdu[4]
            data = apdu[5 : 5 + lc]
            if len(data) != lc or len(apdu) > 6 + lc:
                return b"\x67\x00"
            if len(apdu) == 6 + lc:
                le = apdu[-1] or 256
        if cla == 0x00 and ins == 0xC0:
            return self._get_response(le)
        self._pending = b""
        return self.handle(cla, ins, p1, p2, data, le)

    def handle(self, cla: int, ins: int, p1: int, p2: int, data: bytes, le: int | None) -> bytes:
        return b"\x6d\x00"

    def _get_response(self, le: int | None) -> bytes:
        if not self._pending:
            return b"\x69\x85"
        wanted = le or 256
        if self.t0_style and wanted > len(self._pending):
            return bytes((0x6C, len(self._pending) & 0xFF))
        out, self._pending = self._pending[:wanted], self._pending[wanted:]
        if self._pending:
            return out + bytes((0x61, min(len(self._pending), 256) & 0xFF))
        return out + b"\x90\x00"

    def answer(self, data: bytes, le: int | None, *, case4: bool = False) -> bytes:
        """Response data as this card's transport style gives it."""
        if not data:
            return b"\x90\x00"
        if self.t0_style:
            if case4 or le is None:
                self._pending = data
                return bytes((0x61, len(data) & 0xFF))
            if le != len(data):
                return bytes((0x6C, len(data) & 0xFF))
            return data + b"\x90\x00"
        if le is not None and le < len(data):
            return bytes((0x6C, len(data) & 0xFF))
        return data + b"\x90\x00"


class SimulatedCard(SimulatedChip):
    """A social security card (or a bank card) answering from its `CardModel`."""

    def __init__(self, model: CardModel) -> None:
        super().__init__(model.atr, t0_style=model.t0_style)
        self.model = model
        #: Kept across insertions, as on a real card.
        self.tries_left = model.auth_tries
        self.power_on()

    def power_on(self) -> None:
        super().power_on()
        self.application: str | None = None
        self.current_file: int | None = None
        self.authenticated = False
        self.challenge: bytes | None = None

    def handle(self, cla: int, ins: int, p1: int, p2: int, data: bytes, le: int | None) -> bytes:
        if cla != 0x00:
            return b"\x6e\x00"
        if ins == 0xA4:
            return self._select(p1, data, le)
        if ins == 0xB2:
            return self._read_record(p1, p2, le)
        if ins == 0x84:
            return self._get_challenge(le)
        if ins == 0x82:
            return self._external_authenticate(p2, data)
        return b"\x6d\x00"

    def _select(self, p1: int, data: bytes, le: int | None) -> bytes:
        if p1 == 0x04:
            if data == SSSE_NAME and self.model.has_ssse:
                self.application, self.current_file = "ssse", None
            elif data == BANK_AID and self.model.bank_records:
                self.application, self.current_file = "bank", None
            else:
                return b"\x6a\x82"
            fci = record(0x6F, record(0x84, data))
            return self.answer(fci, le, case4=True)
        if p1 in (0x00, 0x02) and len(data) == 2:
            fid = int.from_bytes(data, "big")
            if self.application == "ssse" and fid in self.model.files:
                self.current_file = fid
                return b"\x90\x00"
            return b"\x6a\x82"
        return b"\x6a\x86"

    def _read_record(self, p1: int, p2: int, le: int | None) -> bytes:
        sfi = p2 >> 3
        if self.application == "bank":
            if p2 & 0x07 != 0x04 or sfi != 1:
                return b"\x6a\x86"
            if not 1 <= p1 <= len(self.model.bank_records):
                return b"\x6a\x83"
            return self.answer(self.model.bank_records[p1 - 1], le)
        if self.application != "ssse":
            return b"\x69\x85"
        if p2 & 0x07 != 0x00:
            return b"\x6a\x86"
        fid = {0: self.current_file, 5: EF05, 6: EF06}.get(sfi)
        if fid is None or fid not in self.model.files:
            return b"\x6a\x82"
        if fid == EF06 and self.model.holder_key is not None and not self.authenticated:
            return b"\x69\x82"
        found = self.model.files[fid].get(p1)
        if found is None:
            return b"\x6a\x83"
        return self.answer(found, le)

    def _get_challenge(self, le: int | None) -> bytes:
        if le not in (4, 8):
            return b"\x67\x00"
        self.challenge = os.urandom(le)
        return self.answer(self.challenge, le)

    def _external_authenticate(self, key_reference: int, cryptogram: bytes) -> bytes:
        if self.model.holder_key is None or key_reference != EXTERNAL_AUTH_KEY:
            return b"\x6a\x88"
        if self.tries_left <= 0:
            return b"\x69\x83"
        challenge, self.challenge = self.challenge, None
        if challenge is None:
            return b"\x69\x85"
        expected = sm4_encrypt_block(self.model.holder_key, pad_block(challenge))
        if cryptogram == expected:
            self.authenticated = True
            self.tries_left = self.model.auth_tries
            return b"\x90\x00"
        self.tries_left -= 1
        return b"\x69\x83" if self.tries_left == 0 else bytes((0x63, 0xC0 | self.tries_left))


class SimulatedPsam(SimulatedChip):
    """A PSAM holding the master key: `80 1A` diversifies it for a card, `80 FA` encrypts."""

    def __init__(
        self, master_key: bytes = DEMO_PSAM_MASTER_KEY, *, atr: bytes | None = None
    ) -> None:
        super().__init__(atr or t0_atr(b"PSAM-SIM"), t0_style=True)
        self.master_key = master_key
        self.session_key: bytes | None = None

    def power_on(self) -> None:
        super().power_on()
        self.session_key = None

    def handle(self, cla: int, ins: int, p1: int, p2: int, data: bytes, le: int | None) -> bytes:
        if cla != 0x80:
            return b"\x6e\x00"
        if ins == 0x1A:
            if p2 != EXTERNAL_AUTH_KEY or len(data) != 8:
                return b"\x6a\x86" if p2 != EXTERNAL_AUTH_KEY else b"\x67\x00"
            self.session_key = diversify(self.master_key, data)
            return b"\x90\x00"
        if ins == 0xFA:
            if self.session_key is None:
                return b"\x69\x85"
            if not data or len(data) % 16:
                return b"\x67\x00"
            return self.answer(sm4_encrypt_block(self.session_key, data), le, case4=True)
        return b"\x6d\x00"


# ---------------------------------------------------------------------------------------------
# The test cards
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A made-up holder."""

    area: str
    birth: str  # YYYYMMDD
    sequence: str  # 3 digits, odd for men
    name: str
    ethnicity: str = "01"

    @property
    def social_security_number(self) -> str:
        first17 = f"{self.area}{self.birth}{self.sequence}"
        return first17 + resident_check_character(first17)

    @property
    def sex(self) -> str:
        return "1" if int(self.sequence) % 2 else "2"


def card_identification_code(area: str, unique: str) -> bytes:
    return bytes.fromhex(f"{area}D156000005{unique}")


def _name_records(name: str, generation: str) -> dict[int, bytes]:
    raw = name.encode("gb18030")
    records = {0x09: record(0x09, raw[:30].ljust(30, b"\x00"))}
    if generation != "1":
        records[0x4E] = record(0x4E, raw[30:50].ljust(20, b"\x00"))
    return records


def social_security_card_model(
    label: str,
    person: Person,
    *,
    version: str,
    card_number8: str,
    unique: str,
    issued: str,
    expires: str | None,
    t0_style: bool = False,
    holder_key: bytes | None = None,
    bank_pan: str | None = None,
    atr: bytes | None = None,
) -> CardModel:
    """A well-formed card for `person`, as the card agency would personalise it."""
    generation = version[0]
    cid = card_identification_code(person.area, unique)
    ef05 = {
        0x01: record(0x01, cid),
        0x02: record(0x02, b"3" if generation == "3" else b"1"),
        0x03: record(0x03, version.encode("ascii")),
        0x04: record(0x04, "广州市人社局".encode("gbk")),
        0x05: record(0x05, bcd(issued, 4)),
        0x06: record(0x06, bcd(expires, 4) if expires else b"\x00" * 4),
        0x07: record(0x07, card_number_with_check(card_number8).encode("ascii")),
    }
    ef06 = {
        0x08: record(0x08, person.social_security_number.encode("ascii")),
        **_name_records(person.name, generation),
        0x0A: record(0x0A, person.sex.encode("ascii")),
        0x0B: record(0x0B, bcd(person.ethnicity, 1)),
        0x0C: record(0x0C, bcd(person.area, 3)),
        0x0D: record(0x0D, bcd(person.birth, 4)),
    }
    bank_records: tuple[bytes, ...] = ()
    if bank_pan:
        bank_records = (record(0x70, record(0x5A, bcd(bank_pan, (len(bank_pan) + 1) // 2))),)
    historical = f"SSC{version[0]}GZ".encode("ascii")
    return CardModel(
        label=label,
        atr=atr or (t0_atr(historical) if t0_style else t1_atr(historical)),
        files={EF05: ef05, EF06: ef06},
        t0_style=t0_style,
        holder_key=holder_key,
        bank_records=bank_records,
    )


def _holder_key_for(area: str, unique: str) -> bytes:
    return diversify(DEMO_PSAM_MASTER_KEY, card_identification_code(area, unique)[-8:])


def _malformed_card() -> CardModel:
    good = social_security_card_model(
        "malformed",
        Person("440105", "19660130", "077", "周敏"),
        version="2.00",
        card_number8="G0000005",
        unique="0000000000000005",
        issued="20150601",
        expires="20250601",
    )
    ef05 = dict(good.files[EF05])
    ef06 = dict(good.files[EF06])
    ef05[0x04] = bytes((0x04, 0x0C)) + b"GZ"  # length says 12, holds 2
    ef05[0x05] = record(0x05, bcd("20151345", 4))  # month 13
    ef05[0x06] = record(0x16, bcd("20250601", 4))  # another tag
    ef05[0x07] = record(0x07, b"\xb9\xe3\xd6\xdd\x00\x01\x02\x03\x04")  # not a card number
    ef06[0x08] = record(0x08, b"44010")  # too short for an ID number
    ef06[0x09] = record(0x09, b"\x81\x20\xff\xfe" + bytes(26))  # not GB18030
    ef06[0x0A] = record(0x0A, b"9")
    ef06[0x0D] = record(0x0D, b"\x19\x66\xab\xcd")  # not BCD
    return CardModel(
        label="malformed",
        atr=good.atr,
        files={EF05: ef05, EF06: ef06},
    )


def card_models() -> dict[str, CardModel]:
    """The shipped test cards, by label. Every holder is made up; ID check characters are valid."""
    gen3_unique = "3000000000000003"
    return {
        "gen1": social_security_card_model(
            "gen1",
            Person("440103", "19580315", "031", "陈建国"),
            version="1.00",
            card_number8="A0000001",
            unique="1000000000000001",
            issued="20050310",
            expires="20150310",
        ),
        "gen2_t0": social_security_card_model(
            "gen2_t0",
            Person("440104", "19721102", "042", "李秀英"),
            version="2.00",
            card_number8="B0000002",
            unique="2000000000000002",
            issued="20160512",
            expires="20260512",
            t0_style=True,
            bank_pan="6228480000012345678",
        ),
        "gen3_psam": social_security_card_model(
            "gen3_psam",
            Person("440106", "19900721", "153", "黄志强"),
            version="3.00",
            card_number8="C0000003",
            unique=gen3_unique,
            issued="20210901",
            expires=None,
            holder_key=_holder_key_for("440106", gen3_unique),
            bank_pan="6217000000009876543",
        ),
        "rare_name": social_security_card_model(
            "rare_name",
            # 14 GBK characters (28 bytes), then U+4DAE (4 bytes in GB18030) across the
            # 30-byte boundary: only name + 4E extension, decoded together, give it back.
            Person("440111", "19850509", "208", "古丽娜尔·阿卜杜热西提·买买䶮提", ethnicity="05"),
            version="2.01",
            card_number8="D0000004",
            unique="4000000000000004",
            issued="20180120",
            expires="20280120",
        ),
        "bank_only": CardModel(
            label="bank_only",
            atr=t1_atr(b"UPDEBIT"),
            has_ssse=False,
            bank_records=(record(0x70, record(0x5A, bcd("6222020000001111", 8))),),
        ),
        "malformed": _malformed_card(),
    }


# ---------------------------------------------------------------------------------------------
# In process: transport and reader backend
# ---------------------------------------------------------------------------------------------


class SimulatedConnection:
    """A `CardConnection` to a simulated card held by a `SimulatedReaders` slot."""

    def __init__(self, readers: SimulatedReaders, reader: str, chip: SimulatedChip) -> None:
        self._readers = readers
        self.reader = reader
        self.chip = chip
        self.atr = chip.atr
        self._closed = False

    def transmit(self, apdu: bytes) -> bytes:
        if self._closed:
            raise CardNotResponding("connection closed")
        if self._readers.chip_in(self.reader) is not self.chip:
            raise CardRemoved()
        if self._readers.is_mute(self.reader):
            raise CardNotResponding()
        try:
            return self.chip.process(apdu)
        except CardPulled:
            self._readers.remove(self.reader)
            raise CardRemoved() from None

    def close(self) -> None:
        self._closed = True


class SimulatedReaders:
    """An in-process `CardBackend`: named slots that simulated cards go in and out of."""

    def __init__(self, names: Sequence[str] = ("Simulated Reader 0",)) -> None:
        self._slots: dict[str, SimulatedChip | None] = dict.fromkeys(names)
        self._mute: set[str] = set()
        self._changed = threading.Condition()
        self.on_change: Callable[[], None] | None = None

    # -- the simulation's controls --------------------------------------------------------
    def insert(self, reader: str, chip: SimulatedChip) -> None:
        with self._changed:
            self._slots.setdefault(reader, None)
            chip.power_on()
            self._slots[reader] = chip
            self._changed.notify_all()

    def remove(self, reader: str) -> None:
        with self._changed:
            if self._slots.get(reader) is not None:
                self._slots[reader] = None
                self._changed.notify_all()

    def attach_reader(self, reader: str) -> None:
        with self._changed:
            self._slots.setdefault(reader, None)
            self._changed.notify_all()

    def detach_reader(self, reader: str) -> None:
        with self._changed:
            self._slots.pop(reader, None)
            self._changed.notify_all()

    def set_mute(self, reader: str, mute: bool = True) -> None:
        """A card that stops answering (dirty chip)."""
        (self._mute.add if mute else self._mute.discard)(reader)

    def chip_in(self, reader: str) -> SimulatedChip | None:
        with self._changed:
            return self._slots.get(reader)

    def is_mute(self, reader: str) -> bool:
        return reader in self._mute

    # -- CardBackend ------------------------------------------------------------------------
    def reader_states(self) -> list[ReaderState]:
        with self._changed:
            return [
                ReaderState(name, chip is not None, chip.atr if chip else b"")
                for name, chip in self._slots.items()
            ]

    def wait_for_change(self, known: Sequence[ReaderState], timeout: float) -> list[ReaderState]:
        deadline = time.monotonic() + max(0.0, timeout)
        with self._changed:
            while True:
                states = self.reader_states()
                remaining = deadline - time.monotonic()
                if states != list(known) or remaining <= 0:
                    return states
                self._changed.wait(remaining)

    def connect(self, reader: str) -> SimulatedConnection:
        with self._changed:
            if reader not in self._slots:
                raise ReaderNotFound(name=reader)
            chip = self._slots[reader]
        if chip is None:
            raise NoCard(reader)
        return SimulatedConnection(self, reader, chip)

    def close(self) -> None:
        return None


def demo_readers(card: str = "gen2_t0", *, with_psam: bool = True) -> SimulatedReaders:
    """A card reader holding one of the test cards, and a PSAM slot: the demo's setup."""
    readers = SimulatedReaders(("Simulated Reader 0", "Simulated Reader 1 (PSAM)"))
    if card:
        readers.insert("Simulated Reader 0", SimulatedCard(card_models()[card]))
    if with_psam:
        readers.insert("Simulated Reader 1 (PSAM)", SimulatedPsam())
    return readers
