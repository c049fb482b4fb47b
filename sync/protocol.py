"""Wire protocol v1 between the branch application and the central card service.

Pure: request and response schemas (frozen pydantic models), limits, outcome and reason codes,
and the encode/decode helpers both ends use. No IO; of ours only the domain's vocabulary and its
identity kinds are imported, so the app's sync engine and the central service agree on one
definition and a test can import this module without textual, tinydb or httpx.

Requests are validated strictly (unknown fields refused, no type coercion) because the central
must never act on a body it did not fully understand. Responses are decoded leniently about
*extra* fields so an older client keeps working when a v1 server adds an optional field.

Domain objects travel as JSON objects: a command's `payload` is `branch_app.domain.lifecycle.
command_to_dict(...)` and every `record` is `record_to_dict(...)`. This module checks their size
and shape; the central turns them into domain objects.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from branch_app.domain.identity import IdentityKind
from branch_app.domain.vocabulary import (
    ConflictDecision,
    ConflictStatus,
    LookupPurpose,
    Outcome,
    Place,
    Role,
)

PROTOCOL_VERSION = 1
API_PREFIX = "/v1"

#: Largest request body the central accepts (bytes). A full batch of commands fits well inside.
MAX_BODY_BYTES = 1_048_576
#: Most commands in one push.
MAX_BATCH_COMMANDS = 500
#: Largest command payload once serialised (bytes), and its deepest nesting.
MAX_PAYLOAD_BYTES = 4096
MAX_PAYLOAD_DEPTH = 6
#: Changes per pull page: default and maximum.
DEFAULT_CHANGES_LIMIT = 200
MAX_CHANGES_LIMIT = 1000
#: Header carrying a staff session token (the device token travels in `Authorization: Bearer`).
STAFF_SESSION_HEADER = "X-Staff-Session"

# Field shapes -------------------------------------------------------------------------------

#: Idempotency key made by the client (a UUID4 hex is expected; any URL-safe token of 8..64).
CommandId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
#: The holder's identity number as `parse_identity` normalises it for some kind: a resident ID, a
#: HK/Macau/Taiwan permit or a 2023 permanent residence ID (18), a 2017 permanent residence ID
#: (15), a passport (5 to 18). Letters and digits only; the central checks it for its kind.
HolderId = Annotated[str, Field(pattern=r"^[0-9A-Za-z]{5,18}$")]
#: Which document the holder's number comes from. Optional on the wire: a number without it is
#: read by its form (a passport number never is), as a device of the previous version sends it.
#: Left out of the body when absent, so such a body, and its hash, stay what they were.
HolderKind = Annotated[
    IdentityKind | None, Field(default=None, strict=False, exclude_if=lambda v: v is None)
]
#: A domain command kind (`ReportLoss.kind` etc.).
CommandKind = Annotated[str, Field(pattern=r"^[a-z][a-z_]{0,39}$")]
#: Staff ids, device ids, branch codes.
Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")]
CardNumber = Annotated[str, Field(pattern=r"^[0-9A-Z]{9}$")]
#: A command's signature (see "Signed commands" below): `<key id>.<Ed25519 signature>`, the key
#: id 32 hex digits, the signature URL-safe base64 without padding. Optional on the wire and left
#: out of the body (and its hash) when absent, so an unsigned body hashes as it did before.
CommandSignature = Annotated[
    Annotated[str, Field(pattern=r"^[0-9a-f]{32}\.[A-Za-z0-9_-]{86}$")] | None,
    Field(default=None, exclude_if=lambda v: v is None),
]
#: An Ed25519 public key: its 32 bytes, URL-safe base64 without padding.
PublicKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{43}$")]


def _no_control_characters(value: str) -> str:
    """Refuse C0/C1 control characters (NUL, ESC, DEL...) in a one-line text."""
    if any(ch < " " or "\x7f" <= ch <= "\x9f" for ch in value):
        raise ValueError("control characters are not allowed")
    return value


def _no_control_but_line_breaks(value: str) -> str:
    """Refuse control characters in free text, but for tabs and line breaks."""
    return _no_control_characters(value.replace("\t", " ").replace("\n", " ").replace("\r", " "))


#: A one-line text a person typed (a device's name): no control characters (PostgreSQL refuses
#: NUL in text; the others only serve to forge log lines or hide text on a screen).
SingleLine = Annotated[str, AfterValidator(_no_control_characters)]
#: Free text a person typed (a note): no control characters but tabs and line breaks.
FreeText = Annotated[str, AfterValidator(_no_control_but_line_breaks)]
Note = Annotated[FreeText, Field(min_length=1, max_length=500)]


class ErrorCode(StrEnum):
    """Codes of whole-request errors (`ErrorResponse`), with their HTTP status in `ERROR_STATUS`."""

    INVALID_JSON = "invalid_json"
    INVALID_BODY = "invalid_body"
    BODY_TOO_LARGE = "body_too_large"
    BATCH_TOO_LARGE = "batch_too_large"
    INVALID_QUERY = "invalid_query"
    UNAUTHORIZED = "unauthorized"  # missing or wrong device token
    SESSION_REQUIRED = "session_required"  # missing, wrong or expired staff session
    FORBIDDEN = "forbidden"  # authenticated, but this role/device may not do it
    INVALID_CREDENTIALS = "invalid_credentials"
    LOCKED_OUT = "locked_out"  # too many failed logins; retry after `Retry-After`
    INVALID_CODE = "invalid_code"  # enrolment code unknown, used or expired
    NOT_FOUND = "not_found"
    CHANNELS_DISABLED = "channels_disabled"
    CONFLICT_CLOSED = "conflict_closed"  # the conflict was already resolved
    CORRECTION_REFUSED = "correction_refused"  # the correcting command was not applied
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"  # a JSON endpoint called with another type
    RATE_LIMITED = "rate_limited"  # too many attempts from this address; retry after a while
    INTERNAL_ERROR = "internal_error"


ERROR_STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVALID_JSON: 400,
    ErrorCode.INVALID_BODY: 422,
    ErrorCode.BODY_TOO_LARGE: 413,
    ErrorCode.BATCH_TOO_LARGE: 413,
    ErrorCode.INVALID_QUERY: 422,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.SESSION_REQUIRED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.INVALID_CREDENTIALS: 401,
    ErrorCode.LOCKED_OUT: 429,
    ErrorCode.INVALID_CODE: 400,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CHANNELS_DISABLED: 404,
    ErrorCode.CONFLICT_CLOSED: 409,
    ErrorCode.CORRECTION_REFUSED: 409,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.INTERNAL_ERROR: 500,
}

#: The wire's `message` for each error code: English, for people reading the API (logs, curl,
#: the OpenAPI page). The branch application never shows it: it says `sync.central.<code>` from
#: its catalog (`branch_app/i18n/catalogs/sync.py`), in the teller's language, filled with the
#: error's `params`. Placeholders here are the same params.
ERROR_MESSAGE: dict[ErrorCode, str] = {
    ErrorCode.INVALID_JSON: "The request body is not valid JSON.",
    ErrorCode.INVALID_BODY: "The request body does not match the protocol.",
    ErrorCode.BODY_TOO_LARGE: "The request body is too large.",
    ErrorCode.BATCH_TOO_LARGE: "A batch may hold at most {max} commands.",
    ErrorCode.INVALID_QUERY: "The query parameters are not valid.",
    ErrorCode.UNAUTHORIZED: "This device is not enrolled or its token is wrong.",
    ErrorCode.SESSION_REQUIRED: "The staff session is missing or has expired.",
    ErrorCode.FORBIDDEN: "This role or device may not do this.",
    ErrorCode.INVALID_CREDENTIALS: "Staff ID or password is wrong.",
    ErrorCode.LOCKED_OUT: "Too many failed log-ins; try again later.",
    ErrorCode.INVALID_CODE: "The enrolment code is wrong, used or expired.",
    ErrorCode.NOT_FOUND: "Not found.",
    ErrorCode.CHANNELS_DISABLED: "The simulated channels are not enabled on this server.",
    ErrorCode.CONFLICT_CLOSED: "This conflict is already resolved.",
    ErrorCode.CORRECTION_REFUSED: "The correcting command was not applied.",
    ErrorCode.METHOD_NOT_ALLOWED: "Method not allowed.",
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: "The request body must be application/json.",
    ErrorCode.RATE_LIMITED: "Too many attempts; try again later.",
    ErrorCode.INTERNAL_ERROR: "The central service failed; try again later.",
}

#: The parameters each error code always carries (`ErrorBody.params`).
ERROR_PARAMS: dict[ErrorCode, dict[str, str | int]] = {
    ErrorCode.BATCH_TOO_LARGE: {"max": MAX_BATCH_COMMANDS},
}


class ChannelLossReportSource(StrEnum):
    """Remote loss-report channels the central can play (social security function only)."""

    ONLINE = "online"
    GOVERNMENT_HOTLINE = "government_hotline"
    BANK_HOTLINE = "bank_hotline"


# Models ----------------------------------------------------------------------------------------


class _Request(BaseModel):
    """A body the central parses: strict, closed, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class _Response(BaseModel):
    """A body the client parses: typed, immutable, tolerant of fields added later in v1.

    Not strict: the central builds these from database strings, and the client gets JSON anyway.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)


def _nested_deeper_than(value: dict[str, Any], limit: int) -> bool:
    """Whether objects and arrays nest more than `limit` levels (the payload itself is level 1).

    Level by level and without recursion: a flat payload, the usual one, costs one pass over its
    values, and a hostile one stops as soon as it passes the limit. (Every push body's commands go
    through this, and the no-op baseline's too.)"""
    level: list[Any] = [value]
    depth = 1
    while True:
        inner = []
        for container in level:
            for item in container.values() if type(container) is dict else container:
                if type(item) is dict or type(item) is list:
                    inner.append(item)
        if not inner:
            return False
        depth += 1
        if depth > limit:
            return True
        level = inner


def _check_iso_datetime(text: str) -> str:
    if len(text) > 40:
        raise ValueError("timestamp too long")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise ValueError("timestamp has no time zone")
    return text


def _check_iso_date(text: str) -> str:
    if len(text) != 10:
        raise ValueError("not an ISO 8601 date (YYYY-MM-DD)")
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError("not an ISO 8601 date (YYYY-MM-DD)") from None
    return text


class PushCommand(_Request):
    """One queued teller command as the outbox sends it (an `OutboxItem` on the wire)."""

    id: CommandId
    kind: CommandKind
    holder_id: HolderId
    holder_kind: HolderKind = None
    base_version: int = Field(ge=0, le=2**31 - 1)
    payload: dict[str, Any]
    actor: Code
    device: Code
    branch: Code
    made_at: str
    seq: int = Field(ge=0, le=2**53)
    #: The maker's signature over `signing_bytes(self, MAKER)`, with their key on this device.
    signature: CommandSignature = None
    #: The second person's (a teller's cancellation), over `signing_bytes(self, APPROVER)`.
    approver_signature: CommandSignature = None

    @field_validator("payload")
    @classmethod
    def _payload_is_small(cls, value: dict[str, Any]) -> dict[str, Any]:
        if _nested_deeper_than(value, MAX_PAYLOAD_DEPTH):
            raise ValueError(f"payload nested deeper than {MAX_PAYLOAD_DEPTH}")
        try:
            size = len(orjson.dumps(value))
        except (TypeError, orjson.JSONEncodeError):
            raise ValueError("payload is not plain JSON") from None
        if size > MAX_PAYLOAD_BYTES:
            raise ValueError(f"payload larger than {MAX_PAYLOAD_BYTES} bytes")
        return value

    @field_validator("made_at")
    @classmethod
    def _made_at_is_iso(cls, value: str) -> str:
        return _check_iso_datetime(value)

    def body_hash(self) -> str:
        """SHA-256 of the canonical body: what makes a retry a duplicate rather than a reuse."""
        return hashlib.sha256(canonical_json(self.model_dump(mode="json"))).hexdigest()


class PushRequest(_Request):
    commands: list[PushCommand] = Field(max_length=MAX_BATCH_COMMANDS)


def encode_push(commands: Sequence[PushCommand]) -> bytes:
    """The body of `POST /v1/commands/push` for these commands (not validated: the central
    validates every command)."""
    return (
        PushRequest.model_construct(commands=list(commands))
        .model_dump_json(warnings=False)
        .encode()
    )


class PushResult(_Response):
    """The central's answer to one command.

    For `duplicate`, `first_outcome` is the outcome of the first delivery and `version`, `reason`
    and `message` repeat the first answer. `record` is the central's record only where the sender
    may see it: for `applied` (the maker changed it), and for `merged` and `conflict` when the push
    carried the maker's own staff session (then audited as a lookup); never for `duplicate` or
    `rejected`. A command id is the sending device's own.
    """

    id: str
    outcome: Outcome
    version: int | None = None
    reason: str | None = None
    message: str | None = None
    record: dict[str, Any] | None = None
    first_outcome: Outcome | None = None

    @property
    def effective_outcome(self) -> Outcome:
        """The outcome that counts: the first answer's for a duplicate."""
        if self.outcome is Outcome.DUPLICATE and self.first_outcome is not None:
            return self.first_outcome
        return self.outcome


class PushResponse(_Response):
    results: list[PushResult]


class NoopResponse(_Response):
    received: int


class Change(_Response):
    cursor: int
    holder_id: str
    record: dict[str, Any]


class ChangesResponse(_Response):
    changes: list[Change]
    next_cursor: int


class EnrolRequest(_Request):
    code: SingleLine = Field(min_length=6, max_length=64)
    device_name: SingleLine = Field(min_length=1, max_length=100)


class OfflineLimits(_Response):
    """How much a device of the branch may hold before a sync and the supervisor's approval:
    set per branch at the central, sent with the device's configuration (never a local file)."""

    #: Requests taken since the supervisor last approved the device's batch.
    max_unsent: int = Field(ge=1, le=100_000)
    #: Hours since the last successful sync.
    max_offline_hours: int = Field(ge=1, le=24 * 30)


class EnrolResponse(_Response):
    device_id: str
    device_token: str
    branch: str
    place: Place
    limits: OfflineLimits | None = None


class SessionRequest(_Request):
    staff_id: Code
    password: str = Field(min_length=1, max_length=256)
    #: The public half of a signing key the device made for this person at this log-in: the
    #: central keeps it for (person, device) until `SessionResponse.signing_key_expires_at`.
    signing_key: PublicKey | None = None


class StaffView(_Response):
    staff_id: str
    name: str
    role: Role
    branch: str


class VerifierParams(_Response):
    time_cost: int
    memory_cost: int  # KiB
    parallelism: int
    hash_len: int
    version: int = 19


class OfflineVerifier(_Response):
    """What the app keeps to check a staff member's password offline later.

    A separate argon2id hash with its own salt, made at login from the password just typed; never
    the central's stored password hash.
    """

    algorithm: str
    salt: str  # base64
    hash: str  # base64
    params: VerifierParams
    #: When the central made it and until when the device may use it (ISO 8601, UTC). A device
    #: refuses a verifier past `expires_at`, and one without it (made by an older central).
    issued_at: str | None = None
    expires_at: str | None = None


class WithdrawnStaff(_Response):
    """A member of staff whose offline verifiers made before `at` must go (password, role or
    branch changed, or the person left)."""

    staff_id: str
    at: str  # ISO 8601, UTC


class WithdrawalsResponse(_Response):
    """Staff of this device's branch whose offline verifiers are withdrawn (the last
    `offline_login_days`: older verifiers have expired anyway)."""

    withdrawn: list[WithdrawnStaff] = Field(default_factory=list)


class AuditHead(_Request):
    """Where a device's audit journal ends: the entry count, the last link of its hash chain and
    the month of its newest file. The central keeps each device's latest, so a journal cut short
    on the device is visible at the central too (issue 10)."""

    n: int = Field(ge=0, le=2**53)
    mac: str = Field(pattern=r"^[0-9a-f]{64}$")
    month: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")


class DeviceStateReport(_Request):
    """What a device reports at the end of every sync that reached the central: its queue,
    its refused requests not closed yet, its last successful sync, its version, its audit head.
    Counts and times only: never a person's data."""

    queue_depth: int = Field(ge=0, le=10_000_000)
    oldest_unsent_age_seconds: int | None = Field(default=None, ge=0, le=2**31 - 1)
    refused_open: int = Field(ge=0, le=10_000_000)
    last_sync: str | None = None
    app_version: str = Field(pattern=r"^[0-9A-Za-z.+-]{1,40}$")
    audit_head: AuditHead
    #: Today's visit list on a home-visit device: visits planned and visits done (None elsewhere).
    visits_planned: int | None = Field(default=None, ge=0, le=10_000)
    visits_done: int | None = Field(default=None, ge=0, le=10_000)
    #: Requests awaiting the supervisor's approval of the device's batch (home visits).
    batch_open: int | None = Field(default=None, ge=0, le=10_000_000)

    @field_validator("last_sync")
    @classmethod
    def _last_sync_is_a_time(cls, value: str | None) -> str | None:
        return None if value is None else _check_iso_datetime(value)


class DeviceStateAnswer(_Response):
    """`audit_regressed`: the reported head is behind one this device reported before (its
    journal was cut short or restored); the central keeps the furthest head it was told."""

    audit_regressed: bool = False
    furthest_audit_n: int = 0
    #: The branch's offline limits as they stand now.
    limits: OfflineLimits | None = None


class DeviceStateView(_Response):
    """One device of a branch as its supervisor (or `central devices`) sees it."""

    device_id: str
    name: str
    place: Place
    reported_at: str | None = None
    queue_depth: int | None = None
    oldest_unsent_age_seconds: int | None = None
    refused_open: int | None = None
    last_sync: str | None = None
    app_version: str | None = None
    audit_n: int | None = None
    audit_regressed_at: str | None = None
    revoked: bool = False
    visits_planned: int | None = None
    visits_done: int | None = None
    batch_open: int | None = None
    #: Why the supervisor should look first (codes: no_sync, refused_waiting, audit_regressed,
    #: never_reported); empty when the device is well.
    stuck: list[str] = Field(default_factory=list)


class DevicesResponse(_Response):
    devices: list[DeviceStateView] = Field(default_factory=list)


class SessionResponse(_Response):
    session_token: str
    expires_at: str
    staff: StaffView
    offline_verifier: OfflineVerifier
    #: Withdrawals for this device's branch (see `WithdrawalsResponse`), so any online login
    #: also drops the verifiers of people who left or changed their password.
    withdrawn: list[WithdrawnStaff] = Field(default_factory=list)
    #: Until when the central accepts the signatures of the request's `signing_key` (ISO 8601,
    #: UTC; the offline-login window); None when the request carried no key.
    signing_key_expires_at: str | None = None
    #: The branch's offline limits, so a log-in also brings them up to date.
    limits: OfflineLimits | None = None


class LookupRequest(_Request):
    holder_id: HolderId | None = None
    holder_kind: HolderKind = None
    card_number: CardNumber | None = None
    purpose: LookupPurpose = Field(strict=False)  # the value string is fine in Python too
    note: FreeText | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _exactly_one_key(self) -> LookupRequest:
        if (self.holder_id is None) == (self.card_number is None):
            raise ValueError("give exactly one of holder_id or card_number")
        return self


class LookupResponse(_Response):
    record: dict[str, Any]
    #: The holder's name as the central knows it (`None`: not known there). Personal data: the
    #: counter shows it masked and reveals it only audited; never cached, never logged.
    name: str | None = Field(default=None, repr=False)


class ConflictView(_Response):
    id: int
    command_id: str
    holder_id: str
    kind: str
    reason: str
    message: str | None = None
    record: dict[str, Any] | None = None  # the central's record when the conflict was found
    command: dict[str, Any]  # the refused command as pushed
    actor: str
    device: str
    branch: str
    opened_at: str
    status: ConflictStatus
    resolved_by: str | None = None
    resolved_at: str | None = None
    decision: ConflictDecision | None = None
    note: str | None = None
    correcting_command_id: str | None = None


class ConflictsResponse(_Response):
    conflicts: list[ConflictView]


class ResolveConflictRequest(_Request):
    decision: ConflictDecision = Field(strict=False)
    note: Note
    command: PushCommand | None = None

    @model_validator(mode="after")
    def _command_matches_decision(self) -> ResolveConflictRequest:
        if (self.decision is ConflictDecision.CORRECTED) != (self.command is not None):
            raise ValueError("a 'corrected' decision needs a command; 'upheld' takes none")
        return self


class ResolveConflictResponse(_Response):
    conflict: ConflictView
    result: PushResult | None = None


class ChannelLossReport(_Request):
    """The online platform or a hotline reports a card lost (tests and the demo only)."""

    id: CommandId | None = None
    holder_id: HolderId
    channel: ChannelLossReportSource = Field(strict=False)


class ChannelDeathRecord(_Request):
    """The police record a death; the card agency cancels the card (tests and the demo only)."""

    id: CommandId | None = None
    holder_id: HolderId


class ChannelCardIssued(_Request):
    """The card agency has produced the card for a pending application (tests and the demo)."""

    id: CommandId | None = None
    holder_id: HolderId
    card_number: CardNumber
    issued_on: str

    @field_validator("issued_on")
    @classmethod
    def _issued_on_is_date(cls, value: str) -> str:
        return _check_iso_date(value)


class PingResponse(_Response):
    status: str
    service: str
    protocol_version: int
    time: str


class ErrorItem(_Response):
    loc: list[str | int]
    msg: str


class ErrorBody(_Response):
    """A whole-request error: a code and its parameters (what a client shows, from its own
    catalog), the English `message` for API users, and the fields at fault (`details`)."""

    code: ErrorCode
    message: str
    params: dict[str, str | int] = Field(default_factory=dict)
    details: list[ErrorItem] = Field(default_factory=list)


class ErrorResponse(_Response):
    error: ErrorBody


# Errors ---------------------------------------------------------------------------------------


class ProtocolError(ValueError):
    """A request the central refuses as a whole: a code, its parameters and its HTTP status.

    `message` replaces the code's English sentence for API users when the central knows better
    (which query parameter, which record); it is never what the branch application shows."""

    def __init__(
        self,
        code: ErrorCode,
        details: list[ErrorItem] | None = None,
        message: str | None = None,
        params: dict[str, str | int] | None = None,
    ) -> None:
        self.code = code
        self.status = ERROR_STATUS[code]
        self.params: dict[str, str | int] = {**ERROR_PARAMS.get(code, {}), **(params or {})}
        self.message = message or ERROR_MESSAGE[code].format(**self.params)
        self.details = details or []
        super().__init__(self.message)

    def to_response(self) -> ErrorResponse:
        return ErrorResponse(
            error=ErrorBody(
                code=self.code, message=self.message, params=self.params, details=self.details
            )
        )


def error_body(code: ErrorCode, message: str | None = None) -> bytes:
    """The JSON bytes of an `ErrorResponse` for `code`."""
    return ProtocolError(code, message=message).to_response().model_dump_json().encode()


# Encoding --------------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)


def canonical_json(value: Any) -> bytes:
    """Compact JSON with sorted keys: equal values give equal bytes (and equal hashes)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def encode(model: BaseModel) -> bytes:
    """A model as JSON bytes for the wire."""
    return model.model_dump_json().encode()


def _error_items(exc: ValidationError) -> list[ErrorItem]:
    # Never echo the input back: it may hold personal data.
    return [
        ErrorItem(loc=[str(p) if not isinstance(p, int) else p for p in e["loc"]], msg=e["msg"])
        for e in exc.errors(include_url=False, include_input=False, include_context=False)[:20]
    ]


def decode(model: type[M], data: bytes | str) -> M:
    """Parse and validate JSON bytes into `model`, or raise `ProtocolError` (nothing echoed)."""
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX_BODY_BYTES:
        raise ProtocolError(ErrorCode.BODY_TOO_LARGE)
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        if any(e["type"] == "json_invalid" for e in errors):
            raise ProtocolError(ErrorCode.INVALID_JSON) from None
        if any(e["type"] == "too_long" and tuple(e["loc"]) == ("commands",) for e in errors):
            raise ProtocolError(ErrorCode.BATCH_TOO_LARGE) from None
        raise ProtocolError(ErrorCode.INVALID_BODY, _error_items(exc)) from None
    except RecursionError:
        raise ProtocolError(ErrorCode.INVALID_JSON) from None


def decode_error(data: bytes | str) -> ErrorResponse | None:
    """The `ErrorResponse` in an error answer, or None when the body is something else."""
    try:
        return ErrorResponse.model_validate_json(data)
    except (ValidationError, RecursionError):
        return None


# Offline login verifier -----------------------------------------------------------------------

#: argon2id parameters for offline verifiers: memory-hard, yet quick enough on a teller's PC.
OFFLINE_VERIFIER_PARAMS = VerifierParams(
    time_cost=2, memory_cost=19_456, parallelism=1, hash_len=32, version=19
)
OFFLINE_VERIFIER_ALGORITHM = "argon2id"


def make_offline_verifier(
    password: str, params: VerifierParams = OFFLINE_VERIFIER_PARAMS, salt: bytes | None = None
) -> OfflineVerifier:
    """A fresh salted argon2id hash of `password` for later offline checks."""
    from argon2.low_level import Type, hash_secret_raw

    salt = salt if salt is not None else os.urandom(16)
    digest = hash_secret_raw(
        password.encode(),
        salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_cost,
        parallelism=params.parallelism,
        hash_len=params.hash_len,
        type=Type.ID,
        version=params.version,
    )
    return OfflineVerifier(
        algorithm=OFFLINE_VERIFIER_ALGORITHM,
        salt=base64.b64encode(salt).decode(),
        hash=base64.b64encode(digest).decode(),
        params=params,
    )


def offline_verifier_matches(verifier: OfflineVerifier, password: str) -> bool:
    """Whether `password` matches the verifier (constant-time comparison)."""
    if verifier.algorithm != OFFLINE_VERIFIER_ALGORITHM:
        return False
    try:
        salt = base64.b64decode(verifier.salt, validate=True)
        expected = base64.b64decode(verifier.hash, validate=True)
    except ValueError:
        return False
    candidate = make_offline_verifier(password, verifier.params, salt=salt)
    return hmac.compare_digest(base64.b64decode(candidate.hash), expected)


# Signed commands ------------------------------------------------------------------------------
#
# Every command names its maker (`actor`) and, for a teller's cancellation, a second person
# (`approved_by`). Neither is taken on the device's word: each signs the command with the key
# made for them on this device at their last online log-in (Ed25519; the private half kept on the
# device only under a key derived from their password). The signature covers the canonical bytes
# of what the central acts on: the id, the holder and the document kind, the command's kind,
# base version and payload, the actor, device, branch and time made, and which part the signer
# plays (`MAKER` or `APPROVER`), so a maker's signature never stands for an approval.

SIGNATURE_ALGORITHM = "ed25519"
MAKER = "maker"
APPROVER = "approver"
_SIGNED_FIELDS = (
    "id",
    "kind",
    "holder_id",
    "base_version",
    "payload",
    "actor",
    "device",
    "branch",
    "made_at",
)


def key_id_of(public_key: str) -> str:
    """The id a signature names its key by: the first 32 hex digits of SHA-256 of its text."""
    return hashlib.sha256(public_key.encode()).hexdigest()[:32]


def signing_bytes(command: Any, role: str) -> bytes:
    """What a signature covers: `command` is a `PushCommand` or an outbox item (same names)."""
    if role not in (MAKER, APPROVER):
        raise ValueError("role is maker or approver")
    fields = {name: getattr(command, name) for name in _SIGNED_FIELDS}
    kind = getattr(command, "holder_kind", None)
    fields["holder_kind"] = None if kind is None else IdentityKind(kind).value
    fields["payload"] = dict(fields["payload"])
    return f"branch-app/command/v1/{role}\n".encode() + canonical_json(fields)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key_text(raw: bytes) -> str:
    """An Ed25519 public key's 32 bytes as the wire carries them."""
    return _b64url(raw)


def signature_text(public_key: str, signature: bytes) -> str:
    """A signature as the wire carries it: the key's id, a dot, the 64 bytes."""
    return f"{key_id_of(public_key)}.{_b64url(signature)}"


def signature_key_id(signature: str | None) -> str | None:
    """The key id a signature names, or None."""
    if not signature or "." not in signature:
        return None
    return signature.split(".", 1)[0]


def signature_verifies(public_key: str, message: bytes, signature: str | None) -> bool:
    """Whether `signature` (wire form) is `public_key`'s over `message`."""
    if not signature or signature_key_id(signature) != key_id_of(public_key):
        return False
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(_unb64url(public_key))
        key.verify(_unb64url(signature.split(".", 1)[1]), message)
    except (InvalidSignature, ValueError):
        return False
    return True
