"""The audit journal: append-only, hash-chained, one file per month.

Each entry says who (staff id, device, branch) did what (an action code), on whose record (a
keyed hash of the ID number, never the number), when, and why (the reason, encrypted with the
data key together with any detail). Each entry carries `mac = HMAC(audit key, previous mac ||
canonical entry)`, so the chain runs through every entry of every month. Because the link is
keyed, someone who can edit the files but not read the keyring cannot forge a consistent chain
after changing, removing or reordering an entry; `verify()` names the first entry that breaks
it. The link is computed over the decrypted reason, so a key rotation can re-encrypt reasons
without touching the chain.

A month is `audit-YYYY-MM.jsonl`: a header line (format, schema, where the chain starts) and
one line per entry. Recording an entry is one write of its line and one fsync (through the
store's `FileSystem` seam), whatever the month already holds. A power cut during an append can
leave the last line cut short: opening the journal refuses it (StoreCorrupt naming the file),
`branch-app store check` names it, and `store recover` drops only that unacknowledged line. Month
files of the earlier format (`audit-YYYY-MM.json`, one JSON document rewritten per entry) are
migrated once when the journal opens: the new file is written atomically, then the old one goes.

The chain alone cannot tell a journal cut short from a whole one (its head would be read from the
files themselves), so the head is also kept outside the data folder: the entry count, the last
link and the month of its file go to the OS keyring beside the keys (`crypto.AuditAnchor`), and
every sync sends the head to the central, which keeps each device's last head. A journal that
ends before its anchor (last entries dropped, a month rolled back, emptied or deleted, the whole
folder deleted) is refused at open and named by `verify()`.

The anchor says "the journal reaches at least entry n, whose link is m"; one that lags behind
the journal only claims less, so it is written off the append path (a keyring write costs tens
of milliseconds with gnome-keyring, a hundred times the append): a background writer takes the
newest head `ANCHOR_AFTER` seconds after the first append it has not anchored, or at once when
`ANCHOR_EVERY` entries wait, one keyring write at a time (heads that arrive meanwhile coalesce
into the newest). `close()` and `anchor_now()` write the head before they return, and the
store's open anchors a journal found ahead of its anchor. The window: after a power cut or a
kill, the entries of the last `ANCHOR_AFTER` seconds (at most `ANCHOR_EVERY`, plus those that
arrived during one keyring write) are not yet covered by the anchor, so cutting exactly those off
before the next open goes unseen by the device (the central still sees it once they were synced);
a cut below the anchor is refused as before.

An entry may carry `ref`, the outbox id of the request it records, and `recovered`, set on an
entry written at open for an accepted request whose own entry a crash prevented (both in the
chain; absent on entries that lack them, so older entries verify as before).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from branch_app.store import schema
from branch_app.store.crypto import AuditAnchor, AuditHead, KeySet, normalise_holder_id
from branch_app.store.errors import DecryptionFailed, StoreCorrupt, StoreError, StoreTooNew
from branch_app.store.outbox import utc_iso
from branch_app.store.storage import (
    FS,
    AppendOnlyFile,
    AtomicJSONStorage,
    remove_temp_files,
    write_atomically,
)

log = logging.getLogger(__name__)

AUDIT_DIR = "audit"
TABLE = "entries"
GENESIS = "0" * 64
_NAME = re.compile(r"^audit-(\d{4})-(\d{2})\.jsonl$")
_OLD_NAME = re.compile(r"^audit-(\d{4})-(\d{2})\.json$")
#: The schema of a `.jsonl` month's header line (1 was the whole-document `.json` month file).
LOG_SCHEMA = 2
#: The anchor follows an append within this many seconds (see the module docstring) ...
ANCHOR_AFTER = 0.25
#: ... or at once when this many entries wait for it.
ANCHOR_EVERY = 32


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
    #: The outbox id of the request this entry records (None for other entries).
    ref: str | None = None
    #: Written at open for an accepted request whose entry a crash prevented.
    recovered: bool = False


@dataclass(frozen=True)
class AuditVerification:
    """The outcome of checking the chain; `first_bad` is the entry number where it breaks."""

    ok: bool
    checked: int
    first_bad: int | None = None
    #: changed | removed | reordered | truncated | torn | unreadable, and against the anchor:
    #: truncated | emptied (the anchored month holds no entry) | month_missing | journal_missing
    problem: str | None = None
    file: Path | None = None
    #: Where the keyring's anchor says the journal ends (when it ends before that).
    anchored: int | None = None


def canonical(doc: Mapping[str, Any], reason: str, detail: Mapping[str, Any]) -> bytes:
    """The bytes the chain link covers: every field but the mac, with the reason in clear
    (`ref` and `recovered` only when the entry has them)."""
    extra = {key: doc[key] for key in ("ref", "recovered") if key in doc}
    return orjson.dumps(
        {
            **extra,
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


@dataclass
class MonthFile:
    """One month's journal as read from disk."""

    header: dict[str, Any]
    docs: list[dict[str, Any]]
    #: The bytes after the last newline: an entry a power cut interrupted (b"" when whole).
    torn: bytes = b""
    #: Where the torn line starts in the file.
    torn_at: int = 0


