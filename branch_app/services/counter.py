"""The teller's services as an application service: check, queue durably, audit, answer.

Every counter action follows the same path (docs/ARCHITECTURE.md, "Counter services"):

1. the holder's ID number is checked (`parse_identity`);
2. the holder's record is the cached one (`store.card_cache`), or `CardRecord.new` for a person the
   device has never seen, with this device's own unsent outbox items for that person folded in, so
   two actions in a row see each other (a loss report, then the replacement);
3. the domain's one admission path, `admit` (`branch_app.domain.admission`): permission, the
   applicant and representative rules, the documents (the photo, the evidence), the second person,
   the lifecycle decision, in that order, with the consequences (fee, due date, old account
   closing, cancellation date); a refusal comes back as a `Refusal` and nothing is written;
4. admitted: the command is enqueued in the outbox (durable when `enqueue` returns), then an audit
   entry says who did what on whose record and why (`store.accept`: both in one step, a crash
   between the two mended at the next open), and the answer is an `Accepted` with the outbox
   id, the fee and, for an application, the due date (or "5-10 minutes" for an instant issuance).

Nothing here imports textual: the screens call it, and so can a script or a test. It takes the
store, the clock and who/where as arguments (the ports of `branch_app.services.ports`); it never
logs or raises with an ID number in it.

Cancellation by a teller needs a second person (`Permission.needs_second_person`): the command
names the approving supervisor (`Cancel.approved_by`), who must not be the teller; without one the
request is refused (`approval_required`) and nothing is queued. `verify_approver` checks the
supervisor's password and role with the staff login (online, or the offline verifier) first; the
audit entry says whether that check was made, and the central checks the approver again against
its staff table when the request arrives.

Every queued command is signed (issue 10: every command proves its maker) with the signing key of
the staff member on duty (`Desk.signer`, unlocked by their password at log-in), and a command that
names an approver with the approver's key too (`approve` gives it, unlocked by the password the
supervisor types at the counter); the central refuses a command without them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from branch_app.domain.admission import Approver, Maker, Policy, admit
from branch_app.domain.fees import DEFAULT_REPLACEMENT_FEE_YUAN, FeeDecision
from branch_app.domain.identity import (
    IdentityError,
    IdentityKind,
    IdentityNumber,
    mask_identity,
    parse_identity,
)
from branch_app.domain.lifecycle import (
    HOLDER_IN_PERSON,
    Applied,
    Apply,
    Cancel,
    CardRecord,
    Command,
    CommandFormatError,
    ConfirmCollection,
    ConfirmIssuance,
    Merged,
    Refused,
    ReportLoss,
    Unlock,
    command_from_dict,
    command_to_dict,
    decide,
    record_from_dict,
    refused,
)
from branch_app.domain.lifecycle import Applicant as Applicant  # the screens build it from here
from branch_app.domain.vocabulary import (
    RECORD_REFUSALS,
    UNSENT,
    ApplicationKind,
    CancellationReason,
    CounterRefusal,
    ExchangeReason,
    IssuanceSpeed,
    LookupPurpose,
    LossChannel,
    Place,
    RefusalReason,
    Role,
)
from branch_app.domain.workdays import DueDate

if TYPE_CHECKING:
    from branch_app.services.ports import (
        CentralAccess,
        Clock,
        CommandSigner,
        OfflineAllowance,
        Store,
    )
    from branch_app.store.outbox import OutboxItem, Signatures

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
    #: The staff member's signing key on this device, unlocked at their log-in: every command
    #: is signed with it when queued (the central takes no command without). None: unsigned.
    signer: CommandSigner | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Refusal:
    """Nothing was written. `message_key` is a catalog key to fill with `params`."""

    code: str
    message_key: str
    params: Mapping[str, str | int] = field(default_factory=dict)
    #: Further refusals found at the same time (the applicant rules can find several).
    more: tuple[Refusal, ...] = ()
    #: Decided offline on no record: this device does not know the person and the central
    #: could not be asked, so the refusal rests on what this device has (issue 12, bug 6).
    awaits_central: bool = False

    @property
    def accepted(self) -> bool:
        return False

    @classmethod
    def from_domain(cls, refusal: Refused) -> Refusal:
        """The domain's refusal, with the further reasons found at the same step."""
        return cls(
            refusal.reason.value,
            refusal.message_key,
            more=tuple(cls(r.value, f"domain.refusal.{r.value}") for r in refusal.also),
        )

    @classmethod
    def of_counter(cls, code: CounterRefusal, **params: str | int) -> Refusal:
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
    #: Decided on a record the central has not confirmed (a person this device does not know
    #: yet): the central checks the card's state again when the request is sent.
    awaits_central: bool = False
    #: The same request is already queued here, unsent: its reference. Nothing new is queued
    #: and no second fee is taken (issue 12, bug 12).
    queued_as: str | None = None

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
        return reference_of(self.seq, self.outbox_id)


