"""The outbox: every command a teller issued, durable before the UI says "accepted".

Each item has a client-made id (the idempotency key the central service deduplicates on), the
command's kind and payload (`command_to_dict` form), the card record version it was based on,
who made it on which device at which branch, when (wall clock and a local sequence number that
never repeats, even across restarts and archiving), and a status:

    pending -> sending -> accepted | merged | conflict | rejected
                  \\-> pending (a failed attempt: attempts + 1, last_error)

Conflicts and rejections stay in the live file (quarantined, with the central's reason) for the
supervisor. Accepted and merged items move to monthly archive files once there are enough of
them, so the live file stays small; nothing leaves the live file before the central answered.

What a sync batch costs here (the engine marks and answers 500 items at a time, on a thread
beside its requests): `sending` marks are kept in memory only (stored items stay `pending`, sent
alike after a crash) and written at a clean close; answers that all go to the archive are made
durable by the archive part's one write, and the live file's removal of them rides on its next
write (an enqueue) or the close. A crash in between leaves them in both files; the next open
keeps the archive's copy (`_reconcile_with_archive`).

In the file, the holder's ID number and its document kind, the payload, the last error and the
central's answer are AES-GCM encrypted; the card is known only by its keyed hash (`card`), which is what keeps
commands of one card in order without decrypting anything.

The plain fields (id, kind, card, actor, device, branch, when, status, base
version, attempts and the supervisor's closing) are bound by `mac`, an HMAC under a key derived
from the data key (`KeySet.meta_mac`), renewed with every change: editing the file to change who
made a request, or to mark it accepted, makes the outbox refuse to open (StoreCorrupt naming the
item), and `store check` names it. Items written before the mac get it once, at open.

An item made at the counter also keeps its audit entry's content (`audit`, sealed): if a crash
comes between the durable enqueue and the audit append, the next open writes the entry from it,
marked `recovered` (`LocalStore.recover_audit_entries`).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from tinydb import TinyDB
from tinydb.table import Table

from branch_app.domain.identity import IdentityKind
from branch_app.domain.vocabulary import ANSWERED, REFUSED, UNSENT, OutboxStatus
from branch_app.store.crypto import KeySet
from branch_app.store.errors import DecryptionFailed, StoreCorrupt, StoreWriteFailed, UnknownItem
from branch_app.store.storage import AtomicJSONStorage

if TYPE_CHECKING:
    from branch_app.store.archive import OutboxArchive

Clock = Callable[[], datetime]

log = logging.getLogger(__name__)


#: Answered for good by the central: these may leave the live file for the archive.
ARCHIVABLE = frozenset({OutboxStatus.ACCEPTED, OutboxStatus.MERGED})

TABLE = "items"
#: The plain fields the metadata mac covers.
MAC_FIELDS = (
    "id",
    "kind",
    "card",
    "actor",
    "device",
    "branch",
    "made_at",
    "status",
    "base_version",
    "attempts",
    "closed_at",
    "closed_by",
)


def meta_canonical(doc: Mapping[str, Any]) -> bytes:
    """The bytes an item's metadata mac covers (absent fields as null)."""
    return orjson.dumps({key: doc.get(key) for key in MAC_FIELDS}, option=orjson.OPT_SORT_KEYS)


def seal_meta(doc: dict[str, Any], keys: KeySet) -> None:
    """(Re)compute the item's metadata mac under the current data key, in place."""
    doc["mac"] = keys.meta_mac(meta_canonical(doc))


def meta_problem(doc: Mapping[str, Any], keys: KeySet) -> str | None:
    """Why an item's plain fields cannot be trusted, or None (an item without a mac: None)."""
    if "mac" not in doc:
        return None
    if not keys.meta_mac_ok(doc["mac"], meta_canonical(doc)):
        return (
            f"item {doc.get('id')}: its plain fields (actor, kind, device, branch, status) "
            "were changed in the file"
        )
    return None


def archivable(doc: Mapping[str, Any]) -> bool:
    """Answered for good (accepted, merged), or a quarantined item a supervisor has closed."""
    return doc["status"] in ARCHIVABLE or (doc["status"] in REFUSED and bool(doc.get("closed_at")))


_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "seq": int,
    "kind": str,
    "card": str,
    "holder": str,
    "payload": str,
    "actor": str,
    "device": str,
    "branch": str,
    "made_at": str,
    "status": str,
    "attempts": int,
}


