"""The card lifecycle as data: one record per person and a total transition function.

`decide(record, command)` is the single rule book. The counter uses it on its cached record before
it accepts a request, and the central service uses it again on the authoritative record, so both
ends agree on what a command means. It is pure and total: every (state, command) pair answers
`Applied` (new record, version + 1), `Merged` (already true, record unchanged) or `Refused` (a
reason code; nothing changes). The JSON helpers at the end define the shapes of the outbox and the
wire, and refuse anything malformed with `CommandFormatError`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from branch_app.domain.card_number import CardNumberError, check_card_number
from branch_app.domain.identity import IdentityKind, mask_identity
from branch_app.domain.vocabulary import (
    ApplicationKind,
    ApplicationStatus,
    CancellationReason,
    CardState,
    ExchangeReason,
    FunctionStatus,
    IssuanceSpeed,
    LossChannel,
    Presenter,
    RefusalReason,
)

CURRENT_GENERATION = 3  # [assumed] every card issued now is a 3rd-generation card


@dataclass(frozen=True, slots=True)
class PendingApplication:
    """An application in progress: accepted, then in production, then ready to collect."""

    kind: ApplicationKind
    speed: IssuanceSpeed
    accepted_on: dt.date
    status: ApplicationStatus = ApplicationStatus.IN_PRODUCTION
    new_card_number: str | None = None
    bank: str | None = None  # the bank of the new card (a change of bank), else the record's
    exchange_reason: ExchangeReason | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """How the card agency reaches the holder (信息变更: changed at the counter, no new card)."""

    mobile: str | None = None
    address: str | None = None

    def __repr__(self) -> str:  # personal data: never in logs or tracebacks
        return "Contact(...)"


@dataclass(frozen=True, slots=True)
class CardRecord:
    """What is known about one person's card; `holder_id` is the social security number."""

    holder_id: str
    version: int = 0
    card_number: str | None = None
    card_state: CardState = CardState.NO_CARD
    social_security: FunctionStatus = FunctionStatus.NONE
    financial: FunctionStatus = FunctionStatus.NONE
    bank: str | None = None
    generation: int | None = None
    application: PendingApplication | None = None
    collected_on: dt.date | None = None
    cancellation_reason: CancellationReason | None = None
    contact: Contact | None = None

    @classmethod
    def new(cls, holder_id: str) -> CardRecord:
        """The record of a person who has never had a card."""
        return cls(holder_id=holder_id)

    @property
    def has_live_card(self) -> bool:
        return self.card_state in (CardState.ACTIVE, CardState.LOSS_REPORTED)

    def __repr__(self) -> str:  # the holder id is personal data: never in logs or tracebacks
        fields = ", ".join(
            f"{f.name}={mask_identity(self.holder_id)!r}"
            if f.name == "holder_id"
            else f"{f.name}={getattr(self, f.name)!r}"
            for f in dataclasses.fields(self)
        )
        return f"CardRecord({fields})"


# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Representative:
    """The guardian's or agent's own identity document, as shown at the counter."""

    kind: IdentityKind
    number: str
    name: str
    #: From the document, when its number carries none (a passport, a 2017 permanent residence ID).
    birth_date: dt.date | None = None

    def __repr__(self) -> str:  # personal data: never in logs or tracebacks
        return f"Representative(kind={self.kind.value!r}, number={mask_identity(self.number)!r})"


@dataclass(frozen=True, slots=True)
class Applicant:
    """Who stands at the counter for the holder, with what they showed (applications and
    collection). Travels with the command, so the central checks the same rules."""

    presenter: Presenter = Presenter.HOLDER
    #: From the holder's document, when the ID number carries no birth date.
    holder_birth_date: dt.date | None = None
    holder_has_legal_capacity: bool = True
    guardianship_proof: bool = False
    #: The guardian's or agent's document; `None` when the holder comes.
    representative: Representative | None = None


HOLDER_IN_PERSON = Applicant()


