"""What the central knows of each enrolled device: its latest state report and the furthest audit
head it ever reported.

A device reports at the end of every sync that reached the central (`POST /v1/devices/state`):
its queue depth, the age of its oldest unsent request, its refused requests not closed yet, its
last successful sync, its version and where its audit journal ends. Counts and times only, never a
person's data. The central keeps the latest report per device and the furthest audit head: a later
head behind it means the device's journal was cut short or an older copy restored, which the
device may not be able to see itself (a restored keyring restores its anchor too); the report is
answered with `audit_regressed` and the time is kept for the supervisor and the inspector.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from branch_app.domain.vocabulary import Place
from central import models
from central.auth import DeviceIdentity
from central.db import Database, utcnow
from sync.protocol import DevicesResponse, DeviceStateAnswer, DeviceStateReport, DeviceStateView


def record_state(
    db: Database, device: DeviceIdentity, report: DeviceStateReport
) -> DeviceStateAnswer:
    """Keep `report` as the device's latest state; say whether its audit head went back."""
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
    }
    table = models.device_states
    with db.write() as conn:
        before = conn.execute(
            select(table.c.furthest_audit_n, table.c.audit_regressed_at).where(
                table.c.device_id == device.device_id
            )
        ).first()
        if before is None:
            conn.execute(
                table.insert().values(device_id=device.device_id, furthest_audit_n=head.n, **values)
            )
            return DeviceStateAnswer(audit_regressed=False, furthest_audit_n=head.n)
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
    return DeviceStateAnswer(audit_regressed=regressed, furthest_audit_n=furthest)


def branch_devices(db: Database, branch: str) -> DevicesResponse:
    """Every device of `branch` with its latest report, the ones that need a look first: a
    journal that went back, refused requests waiting, then the longest without a sync."""
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
            )
            .select_from(devices.outerjoin(states, states.c.device_id == devices.c.device_id))
            .where(devices.c.branch == branch)
        ).all()
    views = [
        DeviceStateView(
            device_id=row.device_id,
            name=row.name,
            place=Place(row.place),
            reported_at=row.reported_at.isoformat() if row.reported_at else None,
            queue_depth=row.queue_depth,
            oldest_unsent_age_seconds=row.oldest_unsent_age_seconds,
            refused_open=row.refused_open,
            last_sync=row.last_sync,
            app_version=row.app_version,
            audit_n=row.audit_n,
            audit_regressed_at=row.audit_regressed_at.isoformat()
            if row.audit_regressed_at
            else None,
            revoked=row.revoked_at is not None,
        )
        for row in rows
    ]
    views.sort(
        key=lambda v: (
            v.audit_regressed_at is None,
            -(v.refused_open or 0),
            v.last_sync or "",
            v.device_id,
        )
    )
    return DevicesResponse(devices=views)