def reference_of(seq: int, outbox_id: str) -> str:
    """A queued request's reference: the local sequence number and the id's start."""
    return f"{seq}-{outbox_id[:8].upper()}"


def purpose_of(why: str) -> LookupPurpose:
    """The lookup purpose of a counter service (its audit reason, `application:first:normal`)."""
    service, _, rest = why.partition(":")
    if service == "application":
        if rest.startswith("first"):
            return LookupPurpose.APPLICATION
        return LookupPurpose.REPLACEMENT_OR_EXCHANGE
    return {
        "loss_report": LookupPurpose.LOSS_REPORT,
        "unlock": LookupPurpose.UNLOCK,
        "cancellation": LookupPurpose.CANCELLATION,
    }.get(service, LookupPurpose.COUNTER_SERVICE)


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

    @property
    def known(self) -> bool:
        """Something is known of the person here: a record (the central's or cached) or this
        device's own queued requests. When not, `record` is only the blank starting point and
        must not be shown as if it were the person's (issue 12, bug 7)."""
        return self.source != "none" or bool(self.pending)


class CentralLookup(Protocol):
    """Asks the central for a person's record (an audited lookup); `None` when it has none.

    Fails only with the sync client's typed errors (`sync.client.CentralError`)."""

    def __call__(
        self,
        holder_id: str,
        purpose: LookupPurpose,
        note: str | None,
        holder_kind: IdentityKind | None = None,
    ) -> CardRecord | None: ...


