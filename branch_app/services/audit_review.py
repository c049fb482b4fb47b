"""The supervisor's review of the device's audit journal: search, verify, export; no Textual.

**Search** by holder, member of staff, action and period; newest first, at most `SEARCH_LIMIT`.
A holder is found by the keyed hash the journal names them by (the typed number is validated
by the domain's `parse_identity` and hashed, never stored or shown in full). Searching by holder
is itself a query of a person: it needs a purpose (`LookupPurpose`, as a lookup does) and is
written to the journal first (`HOLDER_SEARCHED`: who, when, the purpose, the note).

What a row shows, and why no more: when, who (staff id, device, branch), the action, the
holder (masked as `mask_identity` does when the supervisor typed the number; otherwise only
the first characters of the keyed hash, so entries about one person can be told apart from
another's without saying who), the reason as recorded (the "why" is what a supervisor
reviews), and the references of the detail that point at other records (`REF_KEYS`: outbox,
conflict and command ids, the command's kind, outcome, decision, an export's period, count
and checksum). The rest of the detail (the command's payload, a receipt, a note) can hold
names, addresses and telephone numbers: it stays encrypted in the journal and is not shown.

**Verify** walks the chain (`ReviewedJournal.verify`) and says so in data (`ChainCheck`).

**Export** a period for an inspector: JSON lines, a header line (what, which device, which
period, how many entries, by whom) then one line per entry, oldest first, holders as their keyed
hashes, detail limited to `REF_KEYS` and a reason only when it is a code (a reason a person typed
may name someone: it is marked `reason_typed` instead). JSON lines rather than CSV: it is the
journal's own form (one entry a line, nested references kept as they are), each line parses on
its own, and a spreadsheet never evaluates a cell (no formula injection through a typed text).
The export is audited before the file is written (`EXPORTED`: the period, the count, the file
and its SHA-256), so there is never an export the journal does not know; a write that then
fails is audited too (`EXPORT_FAILED`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from branch_app.domain.vocabulary import LookupPurpose

if TYPE_CHECKING:
    from branch_app.domain.identity import IdentityNumber
    from branch_app.services.ports import AuditReader, Clock, ReviewedJournal
    from branch_app.services.supervisor import SupervisorDesk
    from branch_app.store.audit import AuditEntry

#: The journal's action for a search of one holder's entries (a query of a person).
HOLDER_SEARCHED = "supervisor.audit_holder_search"
#: The journal's action for an export of a period (written before the file).
EXPORTED = "supervisor.audit_export"
#: The export's file could not be written after its entry was (the entry says which).
EXPORT_FAILED = "supervisor.audit_export_failed"
#: A search shows at most this many entries, the newest.
SEARCH_LIMIT = 5000
#: The export file's format (the header line's `format`).
EXPORT_FORMAT = 1
#: The keys of an entry's detail that are shown and exported: references, never content.
REF_KEYS = (
    "outbox_id",
    "conflict_id",
    "command_id",
    "correcting_command_id",
    "kind",
    "outcome",
    "decision",
    "first",
    "last",
    "entries",
    "sha256",
)
#: A reason that is a code (`application:first:normal`, `holder_enquiry`), not typed words.
_CODE = re.compile(r"^[a-z0-9_.:\-]*$")
_FILE_PART = re.compile(r"[^A-Za-z0-9_-]+")
MAX_NOTE = 200


class ReviewRefused(ValueError):
    """The search or export was not made; `key` is the catalog key of why (no prose)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Period:
    """Days in the counter's time zone, both included; `None` leaves that end open."""

    first: dt.date | None = None
    last: dt.date | None = None

    def bounds(self, tz: dt.tzinfo | None) -> tuple[dt.datetime | None, dt.datetime | None]:
        """(from, before) as moments: the first day's midnight, the midnight after the last."""
        since = dt.datetime.combine(self.first, dt.time(), tz) if self.first else None
        until = (
            dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), tz)
            if self.last
            else None
        )
        return since, until


def parse_day(text: str) -> dt.date | None:
    """A typed `YYYY-MM-DD` (empty: `None`); `ReviewRefused` when it is no date."""
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ReviewRefused("audit_review.refused.bad_date") from None


@dataclass(frozen=True)
class Search:
    """What the supervisor asked for. `holder` is never shown and kept out of reprs."""

    holder: IdentityNumber | None = field(default=None, repr=False)
    purpose: LookupPurpose | None = None
    note: str = ""
    actor: str = ""
    action: str = ""
    period: Period = Period()


