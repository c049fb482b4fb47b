"""The social security application on the card: select it, read EF05/EF06 by tag, decode.

Pure logic over a `Transport` (no PC/SC here), so the same code reads the in-process simulated
cards, cards behind pcscd, and the fuzz test's arbitrary answers. A read either returns one
immutable `CardReading` (fields that could not be read are listed with the reason) or raises a
`ReaderError`; a card pulled out mid-read raises `CardRemoved` and never yields a partial record.
"""

from __future__ import annotations

import codecs
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from readers.apdu import (
    SW_OK,
    CardStatusError,
    Command,
    KeyBlocked,
    MalformedResponse,
    NotSocialSecurityCard,
    PsamFailed,
    ReaderError,
    SecurityStatusNotSatisfied,
    Transport,
    VerificationFailed,
    continue_exchange,
    exchange,
    external_authenticate,
    get_challenge,
    psam_encrypt,
    psam_initialise,
    read_record,
    read_record_by_tag,
    select_by_name,
    select_file,
    status_error,
)
from readers.sm4 import pad_block

#: "sx1.sh." + GBK "社会保障": the social security application environment (SSSE).
SSSE_NAME = b"sx1.sh." + "社会保障".encode("gbk")
#: UnionPay debit application (the card's bank function).
BANK_AID = bytes.fromhex("A000000333010101")
EF05 = 0xEF05
EF06 = 0xEF06
#: EXTERNAL AUTHENTICATE key reference for the holder data of 3rd-generation cards.
EXTERNAL_AUTH_KEY = 0x0A


class Generation(StrEnum):
    FIRST = "1"
    SECOND = "2"
    THIRD = "3"
    UNKNOWN = "unknown"


_GENERATION_BY_MAJOR = {"1": Generation.FIRST, "2": Generation.SECOND, "3": Generation.THIRD}


def generation_of(spec_version: str | None) -> Generation:
    """ "1.00" -> FIRST, "2.00"/"2.01" -> SECOND, "3.00" -> THIRD; anything else UNKNOWN."""
    if not spec_version or len(spec_version) < 3 or spec_version[1] != ".":
        return Generation.UNKNOWN
    return _GENERATION_BY_MAJOR.get(spec_version[0], Generation.UNKNOWN)


class Unreadable(StrEnum):
    """Why a field is missing from a reading (the words: `reader.unreadable.<value>`)."""

    NOT_ON_CARD = "not_on_card"
    MALFORMED = "malformed"
    REFUSED = "refused"
    NEEDS_PSAM = "needs_psam"
    PSAM_FAILED = "psam_failed"
    AUTHENTICATION_REFUSED = "authentication_refused"
    KEY_BLOCKED = "key_blocked"


@dataclass(frozen=True, slots=True)
class UnreadableField:
    field: str
    reason: Unreadable
    #: Technical detail for support (status word, ...); never personal data.
    detail: str = ""


#: Holder fields in EF06, in reading order: tag -> (field name, length on the card).
EF05_FIELDS: dict[int, tuple[str, int]] = {
    0x01: ("card_identification_code", 16),
    0x02: ("card_type", 1),
    0x03: ("spec_version", 4),
    0x04: ("issuing_organisation", 12),
    0x05: ("issue_date", 4),
    0x06: ("expiry_date", 4),
    0x07: ("card_number", 9),
}
EF06_FIELDS: dict[int, tuple[str, int]] = {
    0x08: ("social_security_number", 18),
    0x09: ("name", 30),
    0x4E: ("name_extension", 20),
    0x0A: ("sex", 1),
    0x0B: ("ethnicity", 1),
    0x0C: ("birthplace", 3),
    0x0D: ("birth_date", 4),
}
#: The read sequence's commands, built once: tag -> READ RECORD with Le = length + 2.
READ_BY_TAG: dict[int, Command] = {
    tag: read_record_by_tag(tag, length + 2)
    for tag, (_name, length) in (EF05_FIELDS | EF06_FIELDS).items()
}
SELECT_SSSE = select_by_name(SSSE_NAME)
SELECT_BANK = select_by_name(BANK_AID)
SELECT_EF05 = select_file(EF05)
SELECT_EF06 = select_file(EF06)
HOLDER_FIELDS = ("social_security_number", "name", "sex", "ethnicity", "birthplace", "birth_date")