class Counter:
    """The counter's services for one desk. Thread-safe as far as the store is (it is)."""

    def __init__(
        self,
        store: Store,
        desk: Desk,
        *,
        clock: Clock,
        replacement_fee_yuan: int = DEFAULT_REPLACEMENT_FEE_YUAN,
        calendar_overrides: Mapping[dt.date, bool] | None = None,
        central_lookup: CentralLookup | None = None,
        allowance: OfflineAllowance | None = None,
    ) -> None:
        self.store = store
        #: A home-visit device's limits (issue 13): None where none apply (no sync service).
        self.allowance = allowance
        self.desk = desk
        self.clock = clock
        self.policy = Policy(
            replacement_fee_yuan=replacement_fee_yuan, calendar_overrides=calendar_overrides
        )
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
        known = self._known(holder_id)
        return known if isinstance(known, Refusal) else known[0]

    def _fetch_unknown(
        self, holder: IdentityNumber, purpose: LookupPurpose
    ) -> tuple[CardRecord, bool] | Refusal:
        """The known record; for a person this device has no record of, the central is asked
        first (an audited lookup with the service's purpose), so that online the decision rests
        on the real record (issue 12, bug 6). Offline, or without a central, the device decides
        on what it has (`False`: not confirmed, the central checks again). A kept "no record"
        (version 0, from planning a home visit) is asked about again while the central answers,
        and stands for the central's word when it does not."""
        holder_id = holder.number
        known = self._known(holder_id)
        if isinstance(known, Refusal) or self.central_lookup is None:
            return known
        if known[1]:
            cached = self.store.card_cache.get(holder_id)
            if cached is None or cached.version > 0:
                return known
        from sync.client import CentralError  # loaded already: the lookup holds a client

        self.store.audit.record(
            "counter.lookup",
            actor=self.desk.staff_id,
            holder_id=holder_id,
            reason=purpose.value,
            device=self.desk.device,
            branch=self.desk.branch,
        )
        try:
            found = self.central_lookup(holder_id, purpose, None, holder_kind=holder.kind)
        except CentralError:
            return known  # offline: decided on what this device has, and said so
        if found is None:
            return known[0], True  # the central has no record: a new person, confirmed
        self.store.card_cache.put(found, source="lookup")
        return self._known(holder_id)

    def _known(self, holder_id: str) -> tuple[CardRecord, bool] | Refusal:
        """The known record, and whether it rests on a record the central sent (cached)."""
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
        return record, cached is not None

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
        evidence: str | None = None,
        dry_run: bool = False,
    ) -> Checked:
        """A first application, a replacement or an exchange, normal or instant, with the
        photo to print: a studio's photo receipt number, or the police ID photo. `applicant`
        says who came for the holder with which document (the holder in person by default);
        `evidence` is the police record an exchange for changed card-face data rests on."""
        command = Apply(
            application=application,
            speed=speed,
            accepted_on=self.today(),
            exchange_reason=exchange_reason,
            bank=bank or None,
            photo_receipt=(photo_receipt or "").strip().upper() or None,
            police_photo=police_photo and not photo_receipt,
            applicant=applicant or HOLDER_IN_PERSON,
            evidence=(evidence or "").strip() or None,
        )
        return self._take(
            holder,
            lambda _record: command,
            why=f"application:{application.value}:{speed.value}",
            dry_run=dry_run,
        )

    def report_loss(
        self, holder: IdentityNumber, *, at_card_bank: bool | None = None, dry_run: bool = False
    ) -> Checked:
        """A loss report in person; it freezes both functions wherever it is made. Where it was
        made (`at_card_bank`, by default: the record's bank is this desk's bank) is recorded."""
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
        self,
        holder: IdentityNumber,
        *,
        card_number: str | None = None,
        card_read: bool = False,
        at_card_bank: bool | None = None,
        dry_run: bool = False,
    ) -> Checked:
        """The holder found the card before applying for a replacement and brings it: its
        number, read from the chip (`card_read`) or typed from the card's face."""
        number = (card_number or "").strip().upper() or None
        return self._take(
            holder,
            lambda record: Unlock(
                at_card_bank=self._at_card_bank(record, at_card_bank),
                card_number=number,
                card_read=card_read and number is not None,
            ),
            why="unlock:card_found",
            dry_run=dry_run,
        )

    def cancel(
        self,
        holder: IdentityNumber,
        reason: CancellationReason,
        *,
        evidence: str | None = None,
        approved_by: str | None = None,
        approval_verified: bool = False,
        approver_signer: CommandSigner | None = None,
        dry_run: bool = False,
    ) -> Checked:
        """Cancel the card; a teller's request names the approving supervisor, a death the
        police record or death certificate number (`evidence`).

        `approval_verified` says that the approver's password and role were checked on this
        device (the screen does it with `approve`); it is kept in the audit entry. The
        approver is taken as the supervisor the request names; `approver_signer` is their
        signing key, unlocked by the password they typed (`Approval.signer`): the command
        carries their signature, without which the central refuses it."""
        approver = (approved_by or "").strip() or None
        command = Cancel(
            reason=reason, evidence=(evidence or "").strip() or None, approved_by=approver
        )
        return self._take(
            holder,
            lambda _record: command,
            why=f"cancellation:{reason.value}",
            dry_run=dry_run,
            approver=Approver(approver, Role.SUPERVISOR) if approver else None,
            approver_signer=approver_signer if approver else None,
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
            lambda _record: ConfirmCollection(
                collected_on=self.today(), applicant=applicant or HOLDER_IN_PERSON
            ),
            why="collection",
            dry_run=dry_run,
        )

    def take(
        self, holder: IdentityNumber, command: Command, *, why: str, dry_run: bool = False
    ) -> Checked:
        """Any command that needs nothing from the record to be built (a data change, 信息变更,
        is one): admitted, queued and audited like every other. `why` is the audit reason. A
        new service built on this needs no method of its own here."""
        return self._take(holder, lambda _record: command, why=why, dry_run=dry_run)

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
        Only the sync client's typed errors mean "the central cannot say now" (the cache
        answers, and why is said); anything else is a fault and propagates.
        """
        if not purpose:
            return Refusal.of_counter(CounterRefusal.PURPOSE_REQUIRED)
        try:
            purpose = LookupPurpose(purpose)
        except ValueError:
            return Refusal.of_counter(CounterRefusal.PURPOSE_UNKNOWN)
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
            from sync.client import CentralError  # loaded already: the lookup holds a client

            try:
                found = self.central_lookup(
                    holder_id, purpose, note or None, holder_kind=holder.kind
                )
            except CentralError as error:  # offline, refused: the cache answers instead
                problem = error.key
            else:
                problem = None
                if found is not None:
                    self.store.card_cache.put(found, source="lookup")
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

    def offline_limit(self) -> Refusal | None:
        """The refusal of any new request on a home-visit device whose open batch is full or
        whose last successful sync is too old (`visit_batch.offline_limit_refusal`), or None."""
        if self.allowance is None or self.desk.place is not Place.HOME_VISIT:
            return None
        from branch_app.services.visit_batch import limit_params, offline_limit_refusal

        limits = self.allowance.offline_limits()
        code = offline_limit_refusal(
            self.desk.place,
            limits,
            batch_open=self.allowance.batch_open(),
            last_sync=self.allowance.last_successful_sync(),
            now=self.clock(),
        )
        return None if code is None else Refusal.of_counter(code, **limit_params(limits))

    def _same_unsent(self, holder_id: str, command: Command) -> OutboxItem | None:
        """This device's unsent item making the same request (a repeat of it merges): the one
        with the same content, else the latest of the same kind."""
        payload = command_to_dict(command)
        same_kind = [
            item
            for item in self.store.outbox.for_holder(holder_id)
            if item.status in UNSENT and item.kind == command.kind
        ]
        for item in same_kind:
            if item.payload == payload:
                return item
        return same_kind[-1] if same_kind else None

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
        approver: Approver | None = None,
        approver_signer: CommandSigner | None = None,
        extra: Mapping[str, str | bool | None] | None = None,
        dry_run: bool = False,
    ) -> Checked:
        """Admit `make(record)` on the known record; unless `dry_run`, queue and audit it,
        signed by the desk's key (and the approver's, `approver_signer`). On a home-visit
        device beyond the branch's offline limits nothing is decided (`offline_limit`)."""
        over = self.offline_limit()
        if over is not None:
            return over
        holder_id = holder.number
        known = self._fetch_unknown(holder, purpose_of(why))
        if isinstance(known, Refusal):
            return known
        record, confirmed = known
        command = make(record)
        admitted = admit(
            command,
            record,
            holder=holder,
            maker=Maker(self.desk.staff_id, self.desk.role),
            place=self.desk.place,
            today=self.today(),
            approver=approver,
            record_confirmed=confirmed,
            policy=self.policy,
        )
        if isinstance(admitted, Refused):
            refusal = Refusal.from_domain(admitted)
            if not confirmed and admitted.reason in RECORD_REFUSALS:
                return replace(refusal, awaits_central=True)
            return refusal
        queued = self._same_unsent(holder_id, command) if admitted.merged else None
        preview = Preview(
            command=command,
            holder_masked=mask_identity(holder_id),
            record_before=record,
            record_after=admitted.record_after,
            fee=admitted.fee,
            due=admitted.due,
            instant=admitted.instant,
            merged=admitted.merged,
            old_account_closes=admitted.old_account_closes,
            cancelled_by=admitted.cancelled_by,
            awaits_central=admitted.awaits_central,
            queued_as=None if queued is None else reference_of(queued.seq, queued.id),
        )
        if dry_run:
            return preview
        if queued is not None:  # the same request again: nothing new is queued or charged
            return Accepted(
                outbox_id=queued.id,
                seq=queued.seq,
                **{f: getattr(preview, f) for f in PREVIEW_FIELDS},
            )
        payload = command_to_dict(command)
        detail: dict[str, Any] = {
            "command": payload,
            "base_version": record.version,
            "outcome": admitted.decision.outcome,
            "fee_yuan": admitted.fee.amount_yuan,
        }
        if extra:
            detail.update(extra)
        # One step: the durable enqueue, then its audit entry (with the outbox id); the item
        # keeps the entry's content, so a crash between the two is mended at the next open.
        item, entry = self.store.accept(
            command.kind,
            holder_id,
            payload,
            base_version=record.version,
            actor=self.desk.staff_id,
            device=self.desk.device,
            branch=self.desk.branch,
            holder_kind=holder.kind,  # the central reads the number with it (a passport)
            action=f"counter.{command.kind}",
            reason=why,
            detail=detail,
            sign=signing(self.desk.signer, approver_signer),
        )
        return Accepted(
            outbox_id=item.id,
            seq=item.seq,
            audit_n=entry.n if entry is not None else 0,  # 0: owed, written from the item
            **{f: getattr(preview, f) for f in PREVIEW_FIELDS},
        )