def header_line(starts_after: Mapping[str, Any], head: Mapping[str, Any] | None = None) -> bytes:
    header: dict[str, Any] = {
        "format": schema.FORMAT,
        "kind": schema.AUDIT,
        "schema": LOG_SCHEMA,
        "starts_after": dict(starts_after),
    }
    if head is not None:  # kept from a migrated file of the earlier format
        header["head"] = dict(head)
    return orjson.dumps(header) + b"\n"


def entry_line(doc: Mapping[str, Any]) -> bytes:
    return orjson.dumps(doc) + b"\n"


def torn_detail(month: MonthFile) -> str:
    return (
        f"its last line is cut short at byte {month.torn_at} (a write interrupted by a power cut)"
    )


def read_month(path: Path, *, strict: bool = True) -> MonthFile:
    """Parse a month file. Raises StoreCorrupt for anything damaged; a torn last line too when
    `strict`, else it is returned in `torn` (for `verify`, which names it)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StoreCorrupt(path, f"cannot be read: {exc.strerror or exc}") from None
    if not raw:
        raise StoreCorrupt(path, "the file is empty")
    lines = raw.split(b"\n")
    torn = lines.pop()
    month = MonthFile({}, [], torn, len(raw) - len(torn))
    if torn and strict:
        raise StoreCorrupt(path, torn_detail(month))
    if not lines:
        raise StoreCorrupt(path, torn_detail(month))
    try:
        header = orjson.loads(lines[0])
    except orjson.JSONDecodeError:
        raise StoreCorrupt(path, "its header line is not valid JSON") from None
    if (
        not isinstance(header, dict)
        or header.get("format") != schema.FORMAT
        or header.get("kind") != schema.AUDIT
        or not isinstance(header.get("schema"), int)
        or not isinstance(header.get("starts_after"), dict)
    ):
        raise StoreCorrupt(path, "its header line is not an audit journal's")
    if header["schema"] > LOG_SCHEMA:
        raise StoreTooNew(path, header["schema"], LOG_SCHEMA)
    month.header = header
    for number, line in enumerate(lines[1:], start=2):
        try:
            doc = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise StoreCorrupt(path, f"line {number} is not valid JSON") from None
        if not isinstance(doc, dict):
            raise StoreCorrupt(path, f"line {number} is not an entry")
        month.docs.append(doc)
    return month


def write_month(path: Path, header: bytes, docs: list[dict[str, Any]]) -> None:
    """Write a whole month file atomically (migration, key rotation, recovery)."""
    write_atomically(path, header + b"".join(entry_line(doc) for doc in docs))


def _last_line(path: Path) -> tuple[bytes, bytes]:
    """(first line, last complete line) without reading the whole file; StoreCorrupt when the
    file ends in a torn line."""
    try:
        with path.open("rb") as file:
            first = file.readline()
            size = file.seek(0, 2)
            block = 4096
            while True:
                start = max(0, size - block)
                file.seek(start)
                tail = file.read(size - start)
                cut = tail.rfind(b"\n", 0, len(tail) - 1)
                if cut != -1 or start == 0:
                    break
                block *= 4
    except OSError as exc:
        raise StoreCorrupt(path, f"cannot be read: {exc.strerror or exc}") from None
    if not tail.endswith(b"\n"):
        torn = tail[tail.rfind(b"\n") + 1 :]
        raise StoreCorrupt(path, torn_detail(MonthFile({}, [], torn, size - len(torn))))
    return first, tail[cut + 1 :]


_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


class _AuditMac:
    """HMAC-SHA256 under the audit key with the key's two pads hashed once: the same values as
    `KeySet.pseudonym` and `KeySet.chain_mac` (which `verify()` uses) for less than half of
    their work, and the append computes both for every entry."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
        self._inner = hashlib.sha256(block.translate(_IPAD))
        self._outer = hashlib.sha256(block.translate(_OPAD))

    def hex(self, message: bytes) -> str:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def pseudonym(self, holder_id: str) -> str:
        digest = self.hex(b"subject\x00" + normalise_holder_id(holder_id).encode("utf-8"))
        return f"p:{digest[:40]}"

    def chain_mac(self, previous: str, canonical: bytes) -> str:
        return self.hex(previous.encode("ascii") + b"\x00" + canonical)