@dataclass(frozen=True, repr=False, slots=True)
class CardReading:
    """Everything read from one card in one go. Immutable; its repr never shows personal data."""

    reader: str
    atr: bytes
    generation: Generation
    spec_version: str | None = None
    card_identification_code: str | None = None
    card_type: str | None = None
    issuing_organisation: str | None = None
    issue_date: dt.date | None = None
    expiry_date: dt.date | None = None
    card_number: str | None = None
    social_security_number: str | None = None
    name: str | None = None
    sex: str | None = None
    ethnicity: str | None = None
    birthplace: str | None = None
    birth_date: dt.date | None = None
    #: Fields that could not be read, and why.
    unreadable: tuple[UnreadableField, ...] = ()
    #: The holder fields are locked behind PSAM authentication that did not happen or failed:
    #: the teller types the ID number and checks it with `matches_social_security_number`.
    holder_needs_psam: bool = False
    authenticated: bool = False
    #: The bank application's PAN, always masked (first 6, last 4).
    bank_pan_masked: str | None = None
    read_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def atr_hex(self) -> str:
        return self.atr.hex(" ").upper()

    @property
    def area_code(self) -> str | None:
        """The issuing area (first 6 characters of the card identification code)."""
        code = self.card_identification_code
        return code[:6] if code and code[:6].isdigit() else None

    def reason_for(self, field_name: str) -> UnreadableField | None:
        return next((u for u in self.unreadable if u.field == field_name), None)

    def matches_social_security_number(self, typed: str) -> bool | None:
        """Whether a typed ID number agrees with the card; None when the card cannot tell."""
        if self.social_security_number is None:
            return None
        return typed.strip().upper() == self.social_security_number.upper()

    def to_dict(self, *, personal: bool = False) -> dict[str, Any]:
        """JSON-ready fields. The ID number, name and birth date are None unless `personal`.

        Readers never mask (the one masking rule is the domain's `mask_identity`): a display that
        shows them masked fills them in itself; with `personal` the caller records why.
        """
        return {
            "reader": self.reader,
            "atr": self.atr.hex().upper(),
            "generation": self.generation.value,
            "spec_version": self.spec_version,
            "card_identification_code": self.card_identification_code,
            "area_code": self.area_code,
            "card_type": self.card_type,
            "issuing_organisation": self.issuing_organisation,
            "issue_date": _iso(self.issue_date),
            "expiry_date": _iso(self.expiry_date),
            "card_number": self.card_number,
            "social_security_number": self.social_security_number if personal else None,
            "name": self.name if personal else None,
            "sex": self.sex,
            "ethnicity": self.ethnicity,
            "birthplace": self.birthplace,
            "birth_date": _iso(self.birth_date) if personal else None,
            "masked": not personal,
            "holder_needs_psam": self.holder_needs_psam,
            "authenticated": self.authenticated,
            "bank_pan_masked": self.bank_pan_masked,
            "unreadable": [
                {"field": u.field, "reason": u.reason.value, "detail": u.detail}
                for u in self.unreadable
            ],
            "read_at": self.read_at.isoformat(),
        }

    def __repr__(self) -> str:
        return (
            f"CardReading(reader={self.reader!r}, generation={self.generation.value!r}, "
            f"card_number={self.card_number!r}, "
            f"holder={'<hidden>' if self.social_security_number else None!r}, "
            f"unreadable={[u.field for u in self.unreadable]!r})"
        )


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


# ---------------------------------------------------------------------------------------------
# Decoding (pure; each raises ValueError on data it cannot accept)
# ---------------------------------------------------------------------------------------------