@dataclass(frozen=True, slots=True)
class Apply:
    """An application for a card: a first card, a replacement of a lost card, or an exchange.

    The card agency prints the photo given by `photo_receipt` (the receipt number of a digital
    photo taken at an approved studio, 相片回执号) or, with `police_photo`, the holder's ID card
    photo from the police. `photo_problem` says whether a new application names one. An exchange
    for changed card-face data names the police record it rests on (`evidence`).
    """

    kind: ClassVar[str] = "apply"
    not_on_home_visit: ClassVar[RefusalReason | None] = None
    application: ApplicationKind
    speed: IssuanceSpeed
    accepted_on: dt.date
    exchange_reason: ExchangeReason | None = None
    bank: str | None = None
    photo_receipt: str | None = None
    police_photo: bool = False
    applicant: Applicant = HOLDER_IN_PERSON
    evidence: str | None = None

    def document_problem(self, record: CardRecord) -> RefusalReason | None:
        """A new application names the photo to print; a card-face change its police record.
        A repeated request is left to the lifecycle, which merges or refuses it."""
        if record.application is not None:
            return None
        missing_photo = photo_problem(self)
        if missing_photo is not None:
            return missing_photo
        if self.exchange_reason is ExchangeReason.CARD_FACE_CHANGE:
            return evidence_problem(self.evidence, RefusalReason.CARD_FACE_EVIDENCE_REQUIRED)
        return None


#: [assumed] A photo receipt number as printed by the studios: 6 to 32 ASCII letters and digits.
_PHOTO_RECEIPT = re.compile(r"[0-9A-Za-z]{6,32}")


#: [assumed] A police record or death certificate number: 4 to 32 letters, digits and dashes.
_EVIDENCE = re.compile(r"[0-9A-Za-z-]{4,32}")
#: [assumed] A mainland mobile number: 11 digits starting with 1.
_MOBILE = re.compile(r"1\d{10}")


def evidence_problem(evidence: str | None, missing: RefusalReason) -> RefusalReason | None:
    """`missing` without an evidence number, a refusal for a malformed one, else None."""
    if not evidence or not evidence.strip():
        return missing
    return None if _EVIDENCE.fullmatch(evidence.strip()) else RefusalReason.EVIDENCE_MALFORMED


def photo_problem(command: Apply) -> RefusalReason | None:
    """Why the application cannot be accepted for want of a photo, or None.

    A document check (`admit`, at the counter and again at the central), not a lifecycle one:
    `decide` is about the card's states. An application queued before the photo fields existed
    names no photo, so the central refuses it like any other: the supervisor redoes it with one."""
    if command.photo_receipt is None:
        return None if command.police_photo else RefusalReason.PHOTO_REQUIRED
    if not _PHOTO_RECEIPT.fullmatch(command.photo_receipt):
        return RefusalReason.PHOTO_RECEIPT_MALFORMED
    return None


@dataclass(frozen=True, slots=True)
class ReportLoss:
    kind: ClassVar[str] = "report_loss"
    not_on_home_visit: ClassVar[RefusalReason | None] = None
    channel: LossChannel

    def document_problem(self, record: CardRecord) -> RefusalReason | None:
        return None


@dataclass(frozen=True, slots=True)
class Unlock:
    """The holder found the card and brings it: its number (`card_read`: read from the chip, else
    typed from the card's face and checked) must be the record's current card. Both functions are
    restored at any cooperating branch; `at_card_bank` only records where (the card's bank is told
    through the central)."""

    kind: ClassVar[str] = "unlock"
    not_on_home_visit: ClassVar[RefusalReason | None] = RefusalReason.UNLOCK_NEEDS_BRANCH
    at_card_bank: bool
    card_number: str | None = None
    card_read: bool = False

    def document_problem(self, record: CardRecord) -> RefusalReason | None:
        return None


@dataclass(frozen=True, slots=True)
class ConfirmIssuance:
    kind: ClassVar[str] = "confirm_issuance"
    not_on_home_visit: ClassVar[RefusalReason | None] = RefusalReason.NOT_ON_HOME_VISIT
    card_number: str
    issued_on: dt.date

    def document_problem(self, record: CardRecord) -> RefusalReason | None:
        return None


@dataclass(frozen=True, slots=True)
class ConfirmCollection:
    kind: ClassVar[str] = "confirm_collection"
    not_on_home_visit: ClassVar[RefusalReason | None] = RefusalReason.COLLECTION_NEEDS_BRANCH
    collected_on: dt.date
    applicant: Applicant = HOLDER_IN_PERSON

    def document_problem(self, record: CardRecord) -> RefusalReason | None:
        return None


