"""The local store: crash-safe TinyDB files for the outbox, the card cache and the audit journal,
with personal data encrypted at rest under a key kept in the OS keyring.

    store = LocalStore.open(data_dir)            # takes the folder lock, opens every file
    item = store.outbox.enqueue("report_loss", holder_id, payload, base_version=3,
                                actor="T001", device="PC-07", branch="GZ-001")
    # only now may the UI say "accepted"
    store.close()

See docs/ARCHITECTURE.md ("Outbox" contract and the "Store" section) for the guarantees.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from branch_app.domain.identity import IdentityKind
from branch_app.store import schema
from branch_app.store.archive import ARCHIVE_DIR, OutboxArchive
from branch_app.store.audit import AUDIT_DIR, AuditEntry, AuditJournal, AuditVerification
from branch_app.store.card_cache import CachedRecord, CardCache
from branch_app.store.crypto import (
    AuditAnchor,
    AuditHead,
    KeySet,
    MemoryKeyring,
    check_backend,
    load_keyset,
    refusal_reason,
    save_keyset,
)
from branch_app.store.errors import (
    DecryptionFailed,
    KeyMissing,
    KeyringRefused,
    NotADemoFolder,
    StoreCorrupt,
    StoreError,
    StoreLocked,
    StoreTooNew,
    StoreWriteFailed,
    UnknownItem,
)
from branch_app.store.lock import FolderLock
from branch_app.store.outbox import Outbox, OutboxItem, OutboxStatus, Signer
from branch_app.store.storage import AtomicJSONStorage, remove_temp_files, write_atomically
from branch_app.store.visits import VisitList

__all__ = [
    "AuditEntry",
    "AuditHead",
    "AuditJournal",
    "AuditVerification",
    "CachedRecord",
    "CardCache",
    "CheckReport",
    "DecryptionFailed",
    "KeyMissing",
    "KeyringRefused",
    "LocalStore",
    "MemoryKeyring",
    "NotADemoFolder",
    "Outbox",
    "OutboxItem",
    "OutboxStatus",
    "RotationReport",
    "StoreCorrupt",
    "StoreError",
    "StoreLocked",
    "StoreTooNew",
    "StoreWriteFailed",
    "UnknownItem",
    "VisitList",
    "refusal_reason",
    "write_atomically",
]

MANIFEST_FILE = "store.json"
OUTBOX_FILE = "outbox.json"
CACHE_FILE = "card_cache.json"
VISITS_FILE = "visits.json"
BACKUP_DIR = "backups"
DEFAULT_ARCHIVE_THRESHOLD = 200
log = logging.getLogger(__name__)
#: The outbox meta key: every item up to this sequence number has its audit entry.
AUDITED_THROUGH = "audited_through"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RotationReport:
    outbox_items: int
    archived_items: int
    cached_records: int
    audit_entries: int
    other_sealed: int = 0
    visits: int = 0


@dataclass
class CheckReport:
    """What `store check` found: every file opened, every encrypted field decrypted."""

    files: list[Path] = field(default_factory=list)
    outbox_items: int = 0
    archived_items: int = 0
    cached_records: int = 0
    audit: AuditVerification | None = None
    visits: int = 0

    @property
    def ok(self) -> bool:
        return self.audit is None or self.audit.ok


class LocalStore:
    """The open data folder. Hold one per process; close it (or use `with`) on the way out."""

    def __init__(self, **parts: Any) -> None:
        self.data_dir: Path = parts["data_dir"]
        self.store_id: str = parts["store_id"]
        self.outbox: Outbox = parts["outbox"]
        self.card_cache: CardCache = parts["card_cache"]
        #: The home-visit list (store/visits.py): `visits.progress(day)` for the device state.
        self.visits: VisitList = parts["visits"]
        self.audit: AuditJournal = parts["audit"]
        self.archive: OutboxArchive = parts["archive"]
        self._keys: KeySet = parts["keys"]
        self._backend = parts["backend"]
        self._folder_lock: FolderLock = parts["folder_lock"]
        self._lock: threading.RLock = parts["lock"]
        self._clock: Callable[[], datetime] = parts["clock"]
        self._closed = False
        #: An accepted request's audit append failed: its entry is written at the next accept.
        self._audit_owed = False

    # -- opening ----------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        data_dir: Path | str,
        *,
        keyring: Any = None,
        clock: Callable[[], datetime] | None = None,
        archive_threshold: int = DEFAULT_ARCHIVE_THRESHOLD,
        retention_months: int | None = None,
        visit_retention_days: int | None = None,
        inspect: bool = False,
    ) -> LocalStore:
        """Lock the folder, check the keyring, open (migrating) every file.

        With `retention_months`, archived requests older than that go; with
        `visit_retention_days`, home-visit lists of days more than that long ago (names,
        addresses, who was present: kept no longer than they serve; the requests live on in the
        outbox, its archive and the audit journal).

        `keyring` is a keyring backend; by default the system's (`keyring.get_keyring()`).
        Raises StoreLocked, KeyringRefused, KeyMissing, StoreCorrupt or StoreTooNew, each with
        a sentence for the supervisor; a damaged file is never written to. An audit journal
        that ends before its anchor in the keyring (cut short) is refused too, unless
        `inspect`: then the store opens for `store check` and `verify-audit` to name what is
        missing, and nothing is appended to the journal.
        """
        data_dir = Path(data_dir).expanduser()
        clock = clock or _utc_now
        folder_lock = FolderLock(data_dir)
        folder_lock.acquire()
        try:
            store = cls._open_locked(
                data_dir, folder_lock, keyring, clock, archive_threshold, retention_months, inspect
            )
        except BaseException:
            folder_lock.release()
            raise
        if visit_retention_days is not None and not inspect:
            try:
                store.visits.prune(clock().date() - timedelta(days=visit_retention_days))
            except BaseException:
                store.close()
                raise
        return store

    @classmethod
    def _open_locked(
        cls,
        data_dir: Path,
        folder_lock: FolderLock,
        backend: Any,
        clock: Callable[[], datetime],
        archive_threshold: int,
        retention_months: int | None,
        inspect: bool = False,
    ) -> LocalStore:
        if backend is None:
            import keyring as keyring_module

            try:
                backend = keyring_module.get_keyring()
            except Exception as exc:  # a backend named by PYTHON_KEYRING_BACKEND that won't load
                raise KeyringRefused("(configured backend)", f"it failed to load: {exc}") from None
        check_backend(backend)
        for folder in (
            data_dir,
            data_dir / ARCHIVE_DIR,
            data_dir / AUDIT_DIR,
            data_dir / BACKUP_DIR,
        ):
            folder.mkdir(parents=True, exist_ok=True)
            remove_temp_files(folder)

        manifest = open_manifest(data_dir, clock)
        store_id = manifest.meta["store_id"]
        keys = load_keyset(backend, store_id)
        if keys is None:
            if manifest.meta.get("keys_created"):
                raise KeyMissing(data_dir, f"keyring entry for store {store_id}")
            keys = KeySet.generate()
            save_keyset(backend, store_id, keys)
            with manifest.transaction():
                manifest.meta["keys_created"] = True
                manifest.mark_dirty()

        lock = threading.RLock()
        archive = OutboxArchive(data_dir, keys)
        outbox = Outbox(
            AtomicJSONStorage.open(data_dir / OUTBOX_FILE, schema.OUTBOX),
            keys,
            clock=clock,
            lock=lock,
            archive=archive,
            archive_threshold=archive_threshold,
        )
        card_cache = CardCache(
            AtomicJSONStorage.open(data_dir / CACHE_FILE, schema.CARD_CACHE),
            keys,
            clock=clock,
            lock=lock,
        )
        visits = VisitList(
            AtomicJSONStorage.open(data_dir / VISITS_FILE, schema.VISITS),
            keys,
            clock=clock,
            lock=lock,
        )
        if not keys.meta_macs:  # the outbox gave its earlier items their macs: for good now
            keys.meta_macs = True
            save_keyset(backend, store_id, keys)
        audit = AuditJournal(
            data_dir,
            keys,
            clock=clock,
            lock=lock,
            anchor=AuditAnchor(backend, store_id),
            writable=not inspect,
        )
        short = audit.cut_short
        if short is not None and not inspect:
            audit.close()
            raise StoreCorrupt(
                short.file or data_dir / AUDIT_DIR,
                f"the audit journal ends at entry {short.checked} but its anchor in the keyring "
                f"says entry {short.anchored} ({short.problem}): entries were removed",
            )
        store = cls(
            data_dir=data_dir,
            store_id=store_id,
            outbox=outbox,
            card_cache=card_cache,
            visits=visits,
            audit=audit,
            archive=archive,
            keys=keys,
            backend=backend,
            folder_lock=folder_lock,
            lock=lock,
            clock=clock,
        )
        if keys.rotating:  # a rotation was interrupted: finish it before anything else
            store._finish_rotation()
        # Items answered but not yet archived (or archived just before a crash) go now.
        outbox.archive_finished()
        if retention_months is not None:
            archive.prune(retention_months, clock().date())
        if not inspect:
            store.recover_audit_entries()
            audit.anchor_now()  # a journal of an earlier version gets its anchor here
        store.backup()
        return store

    @classmethod
    def open_demo(
        cls, data_dir: Path | str, *, clock: Callable[[], datetime] | None = None
    ) -> LocalStore:
        """The demo's store: an in-memory keyring, in a folder that starts empty every time.

        Data sealed with an in-memory key cannot outlive the process, so a demo folder left by
        an earlier run is cleared first. A folder holding a real store is refused
        (NotADemoFolder), never cleared. `keyring_is_memory` is true: the UI says so on screen.
        """
        data_dir = Path(data_dir).expanduser()
        manifest_path = data_dir / MANIFEST_FILE
        if manifest_path.exists() or (data_dir / OUTBOX_FILE).exists():
            try:
                meta = AtomicJSONStorage.open(manifest_path, schema.MANIFEST, create=False).meta
            except StoreError:
                raise NotADemoFolder(data_dir) from None
            if meta.get("demo") is not True:
                raise NotADemoFolder(data_dir)
            with FolderLock(data_dir):
                for name in (MANIFEST_FILE, OUTBOX_FILE, CACHE_FILE, VISITS_FILE):
                    (data_dir / name).unlink(missing_ok=True)
                for folder in (ARCHIVE_DIR, AUDIT_DIR, BACKUP_DIR):
                    shutil.rmtree(data_dir / folder, ignore_errors=True)
        store = cls.open(data_dir, keyring=MemoryKeyring(), clock=clock)
        manifest = AtomicJSONStorage.open(manifest_path, schema.MANIFEST, create=False)
        with manifest.transaction():
            manifest.meta["demo"] = True
            manifest.mark_dirty()
        store.backup()
        return store

    # -- accepting a request ----------------------------------------------------------------

    def accept(
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
        action: str,
        reason: str,
        detail: Mapping[str, Any],
        sign: Signer | None = None,
    ) -> tuple[OutboxItem, AuditEntry | None]:
        """Queue a command and write its audit entry (detail + the outbox id, `ref` = the id);
        `sign` signs the new item once its id is known (`Outbox.enqueue`).

        The request is accepted once the enqueue is durable. The item keeps the entry's content
        sealed, so a crash between the two durable writes leaves an item whose entry the next
        open writes (`recover_audit_entries`); when the append fails without a crash the entry
        is None and is written at the next `accept` or open. The store's lock is held across
        both: no sync can send and archive the item in between."""
        with self._lock:
            if self._audit_owed:
                self._audit_owed = False
                self.recover_audit_entries()
            item = self.outbox.enqueue(
                kind,
                holder_id,
                payload,
                base_version=base_version,
                actor=actor,
                device=device,
                branch=branch,
                holder_kind=holder_kind,
                audit={"action": action, "reason": reason, "detail": dict(detail)},
                sign=sign,
            )
            try:
                entry = self.audit.record(
                    action,
                    actor=actor,
                    holder_id=holder_id,
                    reason=reason,
                    device=device,
                    branch=branch,
                    detail={"outbox_id": item.id, **detail},
                    ref=item.id,
                )
            except (StoreError, OSError) as exc:
                # Accepted all the same: the entry is owed and written from the item later.
                log.warning(
                    "the audit entry of an accepted request is owed (%s)", type(exc).__name__
                )
                self._audit_owed = True
                return item, None
            return item, entry

    def recover_audit_entries(self) -> list[AuditEntry]:
        """Write the audit entry of every accepted request that lacks one (a crash came between
        its enqueue and its entry), marked `recovered`. Only items queued since the last open
        that did this are looked at (the outbox meta `audited_through`), and only the journal's
        months since the oldest of them are read."""
        with self._lock:
            through = int(self.outbox.meta.get(AUDITED_THROUGH, 0))
            candidates = self.outbox.unaudited_since(through)
            written: list[AuditEntry] = []
            if candidates:
                refs = self.audit.refs_since(min(doc["made_at"][:7] for doc in candidates))
                for doc in candidates:
                    if doc["id"] in refs:
                        continue
                    item = self.outbox.get(doc["id"])
                    intent = self.outbox.audit_intent(doc["id"])
                    written.append(
                        self.audit.record(
                            str(intent["action"]),
                            actor=item.actor,
                            holder_id=item.holder_id,
                            reason=str(intent.get("reason", "")),
                            device=item.device,
                            branch=item.branch,
                            detail={
                                "outbox_id": item.id,
                                **intent.get("detail", {}),
                                "made_at": item.made_at,
                            },
                            ref=item.id,
                            recovered=True,
                        )
                    )
            highest = self.outbox.next_seq - 1
            if highest > through:
                self.outbox.set_meta(AUDITED_THROUGH, highest)
            return written

    @property
    def audit_head(self) -> AuditHead:
        """Where the audit journal ends (sent to the central with every sync)."""
        return self.audit.head_info

    # -- the rest ---------------------------------------------------------------------------

    @property
    def keys(self) -> KeySet:
        """The folder's keys, for other parts that seal files beside the store with the data key
        (`encrypt(value, context)` / `decrypt(blob, context)`). Such a file must be listed in
        `SEALED_MAPS` so that a key rotation re-seals it too."""
        return self._keys

    @property
    def keyring_is_memory(self) -> bool:
        """True when the keys live only in this process (tests, demo): the UI says so on screen."""
        return isinstance(self._backend, MemoryKeyring)

    @property
    def keyring_backend_name(self) -> str:
        kind = type(self._backend)
        return f"{kind.__module__}.{kind.__qualname__}"

    def files(self) -> list[Path]:
        """Every store file, for checks and tests."""
        return [
            self.data_dir / MANIFEST_FILE,
            self.outbox.path,
            self.card_cache.path,
            self.visits.path,
            *self.archive.files(),
            *self.audit.files(),
        ]

    def backup(self) -> None:
        """Copy the manifest and the live outbox to backups/ (the recovery's last good copy)."""
        with self._lock:
            for name in (MANIFEST_FILE, OUTBOX_FILE):
                source = self.data_dir / name
                if source.exists():
                    write_atomically(
                        self.data_dir / BACKUP_DIR / f"{name}.bak", source.read_bytes()
                    )

    def archive_now(
        self, retention_months: int | None = None, today: date | None = None
    ) -> tuple[int, list[Path]]:
        """Archive answered items now and drop archive months past retention."""
        with self._lock:
            moved = self.outbox.archive_finished()
            pruned: list[Path] = []
            if retention_months is not None:
                pruned = self.archive.prune(retention_months, today or self._clock().date())
            return moved, pruned

    def rotate_key(self) -> RotationReport:
        """Make new data and card keys, re-encrypt every file, then forget the old keys.

        Crash-safe: the keyring keeps old and new keys until every file is rewritten, and the
        next open finishes an interrupted rotation.
        """
        with self._lock:
            if not self._keys.rotating:
                self._keys.begin_rotation()
                save_keyset(self._backend, self.store_id, self._keys)
            report = self._finish_rotation()
            self.backup()  # the old backup is sealed with a key that no longer exists
            return report

    def _finish_rotation(self) -> RotationReport:
        report = RotationReport(
            outbox_items=self.outbox.reencrypt(),
            archived_items=self.archive.reencrypt(),
            cached_records=self.card_cache.reencrypt(),
            audit_entries=self.audit.reencrypt(),
            other_sealed=reseal_sealed_maps(self.data_dir, self._keys),
            visits=self.visits.reencrypt(),
        )
        self._keys.drop_retired()
        save_keyset(self._backend, self.store_id, self._keys)
        return report

    def check(self) -> CheckReport:
        """Decrypt every field of every file and verify the audit chain."""
        with self._lock:
            report = CheckReport(files=self.files())
            report.outbox_items = self.outbox.verify_all()
            report.archived_items = self.archive.verify_all()
            report.cached_records = self.card_cache.verify_all()
            report.visits = self.visits.verify_all()
            report.audit = self.audit.verify()
            return report

    def close(self) -> None:
        if self._closed:
            return
        with self._lock:
            with contextlib.suppress(OSError, StoreError):
                self.outbox.flush()
                self.backup()
            self.audit.close()
            self._closed = True
            self._folder_lock.release()

    def __enter__(self) -> LocalStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: Files beside the store that other parts seal with the data key, as JSON maps of blobs:
#: file name -> (key of the map in the file, context prefix of each blob: prefix + map key).
#: A key rotation re-seals them (sync's offline staff verifiers, sync/auth.py; the home visit's
#: limits and batch approval, sync/state.py).
SEALED_MAPS: dict[str, tuple[str, str]] = {
    "staff.json": ("staff", "staff:"),
    "sync-state.json": ("sealed", "sync-state:"),
}


def reseal_sealed_maps(data_dir: Path, keys: KeySet) -> int:
    """Re-encrypt the blobs of every `SEALED_MAPS` file under the current data key."""
    import orjson

    changed = 0
    for name, (map_key, prefix) in SEALED_MAPS.items():
        path = data_dir / name
        if not path.exists():
            continue
        document = orjson.loads(path.read_bytes())
        blobs = document.get(map_key, {})
        touched = 0
        for slot, blob in blobs.items():
            if keys.blob_key_id(blob) not in (None, keys.data_current):
                blobs[slot] = keys.encrypt(keys.decrypt(blob, prefix + slot), prefix + slot)
                touched += 1
        if touched:
            write_atomically(path, orjson.dumps(document))
            changed += touched
    return changed


def open_manifest(data_dir: Path, clock: Callable[[], datetime]) -> AtomicJSONStorage:
    """The folder's manifest (store id, whether keys were made); created for a new folder.

    A missing manifest beside existing data is damage, not a new store: making a new store id
    would orphan the keys of the data already there.
    """
    path = data_dir / MANIFEST_FILE
    if not path.exists():
        existing = [p for p in (data_dir / OUTBOX_FILE, data_dir / CACHE_FILE) if p.exists()]
        if existing:
            raise StoreCorrupt(path, "the manifest is missing but the folder holds data")
        manifest = AtomicJSONStorage.in_memory(
            path, schema.MANIFEST, schema.new_envelope(schema.MANIFEST)
        )
        manifest.meta.update(
            {
                "store_id": uuid.uuid4().hex,
                "created_at": clock().astimezone(UTC).isoformat(),
                "keys_created": False,
            }
        )
        manifest.flush()
        return manifest
    manifest = AtomicJSONStorage.open(path, schema.MANIFEST, create=False)
    if not isinstance(manifest.meta.get("store_id"), str):
        raise StoreCorrupt(path, "the manifest has no store id")
    return manifest