def parse_record(tag: int, data: bytes) -> bytes:
    """The value of a simple `tag | length | value` record; ValueError when it is not one."""
    if len(data) < 2:
        raise ValueError("record shorter than its header")
    if data[0] != tag:
        raise ValueError(f"record tag {data[0]:02X} where {tag:02X} was asked for")
    length = data[1]
    if len(data) < 2 + length:
        raise ValueError(f"record says {length} bytes but holds {len(data) - 2}")
    return bytes(data[2 : 2 + length])


#: The GB18030 decoder, looked up once (`bytes.decode("gb18030")` looks the codec up per call).
_GB18030_DECODE = codecs.getdecoder("gb18030")
#: What pads a field on the card: trailing 0x00, 0xFF or spaces (and leading 0x00).
PADDING = b"\x00\xff "


def is_blank(value: bytes) -> bool:
    """Only padding (0x00, 0xFF or spaces): the card holds no value for the field."""
    return not value.strip(PADDING)


# The decoders run for every field of every read: each strips its padding itself rather than
# through a shared helper (one call less per field on the path a teller waits on).


def decode_ascii(value: bytes) -> str:
    text = value.rstrip(PADDING).lstrip(b"\x00").decode("ascii")
    if not text.isprintable():
        raise ValueError("not printable text")
    return text


def decode_text(value: bytes) -> str:
    """GB18030 text (names, organisations), 0x00/0xFF/space padded."""
    text = _GB18030_DECODE(value.rstrip(PADDING).lstrip(b"\x00"))[0]
    if not text.isprintable():
        raise ValueError("not printable text")
    return text.strip()


def decode_bcd(value: bytes) -> str:
    """BCD digits, F-padded (`44 01 FF` -> `4401`); ValueError on any other nibble."""
    digits = value.hex()
    if digits.isdigit():  # no padding: the common case
        return digits
    digits = digits.upper().rstrip("F")
    if not digits.isdigit() and digits:
        raise ValueError("not BCD")
    return digits


def decode_bcd_date(value: bytes) -> dt.date:
    """`20 16 05 12` -> 2016-05-12; ValueError unless exactly 8 BCD digits make a real date."""
    digits = value.hex()
    if len(digits) != 8 or not digits.isdigit():  # F padding or not BCD: the general rules
        digits = decode_bcd(value)
        if len(digits) != 8:
            raise ValueError("a BCD date has 8 digits")
    return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))


def decode_sex(value: bytes) -> str:
    text = decode_ascii(value)
    if text not in ("1", "2"):
        raise ValueError("sex is '1' or '2'")
    return text


def decode_social_security_number(value: bytes) -> str:
    text = decode_ascii(value).upper()
    if not (len(text) in (15, 18) and text[:-1].isalnum()):
        raise ValueError("not an identity number")
    return text


def decode_card_number(value: bytes) -> str:
    text = decode_ascii(value).upper()
    if len(text) != 9 or not text.isalnum():
        raise ValueError("a card number has 9 letters or digits")
    return text


def decode_card_type(value: bytes) -> str:
    if 0x20 < value[0] < 0x7F:
        return chr(value[0])
    return value.hex().upper()


def decode_spec_version(value: bytes) -> str:
    """ "3.00"; an unknown version is kept as text (the generation then says `unknown`)."""
    return decode_ascii(value)


_DECODERS: dict[str, Callable[[bytes], Any]] = {
    "card_identification_code": lambda v: v.hex().upper(),
    "card_type": decode_card_type,
    "spec_version": decode_ascii,  # = decode_spec_version, one call less
    "issuing_organisation": decode_text,
    "issue_date": decode_bcd_date,
    "expiry_date": decode_bcd_date,
    "card_number": decode_card_number,
    "social_security_number": decode_social_security_number,
    "sex": decode_sex,
    "ethnicity": decode_bcd,
    "birthplace": decode_bcd,
    "birth_date": decode_bcd_date,
}


# ---------------------------------------------------------------------------------------------
# The PSAM and the authentication guard
# ---------------------------------------------------------------------------------------------


