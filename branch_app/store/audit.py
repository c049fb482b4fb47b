"""The audit journal: append-only, hash-chained, one file per month.

Each entry says who (staff id, device, branch) did what (an action code), on whose record (a
keyed hash of the ID number, never the number), when, and why (the reason, encrypted with the
data key together with any detail). Each entry carries `mac = HMAC(audit key, previous mac ||
canonical entry)`, so the chain runs through every entry of every month. Because the link is
keyed, someone who can edit the files but not read the keyring cannot forge a consistent chain
after changing, removing or reordering an entry; `verify()` names the first entry that breaks
it. The link is computed over the decrypted reason, so a key rotation can re-encrypt reasons
without touching the chain. Each file's header keeps the chain head (last number and mac), so
cutting entries off the end shows too, unless the header is edited to match.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from tinydb import TinyDB
from tinydb.table import Document

from branch_app.store import schema
from branch_app.store.crypto import KeySet
from branch_app.store.errors import DecryptionFailed, StoreCorrupt
from branch_app.store.outbox import utc_iso
from branch_app.store.storage import AtomicJSONStorage, remove_temp_files

AUDIT_DIR = "audit"
TABLE = "entries"
GENESIS = "0" * 64
_NAME = re.compile(r"^audit-(\d{4})-(\d{2})\.json$")


@dataclass(frozen=True)
class AuditEntry:
    n: int
    at: str
    actor: str
    action: str
    subject: str | None  # keyed hash of the holder's ID number
    device: str
    branch: str
    reason: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class AuditVerification:
    """The outcome of checking the chain; `first_bad` is the entry number where it breaks."""

    ok: bool
    checked: int
    first_bad: int | None = None
    problem: str | None = None  # changed | removed | reordered | truncated | unreadable
    file: Path | None = None


def canonical(doc: Mapping[str, Any], reason: str, detail: Mapping[str, Any]) -> bytes:
    """The bytes the chain link covers: every field but the mac, with the reason in clear."""
    return orjson.dumps(
        {
            "n": doc["n"],
            "at": doc["at"],
            "actor": doc["actor"],
            "action": doc["action"],
            "subject": doc.get("subject"),
            "device": doc["device"],
            "branch": doc["branch"],
            "reason": reason,
            "detail": dict(detail),
            "prev": doc["prev"],
        },
        option=orjson.OPT_SORT_KEYS,
    )


class AuditJournal:
    """Appends entries to the current month's file and verifies the whole chain. Thread-safe."""

    def __init__(
        self,
        data_dir: Path,
        keys: KeySet,
        *,
        clock: Callable[[], datetime],
        lock: threading.RLock,
    ) -> None:
        self.folder = Path(data_dir) / AUDIT_DIR
        self._keys = keys
        self._clock = clock
        self._lock = lock
        self.folder.mkdir(parents=True, exist_ok=True)
        remove_temp_files(self.folder)
        self._current: AtomicJSONStorage | None = None
        self._head_n = 0
        self._head_mac = GENESIS
        months = self.months()
        if months:
            self._current = self._open(months[-1], create=False)
            self._head_n, self._head_mac = self._head_of(self._current)

    @staticmethod
    def _head_of(storage: AtomicJSONStorage) -> tuple[int, str]:
        """Where the chain ends in this file: its head, or where it started if still empty."""
        meta = storage.meta
        head = meta.get("head") if storage.read().get(TABLE) else meta.get("starts_after")
        head = head or {}
        n, mac = head.get("n"), head.get("mac")
        if not isinstance(n, int) or not isinstance(mac, str):
            raise StoreCorrupt(storage.path, "the audit chain head is missing")
        return n, mac

    # -- files ------------------------------------------------------------------------------

    def months(self) -> list[str]:
        """Months with a journal file, oldest first."""
        found = []
        if self.folder.is_dir():
            for entry in self.folder.iterdir():
                match = _NAME.match(entry.name)
                if match:
                    found.append(f"{match.group(1)}-{match.group(2)}")
        return sorted(found)

    def path_for(self, month: str) -> Path:
        return self.folder / f"audit-{month}.json"

    def files(self) -> list[Path]:
        return [self.path_for(m) for m in self.months()]

    def _open(self, month: str, *, create: bool) -> AtomicJSONStorage:
        return AtomicJSONStorage.open(self.path_for(month), schema.AUDIT, create=create)

    # -- writing ----------------------------------------------------------------------------

    def record(
        self,
        action: str,
        *,
        actor: str,
        holder_id: str | None = None,
        reason: str = "",
        device: str = "",
        branch: str = "",
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry; durable when it returns."""
        if not action or not actor:
            raise ValueError("an audit entry needs an action and an actor")
        detail = dict(detail or {})
        with self._lock:
            moment = self._clock()
            at = utc_iso(moment)
            month = at[:7]
            storage = self._current
            if storage is None or storage.path != self.path_for(month):
                if storage is not None and storage.path.name > self.path_for(month).name:
                    month = storage.path.name[6:13]  # the clock went back: stay in the newest file
                elif self.path_for(month).exists():
                    storage = self._open(month, create=False)
                else:
                    # a new month's file is first written together with its first entry
                    storage = AtomicJSONStorage.in_memory(
                        self.path_for(month), schema.AUDIT, schema.new_envelope(schema.AUDIT)
                    )
                    storage.meta["starts_after"] = {"n": self._head_n, "mac": self._head_mac}
            assert storage is not None
            n = self._head_n + 1
            doc: dict[str, Any] = {
                "n": n,
                "at": at,
                "actor": actor,
                "action": action,
                "subject": self._keys.pseudonym(holder_id) if holder_id else None,
                "device": device,
                "branch": branch,
                "prev": self._head_mac,
            }
            doc["body"] = self._keys.encrypt(
                {"reason": reason, "detail": detail}, f"audit:{n}:body"
            )
            doc["mac"] = self._keys.chain_mac(self._head_mac, canonical(doc, reason, detail))
            table = TinyDB(storage=lambda: storage).table(TABLE, cache_size=0)
            with storage.transaction():
                table.insert(Document(doc, doc_id=n))
                storage.meta["head"] = {"n": n, "mac": doc["mac"]}
            self._current = storage
            self._head_n, self._head_mac = n, doc["mac"]
            return AuditEntry(
                n=n,
                at=at,
                actor=actor,
                action=action,
                subject=doc["subject"],
                device=device,
                branch=branch,
                reason=reason,
                detail=detail,
            )

    # -- reading ----------------------------------------------------------------------------

    def _docs(self, month: str) -> tuple[AtomicJSONStorage, list[tuple[str, dict[str, Any]]]]:
        storage = self._open(month, create=False)
        return storage, list(storage.read().get(TABLE, {}).items())

    def _open_body(self, doc: Mapping[str, Any], path: Path) -> dict[str, Any]:
        try:
            body = self._keys.decrypt(doc["body"], f"audit:{doc['n']}:body")
        except (LookupError, ValueError, KeyError, TypeError):
            raise DecryptionFailed(path, f"audit entry {doc.get('n')}") from None
        return body

    def entries(
        self, *, holder_id: str | None = None, limit: int | None = None
    ) -> list[AuditEntry]:
        """Entries oldest first; only those about one holder when `holder_id` is given; the
        newest `limit` when a limit is given."""
        subject = self._keys.pseudonym(holder_id) if holder_id else None
        with self._lock:
            found: list[AuditEntry] = []
            for month in self.months():
                storage, docs = self._docs(month)
                for _doc_id, doc in docs:
                    if subject is not None and doc.get("subject") != subject:
                        continue
                    body = self._open_body(doc, storage.path)
                    found.append(
                        AuditEntry(
                            n=doc["n"],
                            at=doc["at"],
                            actor=doc["actor"],
                            action=doc["action"],
                            subject=doc.get("subject"),
                            device=doc["device"],
                            branch=doc["branch"],
                            reason=body.get("reason", ""),
                            detail=body.get("detail", {}),
                        )
                    )
            return found[-limit:] if limit else found

    @property
    def head(self) -> int:
        """The number of the last entry (0 when the journal is empty)."""
        return self._head_n

    def verify(self) -> AuditVerification:
        """Walk the chain through every file; stop at the first entry that breaks it."""
        with self._lock:
            walk: list[tuple[Path, str, dict[str, Any]]] = []
            heads: dict[Path, tuple[Any, Any, int]] = {}
            for month in self.months():
                path = self.path_for(month)
                try:
                    storage, docs = self._docs(month)
                except StoreCorrupt:
                    first = walk[-1][2].get("n", 0) + 1 if walk else 1
                    return AuditVerification(False, len(walk), first, "unreadable", path)
                head = storage.meta.get("head") or {}
                walk.extend((path, doc_id, doc) for doc_id, doc in docs)
                heads[path] = (head.get("n"), head.get("mac"), len(walk))
            present = {doc.get("n") for _p, _i, doc in walk}
            expected_n, prev_mac, checked = 1, GENESIS, 0
            for index, (path, doc_id, doc) in enumerate(walk):
                verdict = self._check_entry(doc_id, doc, expected_n, prev_mac, present)
                if verdict is not None:
                    return AuditVerification(False, checked, verdict[0], verdict[1], path)
                checked += 1
                expected_n, prev_mac = doc["n"] + 1, doc["mac"]
                head_n, head_mac, file_end = heads[path]
                if index + 1 == file_end and (head_n != doc["n"] or head_mac != doc["mac"]):
                    # the file's header says its chain ended elsewhere
                    if isinstance(head_n, int) and head_n > doc["n"]:
                        return AuditVerification(False, checked, expected_n, "truncated", path)
                    return AuditVerification(False, checked - 1, doc["n"], "changed", path)
            if checked < self._head_n:
                last = walk[-1][0] if walk else None
                return AuditVerification(False, checked, checked + 1, "truncated", last)
            return AuditVerification(True, checked)

    def _check_entry(
        self,
        doc_id: str,
        doc: Mapping[str, Any],
        expected_n: int,
        prev_mac: str,
        present: set[Any],
    ) -> tuple[int, str] | None:
        """(first bad entry number, problem) for this entry, or None when it links on."""
        n = doc.get("n")
        if not isinstance(n, int) or not isinstance(doc.get("mac"), str):
            return expected_n, "changed"
        if n > expected_n:
            # the expected entry is elsewhere in the journal (moved) or nowhere (cut out)
            return expected_n, "reordered" if expected_n in present else "removed"
        if n < expected_n:
            return n, "reordered"
        try:
            body = self._keys.decrypt(doc["body"], f"audit:{n}:body")
            own = self._keys.chain_mac(
                str(doc["prev"]), canonical(doc, body.get("reason", ""), body.get("detail", {}))
            )
        except (LookupError, ValueError, KeyError, TypeError, AttributeError):
            return n, "changed"
        if own != doc["mac"] or str(doc_id) != str(n):
            return n, "changed"
        if doc["prev"] != prev_mac:
            # the entry is intact but does not follow the one before it: moved or cut out
            return n, "reordered"
        return None

    # -- key rotation -----------------------------------------------------------------------

    def reencrypt(self) -> int:
        """Re-encrypt reasons under the current data key; the chain is unaffected."""
        with self._lock:
            changed = 0
            for month in self.months():
                storage = self._open(month, create=False)
                with storage.transaction():
                    for doc in storage.read().get(TABLE, {}).values():
                        if self._keys.blob_key_id(doc["body"]) == self._keys.data_current:
                            continue
                        context = f"audit:{doc['n']}:body"
                        doc["body"] = self._keys.encrypt(
                            self._keys.decrypt(doc["body"], context), context
                        )
                        changed += 1
                    if changed:
                        storage.mark_dirty()
                if self._current is not None and storage.path == self._current.path:
                    self._current = storage
            return changed