@dataclass(frozen=True)
class OutboxItem:
    """One queued command as the rest of the application sees it (decrypted)."""

    id: str
    seq: int
    kind: str
    holder_id: str
    payload: dict[str, Any]
    base_version: int | None
    actor: str
    device: str
    branch: str
    made_at: str
    status: str
    attempts: int
    last_error: str | None
    result: dict[str, Any] | None
    #: The document the holder's number comes from (a passport number is read only with it);
    #: None for an item queued before the kind was kept: the number is read by its form.
    holder_kind: IdentityKind | None = None
    #: The maker's signature (and the approver's, for a command that names one), made when the
    #: item was queued over what the central will see (`sync.protocol.signing_bytes`); None for
    #: an item queued unsigned (before signing keys, or without a key).
    signature: str | None = None
    approver_signature: str | None = None

    @property
    def finished(self) -> bool:
        return self.status not in UNSENT


def utc_iso(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, the form used on the wire."""
    if moment.tzinfo is None:
        raise ValueError("the clock must return timezone-aware datetimes")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def doc_problem(doc: Mapping[str, Any]) -> str | None:
    """What is wrong with a stored item's shape, or None (used on open and by recovery)."""
    for key, kind in _REQUIRED.items():
        value = doc.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return f"field {key!r} missing or of the wrong type"
    if doc["status"] not in OutboxStatus.__members__.values():
        return f"unknown status {doc['status']!r}"
    base = doc.get("base_version")
    if base is not None and (not isinstance(base, int) or isinstance(base, bool)):
        return "field 'base_version' of the wrong type"
    if not isinstance(doc.get("holder_kind"), str | None):  # absent: queued before it was kept
        return "field 'holder_kind' of the wrong type"
    return None


def _check_command(command: Mapping[str, Any]) -> None:
    """Refuse a command the outbox could not send (before anything is written)."""
    kind, holder_id = command.get("kind"), command.get("holder_id")
    if not kind or not isinstance(kind, str):
        raise ValueError("a command needs a kind")
    if not holder_id or not isinstance(holder_id, str):
        raise ValueError("a command needs the holder's ID number")
    holder_kind = command.get("holder_kind")
    if holder_kind is not None and not isinstance(holder_kind, IdentityKind):
        raise TypeError("holder_kind must be an IdentityKind or None")
    if not isinstance(command.get("payload"), Mapping):
        raise TypeError("the payload must be a mapping (command_to_dict form)")
    base = command.get("base_version")
    if base is not None and (not isinstance(base, int) or isinstance(base, bool)):
        raise TypeError("base_version must be an integer or None")
    for name in ("actor", "device", "branch"):
        if not isinstance(command.get(name), str):
            raise TypeError(f"{name} must be text")


def _with_status(item: OutboxItem, status: str) -> OutboxItem:
    """`replace(item, status=status)` without dataclasses.replace's per-field work (measured:
    a third of `mark_sending`'s time for a batch of 500)."""
    copy = object.__new__(OutboxItem)
    copy.__dict__.update(item.__dict__)
    copy.__dict__["status"] = status
    return copy


@dataclass(frozen=True)
class Signatures:
    """What a `Signer` gives for a new item: the maker's signature and the approver's."""

    maker: str | None = None
    approver: str | None = None


#: Signs a new item once its id and time are known (`Outbox.enqueue`'s `sign`).
Signer = Callable[[OutboxItem], Signatures]


class Outbox:
    """The outbox over one crash-safe TinyDB file. Thread-safe; see the module docstring."""

    def __init__(
        self,
        storage: AtomicJSONStorage,
        keys: KeySet,
        *,
        clock: Clock,
        lock: threading.RLock,
        archive: OutboxArchive | None = None,
        archive_threshold: int = 200,
    ) -> None:
        self._storage = storage
        self._keys = keys
        self._clock = clock
        self._lock = lock
        self._archive = archive
        self.archive_threshold = archive_threshold
        self._decoded: dict[str, OutboxItem] = {}
        #: Items marked `sending` (id -> when), kept in memory only: their stored status stays
        #: `pending` (sent alike after a crash) until a clean close writes the marks.
        self._sending: dict[str, str] = {}
        #: Items moved to a durable archive part whose removal the live file on disk may still
        #: lack (its write deferred or failed): dropped again if memory is reloaded from the file.
        self._unwritten: dict[str, dict[str, Any]] = {}
        #: Whether parts written just before a crash have been matched with the live file.
        self._reconciled = False
        self._reindex()
        if not keys.meta_macs:
            self._add_missing_macs()

    def _add_missing_macs(self) -> None:
        """Give every item written before the metadata mac its mac (one durable write, when
        any lacks it). Only while the keyring's key entry does not yet say that every item has
        one (`KeySet.meta_macs`, set by the store once this is done): a flag in the file could be
        removed along with a mac."""
        if all("mac" in doc for doc in self._raw().values()):
            return

        def change() -> None:
            for doc in self._live_table().values():
                if "mac" not in doc:
                    seal_meta(doc, self._keys)
            self._storage.mark_dirty()

        self._write(change)

    # -- bookkeeping --------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self._storage.path

    def _reindex(self) -> None:
        """Build the id index from the file (on open, and after an aborted write)."""
        self._db = TinyDB(storage=lambda: self._storage)
        self._table: Table = self._db.table(TABLE, cache_size=0)
        self._by_id: dict[str, int] = {}
        self._decoded.clear()
        raw = self._storage.read().get(TABLE, {})
        meta = self._storage.meta
        for doc_id, doc in raw.items():
            problem = doc_problem(doc)
            if problem is None and int(doc_id) != doc["seq"]:
                problem = "record number and sequence number differ"
            if problem is None and doc["id"] in self._by_id:
                problem = f"item {doc['id']} appears twice"
            if problem is None and "mac" not in doc and self._keys.meta_macs:
                problem = f"item {doc['id']}: its metadata mac was removed"
            if problem is None:
                problem = meta_problem(doc, self._keys)
            if problem is not None:
                raise StoreCorrupt(self._storage.path, f"outbox record {doc_id}: {problem}")
            self._by_id[doc["id"]] = doc["seq"]
        highest = max(self._by_id.values(), default=0)
        if int(meta.get("next_seq", 1)) <= highest:
            meta["next_seq"] = highest + 1
        pending = OutboxStatus.PENDING.value
        self._sending = {
            item_id: when
            for item_id, when in self._sending.items()
            if item_id in self._by_id and raw[str(self._by_id[item_id])]["status"] == pending
        }
        # Archived durably, but the file read back still holds them: they leave memory again,
        # and the live file follows with its next write (or the next open reconciles).
        again = [
            doc
            for doc in self._unwritten.values()
            if raw.get(str(doc["seq"]), {}).get("id") == doc["id"]
        ]
        if again:
            with self._storage.deferred():
                self._drop_archived(again)
            for doc in again:
                self._by_id.pop(doc["id"], None)

    def _raw(self) -> dict[str, dict[str, Any]]:
        return self._storage.read().get(TABLE, {})

    def _live_table(self) -> dict[str, dict[str, Any]]:
        """The stored table itself, changed in place inside a transaction (TinyDB's own update
        rebuilds the whole table twice per call, which a sync batch cannot afford at 10,000
        items); the change reaches the disk through `mark_dirty` and the transaction's write."""
        return self._storage.read().setdefault(TABLE, {})

    def _doc(self, item_id: str) -> dict[str, Any]:
        seq = self._by_id.get(item_id)
        if seq is None:
            raise UnknownItem(item_id)
        return self._raw()[str(seq)]

    def _decode(self, doc: Mapping[str, Any]) -> OutboxItem:
        cached = self._decoded.get(doc["id"])
        if cached is not None:
            return cached
        item = decode_item(doc, self._keys, self._storage.path)
        if item.id in self._sending and item.status == OutboxStatus.PENDING:
            item = _with_status(item, OutboxStatus.SENDING.value)
        self._decoded[item.id] = item
        return item

    def _status(self, doc: Mapping[str, Any]) -> str:
        """The item's status, with a `sending` mark kept in memory."""
        status: str = doc["status"]
        if status == OutboxStatus.PENDING and doc["id"] in self._sending:
            return OutboxStatus.SENDING.value
        return status

    def _write(self, change: Callable[[], None]) -> None:
        """Apply `change` as one durable write (unless inside `deferred()`); on failure memory
        matches the file again."""
        try:
            with self._storage.transaction():
                change()
        except BaseException:
            self._reindex()
            raise
        if not self._storage.has_deferred:
            self._unwritten.clear()  # the live file on disk has left them out too

    # -- the contract -------------------------------------------------------------------------

    def enqueue(
        self,
        kind: str,
        holder_id: str,
        payload: Mapping[str, Any],
        *,
        base_version: int | None,
        actor: str,
        device: str,
        branch: str,
        holder_kind: IdentityKind | None = None,
        audit: Mapping[str, Any] | None = None,
        sign: Signer | None = None,
    ) -> OutboxItem:
        """Queue a command; it is on disk (fsynced) when this returns. `holder_kind` is the
        document the holder's number comes from (the central reads the number with it);
        `audit` ({action, reason, detail}) the audit entry to write for it, kept sealed so
        that the next open can write it if a crash comes first; `sign` is called with the new
        item (its id and time made known) and gives its signatures, kept sealed with it."""
        return self.enqueue_many(
            [
                {
                    "kind": kind,
                    "holder_id": holder_id,
                    "holder_kind": holder_kind,
                    "payload": payload,
                    "base_version": base_version,
                    "actor": actor,
                    "device": device,
                    "branch": branch,
                    "audit": audit,
                    "sign": sign,
                }
            ]
        )[0]

    def enqueue_many(self, commands: Iterable[Mapping[str, Any]]) -> list[OutboxItem]:
        """Queue several commands all-or-nothing in one durable write (a teller's action that
        issues more than one command). Each mapping holds `enqueue`'s arguments by name."""
        commands = list(commands)
        for command in commands:
            _check_command(command)
        with self._lock:
            first = int(self._storage.meta.get("next_seq", 1))
            made_at = utc_iso(self._clock())
            made = [
                self._new_item(seq, made_at, command)
                for seq, command in enumerate(commands, start=first)
            ]
            if not made:
                return []

            def change() -> None:
                table = self._live_table()
                for doc, _ in made:
                    if str(doc["seq"]) in table:
                        raise ValueError(f"sequence number {doc['seq']} is taken")
                    table[str(doc["seq"])] = doc
                self._storage.mark_dirty()
                self._storage.meta["next_seq"] = first + len(made)

            self._write(change)
            for doc, item in made:
                self._by_id[item.id] = doc["seq"]
                self._decoded[item.id] = item
            return [item for _, item in made]

    def _new_item(
        self, seq: int, made_at: str, command: Mapping[str, Any]
    ) -> tuple[dict[str, Any], OutboxItem]:
        """The stored (encrypted) form of a new command and the item handed back."""
        item_id = uuid.uuid4().hex
        holder_id: str = command["holder_id"]
        holder_kind: IdentityKind | None = command.get("holder_kind")
        payload = dict(command["payload"])
        item = OutboxItem(
            id=item_id,
            seq=seq,
            kind=command["kind"],
            holder_id=holder_id,
            payload=payload,
            base_version=command["base_version"],
            actor=command["actor"],
            device=command["device"],
            branch=command["branch"],
            made_at=made_at,
            status=OutboxStatus.PENDING.value,
            attempts=0,
            last_error=None,
            result=None,
            holder_kind=holder_kind,
        )
        sign: Signer | None = command.get("sign")
        signatures = sign(item) if sign is not None else Signatures()
        if signatures.maker or signatures.approver:
            item = replace(item, signature=signatures.maker, approver_signature=signatures.approver)
        doc = {
            "id": item_id,
            "seq": seq,
            "kind": item.kind,
            "card": self._keys.card_key(holder_id),
            "holder": self._keys.encrypt(holder_id, f"outbox:{item_id}:holder"),
            "holder_kind": (
                None
                if holder_kind is None
                else self._keys.encrypt(holder_kind.value, f"outbox:{item_id}:holder_kind")
            ),
            "payload": self._keys.encrypt(payload, f"outbox:{item_id}:payload"),
            "base_version": item.base_version,
            "actor": item.actor,
            "device": item.device,
            "branch": item.branch,
            "made_at": made_at,
            "status": item.status,
            "attempts": 0,
            "last_error": None,
            "result": None,
            "updated_at": made_at,
        }
        intent = command.get("audit")
        if intent is not None:
            doc["audit"] = self._keys.encrypt(
                {
                    "action": str(intent["action"]),
                    "reason": str(intent.get("reason", "")),
                    "detail": dict(intent.get("detail") or {}),
                },
                f"outbox:{item_id}:audit",
            )
        if item.signature or item.approver_signature:
            doc["signatures"] = self._keys.encrypt(
                {"maker": item.signature, "approver": item.approver_signature},
                f"outbox:{item_id}:signatures",
            )
        seal_meta(doc, self._keys)
        return doc, item

    def sendable(self, limit: int) -> list[OutboxItem]:
        """Unfinished items oldest first, never one whose card has an earlier item left out.

        Every unfinished item may be sent, so the first `limit` of them in sequence order is
        exactly the answer: an item is left out only when the list is full, and then every
        later item is left out too, so no card's later command overtakes an earlier one.
        `sending` items are included: they are what a crash left in flight, and the central
        recognises a repeat by its id.
        """
        if limit <= 0:
            return []
        with self._lock:
            chosen: list[OutboxItem] = []
            for doc in self._in_seq_order():
                if doc["status"] not in UNSENT:
                    continue
                chosen.append(self._decode(doc))
                if len(chosen) >= limit:
                    break
            return chosen

    def mark_sending(self, ids: Iterable[str]) -> None:
        """Note that these items are on their way (a crash leaves them to be sent again).

        Kept in memory only, and written at a clean close: `sending` and `pending` are sent
        alike, so losing the marks in a crash changes nothing. The stored item stays as it was
        (still `pending`, its mac unchanged), so a batch's marks cost no mac and no write; the
        answer that follows replaces them (the engine marks 500 items per batch)."""
        ids = list(ids)
        with self._lock:
            docs = [self._doc(i) for i in ids]
            now = utc_iso(self._clock())
            sending = OutboxStatus.SENDING.value
            for doc in docs:
                item_id = doc["id"]
                if doc["status"] != OutboxStatus.PENDING or item_id in self._sending:
                    continue
                self._sending[item_id] = now
                # The decrypted copy stays valid: only the status changed (no decryption again).
                cached = self._decoded.get(item_id)
                if cached is not None:
                    self._decoded[item_id] = _with_status(cached, sending)

    def record_results(self, results: Iterable[Any]) -> None:
        """Store the central's answers (mappings or objects with id, status, version, reason,
        message, record). An answer for an item already answered, or already archived, is
        ignored: the central repeats its first answer to a resent command anyway."""
        results = list(results)
        with self._lock:
            now = utc_iso(self._clock())
            updates: list[tuple[int, dict[str, Any]]] = []
            # one batch is 500 answers: the loop's lookups are made once
            live, seq_of, encrypt = self._raw(), self._by_id.get, self._keys.encrypt
            for result in results:
                if type(result) is dict or isinstance(result, Mapping):
                    field = result.get
                else:
                    field = partial(getattr, result)
                item_id = str(field("id", None))
                status = str(field("status", None))
                if status not in ANSWERED:
                    raise ValueError(f"unknown result status {status!r} for item {item_id}")
                seq = seq_of(item_id)
                if seq is None:
                    if self._archive is not None and self._archive.contains(item_id):
                        continue
                    raise UnknownItem(item_id)
                if live[str(seq)]["status"] not in UNSENT:
                    continue
                answer = {
                    "version": field("version", None),
                    "reason": field("reason", None),
                    "message": field("message", None),
                    "record": field("record", None),
                }
                updates.append(
                    (
                        seq,
                        {
                            "status": status,
                            "result": encrypt(answer, f"outbox:{item_id}:result"),
                            "updated_at": now,
                        },
                    )
                )
                self._decoded.pop(item_id, None)
                self._sending.pop(item_id, None)
            if not updates:
                return
            moved: list[dict[str, Any]] = []

            def change() -> None:
                self._update_each(updates)
                archivable = self._archivable() if self._archive is not None else []
                if archivable and len(archivable) >= self.archive_threshold:
                    # Archive first, then the live file with the answers and without the
                    # archived items. If the archive cannot be written, the answers are still
                    # recorded in the live file; the items are archived at a later call.
                    try:
                        moved.extend(self._move_to_archive(archivable))
                    except (StoreWriteFailed, OSError) as exc:
                        log.warning("archiving answered items failed (%s)", type(exc).__name__)

            if self._archive is None or any(f["status"] not in ARCHIVABLE for _, f in updates):
                self._write(change)  # an answer that stays in the live file: durable there now
                self._forget(moved)
                return
            # Every answer is one the archive takes. When the archive part (written durably
            # first) holds them all, the answers are recorded, and the live file's write of
            # their removal can wait for its next write (an enqueue) or the close: a crash in
            # between leaves them in both, and the next open keeps the archive's copy (the
            # part is named by one of their numbers, which the live file still holds).
            with self._storage.deferred():
                self._write(change)
            self._forget(moved)
            archived = {doc["seq"] for doc in moved}
            if not all(seq in archived for seq, _ in updates):
                self._write(self._storage.mark_dirty)  # not archived: the live file holds them

    def record_failure(self, ids: Iterable[str], error: str) -> None:
        """A send attempt failed: attempts + 1, back to pending, with the error kept."""
        ids = list(ids)
        with self._lock:
            docs = [self._doc(i) for i in ids]
            now = utc_iso(self._clock())
            updates = [
                (
                    d["seq"],
                    {
                        "status": OutboxStatus.PENDING.value,
                        "attempts": int(d["attempts"]) + 1,
                        "last_error": self._keys.encrypt(str(error), f"outbox:{d['id']}:error"),
                        "updated_at": now,
                    },
                )
                for d in docs
                if d["status"] in UNSENT
            ]
            if not updates:
                return

            self._write(lambda: self._update_each(updates))
            for doc in docs:
                self._decoded.pop(doc["id"], None)
                self._sending.pop(doc["id"], None)

    def counts(self) -> dict[str, int]:
        """Items per status: the live file plus everything archived so far."""
        with self._lock:
            counts = {status.value: 0 for status in OutboxStatus}
            for doc in self._raw().values():
                counts[doc["status"]] += 1
            marked = len(self._sending)  # stored as pending, kept `sending` in memory
            counts[OutboxStatus.PENDING.value] -= marked
            counts[OutboxStatus.SENDING.value] += marked
            for status, number in self._storage.meta.get("archived", {}).items():
                counts[status] = counts.get(status, 0) + int(number)
            return counts

    def awaiting_supervisor(self) -> int:
        """Conflicts and rejections no supervisor has closed yet (they stay in the live file)."""
        with self._lock:
            return sum(
                1
                for doc in self._raw().values()
                if doc["status"] in REFUSED and not doc.get("closed_at")
            )

    def oldest_unsent(self) -> OutboxItem | None:
        with self._lock:
            for doc in self._in_seq_order():
                if doc["status"] in UNSENT:
                    return self._decode(doc)
            return None

    def get(self, item_id: str) -> OutboxItem:
        """The item with this id, from the live file or, failing that, the archive."""
        with self._lock:
            seq = self._by_id.get(item_id)
            if seq is not None:
                return self._decode(self._raw()[str(seq)])
            if self._archive is not None:
                found = self._archive.get(item_id)
                if found is not None:
                    return found
            raise UnknownItem(item_id)

    def items(self, status: str | Iterable[str] | None = None) -> list[OutboxItem]:
        """Live items in sequence order, all or those with the given status(es)."""
        if status is None:
            wanted = None
        elif isinstance(status, str):
            wanted = {status}
        else:
            wanted = set(status)
        with self._lock:
            return [
                self._decode(doc)
                for doc in self._in_seq_order()
                if wanted is None or self._status(doc) in wanted
            ]

    # -- beyond the contract ------------------------------------------------------------------

    def for_holder(self, holder_id: str) -> list[OutboxItem]:
        """Live items about one holder, oldest first (what the counter still has in flight)."""
        with self._lock:
            cards = set(self._keys.card_keys_for(holder_id))
            return [self._decode(d) for d in self._in_seq_order() if d["card"] in cards]

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_id)

    def __contains__(self, item_id: object) -> bool:
        with self._lock:
            return item_id in self._by_id

    @property
    def meta(self) -> Mapping[str, Any]:
        """The outbox file's meta (read only: `set_meta` writes)."""
        return self._storage.meta

    def set_meta(self, key: str, value: Any) -> None:
        """Set one meta value, durably."""
        with self._lock:

            def change() -> None:
                self._storage.meta[key] = value
                self._storage.mark_dirty()

            self._write(change)

    def unaudited_since(self, through: int) -> list[dict[str, Any]]:
        """Live items after sequence number `through` that carry their audit entry's content
        (made at the counter), in order: those whose entry may be missing."""
        with self._lock:
            return [d for d in self._in_seq_order() if d["seq"] > through and d.get("audit")]

    def audit_intent(self, item_id: str) -> dict[str, Any]:
        """The audit entry's content kept with an item ({action, reason, detail})."""
        with self._lock:
            doc = self._doc(item_id)
            try:
                intent: dict[str, Any] = self._keys.decrypt(doc["audit"], f"outbox:{item_id}:audit")
            except (LookupError, ValueError, KeyError):
                raise DecryptionFailed(self.path, f"item {item_id}, audit") from None
            return intent

    @property
    def next_seq(self) -> int:
        with self._lock:
            return int(self._storage.meta.get("next_seq", 1))

    def close_quarantined(self, ids: Iterable[str], *, actor: str, note: str) -> int:
        """A supervisor has dealt with these conflicts or rejections (a correcting command, a
        recorded decision): note who and why, and let them leave for the archive. Returns how
        many were closed; items that are not conflict or rejected are left alone."""
        ids = list(ids)
        if not actor:
            raise ValueError("closing a quarantined item needs the supervisor's id")
        with self._lock:
            docs = [self._doc(i) for i in ids]
            now = utc_iso(self._clock())
            updates = [
                (
                    d["seq"],
                    {
                        "closed_at": now,
                        "closed_by": actor,
                        "closing_note": self._keys.encrypt(note, f"outbox:{d['id']}:note"),
                        "updated_at": now,
                    },
                )
                for d in docs
                if d["status"] in REFUSED and not d.get("closed_at")
            ]
            if updates:
                self._write(lambda: self._update_each(updates))
            if self._archive is not None and updates:
                self.archive_finished()
            return len(updates)

    def archive_finished(self) -> int:
        """Move accepted, merged and closed quarantined items to the monthly archive files;
        returns how many.

        The archive is written (and fsynced) first, then the live file without them. A crash in
        between leaves an item in both, which the next open resolves by archiving again (adding
        to an archive is idempotent).
        """
        if self._archive is None:
            return 0
        with self._lock:
            if not self._reconciled:
                self._reconcile_with_archive()
            moved: list[dict[str, Any]] = []
            self._write(lambda: moved.extend(self._move_to_archive()))
            self._forget(moved)
            return len(moved)

    def _move_to_archive(
        self, archivable: list[dict[str, Any]] | None = None
    ) -> list[dict[str, Any]]:
        """Inside a live-file transaction: write the archivable items to a new archive part
        (durable on return), then take them out of the live table and count them as archived.
        The live file is written when the surrounding transaction ends."""
        assert self._archive is not None
        docs = sorted(
            self._archivable() if archivable is None else archivable, key=lambda d: d["seq"]
        )
        if not docs:
            return []
        self._archive.add(docs)
        self._drop_archived(docs)
        return docs

    def _drop_archived(self, docs: list[dict[str, Any]]) -> None:
        """Take items that an archive part holds durably out of the live table (in memory)."""
        for doc in docs:
            self._unwritten[doc["id"]] = doc
        table = self._live_table()
        for doc in docs:
            table.pop(str(doc["seq"]), None)
        self._storage.mark_dirty()
        archived = self._storage.meta.setdefault("archived", {})
        for doc in docs:
            archived[doc["status"]] = int(archived.get(doc["status"], 0)) + 1

    def _forget(self, docs: list[dict[str, Any]]) -> None:
        for doc in docs:
            self._by_id.pop(doc["id"], None)
            self._decoded.pop(doc["id"], None)
            self._sending.pop(doc["id"], None)

    def _reconcile_with_archive(self) -> None:
        """After a crash between writing an archive part and the live write that follows it,
        the part holds items (with their answers) that the live file still holds too, perhaps
        still unanswered. The part is named by the number of one of those live items, so the
        folder listing finds it; its items leave the live file (the archive's copy is the one
        with the answer). Runs once, at the first archiving after open."""
        assert self._archive is not None
        self._reconciled = True
        live = self._raw()
        parts = self._archive.parts_starting_at(int(n) for n in live)
        stale: dict[str, dict[str, Any]] = {}
        for part in parts:
            for doc in self._archive.part_docs(part):
                seq = self._by_id.get(doc["id"])
                if seq is not None and str(seq) in live:
                    stale[doc["id"]] = doc
        if not stale:
            return
        docs = sorted(stale.values(), key=lambda d: d["seq"])
        self._write(lambda: self._drop_archived(docs))
        self._forget(docs)

    def reencrypt(self) -> int:
        """Re-seal every field under the current keys (key rotation); returns items changed."""
        with self._lock:
            changed = 0

            def change() -> None:
                nonlocal changed
                for doc in self._raw().values():
                    if reseal_item(doc, self._keys):
                        changed += 1
                if changed:
                    self._storage.mark_dirty()

            self._write(change)
            self._decoded.clear()
            return changed

    def flush(self) -> None:
        """Write what was kept back (at a clean close): the `sending` marks, and the removal
        of archived items that a live write has not carried yet."""
        with self._lock:
            if self._sending:
                marks = [
                    (
                        self._by_id[item_id],
                        {"status": OutboxStatus.SENDING.value, "updated_at": when},
                    )
                    for item_id, when in self._sending.items()
                ]
                self._write(lambda: self._update_each(marks))
                self._sending.clear()  # stored as `sending` now
            self._storage.flush_deferred()
            if not self._storage.has_deferred:
                self._unwritten.clear()

    def verify_all(self) -> int:
        """Decrypt every item (the `store check` command); returns how many were checked."""
        with self._lock:
            self._decoded.clear()
            for doc in self._raw().values():
                self._decode(doc)
            return len(self._by_id)

    def _update_each(self, updates: list[tuple[int, dict[str, Any]]]) -> None:
        """Apply per-item field changes in one pass over the table (not one pass per item)."""
        table = self._live_table()
        for seq, fields in updates:
            doc = table[str(seq)]
            doc.update(fields)
            seal_meta(doc, self._keys)
        self._storage.mark_dirty()

    def _archivable(self) -> list[dict[str, Any]]:
        """The live items that may leave for the archive (one pass, no sorting)."""
        return [
            d
            for d in self._raw().values()
            if d["status"] in ARCHIVABLE or (d["status"] in REFUSED and d.get("closed_at"))
        ]

    def _in_seq_order(self) -> list[dict[str, Any]]:
        raw = self._raw()
        docs = list(raw.values())
        # Normally already in order (inserted with rising numbers); recovery may mix them.
        if any(docs[i]["seq"] > docs[i + 1]["seq"] for i in range(len(docs) - 1)):
            docs.sort(key=lambda d: d["seq"])
        return docs

    def closing(self, item_id: str) -> tuple[str, str, str] | None:
        """How a supervisor closed a quarantined item, live or archived: (closed_at, closed_by,
        note), or None while it is not closed (what the supervisor's screens show and check)."""
        with self._lock:
            seq = self._by_id.get(item_id)
            doc: Mapping[str, Any] | None = self._raw()[str(seq)] if seq is not None else None
            if doc is None and self._archive is not None:
                found = self._archive.get_doc(item_id)
                doc = found[1] if found is not None else None
            if doc is None:
                raise UnknownItem(item_id)
            if not doc.get("closed_at"):
                return None
            blob = doc.get("closing_note")
            try:
                note = self._keys.decrypt(blob, f"outbox:{item_id}:note") if blob else ""
            except (LookupError, ValueError):
                raise DecryptionFailed(self.path, f"item {item_id}, note") from None
            return str(doc["closed_at"]), str(doc.get("closed_by") or ""), str(note)