class Psam(Protocol):
    """The security module that answers a 3rd-generation card's challenge."""

    def available(self) -> bool:
        """Whether the PSAM can be used now (a lazy one connects here, before any challenge)."""
        ...

    def external_authentication_cryptogram(self, diversification: bytes, challenge: bytes) -> bytes:
        """16 bytes for EXTERNAL AUTHENTICATE, or raise `ReaderError`."""
        ...


class AuthenticationGuard:
    """Remembers cards whose authentication failed, so no loop of re-insertions blocks their key.

    Cards block a key after a few failures. The reader service keeps one guard for its lifetime:
    a card that refused once is not asked again until the application restarts.
    """

    def __init__(self) -> None:
        self._failed: set[str] = set()

    def allowed(self, card_identification_code: str) -> bool:
        return card_identification_code not in self._failed

    def record_failure(self, card_identification_code: str) -> None:
        self._failed.add(card_identification_code)


class PsamSession:
    """A PSAM in another reader slot, driven with the PBOC-style `80 1A` / `80 FA` pair."""

    #: P1 of `80 1A`: the key usage of an external-authentication key.
    KEY_USAGE_EXTERNAL_AUTH = 0x27

    def __init__(self, transport: Transport, *, key_reference: int = EXTERNAL_AUTH_KEY) -> None:
        self.transport = transport
        self.key_reference = key_reference

    def available(self) -> bool:
        return True

    def external_authentication_cryptogram(self, diversification: bytes, challenge: bytes) -> bytes:
        """Pad the challenge to one SM4 block (ISO 9797 method 2) and have the PSAM encrypt it."""
        block = pad_block(challenge)
        try:
            exchange(
                self.transport,
                psam_initialise(self.KEY_USAGE_EXTERNAL_AUTH, self.key_reference, diversification),
            ).check("PSAM 80 1A")
            cryptogram = exchange(self.transport, psam_encrypt(block)).check("PSAM 80 FA")
        except ReaderError as exc:
            raise PsamFailed(exc.code) from exc
        if len(cryptogram) != 16:
            raise PsamFailed(f"cryptogram of {len(cryptogram)} bytes")
        return cryptogram


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


#: A field read by tag, in its file's reading order: the tag, the field's name, the READ RECORD
#: command and the decoder (None for the two parts of the name, decoded together).
FieldRead = tuple[int, str, Command, Callable[[bytes], Any] | None]
EF05_READS: tuple[FieldRead, ...] = tuple(
    (tag, name, READ_BY_TAG[tag], _DECODERS.get(name)) for tag, (name, _n) in EF05_FIELDS.items()
)
EF06_READS: tuple[FieldRead, ...] = tuple(
    (tag, name, READ_BY_TAG[tag], _DECODERS.get(name)) for tag, (name, _n) in EF06_FIELDS.items()
)
BOTH_FILES_READS = EF05_READS + EF06_READS
_EF05_INDEX = {name: index for index, (_tag, name, _command, _decode) in enumerate(EF05_READS)}
_SW_OK = b"\x90\x00"
#: What `_read_records` keeps per field: the answer (record and 9000), why it is missing, or
#: None (a name extension the card does not have).
Outcome = bytes | UnreadableField | None


def _read_records(transport: Transport, reads: tuple[FieldRead, ...]) -> list[Outcome]:
    """Send a file's READ RECORDs back to back; per field its answer or why it has none.

    Between two commands only the status word is looked at: the answers are decoded after the
    card's last one (`_decode_records`), so little Python runs while the card could be answering
    and the decoding runs in one pass. A 6982 (the holder data needs authentication) ends the
    file's reading with the typed error.
    """
    transmit = transport.transmit
    outcomes: list[Outcome] = []
    for _tag, name, command, _decode in reads:
        answer = transmit(command.raw)
        if answer[-2:] == _SW_OK:
            outcomes.append(answer)
            continue
        response = continue_exchange(transport, command, answer)
        if response.ok:
            outcomes.append(response.data + _SW_OK)
            continue
        sw = response.sw
        if sw in (0x6A83, 0x6A82):
            outcomes.append(
                None
                if name == "name_extension"
                else UnreadableField(name, Unreadable.NOT_ON_CARD, f"{sw:04X}")
            )
        elif sw == 0x6982:
            raise SecurityStatusNotSatisfied(sw)
        else:
            outcomes.append(UnreadableField(name, Unreadable.REFUSED, f"{sw:04X}"))
    return outcomes


