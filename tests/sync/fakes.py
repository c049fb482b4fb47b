"""An in-memory outbox with the contract's semantics, for unit tests of the engine's decisions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import threading
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from branch_app.domain.identity import IdentityKind


@dataclasses.dataclass(frozen=True)
class FakeItem:
    id: str
    seq: int
    kind: str
    holder_id: str
    payload: Mapping[str, Any]
    base_version: int | None
    actor: str = "T001"
    device: str = "dev-1"
    branch: str = "GZ-1"
    made_at: str = "2026-11-28T09:00:00+00:00"
    status: str = "pending"
    attempts: int = 0
    last_error: str | None = None
    result: Mapping[str, Any] | None = None
    holder_kind: IdentityKind | None = None


def _locked(method):
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        with self.lock:
            return method(self, *args, **kwargs)

    return call


class FakeOutbox:
    """Keeps the Outbox contract: per-card order in `sendable`, results and failures recorded."""

    def __init__(self) -> None:
        self.lock = threading.RLock()  # the engine records answers from a second thread
        self.items: dict[str, FakeItem] = {}
        self.seq = 0
        self.results_log: list[Mapping[str, Any]] = []

    def enqueue(
        self, kind: str, holder_id: str, payload: Mapping[str, Any], base_version=None
    ) -> FakeItem:
        self.seq += 1
        item = FakeItem(uuid.uuid4().hex, self.seq, kind, holder_id, dict(payload), base_version)
        self.items[item.id] = item
        return item

    @_locked
    def sendable(self, limit: int) -> list[FakeItem]:
        chosen: list[FakeItem] = []
        blocked: set[str] = set()
        for item in sorted(self.items.values(), key=lambda i: i.seq):
            if item.status not in ("pending", "sending"):
                continue
            if item.holder_id in blocked:
                continue
            if len(chosen) >= limit:
                blocked.add(item.holder_id)
                continue
            chosen.append(item)
        return chosen

    @_locked
    def mark_sending(self, ids: Sequence[str]) -> None:
        for i in ids:
            self.items[i] = dataclasses.replace(self.items[i], status="sending")

    @_locked
    def record_results(self, results: Sequence[Mapping[str, Any]]) -> None:
        for r in results:
            item = self.items[r["id"]]
            assert item.status in ("pending", "sending"), f"{item.id} answered twice"
            self.items[r["id"]] = dataclasses.replace(item, status=r["status"], result=dict(r))
            self.results_log.append(r)

    @_locked
    def record_failure(self, ids: Sequence[str], error: str) -> None:
        for i in ids:
            item = self.items[i]
            self.items[i] = dataclasses.replace(
                item, status="pending", attempts=item.attempts + 1, last_error=error
            )

    @_locked
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in self.items.values():
            out[item.status] = out.get(item.status, 0) + 1
        return out


class FakePullTarget:
    def __init__(self) -> None:
        self.records: dict[str, Mapping[str, Any]] = {}
        self.cursor: Any = None

    def apply_changes(self, changes: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        for holder_id, record in changes:
            old = self.records.get(holder_id)
            if old is None or old.get("version", 0) <= record.get("version", 0):
                self.records[holder_id] = dict(record)

    def load_cursor(self) -> Any:
        return self.cursor

    def save_cursor(self, cursor: Any) -> None:
        self.cursor = cursor


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()