def search_problem(search: Search) -> str | None:
    """Catalog key of why `search` cannot be made, or None."""
    period = search.period
    if period.first and period.last and period.last < period.first:
        return "audit_review.refused.period_backwards"
    if len(search.note.strip()) > MAX_NOTE:
        return "audit_review.refused.note_too_long"
    if search.holder is not None and search.purpose is None:
        return "audit_review.refused.purpose_required"
    return None


@dataclass(frozen=True)
class JournalRow:
    """One entry as the screen shows it (see the module's docstring for what is left out)."""

    n: int
    at: str
    actor: str
    action: str
    holder: str
    device: str
    branch: str
    #: As recorded: a code, or words a member of staff typed (kept out of reprs and logs).
    reason: str = field(repr=False)
    refs: Mapping[str, Any] = field(default_factory=dict)
    ref: str | None = None
    recovered: bool = False


@dataclass(frozen=True)
class SearchResult:
    rows: tuple[JournalRow, ...]
    #: More entries matched than `SEARCH_LIMIT`: the oldest are not shown.
    more: bool
    #: The number of the holder search's own journal entry (None: no holder was searched).
    audit_n: int | None = None


@dataclass(frozen=True)
class ChainCheck:
    """`verify()` in data: whole with `checked` entries, or where it breaks and why."""

    ok: bool
    checked: int
    first_bad: int | None = None
    #: The journal's problem code (changed, removed, reordered, truncated, torn, ...).
    problem: str | None = None
    #: The month file's name where it breaks (no folder: the screen has no room for it).
    file: str | None = None
    #: Where the keyring's anchor says the journal ends, when it ends before that.
    anchored: int | None = None


@dataclass(frozen=True)
class ExportDone:
    path: Path
    entries: int
    sha256: str
    #: The journal entry that records the export.
    audit_n: int


def short_subject(subject: str | None) -> str:
    """The first characters of a keyed hash (`#3f9a0c1d`): tells holders apart, names nobody."""
    if not subject:
        return "—"
    return "#" + subject.removeprefix("p:")[:8]


def refs_of(detail: Mapping[str, Any]) -> dict[str, Any]:
    """The references of an entry's detail (`REF_KEYS`), nothing of its content."""
    refs = {key: detail[key] for key in REF_KEYS if detail.get(key) not in (None, "")}
    command = detail.get("command")
    if "kind" not in refs and isinstance(command, Mapping) and command.get("kind"):
        refs["kind"] = command["kind"]
    return {key: value for key, value in refs.items() if isinstance(value, str | int | bool)}


def is_code(reason: str) -> bool:
    return bool(_CODE.match(reason))