def signing(
    maker: CommandSigner | None, approver: CommandSigner | None = None
) -> Callable[[OutboxItem], Signatures] | None:
    """What signs a new outbox item: the maker's key, and the approver's where there is one
    (None: no key, the item goes unsigned and the central will refuse it)."""
    if maker is None and approver is None:
        return None

    def sign(item: OutboxItem) -> Signatures:
        from branch_app.store.outbox import Signatures
        from sync.protocol import APPROVER, MAKER

        return Signatures(
            maker=None if maker is None else maker.sign(item, MAKER),
            approver=None if approver is None else approver.sign(item, APPROVER),
        )

    return sign


@dataclass(frozen=True)
class Approval:
    """A second person verified at the counter: who, and their signing key on this device
    (unlocked by the password they typed; None when this device has none for them)."""

    staff_id: str
    signer: CommandSigner | None = field(default=None, repr=False, compare=False)


def approve(sync: CentralAccess, staff_id: str, password: str) -> Approval | Refusal:
    """Check the approving supervisor's password and role with the staff login (the central when
    it answers, else this device's offline verifier; failures count towards the lock-out); an
    `Approval` with their signing key when they are a supervisor who typed the right password."""
    from sync.auth import LoginError

    try:
        session = sync.authenticator().login(staff_id, password)
    except LoginError:
        return Refusal.of_counter(CounterRefusal.APPROVER_NOT_VERIFIED)
    if session.role != Role.SUPERVISOR:
        return Refusal.from_domain(refused(RefusalReason.APPROVER_NOT_SUPERVISOR))
    signer: CommandSigner | None = getattr(session, "signer", None)  # a test's fake has none
    return Approval(session.staff_id, signer)


