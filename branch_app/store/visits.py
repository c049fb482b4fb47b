"""The home-visit list: the day's planned visits and what each visit recorded, encrypted at rest.

A home-visit member of staff plans the day's visits at the branch, online, then works offline at
people's homes for the whole day. Each visit is one entry of `visits.json` (an envelope file
written through `storage.AtomicJSONStorage`, so through the `FS` seam: a crash leaves the old or
the new file, whole). Only three things are plain: the entry's random `ref`, its `day` (the
list is read by day) and its `position` in the day's order. Everything about the person and the
visit (ID number, name, address, what they need and why, what the central knew, the address
visited, when, who else was present, the requests taken and the receipts) is one AES-GCM blob
under the store's data key, bound to its ref and day: a blob moved to another entry or another
day does not open.

`progress(day)` is `(planned, finished)`: the device's state reports it to the supervisors.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.table import Table

from branch_app.domain.vocabulary import VISIT_FINISHED, CentralKnew, VisitNeed, VisitStatus
from branch_app.store.crypto import KeySet
from branch_app.store.errors import DecryptionFailed, StoreCorrupt
from branch_app.store.storage import AtomicJSONStorage

TABLE = "visits"


#: A visit that is over for the day: it counts as finished in `progress`.
FINISHED = VISIT_FINISHED


@dataclass(frozen=True)
class PresentPerson:
    """Someone else at the visit: what they are to the holder (free text) and their name."""

    kind: str
    name: str

    def __repr__(self) -> str:  # a name: never in logs
        return "PresentPerson(...)"


@dataclass(frozen=True)
class VisitRequest:
    """A request taken during the visit: its outbox id, reference and service (catalog key)."""

    outbox_id: str
    reference: str
    service: str


@dataclass(frozen=True)
class VisitReceipt:
    """How a request's receipt was handed over: printed (`where`: the print job) or saved
    (`where`: the PDF's path)."""

    outbox_id: str
    printed: bool
    where: str


@dataclass(frozen=True)
class Visit:
    """One planned visit and what it recorded. `repr` holds nothing personal."""

    ref: str
    day: dt.date
    position: int
    holder_id: str
    holder_kind: str
    name: str
    address: str
    need: VisitNeed
    why: str
    central: CentralKnew
    planned_by: str
    planned_at: str
    status: VisitStatus = VisitStatus.TO_DO
    visited_address: str = ""
    started_at: str | None = None
    ended_at: str | None = None
    present: tuple[PresentPerson, ...] = ()
    requests: tuple[VisitRequest, ...] = ()
    receipts: tuple[VisitReceipt, ...] = ()
    #: Who made the visit (the member of staff who started it).
    visited_by: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def __repr__(self) -> str:
        return f"Visit({self.ref[:8]}, {self.day}, #{self.position}, {self.status.value})"


def _sealed_form(visit: Visit) -> dict[str, Any]:
    return {
        "holder_id": visit.holder_id,
        "holder_kind": visit.holder_kind,
        "name": visit.name,
        "address": visit.address,
        "need": visit.need.value,
        "why": visit.why,
        "central": visit.central.value,
        "planned_by": visit.planned_by,
        "planned_at": visit.planned_at,
        "status": visit.status.value,
        "visited_address": visit.visited_address,
        "started_at": visit.started_at,
        "ended_at": visit.ended_at,
        "visited_by": visit.visited_by,
        "present": [{"kind": p.kind, "name": p.name} for p in visit.present],
        "requests": [
            {"outbox_id": r.outbox_id, "reference": r.reference, "service": r.service}
            for r in visit.requests
        ],
        "receipts": [
            {"outbox_id": r.outbox_id, "printed": r.printed, "where": r.where}
            for r in visit.receipts
        ],
        **dict(visit.extra),
    }


_KNOWN = frozenset(
    [
        "holder_id",
        "holder_kind",
        "name",
        "address",
        "need",
        "why",
        "central",
        "planned_by",
        "planned_at",
        "status",
        "visited_address",
        "started_at",
        "ended_at",
        "visited_by",
        "present",
        "requests",
        "receipts",
    ]
)


def _from_sealed(ref: str, day: dt.date, position: int, sealed: Mapping[str, Any]) -> Visit:
    return Visit(
        ref=ref,
        day=day,
        position=position,
        holder_id=str(sealed["holder_id"]),
        holder_kind=str(sealed.get("holder_kind", "")),
        name=str(sealed.get("name", "")),
        address=str(sealed.get("address", "")),
        need=VisitNeed(sealed["need"]),
        why=str(sealed.get("why", "")),
        central=CentralKnew(sealed["central"]),
        planned_by=str(sealed.get("planned_by", "")),
        planned_at=str(sealed.get("planned_at", "")),
        status=VisitStatus(sealed.get("status", VisitStatus.TO_DO.value)),
        visited_address=str(sealed.get("visited_address", "")),
        started_at=sealed.get("started_at"),
        ended_at=sealed.get("ended_at"),
        visited_by=str(sealed.get("visited_by", "")),
        present=tuple(PresentPerson(str(p["kind"]), str(p["name"])) for p in sealed["present"]),
        requests=tuple(
            VisitRequest(str(r["outbox_id"]), str(r["reference"]), str(r["service"]))
            for r in sealed["requests"]
        ),
        receipts=tuple(
            VisitReceipt(str(r["outbox_id"]), bool(r["printed"]), str(r["where"]))
            for r in sealed["receipts"]
        ),
        extra={k: v for k, v in sealed.items() if k not in _KNOWN},  # fields of a later version
    )


def _entry_problem(doc: Mapping[str, Any]) -> str | None:
    for key, kind in (("ref", str), ("day", str), ("position", int), ("sealed", str)):
        if not isinstance(doc.get(key), kind):
            return f"field {key!r} missing or of the wrong type"
    try:
        dt.date.fromisoformat(doc["day"])
    except ValueError:
        return "field 'day' is not a date"
    return None


def _context(ref: str, day: str) -> str:
    return f"visit:{ref}:{day}"


class VisitList:
    """The home-visit list of this device, by day. Thread-safe (the store's lock)."""

    def __init__(
        self,
        storage: AtomicJSONStorage,
        keys: KeySet,
        *,
        clock: Callable[[], dt.datetime],
        lock: threading.RLock,
    ) -> None:
        self._storage = storage
        self._keys = keys
        self._clock = clock
        self._lock = lock
        self._reindex()

    @property
    def path(self) -> Path:
        return self._storage.path

    def _reindex(self) -> None:
        self._table: Table = TinyDB(storage=lambda: self._storage).table(TABLE, cache_size=0)
        self._by_ref: dict[str, int] = {}
        for doc_id, doc in self._storage.read().get(TABLE, {}).items():
            problem = _entry_problem(doc)
            if problem is not None:
                raise StoreCorrupt(self._storage.path, f"visit {doc_id}: {problem}")
            self._by_ref[doc["ref"]] = int(doc_id)

    def _docs(self) -> dict[str, dict[str, Any]]:
        tables: dict[str, dict[str, dict[str, Any]]] = self._storage.read()
        return tables.get(TABLE, {})

    def _decode(self, doc: Mapping[str, Any]) -> Visit:
        try:
            sealed = self._keys.decrypt(doc["sealed"], _context(doc["ref"], doc["day"]))
            return _from_sealed(
                doc["ref"], dt.date.fromisoformat(doc["day"]), doc["position"], sealed
            )
        except (LookupError, ValueError, TypeError):
            raise DecryptionFailed(self._storage.path, f"visit {doc['ref']}") from None

    def _write(self, change: Callable[[], object]) -> None:
        try:
            with self._storage.transaction():
                change()
        except BaseException:
            self._reindex()
            raise

    def _doc_for(self, visit: Visit) -> dict[str, Any]:
        day = visit.day.isoformat()
        return {
            "ref": visit.ref,
            "day": day,
            "position": visit.position,
            "sealed": self._keys.encrypt(_sealed_form(visit), _context(visit.ref, day)),
        }

    # -- reading ---------------------------------------------------------------------------------
    def for_day(self, day: dt.date) -> list[Visit]:
        """The day's visits in their planned order."""
        wanted = day.isoformat()
        with self._lock:
            docs = [doc for doc in self._docs().values() if doc["day"] == wanted]
            return [self._decode(doc) for doc in sorted(docs, key=lambda d: d["position"])]

    def get(self, ref: str) -> Visit | None:
        with self._lock:
            doc_id = self._by_ref.get(ref)
            return None if doc_id is None else self._decode(self._docs()[str(doc_id)])

    def progress(self, day: dt.date) -> tuple[int, int]:
        """`(planned, finished)` for the day: visits planned, and those done or where nobody
        was at home (over for the day). Decrypts the day's entries only."""
        visits = self.for_day(day)
        return len(visits), sum(1 for v in visits if v.finished)

    def days(self) -> list[dt.date]:
        """The days that have visits, oldest first."""
        with self._lock:
            return sorted({dt.date.fromisoformat(d["day"]) for d in self._docs().values()})

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_ref)

    # -- writing ---------------------------------------------------------------------------------
    def add(
        self,
        day: dt.date,
        *,
        holder_id: str,
        holder_kind: str,
        name: str,
        address: str,
        need: VisitNeed,
        why: str,
        central: CentralKnew,
        planned_by: str,
    ) -> Visit:
        """Plan one more visit at the end of the day's list; durable when it returns."""
        with self._lock:
            wanted = day.isoformat()
            positions = [d["position"] for d in self._docs().values() if d["day"] == wanted]
            visit = Visit(
                ref=uuid.uuid4().hex,
                day=day,
                position=max(positions, default=0) + 1,
                holder_id=holder_id,
                holder_kind=holder_kind,
                name=name,
                address=address,
                need=need,
                why=why,
                central=central,
                planned_by=planned_by,
                planned_at=self._clock().astimezone(dt.UTC).isoformat(timespec="seconds"),
            )
            doc = self._doc_for(visit)

            def change() -> None:
                self._by_ref[visit.ref] = self._table.insert(doc)

            self._write(change)
            return visit

    def save(self, visit: Visit) -> Visit:
        """Replace a visit's recorded state (its ref, day and position stay); durable."""
        with self._lock:
            doc_id = self._by_ref.get(visit.ref)
            if doc_id is None:
                raise KeyError("no such visit")
            kept = self._decode(self._docs()[str(doc_id)])
            visit = replace(visit, day=kept.day, position=kept.position)
            doc = self._doc_for(visit)
            self._write(lambda: self._table.update(doc, doc_ids=[doc_id]))
            return visit

    def remove(self, ref: str) -> bool:
        """Take a visit off the list (a planning mistake); True when there was one."""
        with self._lock:
            doc_id = self._by_ref.get(ref)
            if doc_id is None:
                return False
            self._write(lambda: self._table.remove(doc_ids=[doc_id]))
            self._by_ref.pop(ref, None)
            return True

    def prune(self, before: dt.date) -> int:
        """Forget the lists of days before `before`; how many visits went."""
        cutoff = before.isoformat()
        with self._lock:
            old = [int(i) for i, d in self._docs().items() if d["day"] < cutoff]
            if old:
                self._write(lambda: self._table.remove(doc_ids=old))
                self._reindex()
            return len(old)

    # -- the store's upkeep ----------------------------------------------------------------------
    def all(self) -> list[Visit]:
        with self._lock:
            return [self._decode(doc) for doc in self._docs().values()]

    def verify_all(self) -> int:
        """Every entry decrypted (store check); how many there are."""
        return len(self.all())

    def reencrypt(self) -> int:
        """Re-seal every entry under the current data key (key rotation); how many changed."""
        with self._lock:
            changed = 0

            def change() -> None:
                nonlocal changed
                for doc in self._docs().values():
                    if self._keys.blob_key_id(doc["sealed"]) != self._keys.data_current:
                        context = _context(doc["ref"], doc["day"])
                        sealed = self._keys.decrypt(doc["sealed"], context)
                        doc["sealed"] = self._keys.encrypt(sealed, context)
                        changed += 1
                self._storage.mark_dirty()

            self._write(change)
            return changed
