"""The teller's services as an application service: check, queue durably, audit, answer.

Every counter action follows the same path (docs/ARCHITECTURE.md, "Counter services"):

1. the holder's ID number is checked (`parse_identity`);
2. the holder's record is the cached one (`store.card_cache`), or `CardRecord.new` for a person the
   device has never seen, with this device's own unsent outbox items for that person folded in, so
   two actions in a row see each other (a loss report, then the replacement);
3. `permission(role, place, command)`, the applicant rules where they apply (`check_applicant`) and
   `decide(record, command)`; a refusal comes back as a `Refusal` and nothing is written;
4. `Applied` or `Merged`: the command is enqueued in the outbox (durable when `enqueue` returns),
   then an audit entry says who did what on whose record and why, and the answer is an `Accepted`
   with the outbox id, the fee and, for an application, the due date (or "5-10 minutes" for an
   instant issuance).

Nothing here imports textual: the screens call it, and so can a script or a test. It takes the
store, the clock and who/where as arguments; it never logs or raises with an ID number in it.

Cancellation needs a second person when a teller asks for it (`Permission.needs_second_person`).
The choice made here: the request carries the approving supervisor's staff id (`approved_by`),
which must differ from the teller's; without it the request is refused (`approval_required`) and
nothing is queued. The approver is kept in the audit entry; the command on the wire is the plain
`Cancel` (the wire's command shape has no room for it). `verify_approver` checks the supervisor's
password and role with the staff login (online, or the offline verifier) before that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from branch_app.domain.fees import DEFAULT_REPLACEMENT_FEE_YUAN, FeeDecision, FeeReason, fee_for
from branch_app.domain.identity import (
    IdentityError,
    IdentityKind,
    IdentityNumber,
    mask_identity,
    parse_identity,
)
from branch_app.domain.lifecycle import (
    ApplicationKind,
    Applied,
    Apply,
    Cancel,
    CancellationReason,
    CardRecord,
    Command,
    CommandFormatError,
    ConfirmCollection,
    ConfirmIssuance,
    ExchangeReason,
    IssuanceSpeed,
    LossChannel,
    Merged,
    RefusalReason,
    Refused,
    ReportLoss,
    Unlock,
    collection_changes_bank,
    command_from_dict,
    command_to_dict,
    decide,
    photo_problem,
    record_from_dict,
    refused,
)
from branch_app.domain.roles import (
    ApplicantAction,
    Place,
    Presenter,
    Role,
    check_applicant,
    permission,
)
from branch_app.domain.vocabulary import UNSENT, CounterRefusal, LookupPurpose
from branch_app.domain.workdays import (
    CANCELLATION_WORKING_DAYS,
    OLD_ACCOUNT_CLOSING_WORKING_DAYS,
    DueDate,
    due_date,
)

#: What the screen says about when an instant card is ready (seed: 5-10 minutes).
INSTANT_READY_KEY = "counter.result.instant_ready"


@dataclass(frozen=True)
class Desk:
    """Who works and where: the member of staff on duty, the place, the branch and its bank."""

    staff_id: str
    role: Role
    place: Place
    branch: str
    device: str
    #: The bank this branch belongs to: a loss report or unlock here is "at the card's bank"
    #: when the record's card is of this bank.
    bank: str = ""


@dataclass(frozen=True)
class Applicant:
    """Who stands at the counter for the holder (for applications and collection)."""

    presenter: Presenter = Presenter.HOLDER
    holder_has_legal_capacity: bool = True
    guardianship_proof: bool = False
    presenter_birth_date: dt.date | None = None


@dataclass(frozen=True)
class Refusal:
    """Nothing was written. `message_key` is a catalog key to fill with `params`."""

    code: str
    message_key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    #: Further refusals found at the same time (the applicant rules can find several).
    more: tuple[Refusal, ...] = ()

    @property
    def accepted(self) -> bool:
        return False

    @classmethod
    def from_domain(cls, refusal: Refused, *more: Refused) -> Refusal:
        return cls(
            refusal.reason.value,
            refusal.message_key,
            more=tuple(cls(m.reason.value, m.message_key) for m in more),
        )

    @classmethod
    def of_counter(cls, code: CounterRefusal, **params: Any) -> Refusal:
        return cls(code.value, f"counter.refusal.{code.value}", params)

    @classmethod
    def of_identity(cls, error: IdentityError) -> Refusal:
        return cls(f"identity.{error.code}", error.message_key, dict(error.params))


@dataclass(frozen=True)
class Preview:
    """What the command would do, decided but not written: what the confirm step shows."""

    command: Command
    holder_masked: str
    record_before: CardRecord
    record_after: CardRecord
    fee: FeeDecision
    #: The due date of a normal application; `due.provisional` when it rests on an unpublished
    #: official schedule. `None` for other services and for instant issuance (5-10 minutes).
    due: DueDate | None
    instant: bool
    #: The command is already true (a repeated request): queued for the record, changes nothing.
    merged: bool
    #: A collection that changes the bank: when the old bank account will have been closed.
    old_account_closes: DueDate | None = None
    #: A cancellation: when the card agency will have cancelled the card.
    cancelled_by: DueDate | None = None

    @property
    def accepted(self) -> bool:
        return False


PREVIEW_FIELDS = tuple(f for f in Preview.__dataclass_fields__)


@dataclass(frozen=True)
class Accepted(Preview):
    """The command is in the outbox (durable) and audited; it will be sent when online."""

    outbox_id: str = ""
    seq: int = 0
    audit_n: int = 0

    @property
    def accepted(self) -> bool:
        return True

    @property
    def reference(self) -> str:
        """What the teller reads to the holder: the local sequence number and the id's start."""
        return f"{self.seq}-{self.outbox_id[:8].upper()}"