@dataclass(frozen=True, slots=True)
class Cancel:
    """Cancel the card. A death needs the police record or death certificate number
    (`evidence`); a teller's request names the approving supervisor (`approved_by`)."""

    kind: ClassVar[str] = "cancel"
    not_on_home_visit: ClassVar[RefusalReason | None] = RefusalReason.NOT_ON_HOME_VISIT
    reason: CancellationReason
    evidence: str | None = None
    approved_by: str | None = None

    def document_problem(self, record: CardRecord) -> RefusalReason | None:
        """A death rests on the police record or the death certificate, never on a word."""
        if self.reason is CancellationReason.DEATH:
            return evidence_problem(self.evidence, RefusalReason.DEATH_EVIDENCE_REQUIRED)
        return None


@dataclass(frozen=True, slots=True)
class ChangeContact:
    """A change of contact details (信息变更) with the holder or guardian present; no new card.
    `None` keeps a detail as it is."""

    kind: ClassVar[str] = "change_contact"
    not_on_home_visit: ClassVar[RefusalReason | None] = None
    mobile: str | None = None
    address: str | None = None

    def document_problem(self, record: CardRecord) -> RefusalReason | None:
        if self.mobile is None and (self.address is None or not self.address.strip()):
            return RefusalReason.CONTACT_REQUIRED
        if self.mobile is not None and not _MOBILE.fullmatch(self.mobile):
            return RefusalReason.MOBILE_MALFORMED
        return None


Command = Apply | ReportLoss | Unlock | ConfirmIssuance | ConfirmCollection | Cancel | ChangeContact
COMMAND_TYPES: tuple[type[Command], ...] = (
    Apply,
    ReportLoss,
    Unlock,
    ConfirmIssuance,
    ConfirmCollection,
    Cancel,
    ChangeContact,
)
COMMANDS_BY_KIND: Mapping[str, type[Command]] = {c.kind: c for c in COMMAND_TYPES}


# --- decisions --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Applied:
    """The command changed the record; `record.version` is the old version + 1."""

    outcome: ClassVar[str] = "applied"
    record: CardRecord


@dataclass(frozen=True, slots=True)
class Merged:
    """The command was already true; the record is unchanged."""

    outcome: ClassVar[str] = "merged"
    record: CardRecord


@dataclass(frozen=True, slots=True)
class Refused:
    """The command is not allowed: a reason code; the catalogs have its text in both languages."""

    outcome: ClassVar[str] = "refused"
    reason: RefusalReason
    #: Further reasons found at the same step (the applicant rules can find several).
    also: tuple[RefusalReason, ...] = ()

    @property
    def message_key(self) -> str:
        return f"domain.refusal.{self.reason.value}"


Decision = Applied | Merged | Refused


def refused(reason: RefusalReason, *also: RefusalReason) -> Refused:
    return Refused(reason=reason, also=also)


_T = TypeVar("_T", CardRecord, PendingApplication)
_FIELD_NAMES: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in (CardRecord, PendingApplication)
}


def _evolve(value: _T, **changes: Any) -> _T:
    """`dataclasses.replace` without its per-call field introspection, which cost more than the
    whole decision (the central decides every pushed command)."""
    fields = {name: getattr(value, name) for name in _FIELD_NAMES[type(value)]}
    fields.update(changes)
    return type(value)(**fields)


def _applied(record: CardRecord, **changes: Any) -> Applied:
    return Applied(_evolve(record, version=record.version + 1, **changes))


def decide(record: CardRecord, command: Command) -> Decision:
    """What `command` does to `record`. Pure and total."""
    if record.card_state is CardState.CANCELLED:
        return _decide_after_cancellation(record, command)
    match command:
        case Apply():
            return _decide_apply(record, command)
        case ReportLoss():
            return _decide_report_loss(record, command)
        case Unlock():
            return _decide_unlock(record, command)
        case ConfirmIssuance():
            return _decide_issuance(record, command)
        case ConfirmCollection():
            return _decide_collection(record, command)
        case Cancel():
            if not record.has_live_card and record.application is None:
                return refused(RefusalReason.NOTHING_TO_CANCEL)
            return _applied(
                record,
                card_state=CardState.CANCELLED,
                social_security=FunctionStatus.CLOSED,
                financial=FunctionStatus.CLOSED,
                application=None,
                cancellation_reason=command.reason,
            )
        case ChangeContact():
            return _decide_contact(record, command)
    raise TypeError(f"not a card command: {type(command).__name__}")


