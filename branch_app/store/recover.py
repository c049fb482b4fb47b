"""Checking every file without keys, and the supervisor's recovery of a damaged file.

`branch-app store recover --file F` (see docs/ARCHITECTURE.md, "Store"):

1. takes the folder lock (the application must be closed);
2. moves F aside as `F.damaged-<UTC time>`, never deleting it;
3. rebuilds F from what can be read: every record still readable in the damaged file, plus,
   for the outbox, every item of the last good backup (`backups/outbox.json.bak`, written at
   each start and clean exit) that is not already in the archive. Resending an item the central
   already has is harmless: it answers a repeated id with its first answer;
4. tells what was lost: the ids seen in the damaged bytes that could not be rebuilt (commands a
   teller must check), entries missing from an audit chain, records dropped from the cache.

The outbox's next sequence number jumps by 1,000 after a recovery, so no number a lost item
might have carried is ever reused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from branch_app.store import schema, storage
from branch_app.store.audit import AUDIT_DIR, GENESIS, header_line, read_month, write_month
from branch_app.store.crypto import KeySet
from branch_app.store.errors import StoreCorrupt, StoreError, StoreTooNew
from branch_app.store.lock import FolderLock
from branch_app.store.outbox import TABLE as OUTBOX_TABLE
from branch_app.store.outbox import decode_item, doc_problem, meta_problem
from branch_app.store.storage import AtomicJSONStorage, read_envelope

SEQUENCE_GAP = 1000
_ID_IN_BYTES = re.compile(rb'"id":"([0-9a-f]{32})"')
_NEXT_SEQ = re.compile(rb'"next_seq":(\d+)')


@dataclass(frozen=True)
class FileKind:
    kind: str
    table: str
    start: str  # how a record's JSON object begins in the file
    problem: Callable[[dict[str, Any]], str | None]


def _cache_problem(doc: dict[str, Any]) -> str | None:
    from branch_app.store.card_cache import _entry_problem

    return _entry_problem(doc)


def _visit_problem(doc: dict[str, Any]) -> str | None:
    from branch_app.store.visits import _entry_problem

    return _entry_problem(doc)


def _audit_problem(doc: dict[str, Any]) -> str | None:
    for key in ("n", "at", "actor", "action", "prev", "mac", "body"):
        if key not in doc:
            return f"field {key!r} missing"
    if not isinstance(doc["n"], int):
        return "field 'n' of the wrong type"
    return None


OUTBOX_KIND = FileKind(schema.OUTBOX, OUTBOX_TABLE, '{"id":', doc_problem)
ARCHIVE_KIND = FileKind(schema.OUTBOX_ARCHIVE, OUTBOX_TABLE, '{"id":', doc_problem)
CACHE_KIND = FileKind(schema.CARD_CACHE, "records", '{"ref":', _cache_problem)
AUDIT_KIND = FileKind(schema.AUDIT, "entries", '{"n":', _audit_problem)
VISITS_KIND = FileKind(schema.VISITS, "visits", '{"ref":', _visit_problem)
MANIFEST_KIND = FileKind(schema.MANIFEST, "", "", lambda doc: None)


def kind_of(data_dir: Path, path: Path) -> FileKind:
    """Which store file `path` is, from its place in the data folder."""
    try:
        relative = Path(path).resolve().relative_to(Path(data_dir).resolve())
    except ValueError:
        raise ValueError(f"{path} is not inside the data folder {data_dir}") from None
    parts = relative.parts
    if parts == ("store.json",):
        return MANIFEST_KIND
    if parts == ("outbox.json",):
        return OUTBOX_KIND
    if parts == ("card_cache.json",):
        return CACHE_KIND
    if parts == ("visits.json",):
        return VISITS_KIND
    if (
        len(parts) == 2
        and parts[0] == "archive"
        and re.fullmatch(r"outbox-\d{4}-\d{2}(\.\d+)?\.json", parts[1])
    ):
        return ARCHIVE_KIND
    if (
        len(parts) == 2
        and parts[0] == AUDIT_DIR
        and re.fullmatch(r"audit-\d{4}-\d{2}\.jsonl?", parts[1])
    ):
        return AUDIT_KIND
    raise ValueError(f"{path} is not a store file")


def store_files(data_dir: Path) -> list[Path]:
    data_dir = Path(data_dir)
    files = [data_dir / n for n in ("store.json", "outbox.json", "card_cache.json", "visits.json")]
    files = [p for p in files if p.exists()]
    for folder, pattern in (
        ("archive", "outbox-*.json"),
        (AUDIT_DIR, "audit-*.json"),
        (AUDIT_DIR, "audit-*.jsonl"),
    ):
        files += sorted((data_dir / folder).glob(pattern))
    return files


def decrypts(kind: FileKind, doc: dict[str, Any], keys: KeySet | None) -> bool:
    """Whether a record's encrypted fields open (always True without keys, and for the audit
    journal, whose entries are kept whatever they hold: verify-audit judges them)."""
    if keys is None or kind in (AUDIT_KIND, MANIFEST_KIND):
        return True
    try:
        if kind is CACHE_KIND:
            keys.decrypt(doc["record"], f"cache:{doc['ref']}:record")
        elif kind is VISITS_KIND:
            keys.decrypt(doc["sealed"], f"visit:{doc['ref']}:{doc['day']}")
        else:
            decode_item(doc, keys, "")
    except (StoreError, LookupError, ValueError, TypeError):
        return False
    return True


def file_problem(data_dir: Path, path: Path, keys: KeySet | None = None) -> str | None:
    """What is wrong with one file, or None when it reads, has its shape and (given the keys)
    every encrypted field opens."""
    kind = kind_of(data_dir, path)
    if kind is AUDIT_KIND and path.suffix == ".jsonl":
        return _month_problem(path)
    try:
        envelope, _ = schema.migrate(read_envelope(path, kind.kind), kind.kind)
    except StoreTooNew as exc:
        return str(exc)
    except StoreCorrupt as exc:
        return exc.detail
    except (LookupError, TypeError, ValueError) as exc:
        return f"cannot be migrated: {exc}"
    if kind is MANIFEST_KIND:
        return None if isinstance(envelope["meta"].get("store_id"), str) else "no store id"
    for doc_id, doc in envelope["tables"].get(kind.table, {}).items():
        problem = kind.problem(doc)
        if problem is not None:
            return f"record {doc_id}: {problem}"
        if keys is not None and kind in (OUTBOX_KIND, ARCHIVE_KIND):
            edited = meta_problem(doc, keys)
            if edited is not None:
                return f"record {doc_id}: {edited}"
        if not decrypts(kind, doc, keys):
            return f"record {doc_id} does not decrypt"
    return None


def _month_problem(path: Path) -> str | None:
    """What is wrong with an audit month file (a torn last line included), or None."""
    try:
        month = read_month(path)
    except StoreTooNew as exc:
        return str(exc)
    except StoreCorrupt as exc:
        return exc.detail
    for number, doc in enumerate(month.docs, start=2):
        problem = _audit_problem(doc)
        if problem is not None:
            return f"line {number}: {problem}"
    return None


def structural_check(data_dir: Path, keys: KeySet | None = None) -> list[tuple[Path, str | None]]:
    """Every store file with its problem (None: sound), without needing the keyring; given the
    keys, every encrypted field must open and every outbox item's plain fields match its mac."""
    return [(path, file_problem(data_dir, path, keys)) for path in store_files(data_dir)]


