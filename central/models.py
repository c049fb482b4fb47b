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
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
    text,
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
    Column("card_number", String(9), nullable=True),
    Column("new_card_number", String(9), nullable=True),
    # The card-number lookup: partial indexes of the numbers that exist. Their statistics count
    # only real numbers, so the planner seeks them even after ANALYZE (the full indexes count
    # every card without a new card as one huge NULL key, and SQLite then scanned the table).
    Index(
        "ix_cards_card_number_set",
        "card_number",
        sqlite_where=text("card_number IS NOT NULL"),
        postgresql_where=text("card_number IS NOT NULL"),
    ),
    Index(
        "ix_cards_new_card_number_set",
        "new_card_number",
        sqlite_where=text("new_card_number IS NOT NULL"),
        postgresql_where=text("new_card_number IS NOT NULL"),
    ),
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
    # Keyed by (device, id): a command id is the sending device's, the same id from another
    # device is another command (and tells it nothing). `device` is the device that sent it.
    Column("id", String(64), nullable=False),
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
    # The first answer's JSON (outcome, version, reason), repeated for duplicates; stored without
    # the record (a repeat carries none; an applied command's record is its change feed row).
    # `prune` strips the records an older central stored here.
    Column("result", Text, nullable=False),
    Index("ix_commands_received_at", "received_at"),
    PrimaryKeyConstraint("device", "id", name="pk_commands"),
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

#: Failed log-ins counted per (staff id, device) and, for devices of the person's own branch,
#: per staff id (`device_id` = "" : the staff-wide counter). Counted before the password is
#: checked; a row is forgotten `lockout_minutes` after its last failure unless still locked.
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("staff_id", String(64), primary_key=True),
    Column("device_id", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    Column("last_failure_at", DateTime(timezone=True), nullable=False, index=True),
)