def _decide_after_cancellation(record: CardRecord, command: Command) -> Decision:
    """Death is final. After a cancellation on other grounds (moving out of the province,
    emigration, ...) a person entitled again may apply for a new first card: a new card and card
    number, the same social security number."""
    deceased = record.cancellation_reason is CancellationReason.DEATH
    if isinstance(command, Cancel):
        return Merged(record)
    if deceased:
        return refused(RefusalReason.HOLDER_DECEASED)
    if isinstance(command, Apply) and command.application is ApplicationKind.FIRST:
        fresh = _evolve(
            record,
            card_state=CardState.NO_CARD,
            card_number=None,
            social_security=FunctionStatus.NONE,
            financial=FunctionStatus.NONE,
            bank=None,
            generation=None,
            collected_on=None,
            cancellation_reason=None,
        )
        decision = _decide_apply(fresh, command)
        if isinstance(decision, Applied):
            return Applied(_evolve(decision.record, version=record.version + 1))
        return decision
    return refused(RefusalReason.CARD_CANCELLED)


def _decide_contact(record: CardRecord, command: ChangeContact) -> Decision:
    if record.version == 0:
        return refused(RefusalReason.NO_RECORD)
    before = record.contact or Contact()
    after = Contact(
        mobile=command.mobile if command.mobile is not None else before.mobile,
        address=command.address if command.address is not None else before.address,
    )
    if after == before:
        return Merged(record)
    return _applied(record, contact=after)


def _decide_apply(record: CardRecord, command: Apply) -> Decision:
    kind = command.application
    if kind is ApplicationKind.EXCHANGE and command.exchange_reason is None:
        return refused(RefusalReason.EXCHANGE_REASON_REQUIRED)
    if kind is not ApplicationKind.EXCHANGE and command.exchange_reason is not None:
        return refused(RefusalReason.EXCHANGE_REASON_NOT_ALLOWED)
    pending = record.application
    if pending is not None:
        # The same request again merges; a different one (another exchange reason, another
        # bank) is refused, never merged: the holder waits for collection, or it is cancelled.
        same = (
            pending.kind is kind
            and pending.speed is command.speed
            and pending.exchange_reason is command.exchange_reason
            and (command.bank is None or command.bank == pending.bank)
        )
        return Merged(record) if same else refused(RefusalReason.APPLICATION_PENDING)
    if kind is ApplicationKind.FIRST:
        if record.card_state is not CardState.NO_CARD:
            return refused(RefusalReason.LIVE_CARD_EXISTS)
        new_bank = command.bank
    elif kind is ApplicationKind.REPLACEMENT:
        if record.card_state is CardState.NO_CARD:
            return refused(RefusalReason.NO_LIVE_CARD)
        if record.card_state is not CardState.LOSS_REPORTED:
            return refused(RefusalReason.NO_LOSS_REPORT)
        new_bank = command.bank or record.bank
    else:
        if record.card_state is CardState.NO_CARD:
            return refused(RefusalReason.NO_LIVE_CARD)
        if record.card_state is CardState.LOSS_REPORTED:
            return refused(RefusalReason.CARD_LOSS_REPORTED)
        if command.exchange_reason is ExchangeReason.CHANGE_OF_BANK:
            if not command.bank:
                return refused(RefusalReason.BANK_REQUIRED)
            if command.bank == record.bank:
                return refused(RefusalReason.SAME_BANK)
        new_bank = command.bank or record.bank
    application = PendingApplication(
        kind=kind,
        speed=command.speed,
        accepted_on=command.accepted_on,
        bank=new_bank,
        exchange_reason=command.exchange_reason,
    )
    if kind is ApplicationKind.REPLACEMENT:
        # The old card is dead from now on: it can no longer be unlocked or used.
        return _applied(
            record,
            application=application,
            card_state=CardState.NO_CARD,
            card_number=None,
            social_security=FunctionStatus.NONE,
            financial=FunctionStatus.NONE,
        )
    # A first application has no old card; an exchanged card stays in use until collection.
    return _applied(record, application=application)


def _frozen(status: FunctionStatus) -> FunctionStatus:
    return FunctionStatus.FROZEN if status is FunctionStatus.NORMAL else status