Outcome = Accepted | Refusal
Checked = Preview | Refusal


@dataclass(frozen=True)
class QueryAnswer:
    """A person's record as known here, after the query was audited."""

    holder_masked: str
    record: CardRecord
    #: Where the record came from: `central` (looked up now), `cache`, or `none` (unknown here).
    source: str
    fetched_at: str | None
    #: This device's unsent items about the person, oldest first (kind, made_at).
    pending: tuple[tuple[str, str], ...]
    #: Why the central was not asked or did not answer (a catalog key), if it was not used.
    central_problem: str | None = None

    @property
    def accepted(self) -> bool:
        return True


class CentralLookup(Protocol):
    """Asks the central for a person's record (`POST /v1/lookups`); `None` when it has none."""

    def __call__(self, holder_id: str, purpose: str, note: str | None) -> Mapping[str, Any] | None:
        """The record in its `record_to_dict` form."""
        ...


class Counter:
    """The counter's services for one desk. Thread-safe as far as the store is (it is)."""

    def __init__(
        self,
        store: Any,
        desk: Desk,
        *,
        clock: Callable[[], dt.datetime],
        replacement_fee_yuan: int = DEFAULT_REPLACEMENT_FEE_YUAN,
        calendar_overrides: Mapping[dt.date, bool] | None = None,
        central_lookup: CentralLookup | None = None,
    ) -> None:
        self.store = store
        self.desk = desk
        self.clock = clock
        self.replacement_fee_yuan = replacement_fee_yuan
        self.calendar_overrides = calendar_overrides
        self.central_lookup = central_lookup

    def today(self) -> dt.date:
        return self.clock().date()

    # -- the record as this device knows it --------------------------------------------------

    def identify(self, text: str, kind: IdentityKind | None = None) -> IdentityNumber | Refusal:
        try:
            return parse_identity(text, kind=kind, today=self.today())
        except IdentityError as error:
            return Refusal.of_identity(error)

    def known_record(self, holder_id: str) -> CardRecord | Refusal:
        """The cached record with this device's unsent commands folded in, in their order.

        A queued command that no longer applies on the cached record (the cache was refreshed
        meanwhile) is skipped, as the central will decide it; one that cannot be read at all
        makes the counter refuse rather than guess.
        """
        cached = self.store.card_cache.get(holder_id)
        record = CardRecord.new(holder_id) if cached is None else record_from_dict(cached.record)
        for item in self.store.outbox.for_holder(holder_id):
            if item.status not in UNSENT:
                continue
            try:
                queued = command_from_dict(item.payload)
            except CommandFormatError:
                return Refusal.of_counter(CounterRefusal.PENDING_ITEM_UNREADABLE)
            decision = decide(record, queued)
            if isinstance(decision, Applied | Merged):
                record = decision.record
        return record

    # -- the services -------------------------------------------------------------------------

    def apply(
        self,
        holder: IdentityNumber,
        application: ApplicationKind,
        speed: IssuanceSpeed = IssuanceSpeed.NORMAL,
        *,
        exchange_reason: ExchangeReason | None = None,
        bank: str | None = None,
        photo_receipt: str | None = None,
        police_photo: bool = False,
        applicant: Applicant | None = None,
        dry_run: bool = False,
    ) -> Checked:
        """A first application, a replacement or an exchange, normal or instant, with the
        photo to print: a studio's photo receipt number, or the police ID photo."""
        command = Apply(
            application=application,
            speed=speed,
            accepted_on=self.today(),
            exchange_reason=exchange_reason,
            bank=bank or None,
            photo_receipt=(photo_receipt or "").strip().upper() or None,
            police_photo=police_photo and not photo_receipt,
        )
        return self._take(
            holder,
            lambda _record: command,
            why=f"application:{application.value}:{speed.value}",
            dry_run=dry_run,
            applicant=(ApplicantAction.APPLY, applicant or Applicant()),
        )

    def report_loss(
        self, holder: IdentityNumber, *, at_card_bank: bool | None = None, dry_run: bool = False
    ) -> Checked:
        """A loss report in person. At a branch of the card's own bank (`at_card_bank`, by
        default: the record's bank is this desk's bank) it freezes the bank account too."""
        return self._take(
            holder,
            lambda record: ReportLoss(
                channel=LossChannel.CARD_BANK_BRANCH
                if self._at_card_bank(record, at_card_bank)
                else LossChannel.OTHER_BANK_BRANCH
            ),
            why="loss_report:in_person",
            dry_run=dry_run,
        )

    def unlock(
        self, holder: IdentityNumber, *, at_card_bank: bool | None = None, dry_run: bool = False
    ) -> Checked:
        """The holder found the card before applying for a replacement."""
        return self._take(
            holder,
            lambda record: Unlock(at_card_bank=self._at_card_bank(record, at_card_bank)),
            why="unlock:card_found",
            dry_run=dry_run,
        )

    def cancel(
        self,
        holder: IdentityNumber,
        reason: CancellationReason,
        *,
        approved_by: str | None = None,
        approval_verified: bool = False,
        dry_run: bool = False,
    ) -> Checked:
        """Cancel the card; a teller's request carries the approving supervisor's id.

        `approval_verified` says that the approver's password and role were checked on this
        device (the screen does it through the staff login); it is kept in the audit entry."""
        command = Cancel(reason=reason)
        needs = permission(self.desk.role, self.desk.place, command)
        approver = (approved_by or "").strip()
        if needs.allowed and needs.needs_second_person:
            if not approver:
                return Refusal.of_counter(CounterRefusal.APPROVAL_REQUIRED)
            if approver.casefold() == self.desk.staff_id.casefold():
                return Refusal.of_counter(CounterRefusal.APPROVER_IS_REQUESTER)
        return self._take(
            holder,
            lambda _record: command,
            why=f"cancellation:{reason.value}",
            dry_run=dry_run,
            extra={"approved_by": approver, "approval_verified": approval_verified}
            if approver
            else None,
        )

    def confirm_collection(
        self, holder: IdentityNumber, *, applicant: Applicant | None = None, dry_run: bool = False
    ) -> Checked:
        """The holder (or guardian) collects the new card today."""
        return self._take(
            holder,
            lambda _record: ConfirmCollection(collected_on=self.today()),
            why="collection",
            dry_run=dry_run,
            applicant=(ApplicantAction.COLLECT, applicant or Applicant()),
        )

    def confirm_instant_issuance(
        self, holder: IdentityNumber, card_number: str, *, dry_run: bool = False
    ) -> Checked:
        """The card printed here for an instant application is issued: its number is recorded.

        Only an instant application at an instant-issuance branch: every other new card is made
        by the card agency, which reports it itself."""
        known = self.known_record(holder.number)
        if isinstance(known, Refusal):
            return known
        pending = known.application
        if self.desk.place is not Place.INSTANT_BRANCH:
            return Refusal.from_domain(refused(RefusalReason.INSTANT_NEEDS_INSTANT_BRANCH))
        if pending is None or pending.speed is not IssuanceSpeed.INSTANT:
            return Refusal.of_counter(CounterRefusal.NOT_AN_INSTANT_APPLICATION)
        return self._take(
            holder,
            lambda _record: ConfirmIssuance(
                card_number=card_number.strip(), issued_on=self.today()
            ),
            why="issuance:instant",
            dry_run=dry_run,
        )

    def query(
        self, holder: IdentityNumber, purpose: LookupPurpose | str | None, note: str = ""
    ) -> QueryAnswer | Refusal:
        """A person's record: from the central when it answers, else from the cache.

        A query needs a purpose and is written to the audit journal before anything is shown.
        """
        if not purpose:
            return Refusal.of_counter(CounterRefusal.PURPOSE_REQUIRED)
        purpose = LookupPurpose(purpose)
        holder_id = holder.number
        self.store.audit.record(
            "counter.query",
            actor=self.desk.staff_id,
            holder_id=holder_id,
            reason=purpose.value,
            device=self.desk.device,
            branch=self.desk.branch,
            detail={"note": note} if note else None,
        )
        problem: str | None = "counter.query.central_not_configured"
        if self.central_lookup is not None:
            try:
                found = self.central_lookup(holder_id, purpose.value, note or None)
            except Exception as error:  # offline, refused: the cache answers instead
                problem = str(getattr(error, "key", "counter.query.central_failed"))
            else:
                problem = None
                if found is not None:
                    record = record_from_dict(found)
                    self.store.card_cache.put(record, source="lookup")
        cached = self.store.card_cache.get(holder_id)
        known = self.known_record(holder_id)
        if isinstance(known, Refusal):
            return known
        pending = tuple(
            (item.kind, item.made_at)
            for item in self.store.outbox.for_holder(holder_id)
            if item.status in UNSENT
        )
        if cached is not None:
            source = "central" if problem is None and cached.source == "lookup" else "cache"
        else:
            source = "none"
        return QueryAnswer(
            holder_masked=mask_identity(holder_id),
            record=known,
            source=source,
            fetched_at=cached.fetched_at if cached is not None else None,
            pending=pending,
            central_problem=problem,
        )

    # -- the one path every command takes ------------------------------------------------------

    def _at_card_bank(self, record: CardRecord, given: bool | None) -> bool:
        if given is not None:
            return given
        return bool(self.desk.bank) and record.bank == self.desk.bank

    def _take(
        self,
        holder: IdentityNumber,
        make: Callable[[CardRecord], Command],
        *,
        why: str,
        applicant: tuple[ApplicantAction, Applicant] | None = None,
        extra: Mapping[str, Any] | None = None,
        dry_run: bool = False,
    ) -> Checked:
        """Decide `make(record)` on the known record; unless `dry_run`, queue and audit it."""
        holder_id = holder.number
        record = self.known_record(holder_id)
        if isinstance(record, Refusal):
            return record
        command = make(record)
        allowed = permission(self.desk.role, self.desk.place, command)
        if not allowed.allowed:
            assert allowed.reason is not None
            return Refusal(allowed.reason.value, f"domain.refusal.{allowed.reason.value}")
        if applicant is not None and holder.birth_date is not None:
            action, who = applicant
            problems = check_applicant(
                action,
                holder_kind=holder.kind,
                holder_birth_date=holder.birth_date,
                on=self.today(),
                presenter=who.presenter,
                holder_has_legal_capacity=who.holder_has_legal_capacity,
                guardianship_proof=who.guardianship_proof,
                presenter_birth_date=who.presenter_birth_date,
            )
            if problems:
                return Refusal.from_domain(*problems)
        decision = decide(record, command)
        if isinstance(decision, Refused):
            return Refusal.from_domain(decision)
        merged = isinstance(decision, Merged)
        if isinstance(command, Apply) and not merged:
            missing_photo = photo_problem(command)
            if missing_photo is not None:
                return Refusal.from_domain(refused(missing_photo))
        fee = (
            FeeDecision(0, FeeReason.NOT_CHARGED_SERVICE)
            if merged
            else fee_for(command, record, self.today(), self.replacement_fee_yuan)
        )
        instant = isinstance(command, Apply) and command.speed is IssuanceSpeed.INSTANT
        due = None
        if isinstance(command, Apply) and not instant and not merged:
            due = due_date(command.accepted_on, overrides=self.calendar_overrides)
        old_account_closes = None
        if not merged and collection_changes_bank(record, command):
            assert isinstance(command, ConfirmCollection)
            old_account_closes = due_date(
                command.collected_on,
                OLD_ACCOUNT_CLOSING_WORKING_DAYS,
                overrides=self.calendar_overrides,
            )
        cancelled_by = None
        if isinstance(command, Cancel) and not merged:
            cancelled_by = due_date(
                self.today(), CANCELLATION_WORKING_DAYS, overrides=self.calendar_overrides
            )
        preview = Preview(
            command=command,
            holder_masked=mask_identity(holder_id),
            record_before=record,
            record_after=decision.record,
            fee=fee,
            due=due,
            instant=instant,
            merged=merged,
            old_account_closes=old_account_closes,
            cancelled_by=cancelled_by,
        )
        if dry_run:
            return preview
        payload = command_to_dict(command)
        item = self.store.outbox.enqueue(
            command.kind,
            holder_id,
            payload,
            base_version=record.version,
            actor=self.desk.staff_id,
            device=self.desk.device,
            branch=self.desk.branch,
        )
        # From here the request is accepted: the audit entry follows the durable enqueue.
        detail: dict[str, Any] = {
            "outbox_id": item.id,
            "command": payload,
            "base_version": record.version,
            "outcome": decision.outcome,
            "fee_yuan": fee.amount_yuan,
        }
        if extra:
            detail.update(extra)
        entry = self.store.audit.record(
            f"counter.{command.kind}",
            actor=self.desk.staff_id,
            holder_id=holder_id,
            reason=why,
            device=self.desk.device,
            branch=self.desk.branch,
            detail=detail,
        )
        return Accepted(
            outbox_id=item.id,
            seq=item.seq,
            audit_n=entry.n,
            **{f: getattr(preview, f) for f in PREVIEW_FIELDS},
        )