def _decode_records(
    reads: tuple[FieldRead, ...],
    outcomes: list[Outcome],
    values: dict[str, Any],
    raw: dict[str, bytes],
    unreadable: list[UnreadableField],
) -> None:
    """Decode what `_read_records` brought back, in field order: values, raw name bytes, reasons.

    The record checks are `parse_record`'s, written out: this loop runs for every field.
    """
    for (tag, name, _command, decode), answer in zip(reads, outcomes, strict=False):
        if answer is None:
            continue
        if isinstance(answer, UnreadableField):
            unreadable.append(answer)
            continue
        size = len(answer) - 2  # `tag | length | value` and the status word
        if size < 2 or answer[0] != tag or size < 2 + answer[1]:
            try:
                parse_record(tag, answer[:-2])
            except ValueError as exc:  # always: say what is wrong with the record
                unreadable.append(UnreadableField(name, Unreadable.MALFORMED, str(exc)))
            continue
        value = answer[2 : 2 + answer[1]]
        if decode is None:
            raw[name] = value
        elif value.strip(PADDING):  # only padding: e.g. no expiry date on a 3rd-gen card
            try:
                values[name] = decode(value)
            except (ValueError, IndexError, UnicodeDecodeError) as exc:
                unreadable.append(UnreadableField(name, Unreadable.MALFORMED, type(exc).__name__))


def _peek(reads: tuple[FieldRead, ...], outcomes: list[Outcome], index: int) -> Any:
    """One field's value before the others are decoded (the generation decides what comes next)."""
    answer = outcomes[index]
    tag, _name, _command, decode = reads[index]
    if type(answer) is not bytes or decode is None:
        return None
    try:
        value = parse_record(tag, answer[:-2])
        return decode(value) if value.strip(PADDING) else None
    except (ValueError, IndexError, UnicodeDecodeError):
        return None


def _decode_name(
    raw: dict[str, bytes], values: dict[str, Any], unreadable: list[UnreadableField]
) -> None:
    if "name" not in raw:
        return
    joined = raw["name"].rstrip(PADDING) + raw.get("name_extension", b"").rstrip(PADDING)
    if not joined:
        return
    try:
        values["name"] = decode_text(joined)
    except (ValueError, UnicodeDecodeError) as exc:
        unreadable.append(UnreadableField("name", Unreadable.MALFORMED, type(exc).__name__))


def _status_word(transport: Transport, command: Command) -> int:
    """Send a command whose answer data the read does not use (the SELECTs): its status word.

    9000 is seen on the raw answer; anything else goes through `continue_exchange`, so a T=0
    card's 61xx still gets its GET RESPONSE and the APDUs on the wire are `exchange`'s.
    """
    answer = transport.transmit(command.raw)
    if answer[-2:] == _SW_OK:
        return SW_OK
    return continue_exchange(transport, command, answer).sw


def select_social_security_application(transport: Transport) -> None:
    """SELECT SSSE; a card without it is told apart as a bank card or an unknown card."""
    sw = _status_word(transport, SELECT_SSSE)
    if sw == SW_OK:
        return
    if sw in (0x6A82, 0x6A86, 0x6D00, 0x6E00, 0x6A88):
        bank = exchange(transport, SELECT_BANK)
        raise NotSocialSecurityCard("bank card" if bank.ok else f"SELECT SSSE {sw:04X}")
    raise status_error(sw)


