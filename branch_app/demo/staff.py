"""The pretend staff of the shell-only demo and of the UI tests, one per role (no login).

A pilot never meets them: only `branch-app demo --shell-only` (and tests) put one on duty, and
only the demo's `AppServices.act_as` lets F9 switch between them.
"""

from __future__ import annotations

from branch_app.domain.vocabulary import Role
from branch_app.ui.services import StaffOnDuty

#: A name is not translated.
DEMO_NAMES: dict[Role, str] = {
    Role.TELLER: "李明 Li Ming",
    Role.HOME_VISIT: "王芳 Wang Fang",
    Role.SUPERVISOR: "张伟 Zhang Wei",
}


def demo_staff(role: Role) -> StaffOnDuty:
    """The pretend member of staff for `role`."""
    return StaffOnDuty(
        staff_id=f"DEMO-{role.value.upper()}", name=DEMO_NAMES[role], role=Role(role)
    )