def verify_approver(sync: Any, staff_id: str, password: str) -> Refusal | None:
    """Check the approving supervisor's password and role with the staff login (the central when
    it answers, else this device's offline verifier; failures count towards the lock-out).
    `None` when the approver is a supervisor who typed the right password."""
    from sync.auth import LoginError

    try:
        session = sync.authenticator().login(staff_id, password)
    except LoginError:
        return Refusal.of_counter(CounterRefusal.APPROVER_NOT_VERIFIED)
    if str(session.role) != Role.SUPERVISOR.value:
        return Refusal.of_counter(CounterRefusal.APPROVER_NOT_SUPERVISOR)
    return None


def central_lookup_for(sync: Any) -> CentralLookup:
    """A `CentralLookup` through the sync service's client (`POST /v1/lookups`, audited there).

    A 404 `not_found` is "no record"; every other failure is raised as the client's typed error.
    """

    def lookup(holder_id: str, purpose: str, note: str | None) -> Mapping[str, Any] | None:
        from sync.client import CentralRejected
        from sync.protocol import API_PREFIX

        body: dict[str, Any] = {"holder_id": holder_id, "purpose": purpose}
        if note:
            body["note"] = note[:200]
        with sync.client() as client:
            try:
                answer = client.request("POST", f"{API_PREFIX}/lookups", body=body)
            except CentralRejected as error:
                if error.status == 404 and error.code == "not_found":
                    return None
                raise
        record = answer.get("record") if isinstance(answer, dict) else None
        return record if isinstance(record, dict) else None

    return lookup