#: Offline verifiers withdrawn: made for `staff_id` before `at`, on devices of `branch` (the
#: branch the person had). Kept `offline_login_days`: older verifiers have expired anyway.
staff_withdrawals = Table(
    "staff_withdrawals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("staff_id", String(64), nullable=False),
    Column("branch", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_staff_withdrawals_branch_at", "branch", "at"),
)

#: The public signing keys of staff, one per online log-in on a device (issue 10: every command
#: proves its maker). A command's signature names its key by `key_id`; the key counts only for
#: that person on that device until `expires_at` (the offline-login window). Deleted when the
#: person is withdrawn (deactivated, a new password, role or branch) or the device revoked.
staff_signing_keys = Table(
    "staff_signing_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("staff_id", String(64), nullable=False, index=True),
    Column("device_id", String(64), nullable=False, index=True),
    Column("public_key", String(64), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

#: Each device's latest state report (issue 13) and the furthest audit head it ever reported
#: (issue 10): a later report behind it means the device's journal was cut short or restored.
device_states = Table(
    "device_states",
    metadata,
    Column("device_id", String(64), primary_key=True),
    Column("branch", String(64), nullable=False, index=True),
    Column("reported_at", DateTime(timezone=True), nullable=False),
    Column("queue_depth", Integer, nullable=False),
    Column("oldest_unsent_age_seconds", Integer, nullable=True),
    Column("refused_open", Integer, nullable=False),
    Column("last_sync", String(40), nullable=True),
    Column("app_version", String(40), nullable=False),
    Column("audit_n", BigInteger, nullable=False),
    Column("audit_mac", String(64), nullable=False),
    Column("audit_month", String(7), nullable=True),
    Column("furthest_audit_n", BigInteger, nullable=False),
    Column("audit_regressed_at", DateTime(timezone=True), nullable=True),
    # A home-visit device's day (issue 13): its visit list's progress and the requests taken
    # since the supervisor last approved its batch. NULL for other devices and older reports.
    Column("visits_planned", Integer, nullable=True),
    Column("visits_done", Integer, nullable=True),
    Column("batch_open", Integer, nullable=True),
)

#: Settings an administrator makes per branch (`central branch-limits`): the offline limits of
#: its devices (issue 13). A branch without a row has the central's defaults
#: (`CentralSettings.offline_max_unsent`, `offline_max_hours`).
branch_settings = Table(
    "branch_settings",
    metadata,
    Column("branch", String(64), primary_key=True),
    Column("max_unsent", Integer, nullable=True),
    Column("max_offline_hours", Integer, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
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
    # The cursor the device last said it holds (a pull's `since`) and when: the feed is pruned
    # only behind every active device's cursor. Written at most every few minutes per device.
    Column("pulled_cursor", BigInteger, nullable=True),
    Column("pulled_at", DateTime(timezone=True), nullable=True),
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
    Column("command_id", String(64), nullable=False),
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
    UniqueConstraint("device", "command_id", name="uq_conflicts_device_command"),
    # A supervisor's list: one branch's conflicts, by status, oldest first.
    Index("ix_conflicts_branch_status_id", "branch", "status", "id"),
    Index("ix_conflicts_branch_id", "branch", "id"),
)

#: The change feed: one row per new record version, cursor strictly increasing in commit order.
changes = Table(
    "changes",
    metadata,
    Column("cursor", BigInteger, primary_key=True, autoincrement=False),
    Column("holder_id", String(18), nullable=False),
    Column("version", Integer, nullable=False),
    Column("record", Text, nullable=False),
    Column("command_id", String(64), nullable=True),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    # A pull driven by the branch's follows seeks each followed card's changes after a cursor.
    Index("ix_changes_holder_cursor", "holder_id", "cursor"),
)

#: Which branches follow which cards: every card a branch sent a command about or looked up,
#: until `FOLLOW_EXPIRY` passes without either (`active_at`: the last one, renewed at most daily).
branch_interest = Table(
    "branch_interest",
    metadata,
    Column("branch", String(64), primary_key=True),
    Column("holder_id", String(18), primary_key=True),
    Column("since", DateTime(timezone=True), nullable=False),
    Column("active_at", DateTime(timezone=True), nullable=True),  # NULL: before the upgrade
    Index("ix_branch_interest_active_at", "active_at"),
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

#: Columns added after the first pilot, as (table, column): `upgrade` adds them to a database
#: made before (create_all makes missing tables only, never missing columns or indexes).
ADDED_COLUMNS = (
    (branch_interest, branch_interest.c.active_at),
    (devices, devices.c.pulled_cursor),
    (devices, devices.c.pulled_at),
    (device_states, device_states.c.visits_planned),
    (device_states, device_states.c.visits_done),
    (device_states, device_states.c.batch_open),
)
#: Indexes that replace these older ones (dropped by `upgrade`).
REPLACED_INDEXES = ("ix_changes_holder_id", "ix_cards_card_number", "ix_cards_new_card_number")


def upgrade(conn: Connection) -> list[str]:
    """Bring a database made by an older central up to these tables, additively: the missing
    columns (a follow's `active_at` starts at its `since`), the missing indexes, and the indexes
    they replace dropped. Idempotent; returns the DDL it ran (docs/SCALE.md lists it as SQL)."""
    found = inspect(conn)
    tables = set(found.get_table_names())
    done: list[str] = []
    for table, column in ADDED_COLUMNS:
        if table.name not in tables:
            continue
        if column.name in {c["name"] for c in found.get_columns(table.name)}:
            continue
        kind = column.type.compile(conn.dialect)
        done.append(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}")
        if column is branch_interest.c.active_at:
            done.append("UPDATE branch_interest SET active_at = since WHERE active_at IS NULL")
    for sql in done:
        conn.exec_driver_sql(sql)
    for table in metadata.sorted_tables:
        if table.name not in tables:
            continue
        present = {ix["name"] for ix in found.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in present:
                index.create(conn)
                done.append(f"CREATE INDEX {index.name}")
        for name in REPLACED_INDEXES:
            if name in present and name.removeprefix("ix_").startswith(table.name):
                conn.exec_driver_sql(f"DROP INDEX {name}")
                done.append(f"DROP INDEX {name}")
    return done


#: Tables in an order that respects foreign keys when emptying them (children first).
TRUNCATE_ORDER = (
    branch_settings,
    device_states,
    staff_signing_keys,
    login_throttle,
    staff_withdrawals,
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