def _decide_report_loss(record: CardRecord, command: ReportLoss) -> Decision:
    """Whatever the channel, both functions freeze at once (seed: 同步冻结)."""
    if not record.has_live_card:
        pending = record.application
        if pending is not None and pending.kind is ApplicationKind.REPLACEMENT:
            return Merged(record)  # the lost card is already dead
        return refused(RefusalReason.NO_LIVE_CARD)
    social_security = _frozen(record.social_security)
    financial = _frozen(record.financial)
    if (
        record.card_state is CardState.LOSS_REPORTED
        and social_security is record.social_security
        and financial is record.financial
    ):
        return Merged(record)
    return _applied(
        record,
        card_state=CardState.LOSS_REPORTED,
        social_security=social_security,
        financial=financial,
    )


def _decide_unlock(record: CardRecord, command: Unlock) -> Decision:
    """The found card, shown and checked against the record, restores both functions at any
    cooperating branch (seed: 解除挂失, the card returns to normal use)."""
    if not record.has_live_card:
        pending = record.application
        if pending is not None and pending.kind is ApplicationKind.REPLACEMENT:
            return refused(RefusalReason.REPLACEMENT_APPLIED)
        return refused(RefusalReason.NO_LIVE_CARD)
    if command.card_number is None:
        return refused(RefusalReason.CARD_REQUIRED)
    if command.card_number.strip().upper() != record.card_number:
        return refused(RefusalReason.CARD_NOT_CURRENT)
    frozen = FunctionStatus.FROZEN
    if record.card_state is CardState.ACTIVE and frozen not in (
        record.social_security,
        record.financial,
    ):
        return refused(RefusalReason.NOT_LOSS_REPORTED)
    return _applied(
        record,
        card_state=CardState.ACTIVE,
        social_security=_thawed(record.social_security),
        financial=_thawed(record.financial),
    )


def _thawed(status: FunctionStatus) -> FunctionStatus:
    return FunctionStatus.NORMAL if status is FunctionStatus.FROZEN else status


def _decide_issuance(record: CardRecord, command: ConfirmIssuance) -> Decision:
    pending = record.application
    if pending is None:
        return refused(RefusalReason.NO_PENDING_APPLICATION)
    try:
        number = check_card_number(command.card_number).number
    except CardNumberError:
        return refused(RefusalReason.CARD_NUMBER_MALFORMED)
    if pending.status is ApplicationStatus.READY:
        if pending.new_card_number == number:
            return Merged(record)
        return refused(RefusalReason.APPLICATION_ALREADY_ISSUED)
    if number == record.card_number:
        return refused(RefusalReason.CARD_NUMBER_UNCHANGED)
    if command.issued_on < pending.accepted_on:
        return refused(RefusalReason.DATE_BEFORE_ACCEPTANCE)
    return _applied(
        record,
        application=_evolve(pending, status=ApplicationStatus.READY, new_card_number=number),
    )


def _decide_collection(record: CardRecord, command: ConfirmCollection) -> Decision:
    pending = record.application
    if pending is None:
        if record.card_state is CardState.ACTIVE and record.collected_on == command.collected_on:
            return Merged(record)
        return refused(RefusalReason.NO_PENDING_APPLICATION)
    if pending.status is not ApplicationStatus.READY or pending.new_card_number is None:
        return refused(RefusalReason.CARD_NOT_ISSUED_YET)
    if command.collected_on < pending.accepted_on:
        return refused(RefusalReason.DATE_BEFORE_ACCEPTANCE)
    bank = pending.bank or record.bank
    return _applied(
        record,
        card_number=pending.new_card_number,
        card_state=CardState.ACTIVE,
        social_security=FunctionStatus.NORMAL,
        financial=FunctionStatus.NORMAL if bank else FunctionStatus.NONE,
        bank=bank,
        generation=CURRENT_GENERATION,
        application=None,
        collected_on=command.collected_on,
    )


def collection_changes_bank(record: CardRecord, command: Command) -> bool:
    """Whether collecting the new card moves the holder to another bank (an exchange for a
    change of bank): the medical funds then move to the new account and the old account is
    closed within `workdays.OLD_ACCOUNT_CLOSING_WORKING_DAYS` of the collection."""
    pending = record.application
    return (
        isinstance(command, ConfirmCollection)
        and pending is not None
        and pending.bank is not None
        and record.bank is not None
        and pending.bank != record.bank
    )