def decode_item(doc: Mapping[str, Any], keys: KeySet, path: Any) -> OutboxItem:
    """Decrypt a stored item; a field that does not decrypt raises DecryptionFailed, plain
    fields that do not match the item's metadata mac StoreCorrupt."""
    item_id = doc["id"]
    edited = meta_problem(doc, keys)
    if edited is not None:
        raise StoreCorrupt(path, edited)

    def open_field(name: str, blob: Any) -> Any:
        if blob is None:
            return None
        try:
            return keys.decrypt(blob, f"outbox:{item_id}:{name}")
        except LookupError as exc:
            raise DecryptionFailed(path, f"item {item_id}, {name}: {exc}") from None
        except ValueError:
            raise DecryptionFailed(path, f"item {item_id}, {name}") from None

    holder_kind = open_field("holder_kind", doc.get("holder_kind"))
    signatures = open_field("signatures", doc.get("signatures")) or {}
    if holder_kind is not None and holder_kind not in IdentityKind.__members__.values():
        raise StoreCorrupt(path, f"item {item_id}: unknown holder document kind")
    return OutboxItem(
        id=item_id,
        seq=doc["seq"],
        kind=doc["kind"],
        holder_id=open_field("holder", doc["holder"]),
        holder_kind=None if holder_kind is None else IdentityKind(holder_kind),
        payload=open_field("payload", doc["payload"]),
        base_version=doc.get("base_version"),
        actor=doc["actor"],
        device=doc["device"],
        branch=doc["branch"],
        made_at=doc["made_at"],
        status=doc["status"],
        attempts=doc["attempts"],
        last_error=open_field("error", doc.get("last_error")),
        result=open_field("result", doc.get("result")),
        signature=signatures.get("maker"),
        approver_signature=signatures.get("approver"),
    )


_SEALED_FIELDS = (
    ("closing_note", "note"),
    ("holder", "holder"),
    ("holder_kind", "holder_kind"),
    ("payload", "payload"),
    ("last_error", "error"),
    ("result", "result"),
    ("audit", "audit"),
    ("signatures", "signatures"),
)


def reseal_item(doc: dict[str, Any], keys: KeySet) -> bool:
    """Re-encrypt a stored item's fields and card key under the current keys, in place."""
    changed = False
    item_id = doc["id"]
    for key, name in _SEALED_FIELDS:
        blob = doc.get(key)
        if blob is None or keys.blob_key_id(blob) == keys.data_current:
            continue
        context = f"outbox:{item_id}:{name}"
        doc[key] = keys.encrypt(keys.decrypt(blob, context), context)
        changed = True
    if not doc["card"].startswith(keys.card_current + ":"):
        holder = keys.decrypt(doc["holder"], f"outbox:{item_id}:holder")
        doc["card"] = keys.card_key(holder)
        changed = True
    if "mac" in doc and not str(doc["mac"]).startswith(keys.data_current + ":"):
        changed = True
    if changed and "mac" in doc:
        seal_meta(doc, keys)
    return changed
