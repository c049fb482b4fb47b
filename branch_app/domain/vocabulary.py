"""The domain's vocabulary: every word the parts share, defined once.

The protocol's models, the central, the store, the sync engine and the UI all use these enums;
nothing else defines a role, a place, a purpose, an outcome or a status. Each refusal code has its
text in both languages in the catalogs (`domain.refusal.<code>`, `counter.refusal.<code>`);
nothing here carries prose.
"""

from __future__ import annotations

from enum import StrEnum

# --- who and where ------------------------------------------------------------------------------


class Role(StrEnum):
    """A member of staff's role."""

    TELLER = "teller"
    HOME_VISIT = "home_visit"
    SUPERVISOR = "supervisor"


class Place(StrEnum):
    """Where a device is used, and so where a command is taken."""

    BRANCH = "branch"
    INSTANT_BRANCH = "instant_branch"  # a branch that can issue cards in 5-10 minutes
    HOME_VISIT = "home_visit"


class Presenter(StrEnum):
    """Who stands at the counter for the holder."""

    HOLDER = "holder"
    GUARDIAN = "guardian"
    AGENT = "agent"


class ApplicantAction(StrEnum):
    APPLY = "apply"  # a first application, a replacement or an exchange
    COLLECT = "collect"


class LookupPurpose(StrEnum):
    """Why a person's record is looked at; recorded in both audit journals."""

    COUNTER_SERVICE = "counter_service"
    APPLICATION = "application"
    LOSS_REPORT = "loss_report"
    UNLOCK = "unlock"
    REPLACEMENT_OR_EXCHANGE = "replacement_or_exchange"
    CANCELLATION = "cancellation"
    HOME_VISIT = "home_visit"
    CONFLICT_REVIEW = "conflict_review"
    HOLDER_ENQUIRY = "holder_enquiry"


# --- the card -----------------------------------------------------------------------------------


class CardState(StrEnum):
    """State of the person's live card; a replaced or exchanged card is dead and no longer here."""

    NO_CARD = "no_card"
    ACTIVE = "active"
    LOSS_REPORTED = "loss_reported"
    CANCELLED = "cancelled"


class FunctionStatus(StrEnum):
    """Status of one function of the card: `none` when the card has no such function."""

    NONE = "none"
    NORMAL = "normal"
    FROZEN = "frozen"
    CLOSED = "closed"


class ApplicationKind(StrEnum):
    FIRST = "first"
    REPLACEMENT = "replacement"
    EXCHANGE = "exchange"


class IssuanceSpeed(StrEnum):
    NORMAL = "normal"
    INSTANT = "instant"


class ApplicationStatus(StrEnum):
    IN_PRODUCTION = "in_production"
    READY = "ready"


class LossChannel(StrEnum):
    """Where a loss was reported. Whatever the channel, the report freezes both functions (seed:
    the fund accounts are suspended and every department freezes at once, 同步冻结)."""

    ONLINE = "online"
    GOVERNMENT_HOTLINE = "government_hotline"
    BANK_HOTLINE = "bank_hotline"
    CARD_BANK_BRANCH = "card_bank_branch"
    OTHER_BANK_BRANCH = "other_bank_branch"


class CancellationReason(StrEnum):
    DEATH = "death"
    LOSS_OF_ENTITLEMENT = "loss_of_entitlement"
    MOVED_OUT_OF_PROVINCE = "moved_out_of_province"
    EMIGRATION = "emigration"
    DISAPPEARANCE = "disappearance"


class ExchangeReason(StrEnum):
    DAMAGE = "damage"
    EXPIRY = "expiry"
    CARD_FACE_CHANGE = "card_face_change"
    READING_FAILURE = "reading_failure"
    CHANGE_OF_BANK = "change_of_bank"
    QUALITY_PROBLEM = "quality_problem"