# --- JSON shapes ------------------------------------------------------------------------------


class CommandFormatError(ValueError):
    """A command or record dict that is not of the agreed shape; the message says what is wrong."""


MAX_TEXT_LENGTH = 64
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_E = TypeVar("_E", bound=StrEnum)


def _date_to_json(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Applicant | Representative):
        return {f.name: _json_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def command_to_dict(command: Command) -> dict[str, Any]:
    """The JSON form: `{"kind": ..., <field>: <str | bool | None | object>}`; dates as
    YYYY-MM-DD; the applicant (and the representative's document) as nested objects."""
    out: dict[str, Any] = {"kind": command.kind}
    for f in dataclasses.fields(command):
        out[f.name] = _json_value(getattr(command, f.name))
    return out


def _fail(where: str, message: str) -> CommandFormatError:
    return CommandFormatError(f"{where}: {message}")


def _require_mapping(data: object, where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise _fail(where, f"expected an object, got {type(data).__name__}")
    for key in data:
        if not isinstance(key, str):
            raise _fail(where, f"field names must be strings, got {type(key).__name__}")
    return data


def _check_fields(data: Mapping[str, Any], expected: frozenset[str], where: str) -> None:
    if data.keys() == expected:
        return
    missing = sorted(expected - data.keys())
    extra = sorted(data.keys() - expected)
    if missing:
        raise _fail(where, f"missing field(s) {', '.join(missing)}")
    if extra:
        raise _fail(where, f"unknown field(s) {', '.join(repr(e[:40]) for e in extra)}")


def _text(data: Mapping[str, Any], name: str, where: str, *, optional: bool = False) -> str | None:
    value = data[name]
    if value is None and optional:
        return None
    if not isinstance(value, str):
        wanted = "a string or null" if optional else "a string"
        raise _fail(where, f"{name} must be {wanted}, got {type(value).__name__}")
    if len(value) > MAX_TEXT_LENGTH:
        raise _fail(where, f"{name} is longer than {MAX_TEXT_LENGTH} characters")
    if any(ch < " " or "\x7f" <= ch <= "\x9f" for ch in value):
        # NUL breaks PostgreSQL's text; the others forge log lines or hide text on a screen.
        # The message names the field, never the text (it may be a name or an address).
        raise _fail(where, f"{name} holds a control character")
    return value


def _date(data: Mapping[str, Any], name: str, where: str, *, optional: bool = False) -> Any:
    value = data[name]
    if value is None and optional:
        return None
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise _fail(where, f"{name} must be a date as YYYY-MM-DD, got {_show(value)}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _fail(where, f"{name} {value} is not a real date") from None


def _enum(
    data: Mapping[str, Any], name: str, enum: type[_E], where: str, *, optional: bool = False
) -> Any:
    value = data[name]
    if value is None and optional:
        return None
    if isinstance(value, str):
        # The members by value, without `enum(value)`'s slower call machinery (hot path).
        member = enum._value2member_map_.get(value)
        if member is not None:
            return member
    allowed = ", ".join(e.value for e in enum)  # only when failing: this is on the sync hot path
    raise _fail(where, f"{name} must be one of {allowed}, got {_show(value)}")


def _int(data: Mapping[str, Any], name: str, where: str, *, optional: bool = False) -> Any:
    value = data[name]
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _fail(where, f"{name} must be a whole number >= 0, got {_show(value)}")
    return value


def _bool(data: Mapping[str, Any], name: str, where: str) -> bool:
    value = data[name]
    if not isinstance(value, bool):
        raise _fail(where, f"{name} must be true or false, got {_show(value)}")
    return value


def _show(value: object) -> str:
    """A short, safe rendering of a hostile value (never a deep or huge repr)."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:37]) + "..."
    if value is None or isinstance(value, bool | int | float):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    return f"a value of type {type(value).__name__}"


_REPRESENTATIVE_KEYS = frozenset(f.name for f in dataclasses.fields(Representative))
_APPLICANT_KEYS = frozenset(f.name for f in dataclasses.fields(Applicant))


def _representative(data: Mapping[str, Any], where: str) -> Representative | None:
    value = data["representative"]
    if value is None:
        return None
    where = f"{where} representative"
    mapping = _require_mapping(value, where)
    _check_fields(mapping, _REPRESENTATIVE_KEYS, where)
    return Representative(
        kind=_enum(mapping, "kind", IdentityKind, where),
        number=_text(mapping, "number", where) or "",
        name=_text(mapping, "name", where) or "",
        birth_date=_date(mapping, "birth_date", where, optional=True),
    )


def _applicant(data: Mapping[str, Any], where: str) -> Applicant:
    if "applicant" not in data:
        return HOLDER_IN_PERSON  # queued before the applicant travelled with the command
    where = f"{where} applicant"
    mapping = _require_mapping(data["applicant"], where)
    _check_fields(mapping, _APPLICANT_KEYS, where)
    return Applicant(
        presenter=_enum(mapping, "presenter", Presenter, where),
        holder_birth_date=_date(mapping, "holder_birth_date", where, optional=True),
        holder_has_legal_capacity=_bool(mapping, "holder_has_legal_capacity", where),
        guardianship_proof=_bool(mapping, "guardianship_proof", where),
        representative=_representative(mapping, where),
    )


def _later_text(data: Mapping[str, Any], name: str, where: str) -> str | None:
    return _text(data, name, where, optional=True) if name in data else None


_COMMAND_READERS: Mapping[str, Callable[[Mapping[str, Any], str], Command]] = {
    "apply": lambda d, w: Apply(
        application=_enum(d, "application", ApplicationKind, w),
        speed=_enum(d, "speed", IssuanceSpeed, w),
        accepted_on=_date(d, "accepted_on", w),
        exchange_reason=_enum(d, "exchange_reason", ExchangeReason, w, optional=True),
        bank=_text(d, "bank", w, optional=True),
        photo_receipt=_later_text(d, "photo_receipt", w),
        police_photo=_bool(d, "police_photo", w) if "police_photo" in d else False,
        applicant=_applicant(d, w),
        evidence=_later_text(d, "evidence", w),
    ),
    "report_loss": lambda d, w: ReportLoss(channel=_enum(d, "channel", LossChannel, w)),
    "unlock": lambda d, w: Unlock(
        at_card_bank=_bool(d, "at_card_bank", w),
        card_number=_later_text(d, "card_number", w),
        card_read=_bool(d, "card_read", w) if "card_read" in d else False,
    ),
    "confirm_issuance": lambda d, w: ConfirmIssuance(
        card_number=_text(d, "card_number", w) or "",
        issued_on=_date(d, "issued_on", w),
    ),
    "confirm_collection": lambda d, w: ConfirmCollection(
        collected_on=_date(d, "collected_on", w), applicant=_applicant(d, w)
    ),
    "cancel": lambda d, w: Cancel(
        reason=_enum(d, "reason", CancellationReason, w),
        evidence=_later_text(d, "evidence", w),
        approved_by=_later_text(d, "approved_by", w),
    ),
    "change_contact": lambda d, w: ChangeContact(
        mobile=_text(d, "mobile", w, optional=True),
        address=_text(d, "address", w, optional=True),
    ),
}


#: The keys of each command's JSON form, and of a record's and an application's.
_COMMAND_FIELDS: Mapping[str, frozenset[str]] = {
    kind: frozenset({"kind", *(f.name for f in dataclasses.fields(command_type))})
    for kind, command_type in COMMANDS_BY_KIND.items()
}
#: Keys added to a command after items were already queued without them: they may be absent.
_LATER_FIELDS: Mapping[str, frozenset[str]] = {
    "apply": frozenset({"photo_receipt", "police_photo", "applicant", "evidence"}),
    "unlock": frozenset({"card_number", "card_read"}),
    "confirm_collection": frozenset({"applicant"}),
    "cancel": frozenset({"evidence", "approved_by"}),
}
_RECORD_KEYS = frozenset(_FIELD_NAMES[CardRecord])
_APPLICATION_KEYS = frozenset(_FIELD_NAMES[PendingApplication])
#: Keys added to a record after records were stored without them: they may be absent.
_LATER_RECORD_KEYS = frozenset({"contact"})
_LATER_APPLICATION_KEYS = frozenset({"exchange_reason"})
_CONTACT_KEYS = frozenset({"mobile", "address"})


def command_from_dict(data: object) -> Command:
    """Read a command from its JSON form; anything else raises `CommandFormatError`."""
    mapping = _require_mapping(data, "command")
    kind = mapping.get("kind")
    if not isinstance(kind, str) or kind not in COMMANDS_BY_KIND:
        raise _fail(
            "command",
            f"kind must be one of {', '.join(COMMANDS_BY_KIND)}, got {_show(kind)}",
        )
    where = f"{kind} command"
    expected = _COMMAND_FIELDS[kind]
    if mapping.keys() != expected:  # the common case costs one comparison
        later = _LATER_FIELDS.get(kind, frozenset())
        _check_fields(mapping, expected - (later - mapping.keys()), where)
    return _COMMAND_READERS[kind](mapping, where)


def _application_to_dict(application: PendingApplication) -> dict[str, Any]:
    return {
        "kind": application.kind.value,
        "speed": application.speed.value,
        "accepted_on": application.accepted_on.isoformat(),
        "status": application.status.value,
        "new_card_number": application.new_card_number,
        "bank": application.bank,
        "exchange_reason": None
        if application.exchange_reason is None
        else application.exchange_reason.value,
    }


def record_to_dict(record: CardRecord) -> dict[str, Any]:
    """The JSON form of a record, as stored in the card cache and sent on the wire."""
    return {
        "holder_id": record.holder_id,
        "version": record.version,
        "card_number": record.card_number,
        "card_state": record.card_state.value,
        "social_security": record.social_security.value,
        "financial": record.financial.value,
        "bank": record.bank,
        "generation": record.generation,
        "application": None
        if record.application is None
        else _application_to_dict(record.application),
        "collected_on": _date_to_json(record.collected_on),
        "cancellation_reason": None
        if record.cancellation_reason is None
        else record.cancellation_reason.value,
        "contact": None
        if record.contact is None
        else {"mobile": record.contact.mobile, "address": record.contact.address},
    }


def _application_from_dict(data: object) -> PendingApplication:
    where = "record application"
    mapping = _require_mapping(data, where)
    _check_fields(mapping, _APPLICATION_KEYS - (_LATER_APPLICATION_KEYS - mapping.keys()), where)
    return PendingApplication(
        kind=_enum(mapping, "kind", ApplicationKind, where),
        speed=_enum(mapping, "speed", IssuanceSpeed, where),
        accepted_on=_date(mapping, "accepted_on", where),
        status=_enum(mapping, "status", ApplicationStatus, where),
        new_card_number=_text(mapping, "new_card_number", where, optional=True),
        bank=_text(mapping, "bank", where, optional=True),
        exchange_reason=_enum(mapping, "exchange_reason", ExchangeReason, where, optional=True)
        if "exchange_reason" in mapping
        else None,
    )


def _contact_from_dict(data: object) -> Contact | None:
    if data is None:
        return None
    where = "record contact"
    mapping = _require_mapping(data, where)
    _check_fields(mapping, _CONTACT_KEYS, where)
    return Contact(
        mobile=_text(mapping, "mobile", where, optional=True),
        address=_text(mapping, "address", where, optional=True),
    )


def record_from_dict(data: object) -> CardRecord:
    """Read a record from its JSON form; anything else raises `CommandFormatError`."""
    where = "record"
    mapping = _require_mapping(data, where)
    if mapping.keys() != _RECORD_KEYS:
        _check_fields(mapping, _RECORD_KEYS - (_LATER_RECORD_KEYS - mapping.keys()), where)
    application = mapping["application"]
    return CardRecord(
        holder_id=_text(mapping, "holder_id", where) or "",
        version=_int(mapping, "version", where),
        card_number=_text(mapping, "card_number", where, optional=True),
        card_state=_enum(mapping, "card_state", CardState, where),
        social_security=_enum(mapping, "social_security", FunctionStatus, where),
        financial=_enum(mapping, "financial", FunctionStatus, where),
        bank=_text(mapping, "bank", where, optional=True),
        generation=_int(mapping, "generation", where, optional=True),
        application=None if application is None else _application_from_dict(application),
        collected_on=_date(mapping, "collected_on", where, optional=True),
        cancellation_reason=_enum(
            mapping, "cancellation_reason", CancellationReason, where, optional=True
        ),
        contact=_contact_from_dict(mapping.get("contact")),
    )
