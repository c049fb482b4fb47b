"""Schema versions of the store's files and the migrations between them.

Every file is an *envelope*::

    {"format": "branch-app-store", "kind": "outbox", "schema": 2, "meta": {...}, "tables": {...}}

`tables` is what TinyDB sees; `meta` holds file-wide values written in the same atomic write
(the outbox's next sequence number, the audit chain's head). Opening a file with an older
schema runs the migrations below in order, keeps the original beside it as
`<name>.schema<N>.bak`, and writes the migrated file; a newer schema is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FORMAT = "branch-app-store"

MANIFEST = "manifest"
OUTBOX = "outbox"
OUTBOX_ARCHIVE = "outbox-archive"
CARD_CACHE = "card-cache"
AUDIT = "audit"
VISITS = "visits"  # the home-visit list (store/visits.py)

#: The schema each kind of file is written with by this version of the application.
CURRENT: dict[str, int] = {
    MANIFEST: 1,
    OUTBOX: 2,
    OUTBOX_ARCHIVE: 2,
    CARD_CACHE: 1,
    AUDIT: 1,
    VISITS: 1,
}

Envelope = dict[str, Any]
Migration = Callable[[Envelope], Envelope]


def _outbox_items_1_to_2(envelope: Envelope) -> Envelope:
    """Schema 2 added retries: `attempts` and `last_error` on each item, and `meta.next_seq`.

    Schema 1 derived the next sequence number from the items present, which goes backwards once
    accepted items are archived; schema 2 keeps it in the file so numbers never repeat.
    """
    items = envelope.get("tables", {}).get("items", {})
    highest = 0
    for doc in items.values():
        doc.setdefault("attempts", 0)
        doc.setdefault("last_error", None)
        highest = max(highest, int(doc.get("seq", 0)))
    meta = envelope.setdefault("meta", {})
    meta["next_seq"] = max(int(meta.get("next_seq", 0)), highest + 1)
    return envelope


#: MIGRATIONS[kind][n] turns a schema-n envelope into a schema-(n+1) one.
MIGRATIONS: dict[str, dict[int, Migration]] = {
    OUTBOX: {1: _outbox_items_1_to_2},
    OUTBOX_ARCHIVE: {1: _outbox_items_1_to_2},
}


def new_envelope(kind: str) -> Envelope:
    return {"format": FORMAT, "kind": kind, "schema": CURRENT[kind], "meta": {}, "tables": {}}


def envelope_problem(envelope: object, kind: str) -> str | None:
    """What is wrong with the envelope's shape, or None when it is sound."""
    if not isinstance(envelope, dict):
        return "not a store file"
    if envelope.get("format") != FORMAT:
        return "not a store file"
    if envelope.get("kind") != kind:
        return f"holds {envelope.get('kind')!r} data, expected {kind!r}"
    schema = envelope.get("schema")
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        return "no schema version"
    if not isinstance(envelope.get("meta", {}), dict):
        return "damaged header"
    tables = envelope.get("tables")
    if not isinstance(tables, dict):
        return "no tables"
    for name, table in tables.items():
        if not isinstance(table, dict):
            return f"table {name!r} is damaged"
        for doc_id, doc in table.items():
            if not isinstance(doc, dict) or not str(doc_id).isdigit():
                return f"record {doc_id!r} of table {name!r} is damaged"
    return None


def migrate(envelope: Envelope, kind: str) -> tuple[Envelope, int]:
    """Bring the envelope to the current schema; returns it and the schema it started from."""
    start = int(envelope["schema"])
    version = start
    steps = MIGRATIONS.get(kind, {})
    while version < CURRENT[kind]:
        step = steps.get(version)
        if step is None:
            raise LookupError(f"no migration for {kind} schema {version}")
        envelope = step(envelope)
        version += 1
        envelope["schema"] = version
    envelope.setdefault("meta", {})
    return envelope, start