class AuditReview:
    """The journal as the supervisor on duty (`desk`) searches, verifies and exports it."""

    def __init__(
        self,
        journal: ReviewedJournal,
        reader: AuditReader,
        desk: SupervisorDesk,
        *,
        clock: Clock,
        write: Callable[[Path, bytes], None] | None = None,
    ) -> None:
        """`clock` is the counter's (its time zone makes the days); `write` writes a whole
        file (default: the store's atomic write)."""
        self.journal = journal
        self.reader = reader
        self.desk = desk
        self.clock = clock
        self._write = write

    # -- search ----------------------------------------------------------------------------

    def actions(self) -> list[str]:
        """The action codes a search may choose from (those in the journal)."""
        return list(self.reader.actions())

    def search(self, search: Search) -> SearchResult:
        """The matching entries, newest first; a holder search is audited first.

        Raises `ReviewRefused` for a holder search without a purpose, a note too long, or a
        period that ends before it starts."""
        from branch_app.domain.identity import mask_identity
        from branch_app.store.audit_search import AuditQuery

        problem = search_problem(search)
        if problem is not None:
            raise ReviewRefused(problem)
        period = search.period
        subject, audit_n, holder_shown = None, None, None
        if search.holder is not None:
            assert search.purpose is not None  # search_problem said so
            entry = self.journal.record(
                HOLDER_SEARCHED,
                actor=self.desk.staff_id,
                holder_id=search.holder.number,
                reason=LookupPurpose(search.purpose).value,
                device=self.desk.device,
                branch=self.desk.branch,
                detail=self._filters(search, note=True),
            )
            audit_n = entry.n
            subject = self.reader.pseudonym(search.holder.number)
            holder_shown = mask_identity(search.holder.number)
        since, until = period.bounds(self.clock().tzinfo)
        found = self.reader.find(
            AuditQuery(
                subject=subject,
                actor=search.actor.strip() or None,
                action=search.action.strip() or None,
                since=since,
                until=until,
                limit=SEARCH_LIMIT,
            )
        )
        rows = tuple(self._row(entry, holder_shown) for entry in found.entries)
        return SearchResult(rows, found.more, audit_n)

    @staticmethod
    def _filters(search: Search, *, note: bool) -> dict[str, Any]:
        """What else the search asked (never the holder: the entry names them by hash)."""
        detail: dict[str, Any] = {
            "actor": search.actor.strip() or None,
            "action": search.action.strip() or None,
            "first": search.period.first.isoformat() if search.period.first else None,
            "last": search.period.last.isoformat() if search.period.last else None,
        }
        if note and search.note.strip():
            detail["note"] = search.note.strip()
        return {key: value for key, value in detail.items() if value is not None}

    @staticmethod
    def _row(entry: AuditEntry, holder_shown: str | None) -> JournalRow:
        holder = holder_shown if holder_shown and entry.subject else short_subject(entry.subject)
        return JournalRow(
            n=entry.n,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            holder=holder,
            device=entry.device,
            branch=entry.branch,
            reason=entry.reason,
            refs=refs_of(entry.detail),
            ref=entry.ref,
            recovered=entry.recovered,
        )

    # -- verify ----------------------------------------------------------------------------

    def verify(self) -> ChainCheck:
        """Walk the whole chain (slow on a long journal: call it off the UI thread)."""
        outcome = self.journal.verify()
        return ChainCheck(
            ok=outcome.ok,
            checked=outcome.checked,
            first_bad=outcome.first_bad,
            problem=outcome.problem,
            file=outcome.file.name if outcome.file is not None else None,
            anchored=outcome.anchored,
        )

    # -- export ----------------------------------------------------------------------------

    def export(self, period: Period, folder: Path) -> ExportDone:
        """Write the period's entries for an inspector into `folder` (made if missing); audited
        before the file is written. Raises `ReviewRefused` without both days or with a period
        that ends before it starts; `OSError` when the file cannot be written (audited)."""
        from branch_app.store.audit_search import AuditQuery

        if period.first is None or period.last is None:
            raise ReviewRefused("audit_review.refused.period_required")
        if period.last < period.first:
            raise ReviewRefused("audit_review.refused.period_backwards")
        now = self.clock()
        since, until = period.bounds(now.tzinfo)
        found = self.reader.find(AuditQuery(since=since, until=until))
        entries = sorted(found.entries, key=lambda entry: entry.n)
        header = {
            "export": "audit_journal",
            "format": EXPORT_FORMAT,
            "device": self.desk.device,
            "branch": self.desk.branch,
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "entries": len(entries),
            "exported_by": self.desk.staff_id,
            "exported_at": now.isoformat(timespec="seconds"),
        }
        lines = [orjson.dumps(header, option=orjson.OPT_SORT_KEYS)]
        lines.extend(
            orjson.dumps(exported(entry), option=orjson.OPT_SORT_KEYS) for entry in entries
        )
        data = b"\n".join(lines) + b"\n"
        sha256 = hashlib.sha256(data).hexdigest()
        folder = Path(folder).expanduser()
        path = self._free_name(folder, period)
        detail = {
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
            "entries": len(entries),
            "sha256": sha256,
            "file": str(path),
        }
        entry = self.journal.record(
            EXPORTED,
            actor=self.desk.staff_id,
            reason="inspection",
            device=self.desk.device,
            branch=self.desk.branch,
            detail=detail,
        )
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._writer()(path, data)
        except OSError as error:
            self.journal.record(
                EXPORT_FAILED,
                actor=self.desk.staff_id,
                reason=type(error).__name__,
                device=self.desk.device,
                branch=self.desk.branch,
                detail={**detail, "export_n": entry.n},
            )
            raise
        return ExportDone(path, len(entries), sha256, entry.n)

    def _free_name(self, folder: Path, period: Period) -> Path:
        assert period.first is not None and period.last is not None
        device = _FILE_PART.sub("-", self.desk.device).strip("-") or "device"
        stem = f"audit-{device}-{period.first.isoformat()}-{period.last.isoformat()}"
        path, copy = folder / f"{stem}.jsonl", 1
        while path.exists():
            copy += 1
            path = folder / f"{stem}-{copy}.jsonl"
        return path

    def _writer(self) -> Callable[[Path, bytes], None]:
        if self._write is not None:
            return self._write
        from branch_app.store.storage import write_atomically

        return write_atomically


def exported(entry: AuditEntry) -> dict[str, Any]:
    """One entry as the inspector's file has it: the holder as a keyed hash, references only."""
    line: dict[str, Any] = {
        "n": entry.n,
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "device": entry.device,
        "branch": entry.branch,
        "refs": refs_of(entry.detail),
    }
    if is_code(entry.reason):
        line["reason"] = entry.reason
    else:
        line["reason_typed"] = True
    if entry.ref is not None:
        line["ref"] = entry.ref
    if entry.recovered:
        line["recovered"] = True
    return line