# -- salvage --------------------------------------------------------------------------------


def salvage_records(raw: bytes, kind: FileKind, keys: KeySet | None = None) -> list[dict[str, Any]]:
    """Every well-formed record that can still be parsed out of damaged bytes (and, given
    the keys, whose encrypted fields open)."""
    text = raw.decode("utf-8", errors="replace")
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    position = text.find(kind.start)
    while position != -1:
        try:
            doc, end = decoder.raw_decode(text, position)
        except ValueError:
            end = position + 1
        else:
            if isinstance(doc, dict) and kind.problem(doc) is None and decrypts(kind, doc, keys):
                found.append(doc)
        position = text.find(kind.start, max(end, position + 1))
    return found


@dataclass
class RecoveryReport:
    file: Path
    moved_to: Path | None = None
    damaged: bool = True
    from_damaged: int = 0
    from_backup: int = 0
    lost_ids: list[str] = field(default_factory=list)
    lost_entries: list[int] = field(default_factory=list)
    dropped: int = 0
    backup_time: str | None = None
    next_seq: int | None = None
    #: (catalog key, parameters) of further remarks, shown in the supervisor's language
    notes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def recover_file(
    data_dir: Path,
    path: Path,
    *,
    keys: KeySet | None = None,
    clock: Callable[[], datetime] | None = None,
) -> RecoveryReport:
    """The documented recovery of one damaged file (see the module docstring). With the
    folder's keys, records whose encrypted fields were changed count as damage too."""
    data_dir, path = Path(data_dir), Path(path)
    if not path.is_absolute():
        path = (Path.cwd() / path) if path.exists() else data_dir / path
    kind = kind_of(data_dir, path)
    now = (clock or (lambda: datetime.now(UTC)))()
    report = RecoveryReport(file=path)
    with FolderLock(data_dir):
        if path.exists() and file_problem(data_dir, path, keys) is None:
            report.damaged = False
            return report
        raw = path.read_bytes() if path.exists() else b""
        if path.exists():
            report.moved_to = path.with_name(
                f"{path.name}.damaged-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}"
            )
            storage.FS.replace(path, report.moved_to)  # the seam, like every store write
            storage.FS.fsync_folder(path.parent)
        if kind is MANIFEST_KIND:
            _recover_manifest(data_dir, path, report)
        elif kind is OUTBOX_KIND:
            _recover_outbox(data_dir, path, raw, report, keys)
        elif kind is AUDIT_KIND and path.suffix == ".jsonl":
            _recover_audit_month(path, raw, report)
        elif kind is AUDIT_KIND:
            _recover_audit(path, raw, report)
        else:
            _recover_plain(path, raw, kind, report, keys)
    return report