def authenticate_holder_data(
    transport: Transport, psam: Psam, card_identification_code: str
) -> None:
    """GET CHALLENGE, the PSAM's cryptogram, EXTERNAL AUTHENTICATE with key 0x0A. Exactly once."""
    challenge = exchange(transport, get_challenge(8)).check("GET CHALLENGE")
    if len(challenge) != 8:
        raise MalformedResponse(f"challenge of {len(challenge)} bytes")
    diversification = bytes.fromhex(card_identification_code)[-8:]
    cryptogram = psam.external_authentication_cryptogram(diversification, challenge)
    exchange(transport, external_authenticate(EXTERNAL_AUTH_KEY, cryptogram)).check(
        "EXTERNAL AUTHENTICATE"
    )


def _holder_unreadable(reason: Unreadable, detail: str = "") -> list[UnreadableField]:
    return [UnreadableField(name, reason, detail) for name in HOLDER_FIELDS]


def read_social_security_card(
    transport: Transport,
    *,
    reader: str = "",
    atr: bytes = b"",
    psam: Psam | None = None,
    guard: AuthenticationGuard | None = None,
    read_bank_pan: bool = False,
) -> CardReading:
    """Read EF05 and EF06 by tag (authenticating 3rd-generation cards with `psam`).

    Raises `NotSocialSecurityCard`, `CardRemoved`, `CardNotResponding`, `MalformedResponse` or
    another `ReaderError`; never anything else, whatever the card answers.
    """
    try:
        return _read(transport, reader, atr, psam, guard, read_bank_pan)
    except ReaderError:
        raise
    except (ValueError, IndexError, UnicodeDecodeError, OverflowError) as exc:
        # A defect in decoding must reach the teller as "unreadable answer", not a traceback.
        raise MalformedResponse(type(exc).__name__) from exc


def _read(
    transport: Transport,
    reader: str,
    atr: bytes,
    psam: Psam | None,
    guard: AuthenticationGuard | None,
    read_bank_pan: bool,
) -> CardReading:
    select_social_security_application(transport)
    sw = _status_word(transport, SELECT_EF05)
    if sw != SW_OK:
        raise status_error(sw, "SELECT EF05")
    reads = EF05_READS
    outcomes = _read_records(transport, EF05_READS)
    generation = generation_of(_peek(reads, outcomes, _EF05_INDEX["spec_version"]))

    needs_psam = False
    authenticated = False
    holder_problem: Unreadable | None = None
    holder_missing: list[UnreadableField] = []
    detail = ""
    if generation is Generation.THIRD:
        card_id = _peek(reads, outcomes, _EF05_INDEX["card_identification_code"])
        if psam is None or not psam.available():
            holder_problem, needs_psam = Unreadable.NEEDS_PSAM, True
        elif card_id is None or len(card_id) != 32:
            holder_problem, needs_psam, detail = (
                Unreadable.PSAM_FAILED,
                True,
                "no card identification code",
            )
        elif guard is not None and not guard.allowed(card_id):
            holder_problem, needs_psam, detail = (
                Unreadable.AUTHENTICATION_REFUSED,
                True,
                "refused earlier in this session",
            )
        else:
            try:
                authenticate_holder_data(transport, psam, card_id)
                authenticated = True
            except KeyBlocked as exc:
                holder_problem, needs_psam, detail = Unreadable.KEY_BLOCKED, True, f"{exc.sw:04X}"
            except (VerificationFailed, SecurityStatusNotSatisfied) as exc:
                holder_problem, needs_psam, detail = (
                    Unreadable.AUTHENTICATION_REFUSED,
                    True,
                    f"{exc.sw:04X}",
                )
            except CardStatusError as exc:
                holder_problem, needs_psam, detail = Unreadable.PSAM_FAILED, True, f"{exc.sw:04X}"
            except ReaderError as exc:
                if exc.code in ("card_removed", "card_not_responding", "card_reset", "no_service"):
                    raise
                holder_problem, needs_psam, detail = Unreadable.PSAM_FAILED, True, exc.code
            if holder_problem is not None and guard is not None:
                guard.record_failure(card_id)

    if holder_problem is None:
        sw = _status_word(transport, SELECT_EF06)
        if sw == SW_OK:
            try:
                outcomes += _read_records(transport, EF06_READS)
                reads = BOTH_FILES_READS
            except SecurityStatusNotSatisfied as exc:
                holder_problem, needs_psam, detail = Unreadable.NEEDS_PSAM, True, f"{exc.sw:04X}"
        elif sw == 0x6982:
            holder_problem, needs_psam, detail = Unreadable.NEEDS_PSAM, True, "6982"
        else:
            holder_missing = _holder_unreadable(Unreadable.NOT_ON_CARD, f"{sw:04X}")
    if holder_problem is not None:
        holder_missing = _holder_unreadable(holder_problem, detail)

    bank_pan = read_masked_bank_pan(transport) if read_bank_pan else None
    # The card has said all it will: decode both files in one pass.
    values: dict[str, Any] = {}
    raw: dict[str, bytes] = {}
    unreadable: list[UnreadableField] = []
    _decode_records(reads, outcomes, values, raw, unreadable)
    if reads is BOTH_FILES_READS:
        _decode_name(raw, values, unreadable)
    return CardReading(
        reader=reader,
        atr=bytes(atr),
        generation=generation,
        unreadable=tuple(unreadable + holder_missing),
        holder_needs_psam=needs_psam,
        authenticated=authenticated,
        bank_pan_masked=bank_pan,
        **values,
    )


