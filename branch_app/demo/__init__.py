"""`branch-app demo`: the whole product on one machine, with nothing to configure.

The full demo runs every real part (`parts`): a local central service (uvicorn on 127.0.0.1,
SQLite in a temporary folder, the demo's staff and cardholders from `central.dev.demo_data`), this
device enrolled with it, a local store whose data key lives in an in-memory keyring (said on
screen: nothing outlives the demo), the sync service, and a simulated card in a simulated reader.
Staff sign in as at a branch; the demo log-ins are shown on the login screen.

`--shell-only` starts just the shell with a pretend member of staff (`staff`): no central, no
store. Both go through the composition root (`branch_app.composition`), like `branch-app`.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from branch_app.config import AppConfig, ReaderConfig
from branch_app.domain.vocabulary import Role
from branch_app.i18n import t


def run_demo(base: AppConfig) -> int:
    """Start the parts, run the TUI on them, stop everything when the TUI ends."""
    from branch_app.composition import app_services, start
    from branch_app.demo.parts import demo_logins, demo_parts

    print(t("demo.starting"), file=sys.stderr, flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="branch-app-demo-") as folder,
        demo_parts(base, Path(folder)) as parts,
    ):
        logins = demo_logins(parts.config)
        for line in logins:
            print(f"  {line}", file=sys.stderr)
        services = app_services(
            parts.config, store=parts.store, sync=parts.sync, login_hint="\n".join(logins)
        )
        from branch_app.demo.palette import demo_palette

        services.palette_extras = demo_palette(parts)
        return start(parts.config, services)


def run_shell_only(base: AppConfig, role: Role) -> int:
    """Just the shell, with the pretend member of staff for `role` on duty and the simulated
    readers: no central, no store, for a first look or a training room without the rest."""
    from branch_app.composition import app_services, start
    from branch_app.demo.staff import demo_staff

    config = replace(base, reader=ReaderConfig(simulated=True))
    services = app_services(config, open_store=False, staff=demo_staff(role), act_as=demo_staff)
    return start(config, services)