def _write_new(
    path: Path, kind: FileKind, records: dict[str, dict[str, Any]], meta: dict[str, Any]
) -> None:
    """Write a rebuilt file (records keyed by their TinyDB number) atomically."""
    envelope = schema.new_envelope(kind.kind)
    envelope["meta"].update(meta)
    envelope["tables"][kind.table] = records
    AtomicJSONStorage.in_memory(path, kind.kind, envelope).flush()


def _by(docs: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {str(d[key]): d for d in sorted(docs, key=lambda d: d[key])}


def _recover_manifest(data_dir: Path, path: Path, report: RecoveryReport) -> None:
    backup = data_dir / "backups" / "store.json.bak"
    try:
        envelope = read_envelope(backup, schema.MANIFEST)
    except StoreError:
        raise StoreCorrupt(
            path,
            "no readable backup of the manifest; restore store.json from the machine's backup, "
            "because it names the keyring entry that holds the data key",
        ) from None
    AtomicJSONStorage.in_memory(path, schema.MANIFEST, envelope).flush()
    report.from_backup = 1


def _recover_outbox(
    data_dir: Path, path: Path, raw: bytes, report: RecoveryReport, keys: KeySet | None
) -> None:
    archived_docs = _readable_archive_docs(data_dir, report)
    archived_ids = {d["id"] for d in archived_docs}
    salvaged = {
        d["id"]: d for d in salvage_records(raw, OUTBOX_KIND, keys) if d["id"] not in archived_ids
    }
    report.from_damaged = len(salvaged)
    highest = max(
        [d["seq"] for d in archived_docs] + [d["seq"] for d in salvaged.values()], default=0
    )
    highest = max([highest, *(int(m) - 1 for m in _NEXT_SEQ.findall(raw))])
    backup = data_dir / "backups" / "outbox.json.bak"
    try:
        envelope, _ = schema.migrate(read_envelope(backup, schema.OUTBOX), schema.OUTBOX)
    except StoreError:
        report.notes.append(("store.recover.no_backup", {}))
    else:
        report.backup_time = datetime.fromtimestamp(backup.stat().st_mtime, UTC).isoformat(
            timespec="seconds"
        )
        highest = max(highest, int(envelope["meta"].get("next_seq", 1)) - 1)
        for doc in envelope["tables"].get(OUTBOX_TABLE, {}).values():
            if (
                doc_problem(doc) is None
                and decrypts(OUTBOX_KIND, doc, keys)
                and doc["id"] not in salvaged
                and doc["id"] not in archived_ids
            ):
                salvaged[doc["id"]] = doc
                report.from_backup += 1
    seen_in_damage = {m.decode() for m in _ID_IN_BYTES.findall(raw)}
    report.lost_ids = sorted(seen_in_damage - set(salvaged) - archived_ids)
    # Two salvaged items cannot share a number; keep the first, renumber the other after all.
    docs = sorted(salvaged.values(), key=lambda d: d["seq"])
    used: set[int] = set()
    for doc in docs:
        if doc["seq"] in used:
            highest += 1
            doc["seq"] = highest
            report.notes.append(("store.recover.renumbered", {"id": doc["id"], "seq": highest}))
        used.add(doc["seq"])
    report.next_seq = highest + 1 + SEQUENCE_GAP
    archived_counts: dict[str, int] = {}
    for doc in archived_docs:
        archived_counts[doc["status"]] = archived_counts.get(doc["status"], 0) + 1
    _write_new(
        path,
        OUTBOX_KIND,
        _by(docs, "seq"),
        {"next_seq": report.next_seq, "archived": archived_counts},
    )


def _readable_archive_docs(data_dir: Path, report: RecoveryReport) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted((data_dir / "archive").glob("outbox-*.json")):
        try:
            envelope, _ = schema.migrate(
                read_envelope(path, schema.OUTBOX_ARCHIVE), schema.OUTBOX_ARCHIVE
            )
        except StoreError:
            report.notes.append(("store.recover.archive_damaged", {"name": path.name}))
            continue
        docs += [
            d for d in envelope["tables"].get(OUTBOX_TABLE, {}).values() if doc_problem(d) is None
        ]
    return docs


def _recover_plain(
    path: Path, raw: bytes, kind: FileKind, report: RecoveryReport, keys: KeySet | None
) -> None:
    """Archive months and the card cache: keep what reads; the cache refills from the central."""
    key = "seq" if kind is ARCHIVE_KIND else None
    docs = salvage_records(raw, kind, keys)
    unique: dict[str, dict[str, Any]] = {}
    for doc in docs:
        unique.setdefault(doc["id"] if key else doc.get("card", doc["ref"]), doc)
    kept = list(unique.values())
    report.from_damaged = len(kept)
    if kind is ARCHIVE_KIND:
        report.lost_ids = sorted({m.decode() for m in _ID_IN_BYTES.findall(raw)} - set(unique))
        _write_new(path, kind, _by(kept, "seq"), {})
    else:
        _write_new(path, kind, {str(n): doc for n, doc in enumerate(kept, start=1)}, {})
        if kind is CACHE_KIND:  # a visit list lost is planned again, online
            report.notes.append(("store.recover.cache_refetch", {}))


def _recover_audit(path: Path, raw: bytes, report: RecoveryReport) -> None:
    docs = {d["n"]: d for d in salvage_records(raw, AUDIT_KIND)}
    kept = [docs[n] for n in sorted(docs)]
    report.from_damaged = len(kept)
    if kept:
        expected = range(kept[0]["n"], kept[-1]["n"] + 1)
        report.lost_entries = [n for n in expected if n not in docs]
    meta: dict[str, Any] = {}
    if kept:
        meta["head"] = {"n": kept[-1]["n"], "mac": kept[-1]["mac"]}
        meta["starts_after"] = {"n": kept[0]["n"] - 1, "mac": kept[0]["prev"]}
    else:
        report.notes.append(("store.recover.audit_empty", {}))
        meta["starts_after"] = {"n": 0, "mac": "0" * 64}
    _write_new(path, AUDIT_KIND, _by(kept, "n"), meta)
    report.notes.append(("store.recover.audit_verify", {}))


def _recover_audit_month(path: Path, raw: bytes, report: RecoveryReport) -> None:
    """Rebuild a `.jsonl` month from its readable lines; a torn last line (an append a power
    cut interrupted, never acknowledged) is left out and the report says so."""
    docs = {d["n"]: d for d in salvage_records(raw, AUDIT_KIND)}
    kept = [docs[n] for n in sorted(docs)]
    report.from_damaged = len(kept)
    if kept:
        expected = range(kept[0]["n"], kept[-1]["n"] + 1)
        report.lost_entries = [n for n in expected if n not in docs]
    starts_after: dict[str, Any] = {"n": 0, "mac": GENESIS}
    first_line = raw.split(b"\n", 1)[0]
    try:
        header = json.loads(first_line)
        if isinstance(header, dict) and isinstance(header.get("starts_after"), dict):
            starts_after = header["starts_after"]
    except ValueError:
        if kept:
            starts_after = {"n": kept[0]["n"] - 1, "mac": kept[0]["prev"]}
    if _last_append_unreadable(raw, kept):
        report.notes.append(("store.recover.audit_torn", {}))
    if not kept:
        report.notes.append(("store.recover.audit_empty", {}))
    write_month(path, header_line(starts_after), kept)
    report.notes.append(("store.recover.audit_verify", {}))


def _last_append_unreadable(raw: bytes, kept: list[dict[str, Any]]) -> bool:
    """Whether the month's last line is an append a power cut interrupted, left out of the
    rebuilt file: cut short (no newline), or whole in length but not in its bytes (zeros where
    blocks never reached the disk). A last line that reads as a whole entry is kept, so it is not
    one. A line lost in the middle of the file is a lost entry instead (`lost_entries`)."""
    lines = raw.split(b"\n")
    last = lines[-1] if lines[-1] else (lines[-2] if len(lines) > 2 else b"")
    if not last or len(lines) < 2 or last == lines[0]:
        return False  # nothing after the header
    try:
        doc = json.loads(last)
    except ValueError:
        return True
    return not (isinstance(doc, dict) and doc in kept)


def folder_keys(data_dir: Path) -> KeySet | None:
    """The folder's keys from the system keyring, or None when they cannot be had (unusable
    keyring, unreadable manifest): recovery then judges files by their structure alone."""
    import keyring

    from branch_app.store.crypto import load_keyset, refusal_reason

    backend = keyring.get_keyring()
    if refusal_reason(backend) is not None:
        return None
    try:
        manifest = read_envelope(Path(data_dir) / "store.json", schema.MANIFEST)
        store_id = manifest["meta"]["store_id"]
        return load_keyset(backend, str(store_id))
    except (StoreError, KeyError, TypeError):
        return None
