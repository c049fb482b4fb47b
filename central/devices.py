"""What the central knows of each enrolled device: its latest state report and the furthest audit
head it ever reported.

A device reports at the end of every sync that reached the central (`POST /v1/devices/state`):
its queue depth, the age of its oldest unsent request, its refused requests not closed yet, its
last successful sync, its version and where its audit journal ends. Counts and times only, never a
person's data. The central keeps the latest report per device and the furthest audit head: a later
head behind it means the device's journal was cut short or an older copy restored, which the
device may not be able to see itself (a restored keyring restores its anchor too); the report is
answered with `audit_regressed` and the time is kept for the supervisor and the inspector.

The listing (`branch_devices`, for `GET /v1/devices` and `central devices`) says why each device
is stuck (`StuckReason`: never reported, nothing synced for the central's `stuck_after_minutes`,
refused requests waiting, its journal went back) and puts those first (`order_devices`, pure).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update

from branch_app.domain.vocabulary import Place, StuckReason
from central import models
from central.auth import DeviceIdentity
from central.db import Database, as_utc, utcnow
from central.limits import branch_limits
from central.settings import CentralSettings
from sync.protocol import DevicesResponse, DeviceStateAnswer, DeviceStateReport, DeviceStateView


def record_state(
    db: Database,
    device: DeviceIdentity,
    report: DeviceStateReport,
    settings: CentralSettings | None = None,
) -> DeviceStateAnswer:
    """Keep `report` as the device's latest state; say whether its audit head went back, and
    send the branch's offline limits as they stand now (`settings`: the central's defaults)."""
    now = utcnow()
    head = report.audit_head
    values: dict[str, Any] = {
        "branch": device.branch,
        "reported_at": now,
        "queue_depth": report.queue_depth,
        "oldest_unsent_age_seconds": report.oldest_unsent_age_seconds,
        "refused_open": report.refused_open,
        "last_sync": report.last_sync,
        "app_version": report.app_version,
        "audit_n": head.n,
        "audit_mac": head.mac,
        "audit_month": head.month,
        "visits_planned": report.visits_planned,
        "visits_done": report.visits_done,
        "batch_open": report.batch_open,
    }
    table = models.device_states
    with db.write() as conn:
        limits = branch_limits(conn, device.branch, settings)
        before = conn.execute(
            select(table.c.furthest_audit_n, table.c.audit_regressed_at).where(
                table.c.device_id == device.device_id
            )
        ).first()
        if before is None:
            conn.execute(
                table.insert().values(device_id=device.device_id, furthest_audit_n=head.n, **values)
            )
            return DeviceStateAnswer(audit_regressed=False, furthest_audit_n=head.n, limits=limits)
        regressed = head.n < before.furthest_audit_n
        furthest = max(head.n, before.furthest_audit_n)
        conn.execute(
            update(table)
            .where(table.c.device_id == device.device_id)
            .values(
                furthest_audit_n=furthest,
                audit_regressed_at=now if regressed else before.audit_regressed_at,
                **values,
            )
        )
    return DeviceStateAnswer(audit_regressed=regressed, furthest_audit_n=furthest, limits=limits)


def branch_devices(
    db: Database,
    branch: str,
    *,
    stuck_after: dt.timedelta = dt.timedelta(minutes=60),
    now: dt.datetime | None = None,
) -> DevicesResponse:
    """Every device of `branch` with its latest report and why it is stuck, if it is; in the
    order a supervisor should look at them (`order_devices`)."""
    states, devices = models.device_states, models.devices
    with db.read() as conn:
        rows = conn.execute(
            select(
                devices.c.device_id,
                devices.c.name,
                devices.c.place,
                devices.c.revoked_at,
                states.c.reported_at,
                states.c.queue_depth,
                states.c.oldest_unsent_age_seconds,
                states.c.refused_open,
                states.c.last_sync,
                states.c.app_version,
                states.c.audit_n,
                states.c.audit_regressed_at,
                states.c.visits_planned,
                states.c.visits_done,
                states.c.batch_open,
            )
            .select_from(devices.outerjoin(states, states.c.device_id == devices.c.device_id))
            .where(devices.c.branch == branch)
        ).all()
    views = []
    for row in rows:
        reported_at, regressed_at = as_utc(row.reported_at), as_utc(row.audit_regressed_at)
        views.append(
            DeviceStateView(
                device_id=row.device_id,
                name=row.name,
                place=Place(row.place),
                reported_at=reported_at.isoformat() if reported_at else None,
                queue_depth=row.queue_depth,
                oldest_unsent_age_seconds=row.oldest_unsent_age_seconds,
                refused_open=row.refused_open,
                last_sync=row.last_sync,
                app_version=row.app_version,
                audit_n=row.audit_n,
                audit_regressed_at=regressed_at.isoformat() if regressed_at else None,
                revoked=row.revoked_at is not None,
                visits_planned=row.visits_planned,
                visits_done=row.visits_done,
                batch_open=row.batch_open,
            )
        )
    return DevicesResponse(devices=order_devices(views, now or utcnow(), stuck_after))


def _moment(text: str | None) -> dt.datetime | None:
    """An ISO 8601 time of the wire (the protocol checked it), in UTC; naive means UTC."""
    if not text:
        return None
    try:
        return as_utc(dt.datetime.fromisoformat(text))
    except ValueError:
        return None


def last_heard(view: DeviceStateView) -> dt.datetime | None:
    """When the device last synced as far as the central can tell: the earlier of the device's
    own last successful sync and the central's receipt of its report (a device whose pushes
    fail still reports; a device whose clock runs ahead cannot look fresher than its report)."""
    known = [m for m in (_moment(view.last_sync), _moment(view.reported_at)) if m is not None]
    return min(known) if known else None


def stuck_reasons(
    view: DeviceStateView, now: dt.datetime, stuck_after: dt.timedelta
) -> list[StuckReason]:
    """Why the supervisor should look at this device now; empty when it is well. A revoked
    device is never stuck: it may not sync any more (it is listed last, marked revoked)."""
    if view.revoked:
        return []
    reasons = []
    if view.audit_regressed_at is not None:
        reasons.append(StuckReason.AUDIT_REGRESSED)
    if view.reported_at is None:
        reasons.append(StuckReason.NEVER_REPORTED)
    else:
        heard = last_heard(view) if view.last_sync is not None else None
        if heard is None or now - heard > stuck_after:
            reasons.append(StuckReason.NO_SYNC)
    if view.refused_open:
        reasons.append(StuckReason.REFUSED_WAITING)
    return reasons


def order_devices(
    views: Iterable[DeviceStateView], now: dt.datetime, stuck_after: dt.timedelta
) -> list[DeviceStateView]:
    """The views with their `stuck` reasons, in the order a supervisor reads them: stuck ones
    first (a journal that went back before the rest), then the longest without a sync (never
    first), revoked devices last; ties by name, then id, so the order is stable."""
    _never = dt.datetime.min.replace(tzinfo=dt.UTC)
    marked = [
        view.model_copy(update={"stuck": [r.value for r in stuck_reasons(view, now, stuck_after)]})
        for view in views
    ]

    def key(view: DeviceStateView) -> tuple[bool, bool, bool, dt.datetime, str, str]:
        return (
            view.revoked,
            not view.stuck,
            StuckReason.AUDIT_REGRESSED.value not in view.stuck,
            last_heard(view) or _never,
            view.name,
            view.device_id,
        )

    return sorted(marked, key=key)