class RefusalReason(StrEnum):
    """Why a command is refused: by the lifecycle, by role and place, by the applicant rules, for
    a missing document or a missing second person.

    Each code has a text in both languages under `domain.refusal.<code>`.
    """

    # lifecycle
    CARD_CANCELLED = "card_cancelled"
    HOLDER_DECEASED = "holder_deceased"  # cancelled on the holder's death: final
    NO_LIVE_CARD = "no_live_card"
    LIVE_CARD_EXISTS = "live_card_exists"
    APPLICATION_PENDING = "application_pending"
    NO_LOSS_REPORT = "no_loss_report"
    CARD_LOSS_REPORTED = "card_loss_reported"
    #: The central's, not the lifecycle's: an unlock made at a counter before a loss report the
    #: central received through the card agency's channels (online, a hotline) meanwhile; the
    #: card stays frozen and a supervisor decides (`central.service._lost_after`).
    LOST_AFTER_UNLOCK = "lost_after_unlock"
    NOT_LOSS_REPORTED = "not_loss_reported"
    REPLACEMENT_APPLIED = "replacement_applied"
    EXCHANGE_REASON_REQUIRED = "exchange_reason_required"
    EXCHANGE_REASON_NOT_ALLOWED = "exchange_reason_not_allowed"
    BANK_REQUIRED = "bank_required"
    SAME_BANK = "same_bank"
    NO_PENDING_APPLICATION = "no_pending_application"
    CARD_NOT_ISSUED_YET = "card_not_issued_yet"
    APPLICATION_ALREADY_ISSUED = "application_already_issued"
    CARD_NUMBER_MALFORMED = "card_number_malformed"
    CARD_NUMBER_UNCHANGED = "card_number_unchanged"
    DATE_BEFORE_ACCEPTANCE = "date_before_acceptance"
    CARD_REQUIRED = "card_required"  # unlock: the found card, read or its number typed
    CARD_NOT_CURRENT = "card_not_current"  # unlock: the card shown is not the record's card
    NOTHING_TO_CANCEL = "nothing_to_cancel"  # no card and no card in production
    NO_RECORD = "no_record"  # a contact change for a person the card agency does not know
    # roles and places
    ROLE_NOT_AT_PLACE = "role_not_at_place"
    INSTANT_NEEDS_INSTANT_BRANCH = "instant_needs_instant_branch"
    UNLOCK_NEEDS_BRANCH = "unlock_needs_branch"
    COLLECTION_NEEDS_BRANCH = "collection_needs_branch"
    ISSUED_BY_CARD_AGENCY = "issued_by_card_agency"
    NOT_ON_HOME_VISIT = "not_on_home_visit"
    # applicants
    GUARDIAN_REQUIRED = "guardian_required"
    GUARDIANSHIP_PROOF_MISSING = "guardianship_proof_missing"
    HOLDER_MUST_ATTEND = "holder_must_attend"
    AGENT_NOT_ALLOWED = "agent_not_allowed"
    AGENT_UNDER_18 = "agent_under_18"
    AGENT_AGE_UNKNOWN = "agent_age_unknown"
    HOLDER_COLLECTS = "holder_collects"
    # the photo on the card
    PHOTO_REQUIRED = "photo_required"
    PHOTO_RECEIPT_MALFORMED = "photo_receipt_malformed"
    # other documents
    DEATH_EVIDENCE_REQUIRED = "death_evidence_required"
    CARD_FACE_EVIDENCE_REQUIRED = "card_face_evidence_required"
    EVIDENCE_MALFORMED = "evidence_malformed"
    HOLDER_BIRTH_DATE_REQUIRED = "holder_birth_date_required"
    REPRESENTATIVE_DOCUMENT_REQUIRED = "representative_document_required"
    REPRESENTATIVE_DOCUMENT_INVALID = "representative_document_invalid"
    REPRESENTATIVE_IS_HOLDER = "representative_is_holder"
    MOBILE_MALFORMED = "mobile_malformed"
    CONTACT_REQUIRED = "contact_required"
    # a second person
    APPROVAL_REQUIRED = "approval_required"
    APPROVER_IS_REQUESTER = "approver_is_requester"
    APPROVER_NOT_SUPERVISOR = "approver_not_supervisor"


