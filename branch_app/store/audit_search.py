"""Reading the audit journal by who, what, whose and when, without decrypting what is not asked.

`AuditJournal.entries()` decrypts every entry of every month and filters by holder only; a
supervisor's search ("what did T001 do last week", "every export this year") and an inspector's
export of a period would pay for the whole journal each time. Everything a search filters on is
in clear in the month files (the time, the member of staff, the action, the holder's keyed hash:
never the number), so `JournalReader.find` reads only the months that can hold the period,
filters on those fields, and decrypts the reason and detail of the entries it returns, newest
first, stopping at the limit.

Read-only: it uses the journal's public reading functions (`months`, `path_for`, `read_month`)
and the folder's keys, and never writes or anchors. It takes no lock of the journal's: an append
is one write of one line, so a month read during an append ends either before the new line or in
a line cut short, which is left out here (`verify()` is what names a torn line).

An entry's month file is the month of its time, or a later one when the clock went back (the
journal stays in its newest file), never an earlier one: entries from a given time on are found
in that time's month and the months after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from branch_app.store.audit import AuditEntry, read_month
from branch_app.store.errors import DecryptionFailed
from branch_app.store.outbox import utc_iso

if TYPE_CHECKING:
    from pathlib import Path

    from branch_app.store.audit import AuditJournal
    from branch_app.store.crypto import KeySet


@dataclass(frozen=True)
class AuditQuery:
    """What to look for; each field left `None` matches every entry."""

    #: The holder's keyed hash (`JournalReader.pseudonym`), never the ID number.
    subject: str | None = None
    #: A member of staff's id (compared without regard to case).
    actor: str | None = None
    action: str | None = None
    #: From this moment on (inclusive).
    since: dt.datetime | None = None
    #: Before this moment (exclusive).
    until: dt.datetime | None = None
    #: At most this many, the newest.
    limit: int | None = None


@dataclass(frozen=True)
class AuditFound:
    """The entries found, newest first; `more`: others matched beyond the limit."""

    entries: tuple[AuditEntry, ...]
    more: bool = False


class JournalReader:
    """Searches one open journal with the folder's keys (`LocalStore.audit`, `LocalStore.keys`)."""

    def __init__(self, journal: AuditJournal, keys: KeySet) -> None:
        self._journal = journal
        self._keys = keys

    def pseudonym(self, holder_id: str) -> str:
        """The keyed hash the journal names this holder by."""
        return self._keys.pseudonym(holder_id)

    def find(self, query: AuditQuery) -> AuditFound:
        """The entries matching `query`, newest first (decrypted only when returned)."""
        since = utc_iso(query.since) if query.since is not None else None
        until = utc_iso(query.until) if query.until is not None else None
        actor = query.actor.strip().casefold() if query.actor else None
        found: list[AuditEntry] = []
        for path, doc in self._newest_first(since[:7] if since else None):
            at = doc.get("at")
            if not isinstance(at, str):
                continue
            if (since is not None and at < since) or (until is not None and at >= until):
                continue
            if query.subject is not None and doc.get("subject") != query.subject:
                continue
            if query.action is not None and doc.get("action") != query.action:
                continue
            if actor is not None and str(doc.get("actor", "")).casefold() != actor:
                continue
            if query.limit is not None and len(found) >= query.limit:
                return AuditFound(tuple(found), more=True)
            found.append(self._entry(doc, path))
        return AuditFound(tuple(found))

    def actions(self) -> list[str]:
        """Every action code the journal holds, sorted (read in clear, nothing decrypted)."""
        return sorted(
            {
                action
                for _path, doc in self._newest_first(None)
                if isinstance(action := doc.get("action"), str)
            }
        )

    def _newest_first(self, from_month: str | None) -> Iterator[tuple[Path, dict[str, Any]]]:
        months = self._journal.months()
        for month in reversed(months):
            if from_month is not None and month < from_month:
                return
            path = self._journal.path_for(month)
            docs = read_month(path, strict=False).docs  # a line being appended is left out
            for doc in reversed(docs):
                yield path, doc

    def _entry(self, doc: Mapping[str, Any], path: Path) -> AuditEntry:
        try:
            body = self._keys.decrypt(doc["body"], f"audit:{doc['n']}:body")
        except (LookupError, ValueError, KeyError, TypeError):
            raise DecryptionFailed(path, f"audit entry {doc.get('n')}") from None
        if not isinstance(body, dict):
            raise DecryptionFailed(path, f"audit entry {doc.get('n')}")
        return AuditEntry(
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