# ---------------------------------------------------------------------------------------------
# The bank application's PAN
# ---------------------------------------------------------------------------------------------


def find_tlv(data: bytes, wanted: int) -> bytes | None:
    """First value of BER-TLV tag `wanted` (one or two byte tags), searching constructed tags."""
    i = 0
    while i < len(data):
        tag = data[i]
        i += 1
        if tag in (0x00, 0xFF):
            continue
        if tag & 0x1F == 0x1F:
            if i >= len(data):
                return None
            tag = (tag << 8) | data[i]
            i += 1
        if i >= len(data):
            return None
        length = data[i]
        i += 1
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 2 or i + count > len(data):
                return None
            length = int.from_bytes(data[i : i + count], "big")
            i += count
        value = data[i : i + length]
        if len(value) < length:
            return None
        if tag == wanted:
            return value
        first = tag >> 8 if tag > 0xFF else tag
        if first & 0x20:
            inner = find_tlv(value, wanted)
            if inner is not None:
                return inner
        i += length
    return None


def read_masked_bank_pan(transport: Transport) -> str | None:
    """SELECT the UnionPay application and find tag 5A in SFI 1; masked, or None if absent."""
    if not exchange(transport, SELECT_BANK).ok:
        return None
    for record in range(1, 5):
        response = exchange(transport, read_record(record, sfi=1))
        if not response.ok:
            break
        pan = find_tlv(response.data, 0x5A)
        if pan is not None:
            try:
                digits = decode_bcd(pan)
            except ValueError:
                return None
            return _truncate_pan(digits) if digits else None
    return None


def _truncate_pan(pan: str) -> str:
    """A bank card number as payment rules allow it to be kept: first 6 and last 4 digits.

    Read and truncated at once so the full number never leaves this function. The same rule as
    the domain's `mask_identity` for every length (a test holds them equal); readers cannot
    import the domain, and mask nothing else.
    """
    if len(pan) > 10:
        return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]
    if len(pan) > 4:
        return "*" * (len(pan) - 4) + pan[-4:]
    return "*" * len(pan)


def raw_command_sequence() -> list[Command]:
    """The APDUs of a full unauthenticated read, for benchmarks against raw transmit."""
    commands = [SELECT_SSSE, SELECT_EF05, *(READ_BY_TAG[tag] for tag in EF05_FIELDS)]
    commands += [SELECT_EF06, *(READ_BY_TAG[tag] for tag in EF06_FIELDS)]
    return commands