#: The refusals of the card lifecycle (`lifecycle.decide`): the state forbids the command. At the
#: central these are conflicts for a supervisor; every other refusal rejects the command.
LIFECYCLE_REFUSALS = frozenset(
    {
        RefusalReason.CARD_CANCELLED,
        RefusalReason.HOLDER_DECEASED,
        RefusalReason.NO_LIVE_CARD,
        RefusalReason.LIVE_CARD_EXISTS,
        RefusalReason.APPLICATION_PENDING,
        RefusalReason.NO_LOSS_REPORT,
        RefusalReason.CARD_LOSS_REPORTED,
        RefusalReason.NOT_LOSS_REPORTED,
        RefusalReason.REPLACEMENT_APPLIED,
        RefusalReason.EXCHANGE_REASON_REQUIRED,
        RefusalReason.EXCHANGE_REASON_NOT_ALLOWED,
        RefusalReason.BANK_REQUIRED,
        RefusalReason.SAME_BANK,
        RefusalReason.NO_PENDING_APPLICATION,
        RefusalReason.CARD_NOT_ISSUED_YET,
        RefusalReason.APPLICATION_ALREADY_ISSUED,
        RefusalReason.CARD_NUMBER_MALFORMED,
        RefusalReason.CARD_NUMBER_UNCHANGED,
        RefusalReason.DATE_BEFORE_ACCEPTANCE,
        RefusalReason.CARD_REQUIRED,
        RefusalReason.CARD_NOT_CURRENT,
        RefusalReason.NOTHING_TO_CANCEL,
        RefusalReason.NO_RECORD,
    }
)


#: Refusals that come from the card's state on the record (not from the request itself): on a
#: record the central has not confirmed they may change once it is asked.
RECORD_REFUSALS = frozenset(
    {
        RefusalReason.CARD_CANCELLED,
        RefusalReason.HOLDER_DECEASED,
        RefusalReason.NO_LIVE_CARD,
        RefusalReason.LIVE_CARD_EXISTS,
        RefusalReason.APPLICATION_PENDING,
        RefusalReason.NO_LOSS_REPORT,
        RefusalReason.CARD_LOSS_REPORTED,
        RefusalReason.NOT_LOSS_REPORTED,
        RefusalReason.REPLACEMENT_APPLIED,
        RefusalReason.SAME_BANK,
        RefusalReason.NO_PENDING_APPLICATION,
        RefusalReason.CARD_NOT_ISSUED_YET,
        RefusalReason.APPLICATION_ALREADY_ISSUED,
        RefusalReason.CARD_NOT_CURRENT,
        RefusalReason.NOTHING_TO_CANCEL,
        RefusalReason.NO_RECORD,
    }
)


class CounterRefusal(StrEnum):
    """Refusals of the counter itself (the lifecycle's are `RefusalReason`); text: `counter.refusal.*`."""

    PURPOSE_REQUIRED = "purpose_required"
    PURPOSE_UNKNOWN = "purpose_unknown"
    PENDING_ITEM_UNREADABLE = "pending_item_unreadable"
    APPROVER_NOT_VERIFIED = "approver_not_verified"
    NOT_AN_INSTANT_APPLICATION = "not_an_instant_application"
    #: A home-visit device's open batch holds the branch's limit of requests (issue 13).
    HOME_VISIT_BATCH_FULL = "home_visit_batch_full"
    #: A home-visit device's last successful sync is older than the branch allows (issue 13).
    HOME_VISIT_SYNC_OVERDUE = "home_visit_sync_overdue"
    #: The supervisor's approval of a batch that still holds unsent requests.
    HOME_VISIT_BATCH_UNSENT = "home_visit_batch_unsent"
    #: The supervisor's approval of a batch that holds no request.
    HOME_VISIT_BATCH_EMPTY = "home_visit_batch_empty"


# --- a request's way to the central and back ------------------------------------------------------


class OutboxStatus(StrEnum):
    """Where a queued request stands on this device."""

    PENDING = "pending"  # durable, not sent yet
    SENDING = "sending"  # in a push whose answer has not been recorded
    ACCEPTED = "accepted"  # applied (or a duplicate of an applied one) at the central
    MERGED = "merged"  # already true at the central
    CONFLICT = "conflict"  # refused by the card lifecycle at the central
    REJECTED = "rejected"  # malformed or not allowed at the central


