"""The offline limits of a branch's devices (issue 13), set per branch by an administrator.

A home-visit laptop may take at most `max_unsent` requests before a sync and the supervisor's
approval of its batch, and none once `max_offline_hours` have passed since its last successful
sync. The numbers travel with the device's configuration from the central (the enrolment, every
log-in and every device-state answer), never from a file the laptop's user could edit. A branch
without its own row has the central's defaults (`CentralSettings.offline_max_unsent`,
`offline_max_hours`); a row may set one number and leave the other to the default.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from central import models
from central.db import utcnow
from central.settings import CentralSettings
from sync.protocol import OfflineLimits


def branch_limits(
    conn: Connection, branch: str, settings: CentralSettings | None = None
) -> OfflineLimits:
    """The branch's limits as they stand now: its own where set, else the central's defaults."""
    defaults = settings or CentralSettings()
    table = models.branch_settings
    row = conn.execute(
        select(table.c.max_unsent, table.c.max_offline_hours).where(table.c.branch == branch)
    ).first()
    return OfflineLimits(
        max_unsent=defaults.offline_max_unsent
        if row is None or row.max_unsent is None
        else row.max_unsent,
        max_offline_hours=defaults.offline_max_hours
        if row is None or row.max_offline_hours is None
        else row.max_offline_hours,
    )


def set_branch_limits(
    conn: Connection,
    branch: str,
    *,
    max_unsent: int | None = None,
    max_offline_hours: int | None = None,
    settings: CentralSettings | None = None,
) -> OfflineLimits:
    """Set one or both of the branch's limits (the other one is kept); the limits now.

    Raises `ValueError` with a sentence for the administrator when a number is out of the range
    the wire allows (`OfflineLimits`): nothing is changed then."""
    if max_unsent is None and max_offline_hours is None:
        return branch_limits(conn, branch, settings)
    current = branch_limits(conn, branch, settings)
    wanted = {
        "max_unsent": current.max_unsent if max_unsent is None else max_unsent,
        "max_offline_hours": current.max_offline_hours
        if max_offline_hours is None
        else max_offline_hours,
    }
    from pydantic import ValidationError

    try:
        OfflineLimits(**wanted)
    except ValidationError:
        bounds = OfflineLimits.model_json_schema()["properties"]
        raise ValueError(
            "the limits must be "
            f"{bounds['max_unsent']['minimum']}-{bounds['max_unsent']['maximum']} requests and "
            f"{bounds['max_offline_hours']['minimum']}-{bounds['max_offline_hours']['maximum']} "
            "hours"
        ) from None
    table = models.branch_settings
    values = {
        "max_unsent": max_unsent,
        "max_offline_hours": max_offline_hours,
    }
    values = {k: v for k, v in values.items() if v is not None}
    found = conn.execute(select(table.c.branch).where(table.c.branch == branch)).first()
    if found is None:
        conn.execute(table.insert().values(branch=branch, updated_at=utcnow(), **values))
    else:
        conn.execute(
            update(table).where(table.c.branch == branch).values(updated_at=utcnow(), **values)
        )
    return branch_limits(conn, branch, settings)