class _AnchorWriter:
    """Writes the journal's newest head to the keyring from a daemon thread (module docstring):
    only the newest head matters, so a head waiting to be written is replaced by a newer one."""

    def __init__(self, anchor: AuditAnchor, saved: Callable[[AuditHead], None]) -> None:
        self._anchor = anchor
        self._saved = saved
        self._wake = threading.Condition(threading.Lock())
        #: The newest head not yet written (n, mac, month), how many appends it stands for,
        #: since when.
        self._pending: tuple[int, str, str] | None = None
        self._waiting = 0
        self._since = 0.0
        #: The running thread and its generation (`stop` moves to the next one).
        self._thread: threading.Thread | None = None
        self._generation = 0
        #: One keyring write at a time, never an older head after a newer one.
        self._writing = threading.Lock()
        self._written_n = -1

    def follow(self, n: int, mac: str, month: str) -> None:
        """A new head after an append (cheap: the append path; the head is made later)."""
        with self._wake:
            first = self._pending is None
            self._pending = (n, mac, month)
            self._waiting += 1
            if first:
                self._since = time.monotonic()
                if self._thread is None or not self._thread.is_alive():  # (none after a fork)
                    self._thread = threading.Thread(
                        target=self._run,
                        args=(self._generation,),
                        name="audit-anchor",
                        daemon=True,
                    )
                    self._thread.start()
                    return
            if first or self._waiting == ANCHOR_EVERY:
                self._wake.notify_all()

    def _run(self, generation: int) -> None:
        while True:
            with self._wake:
                while self._pending is None and self._generation == generation:
                    self._wake.wait()
                if self._pending is None:
                    return
                while self._generation == generation and self._waiting < ANCHOR_EVERY:
                    left = self._since + ANCHOR_AFTER - time.monotonic()
                    if left <= 0:
                        break
                    self._wake.wait(left)
                head, self._pending, self._waiting = AuditHead(*self._pending), None, 0
            try:
                self.write(head, newer_only=True)
            except Exception:  # the entries are durable; the anchor follows with the next head
                log.warning("the audit journal's anchor could not be written")

    def write(self, head: AuditHead, *, newer_only: bool) -> None:
        """Write `head` now (skipped when `newer_only` and a head as new is already written);
        raises what the keyring raises (KeyringRefused)."""
        with self._writing:
            if newer_only and head.n <= self._written_n:
                return
            self._anchor.save(head)
            self._written_n = head.n
            self._saved(head)

    def stop(self) -> None:
        """End the thread once it has written the head waiting, if any; a later `follow`
        starts another."""
        with self._wake:
            thread, self._thread = self._thread, None
            self._generation += 1
            self._wake.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join()


