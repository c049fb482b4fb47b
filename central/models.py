"""The central's tables (SQLAlchemy 2 Core), the same on SQLite and PostgreSQL.

Records travel as JSON text (`record_to_dict`), with the fields the central searches or shows in
lists (state, function statuses, version, card numbers) copied into columns. Timestamps are UTC.
Tokens, codes and passwords are stored only as hashes; lookups are audited with a keyed hash and
a masked id, never the plain id number.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

#: Key/value settings the central makes for itself (the audit key).
central_meta = Table(
    "central_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

#: One row: the last change-feed cursor. Bumped with `UPDATE ... RETURNING` as the last write of a
#: transaction, so cursors are handed out in commit order (no reader ever skips a late commit).
feed_head = Table(
    "feed_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("cursor", BigInteger, nullable=False),
)

cardholders = Table(
    "cardholders",
    metadata,
    Column("holder_id", String(18), primary_key=True),  # the social security (ID) number
    Column("name", String(60), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: One row per person: the live card's record (the lifecycle's `CardRecord`).
cards = Table(
    "cards",
    metadata,
    Column("holder_id", String(18), ForeignKey("cardholders.holder_id"), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("card_number", String(9), nullable=True, index=True),
    Column("new_card_number", String(9), nullable=True, index=True),
    Column("card_state", String(20), nullable=False),
    Column("social_security", String(10), nullable=False),
    Column("financial", String(10), nullable=False),
    Column("record", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

#: Every command received, with the hash of its canonical body and the first answer.
commands = Table(
    "commands",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("holder_id", String(18), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("base_version", Integer, nullable=False),
    Column("version_at_receipt", Integer, nullable=True),  # the card's version when it arrived
    Column("actor", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("branch", String(64), nullable=False),
    Column("made_at", String(40), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("reason", String(64), nullable=True),
    Column("result", Text, nullable=False),  # the PushResult JSON, repeated for duplicates
)

staff = Table(
    "staff",
    metadata,
    Column("staff_id", String(64), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("role", String(20), nullable=False),
    Column("branch", String(64), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: Failed log-ins per staff id (also for ids that do not exist, so probing is limited too).
login_failures = Table(
    "login_failures",
    metadata,
    Column("staff_id", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True), nullable=True),
)

devices = Table(
    "devices",
    metadata,
    Column("device_id", String(64), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("branch", String(64), nullable=False),
    Column("place", String(20), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("enrolled_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

enrolment_codes = Table(
    "enrolment_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("branch", String(64), nullable=False),
    Column("place", String(20), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Column("device_id", String(64), nullable=True),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("staff_id", String(64), ForeignKey("staff.staff_id"), nullable=False),
    Column("device_id", String(64), ForeignKey("devices.device_id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

conflicts = Table(
    "conflicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("command_id", String(64), nullable=False, unique=True),
    Column("holder_id", String(18), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("reason", String(64), nullable=False),
    Column("message", Text, nullable=True),
    Column("record", Text, nullable=True),
    Column("command", Text, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("branch", String(64), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("status", String(10), nullable=False),
    Column("resolved_by", String(64), nullable=True),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    Column("decision", String(20), nullable=True),
    Column("note", Text, nullable=True),
    Column("correcting_command_id", String(64), nullable=True),
    Index("ix_conflicts_status_id", "status", "id"),
)

#: The change feed: one row per new record version, cursor strictly increasing in commit order.
changes = Table(
    "changes",
    metadata,
    Column("cursor", BigInteger, primary_key=True, autoincrement=False),
    Column("holder_id", String(18), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("record", Text, nullable=False),
    Column("command_id", String(64), nullable=True),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

#: Which branches follow which cards: every card a branch sent a command about or looked up.
branch_interest = Table(
    "branch_interest",
    metadata,
    Column("branch", String(64), primary_key=True),
    Column("holder_id", String(18), primary_key=True),
    Column("since", DateTime(timezone=True), nullable=False),
)

#: Every lookup of a person's record: who, when, why, and whose (keyed hash + masked id).
lookup_audit = Table(
    "lookup_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("staff_id", String(64), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("branch", String(64), nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("note", String(200), nullable=True),
    Column("subject_kind", String(20), nullable=False),  # holder_id | card_number
    Column("subject_key", String(64), nullable=False, index=True),  # HMAC-SHA256, hex
    Column("subject_masked", String(20), nullable=False),
    Column("found", Boolean, nullable=False),
)

#: Tables in an order that respects foreign keys when emptying them (children first).
TRUNCATE_ORDER = (
    lookup_audit,
    branch_interest,
    changes,
    conflicts,
    staff_sessions,
    enrolment_codes,
    devices,
    login_failures,
    staff,
    commands,
    cards,
    cardholders,
)