def verify_approver(sync: CentralAccess, staff_id: str, password: str) -> Refusal | None:
    """`approve`, for a caller that needs only the yes or no: `None` when the approver is a
    supervisor who typed the right password."""
    answer = approve(sync, staff_id, password)
    return answer if isinstance(answer, Refusal) else None


#: Told the name the central gave with a holder's record (`learn_name(holder_id, name)`), in the
#: thread the lookup ran in: the customer session being served learns it (masked on screen,
#: revealed only audited). The name is never cached with the record nor logged.
NameListener = Callable[[str, str], None]


def central_lookup_for(
    sync: CentralAccess, *, learn_name: NameListener | None = None
) -> CentralLookup:
    """A `CentralLookup` through the sync service's client (an audited lookup at the central).

    The central's "no record" is `None`; every failure is raised as the client's typed error.
    The holder's name, when the central knows it, goes to `learn_name` only: every lookup the
    counter makes (a query, the fetch before deciding on a person it does not know) hands it
    to the customer session that way."""

    def lookup(
        holder_id: str,
        purpose: LookupPurpose,
        note: str | None,
        holder_kind: IdentityKind | None = None,
    ) -> CardRecord | None:
        from sync.protocol import LookupRequest

        request = LookupRequest(
            holder_id=holder_id,
            holder_kind=holder_kind,
            purpose=purpose,
            note=note[:200] if note else None,
        )
        with sync.client() as client:
            answer = client.lookup(request)
        if answer is None:
            return None
        if answer.name and learn_name is not None:
            learn_name(holder_id, answer.name)
        return record_from_dict(answer.record)

    return lookup