class AuditJournal:
    """Appends entries to the current month's file and verifies the whole chain. Thread-safe."""

    def __init__(
        self,
        data_dir: Path,
        keys: KeySet,
        *,
        clock: Callable[[], datetime],
        lock: threading.RLock,
        anchor: AuditAnchor | None = None,
        writable: bool = True,
    ) -> None:
        """`anchor` keeps the head in the keyring (None: no anchor, as in recovery tools);
        `writable=False` opens the journal to be inspected only (`store check`,
        `verify-audit`): nothing is appended or anchored, even when it is cut short."""
        self.folder = Path(data_dir) / AUDIT_DIR
        self._keys = keys
        self._clock = clock
        self._lock = lock
        self.folder.mkdir(parents=True, exist_ok=True)
        remove_temp_files(self.folder)
        self._migrate_old_months()
        self._file: AppendOnlyFile | None = None
        #: The month of the open file ("YYYY-MM").
        self._file_month = ""
        self._mac = _AuditMac(keys.audit_key)
        self._head_n = 0
        self._head_mac = GENESIS
        self._head_month: str | None = None
        months = self.months()
        if months:
            self._head_n, self._head_mac = self._head_of(self.path_for(months[-1]))
            self._head_month = months[-1]
        self._anchor = anchor
        self._writable = writable
        self.anchored: AuditHead | None = anchor.load() if anchor is not None else None
        self._anchor_writer = (
            _AnchorWriter(anchor, self._anchor_saved) if anchor is not None and writable else None
        )
        #: How the journal falls short of its anchor at open (None: it does not).
        self.cut_short = self._short_of_anchor(self._head_n, months)

    def _short_of_anchor(self, last_n: int, months: list[str]) -> AuditVerification | None:
        """How a journal ending at `last_n` falls short of the keyring's anchor, or None."""
        anchored = self.anchored
        if anchored is None or last_n >= anchored.n:
            return None
        problem, path = "truncated", self.path_for(months[-1]) if months else self.folder
        if not months:
            problem, path = "journal_missing", self.folder
        elif anchored.month is not None and anchored.month not in months:
            problem, path = "month_missing", self.path_for(anchored.month)
        elif anchored.month == months[-1] and not self._has_entries(path):
            problem = "emptied"
        return AuditVerification(False, last_n, last_n + 1, problem, path, anchored.n)

    @staticmethod
    def _has_entries(path: Path) -> bool:
        first, last = _last_line(path)
        return last != first

    @property
    def head_info(self) -> AuditHead:
        """Where the journal ends now (what the anchor holds and a sync sends)."""
        with self._lock:
            return AuditHead(self._head_n, self._head_mac, self._head_month)

    def anchor_now(self) -> None:
        """Write the current head to the keyring before returning (at open for a journal not
        anchored yet or ahead of its anchor, at close, and wherever the anchor must not lag)."""
        with self._lock:
            writer = self._anchor_writer
            if writer is None or self.cut_short is not None:
                return
            head = self.head_info
            if head != self.anchored:
                writer.write(head, newer_only=False)

    def _anchor_saved(self, head: AuditHead) -> None:
        self.anchored = head

    def refs_since(self, month: str) -> set[str]:
        """The outbox ids that entries of `month` and later months record."""
        with self._lock:
            found: set[str] = set()
            for name in self.months():
                if name >= month:
                    found.update(
                        doc["ref"]
                        for doc in read_month(self.path_for(name)).docs
                        if isinstance(doc.get("ref"), str)
                    )
            return found

    @staticmethod
    def _head_of(path: Path) -> tuple[int, str]:
        """Where the chain ends in this file: its last entry, or where it started if empty.
        Reads only the first and the last line; a torn last line raises StoreCorrupt."""
        first, last = _last_line(path)
        try:
            head = orjson.loads(last if last != first else first)
        except orjson.JSONDecodeError:
            raise StoreCorrupt(path, "its last line is not valid JSON") from None
        if isinstance(head, dict) and "starts_after" in head:
            head = head["starts_after"]
        n, mac = (head.get("n"), head.get("mac")) if isinstance(head, dict) else (None, None)
        if not isinstance(n, int) or not isinstance(mac, str):
            raise StoreCorrupt(path, "the audit chain head is missing")
        return n, mac

    def _migrate_old_months(self) -> None:
        """Rewrite each month file of the earlier format as a `.jsonl` file, once: the new file
        is written atomically before the old one is removed, so a crash between the two leaves
        a whole new file (which wins) and an old one removed at the next opening."""
        for old in sorted(self.folder.iterdir()):
            if not _OLD_NAME.match(old.name):
                continue
            new = old.with_suffix(".jsonl")
            if not new.exists():
                storage = AtomicJSONStorage.open(old, schema.AUDIT, create=False)
                entries = storage.read().get(TABLE, {})
                docs = [entries[key] for key in sorted(entries, key=int)]
                starts_after = storage.meta.get("starts_after") or {"n": 0, "mac": GENESIS}
                write_month(new, header_line(starts_after, storage.meta.get("head")), docs)
            FS.unlink(old)
            FS.fsync_folder(self.folder)

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
        return self.folder / f"audit-{month}.jsonl"

    def files(self) -> list[Path]:
        return [self.path_for(m) for m in self.months()]

    def close(self) -> None:
        """Close the month's file and write the anchor (the journal may be appended to again:
        the file reopens and the anchor's writer starts again)."""
        with self._lock:
            if self._anchor_writer is not None:
                self._anchor_writer.stop()
                try:
                    self.anchor_now()
                except StoreError:  # the entries are durable; the next open anchors them
                    log.warning("the audit journal's anchor could not be written")
            self._close_file()

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            self._file_month = ""

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
        ref: str | None = None,
        recovered: bool = False,
        at: str | None = None,
    ) -> AuditEntry:
        """Append one entry (one write, one fsync); durable when it returns. Its head reaches
        the keyring's anchor shortly after (module docstring). Refused (StoreCorrupt) in a
        journal cut short of its anchor or opened for inspection only."""
        if not action or not actor:
            raise ValueError("an audit entry needs an action and an actor")
        detail = dict(detail or {})
        with self._lock:
            if self.cut_short is not None:
                raise StoreCorrupt(
                    self.cut_short.file or self.folder,
                    f"the audit journal ends at entry {self.cut_short.checked} but its anchor "
                    f"in the keyring says {self.cut_short.anchored}",
                )
            if not self._writable:
                raise StoreCorrupt(self.folder, "the audit journal was opened for checking only")
            at = at or utc_iso(self._clock())
            file = self._file
            if file is None or at[:7] > self._file_month:  # else: still the open month (or the
                file = self._open_month(at[:7])  # clock went back: stay in the newest file)
            mac = self._mac
            if mac.key is not self._keys.audit_key:
                mac = self._mac = _AuditMac(self._keys.audit_key)
            n = self._head_n + 1
            prev = self._head_mac
            subject = mac.pseudonym(holder_id) if holder_id else None
            doc: dict[str, Any] = {
                "n": n,
                "at": at,
                "actor": actor,
                "action": action,
                "subject": subject,
                "device": device,
                "branch": branch,
                "prev": prev,
            }
            if ref is not None:
                doc["ref"] = ref
            if recovered:
                doc["recovered"] = True
            # `canonical(doc, reason, detail)` without its copies: doc holds its fields so far
            link = mac.chain_mac(
                prev,
                orjson.dumps(
                    {**doc, "reason": reason, "detail": detail}, option=orjson.OPT_SORT_KEYS
                ),
            )
            doc["body"] = self._keys.encrypt(
                {"reason": reason, "detail": detail}, f"audit:{n}:body"
            )
            doc["mac"] = link
            file.append(orjson.dumps(doc, option=orjson.OPT_APPEND_NEWLINE))
            self._head_n, self._head_mac = n, link
            self._head_month = self._file_month
            if self._anchor_writer is not None:
                self._anchor_writer.follow(n, link, self._file_month)
            return AuditEntry(
                n, at, actor, action, subject, device, branch, reason, detail, ref, recovered
            )

    def _open_month(self, month: str) -> AppendOnlyFile:
        """Open the file an entry of `month` goes to: the newest month's file when the clock
        went back, else this month's (created whole, with its header, once a month)."""
        months = self.months() if self._file is None else []
        if months and months[-1] > month:
            month = months[-1]
        self._close_file()
        path = self.path_for(month)
        if not path.exists():
            write_month(path, header_line({"n": self._head_n, "mac": self._head_mac}), [])
        self._file = AppendOnlyFile(path)
        self._file_month = month
        return self._file

    # -- reading ----------------------------------------------------------------------------

    def _open_body(self, doc: Mapping[str, Any], path: Path) -> dict[str, Any]:
        try:
            body: dict[str, Any] = self._keys.decrypt(doc["body"], f"audit:{doc['n']}:body")
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
            for path in self.files():
                for doc in read_month(path).docs:
                    if subject is not None and doc.get("subject") != subject:
                        continue
                    body = self._open_body(doc, path)
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
                            ref=doc.get("ref"),
                            recovered=bool(doc.get("recovered")),
                        )
                    )
            return found[-limit:] if limit else found

    @property
    def head(self) -> int:
        """The number of the last entry (0 when the journal is empty)."""
        return self._head_n

    def verify(self) -> AuditVerification:
        """Walk the chain through every file; stop at the first entry that breaks it (a line cut
        short by a power cut is `torn`)."""
        with self._lock:
            #: every entry in order; None stands for a torn last line
            walk: list[tuple[Path, dict[str, Any] | None]] = []
            heads: dict[Path, tuple[Any, Any]] = {}
            ends: dict[Path, int] = {}
            for path in self.files():
                try:
                    month = read_month(path, strict=False)
                except StoreCorrupt:
                    known = [doc for _p, doc in walk if doc is not None]
                    first = known[-1].get("n", 0) + 1 if known else 1
                    return AuditVerification(False, len(known), first, "unreadable", path)
                walk.extend((path, doc) for doc in month.docs)
                ends[path] = len(walk)
                if month.torn:
                    walk.append((path, None))
                head = month.header.get("head")
                if isinstance(head, dict):  # a migrated file keeps its earlier header's head
                    heads[path] = (head.get("n"), head.get("mac"))
            present = {doc.get("n") for _p, doc in walk if doc is not None}
            expected_n, prev_mac, checked = 1, GENESIS, 0
            anchored = self.anchored
            anchored_mac: str | None = None
            for index, (path, entry) in enumerate(walk):
                if entry is None:
                    return AuditVerification(False, checked, expected_n, "torn", path)
                verdict = self._check_entry(entry, expected_n, prev_mac, present)
                if verdict is not None:
                    return AuditVerification(False, checked, verdict[0], verdict[1], path)
                checked += 1
                expected_n, prev_mac = entry["n"] + 1, entry["mac"]
                if anchored is not None and entry["n"] == anchored.n:
                    anchored_mac = entry["mac"]
                if path in heads:
                    # the earlier format's header says where this file's chain ended
                    head_n, head_mac = heads[path]
                    if entry["n"] == head_n and entry["mac"] != head_mac:
                        return AuditVerification(False, checked - 1, entry["n"], "changed", path)
                    last_of_file = index + 1 == ends[path]
                    if last_of_file and isinstance(head_n, int) and head_n > entry["n"]:
                        return AuditVerification(False, checked, expected_n, "truncated", path)
            short = self._short_of_anchor(checked, self.months())
            if short is not None:
                return short
            if anchored is not None and anchored.n > 0 and anchored_mac != anchored.mac:
                # the anchored entry is there but is not the one that was anchored
                where = self.path_for(anchored.month) if anchored.month else None
                return AuditVerification(False, anchored.n - 1, anchored.n, "changed", where)
            if checked < self._head_n:
                last = walk[-1][0] if walk else None
                return AuditVerification(False, checked, checked + 1, "truncated", last)
            return AuditVerification(True, checked)

    def _check_entry(
        self,
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
        if own != doc["mac"]:
            return n, "changed"
        if doc["prev"] != prev_mac:
            # the entry is intact but does not follow the one before it: moved or cut out
            return n, "reordered"
        return None

    # -- key rotation -----------------------------------------------------------------------

    def reencrypt(self) -> int:
        """Re-encrypt reasons under the current data key (each month rewritten atomically);
        the chain is unaffected."""
        with self._lock:
            self._close_file()  # the current month's file is replaced: append to the new one
            changed = 0
            for path in self.files():
                month = read_month(path)
                before = changed
                for doc in month.docs:
                    if self._keys.blob_key_id(doc["body"]) == self._keys.data_current:
                        continue
                    context = f"audit:{doc['n']}:body"
                    doc["body"] = self._keys.encrypt(
                        self._keys.decrypt(doc["body"], context), context
                    )
                    changed += 1
                if changed != before:
                    header = header_line(month.header["starts_after"], month.header.get("head"))
                    write_month(path, header, month.docs)
            return changed
