"""The demo's fictional data: staff log-ins and cardholders in several states.

For a demo or test database only (`central seed-demo`, `central serve --seed-demo`, the demo's
loopback central); a pilot's central never loads it. The people are invented, their ids valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from branch_app.domain.vocabulary import Role

if TYPE_CHECKING:
    from central.db import Database

DEMO_BRANCH = "GZ-DEMO-001"
DEMO_INSTANT_BRANCH = "GZ-DEMO-002"


@dataclass(frozen=True)
class DemoStaff:
    staff_id: str
    name: str
    role: Role
    branch: str
    password: str


#: Demo log-ins (printed by `seed-demo`; a demo database only).
DEMO_STAFF = (
    DemoStaff("T001", "Chen Li 陈丽", Role.TELLER, DEMO_BRANCH, "teller-demo-1"),
    DemoStaff("H001", "Wang Fang 王芳", Role.HOME_VISIT, DEMO_BRANCH, "visit-demo-1"),
    DemoStaff("S001", "Liu Qiang 刘强", Role.SUPERVISOR, DEMO_BRANCH, "super-demo-1"),
    DemoStaff("T201", "Zhao Min 赵敏", Role.TELLER, DEMO_INSTANT_BRANCH, "teller-demo-2"),
)


def seed_demo(db: Database) -> list[str]:
    """Demo staff and a few cardholders in several states; returns their (valid, fictional) ids."""
    import datetime as dt

    from sqlalchemy import select

    from branch_app.domain.card_number import card_number_check_character
    from branch_app.domain.identity import resident_check_character
    from branch_app.domain.lifecycle import CardRecord
    from branch_app.domain.vocabulary import CancellationReason, CardState, FunctionStatus
    from central import models
    from central.auth import add_staff, password_hasher
    from central.service import CentralService
    from central.settings import CentralSettings

    hasher = password_hasher(CentralSettings(password_time_cost=2, password_memory_kib=19_456))
    with db.write() as conn:
        for member in DEMO_STAFF:
            add_staff(
                conn,
                hasher,
                staff_id=member.staff_id,
                name=member.name,
                role=member.role,
                branch=member.branch,
                password=member.password,
            )
    service = CentralService(db, db.audit_key())

    def holder(n: int) -> str:
        first17 = f"440106{1950 + n}{(n % 12) + 1:02d}{(n % 28) + 1:02d}{100 + n:03d}"
        return first17 + resident_check_character(first17)

    def card_number(n: int) -> str:
        first8 = f"GZ{n:06d}"
        return first8 + card_number_check_character(first8)

    ids: list[str] = []
    states = [
        (CardState.ACTIVE, FunctionStatus.NORMAL, FunctionStatus.NORMAL, None),
        (CardState.ACTIVE, FunctionStatus.NORMAL, FunctionStatus.NORMAL, None),
        (CardState.LOSS_REPORTED, FunctionStatus.FROZEN, FunctionStatus.NORMAL, None),
        (CardState.CANCELLED, FunctionStatus.CLOSED, FunctionStatus.CLOSED, "death"),
    ]
    with db.read() as conn:
        existing = set(conn.execute(select(models.cards.c.holder_id)).scalars())
    for n, (state, social, financial, cancelled) in enumerate(states, start=1):
        holder_id = holder(n)
        ids.append(holder_id)
        if holder_id in existing:
            continue  # seeding again keeps what the demo did since
        service.put_record(
            CardRecord(
                holder_id=holder_id,
                version=1,
                card_number=card_number(n),
                card_state=state,
                social_security=social,
                financial=financial,
                bank="demo-bank",
                generation=3,
                collected_on=dt.date(2023, 3, n),
                cancellation_reason=CancellationReason(cancelled) if cancelled else None,
            )
        )
    return ids