#: Not answered by the central yet: the device's own pending work.
UNSENT = frozenset({OutboxStatus.PENDING, OutboxStatus.SENDING})
#: Answered for good by the central.
ANSWERED = frozenset(
    {OutboxStatus.ACCEPTED, OutboxStatus.MERGED, OutboxStatus.CONFLICT, OutboxStatus.REJECTED}
)
#: Answered but not taken: a supervisor closes each one.
REFUSED = frozenset({OutboxStatus.CONFLICT, OutboxStatus.REJECTED})


class Outcome(StrEnum):
    """What the central did with one pushed command."""

    APPLIED = "applied"  # applied; `version` is the new record version
    DUPLICATE = "duplicate"  # same id and body seen before: the first answer again
    MERGED = "merged"  # already true; nothing changed
    CONFLICT = "conflict"  # refused by the card lifecycle: `reason` and the current `record`
    REJECTED = "rejected"  # malformed or not allowed: `reason`


class RejectReason(StrEnum):
    """Why the central rejected a command (a conflict's reason is a `RefusalReason`)."""

    ID_REUSED = "id_reused"  # the id was used before with another body
    UNKNOWN_KIND = "unknown_kind"
    MALFORMED_PAYLOAD = "malformed_payload"  # payload does not make a valid domain command
    INVALID_HOLDER = "invalid_holder"  # holder_id is not a valid identity number
    UNKNOWN_ACTOR = "unknown_actor"  # actor is not a known, active staff member
    ACTOR_WRONG_BRANCH = "actor_wrong_branch"  # actor belongs to another branch
    DEVICE_MISMATCH = "device_mismatch"  # `device` is not the authenticated device
    BRANCH_MISMATCH = "branch_mismatch"  # `branch` is not the device's branch
    NOT_PERMITTED = "not_permitted"  # role/place may not do this (message says why)
    #: The maker's signature is missing, wrong, or by a key that is not (or no longer) the
    #: actor's on the sending device: the actor is not proven to have made the command.
    MAKER_NOT_PROVEN = "maker_not_proven"
    #: The command names a second person whose signature is missing, wrong, or by a key that is
    #: not (or no longer) theirs on the sending device.
    APPROVER_NOT_PROVEN = "approver_not_proven"
    INTERNAL_ERROR = "internal_error"  # the central failed; safe to retry later


class ConflictStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class ConflictDecision(StrEnum):
    """How a supervisor closes a conflict: history is never rewritten."""

    CORRECTED = "corrected"  # a new correcting command (given in the request) was applied
    UPHELD = "upheld"  # the central's state stands; the note says what the holder was told


class StuckReason(StrEnum):
    """Why a device of the branch needs its supervisor's look (the devices list, issue 13)."""

    NEVER_REPORTED = "never_reported"  # enrolled, but no sync of it ever reached the central
    NO_SYNC = "no_sync"  # nothing synced for longer than the central's `stuck_after_minutes`
    REFUSED_WAITING = "refused_waiting"  # requests the central refused, not closed yet
    AUDIT_REGRESSED = "audit_regressed"  # its audit journal went back (cut short or restored)


# --- home visits ---------------------------------------------------------------------------------


class VisitStatus(StrEnum):
    """Where a planned home visit stands (catalog `visits.status.<value>`)."""

    TO_DO = "to_do"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NOT_AT_HOME = "not_at_home"


#: A home visit that is over for the day (its list's progress counts it as finished).
VISIT_FINISHED = frozenset({VisitStatus.DONE, VisitStatus.NOT_AT_HOME})


class VisitNeed(StrEnum):
    """What the person needs from a home visit (catalog `visits.need.<value>`)."""

    APPLICATION = "application"
    LOSS_REPORT = "loss_report"
    DATA_CHANGE = "data_change"
    QUERY = "query"


class CentralKnew(StrEnum):
    """What the central answered when a home visit was planned."""

    RECORD = "record"  # its record is in the card cache, fetched for this visit
    NO_RECORD = "no_record"  # a person the central does not know (a first application)
