"""ISO 7816-4 commands and responses, and the typed errors every card failure becomes.

Errors carry a stable `code` and their parameters, never a sentence: the readers package must not
import `branch_app`, so whoever shows one looks up `reader.error.<code>` in the reader catalog with
`error.params`. T=0 and T=1 cards read the same because `exchange` answers `61xx` with GET
RESPONSE and `6Cxx` by resending with the right Le.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import ClassVar, NamedTuple, Protocol

SW_OK = 0x9000

# ---------------------------------------------------------------------------------------------
# Typed errors
# ---------------------------------------------------------------------------------------------


class ReaderError(Exception):
    """A failure a teller can meet while reading a card: a code and its parameters.

    `code` is stable (the CLI's JSON, the widget and tests key on it); the sentence for the teller
    is the reader catalog's `reader.error.<code>` filled with `params` (never personal data).
    `detail` is technical detail for support (a PC/SC result, a status word's context).
    """

    code: ClassVar[str] = "reader_error"

    def __init__(self, detail: str = "", **params: object) -> None:
        self.detail = detail
        self.params: dict[str, object] = params
        shown = ", ".join(f"{k}={v}" for k, v in params.items())
        super().__init__(
            self.code + (f" [{shown}]" if shown else "") + (f" ({detail})" if detail else "")
        )


class NoPcscService(ReaderError):
    code = "no_service"


class NoReader(ReaderError):
    code = "no_reader"


class ReaderNotFound(ReaderError):
    code = "reader_not_found"


class NoCard(ReaderError):
    code = "no_card"


class CardRemoved(ReaderError):
    code = "card_removed"


class CardNotResponding(ReaderError):
    code = "card_not_responding"


class CardReset(ReaderError):
    code = "card_reset"


class NotSocialSecurityCard(ReaderError):
    code = "not_social_security_card"


class MalformedResponse(ReaderError):
    code = "malformed_response"


class PsamMissing(ReaderError):
    code = "psam_missing"


class PsamFailed(ReaderError):
    code = "psam_failed"


class CardStatusError(ReaderError):
    """The card answered a command with a status word other than 9000."""

    code = "card_status"

    def __init__(self, sw: int, detail: str = "", **params: object) -> None:
        self.sw = sw
        super().__init__(detail, sw=f"{sw:04X}", **params)


class WrongLength(CardStatusError):
    code = "wrong_length"


class SecurityStatusNotSatisfied(CardStatusError):
    code = "security_status_not_satisfied"


class KeyBlocked(CardStatusError):
    code = "key_blocked"


class ConditionsNotSatisfied(CardStatusError):
    code = "conditions_not_satisfied"


class FunctionNotSupported(CardStatusError):
    code = "function_not_supported"


class FileNotFound(CardStatusError):
    code = "file_not_found"


class RecordNotFound(CardStatusError):
    code = "record_not_found"


class WrongParameters(CardStatusError):
    code = "wrong_parameters"


class VerificationFailed(CardStatusError):
    code = "verification_failed"

    def __init__(self, sw: int, detail: str = "") -> None:
        self.tries_left = sw & 0x0F
        super().__init__(sw, detail, tries_left=self.tries_left)


class ApplicationLocked(CardStatusError):
    code = "application_locked"


_STATUS_ERRORS: dict[int, type[CardStatusError]] = {
    0x6700: WrongLength,
    0x6981: ConditionsNotSatisfied,
    0x6982: SecurityStatusNotSatisfied,
    0x6983: KeyBlocked,
    0x6984: ConditionsNotSatisfied,
    0x6985: ConditionsNotSatisfied,
    0x6986: ConditionsNotSatisfied,
    0x6987: ConditionsNotSatisfied,
    0x6988: ConditionsNotSatisfied,
    0x6A81: FunctionNotSupported,
    0x6A82: FileNotFound,
    0x6A83: RecordNotFound,
    0x6A86: WrongParameters,
    0x9303: ApplicationLocked,
}


def status_error(sw: int, detail: str = "") -> CardStatusError:
    """The typed error for a status word that is not 9000 (any 16-bit value gives one)."""
    if sw & 0xFFF0 == 0x63C0:
        return VerificationFailed(sw, detail)
    return _STATUS_ERRORS.get(sw, CardStatusError)(sw, detail)


# ---------------------------------------------------------------------------------------------
# Commands and responses
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Command:
    """A short-form command APDU (data up to 255 bytes, Le up to 256)."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None
    #: The encoded APDU, built once (the read sequence reuses constant commands).
    raw: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            if not 0 <= getattr(self, name) <= 0xFF:
                raise ValueError(f"{name} must be one byte")
        if len(self.data) > 255:
            raise ValueError("short APDUs carry at most 255 bytes of data")
        if self.le is not None and not 0 <= self.le <= 256:
            raise ValueError("Le must be between 0 and 256")
        out = bytes((self.cla, self.ins, self.p1, self.p2))
        if self.data:
            out += bytes((len(self.data),)) + self.data
        if self.le is not None:
            out += bytes((self.le & 0xFF,))
        object.__setattr__(self, "raw", out)

    def to_bytes(self) -> bytes:
        return self.raw

    def with_le(self, le: int) -> Command:
        return Command(self.cla, self.ins, self.p1, self.p2, self.data, le)


class Response(NamedTuple):
    """A response APDU: its data and status word (a tuple: one is built per exchange)."""

    data: bytes
    sw: int

    @classmethod
    def from_bytes(cls, raw: bytes) -> Response:
        if len(raw) < 2:
            raise MalformedResponse(f"{len(raw)} byte answer has no status word")
        return cls(raw[:-2], (raw[-2] << 8) | raw[-1])

    @property
    def ok(self) -> bool:
        return self.sw == SW_OK

    def check(self, detail: str = "") -> bytes:
        """The data if the card said 9000, otherwise the typed error for its status word."""
        if self.sw != SW_OK:
            raise status_error(self.sw, detail)
        return self.data


class Transport(Protocol):
    """Something that carries one command APDU to a card and brings back its raw answer.

    Implementations raise `ReaderError` subclasses (`CardRemoved`, `CardNotResponding`, ...) for
    failures below the APDU level; they never raise anything else for a card's behaviour.
    """

    def transmit(self, apdu: bytes) -> bytes: ...


#: A card that keeps answering 61xx forever must not hang the counter.
MAX_GET_RESPONSE_ROUNDS = 32


def exchange(transport: Transport, command: Command) -> Response:
    """Send `command`, following 61xx with GET RESPONSE and 6Cxx with one resend.

    The returned response may carry any status word; callers `check()` it.
    """
    raw = transport.transmit(command.raw)
    if len(raw) >= 2 and raw[-2] not in (0x61, 0x6C):  # the common case, kept cheap
        return Response(raw[:-2], (raw[-2] << 8) | raw[-1])
    return continue_exchange(transport, command, raw)


def continue_exchange(transport: Transport, command: Command, raw: bytes) -> Response:
    """The rest of an exchange whose first answer `raw` was short, 61xx or 6Cxx.

    Split from `exchange` so a caller with its own fast path for 9000 (the tag-by-tag reads)
    hands over every other answer here and keeps one place for T=0's GET RESPONSE rules.
    """
    if len(raw) < 2:
        raise MalformedResponse(f"{len(raw)} byte answer has no status word")
    response = Response(raw[:-2], (raw[-2] << 8) | raw[-1])
    if response.sw >> 8 == 0x6C:
        response = Response.from_bytes(
            transport.transmit(command.with_le(response.sw & 0xFF).to_bytes())
        )
        if response.sw >> 8 == 0x6C:
            raise MalformedResponse("card asked twice for another Le")
    if response.sw >> 8 != 0x61:
        return response
    data = response.data
    rounds = 0
    while response.sw >> 8 == 0x61:
        rounds += 1
        if rounds > MAX_GET_RESPONSE_ROUNDS:
            raise MalformedResponse("card never stopped answering 61xx")
        available = response.sw & 0xFF
        response = Response.from_bytes(transport.transmit(get_response(available).to_bytes()))
        if response.sw >> 8 == 0x6C:  # a T=0 card asking for the exact length it still holds
            response = Response.from_bytes(
                transport.transmit(get_response(response.sw & 0xFF).to_bytes())
            )
        data += response.data
    return Response(data, response.sw)


# Commands used by the social security application, the bank application and the PSAM.


def select_by_name(name: bytes, *, le: int | None = None) -> Command:
    return Command(0x00, 0xA4, 0x04, 0x00, name, le)


def select_file(fid: int) -> Command:
    return Command(0x00, 0xA4, 0x02, 0x00, fid.to_bytes(2, "big"))


def read_record_by_tag(tag: int, le: int) -> Command:
    """READ RECORD of the record whose first byte is `tag`, in the currently selected file."""
    return Command(0x00, 0xB2, tag, 0x00, le=le)


def read_record(record: int, sfi: int, le: int = 0) -> Command:
    """READ RECORD by number in the file with short identifier `sfi` (P2 = SFI << 3 | 4)."""
    return Command(0x00, 0xB2, record, (sfi << 3) | 0x04, le=le)


@functools.cache
def get_response(le: int) -> Command:
    """GET RESPONSE for `le` bytes; built once per length (T=0 cards ask for it on every SELECT)."""
    return Command(0x00, 0xC0, 0x00, 0x00, le=le)


def get_challenge(length: int = 8) -> Command:
    return Command(0x00, 0x84, 0x00, 0x00, le=length)


def external_authenticate(key_reference: int, cryptogram: bytes) -> Command:
    return Command(0x00, 0x82, 0x00, key_reference, cryptogram)


def psam_initialise(key_usage: int, key_reference: int, diversification: bytes) -> Command:
    """PBOC-style PSAM `80 1A`: load the key named by usage/reference, diversified for one card."""
    return Command(0x80, 0x1A, key_usage, key_reference, diversification)


def psam_encrypt(data: bytes, le: int | None = None) -> Command:
    """PBOC-style PSAM `80 FA`: encrypt `data` with the key set up by `psam_initialise`."""
    return Command(0x80, 0xFA, 0x00, 0x00, data, le)
