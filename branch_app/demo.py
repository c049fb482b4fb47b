"""`branch-app demo`: the whole product on one machine, with nothing to configure.

The demo runs every real part: a local central service (uvicorn on 127.0.0.1, SQLite in a
temporary folder, demo staff and cardholders), this device enrolled with it, a local store whose
data key lives in an in-memory keyring (said on screen: nothing outlives the demo), the sync
engine, and a simulated card in a simulated reader. Staff sign in as at a branch; the demo
log-ins are shown on the login screen.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from branch_app.config import AppConfig, ReaderConfig
from branch_app.i18n import t

#: The device's name as the central records it.
DEMO_DEVICE_NAME = "demo counter"


@dataclass(frozen=True)
class DemoParts:
    """What the demo started (`demo_parts` stops them when its block ends)."""

    config: AppConfig
    store: Any
    sync: Any
    central: Any


def demo_config(base: AppConfig, central_url: str, data_dir: Path) -> AppConfig:
    """The embedded defaults pointed at the local central, the demo folder and simulated card."""
    from central.cli import DEMO_BRANCH

    return replace(
        base,
        branch=replace(base.branch, code=DEMO_BRANCH),
        reader=ReaderConfig(simulated=True),
        central=replace(base.central, url=central_url),
        store=replace(base.store, data_dir=str(data_dir)),
    )


@contextlib.contextmanager
def demo_parts(base: AppConfig, folder: Path) -> Iterator[DemoParts]:
    """Start the central, enrol this device and open the store, all inside `folder`."""
    import keyring

    from branch_app.store import LocalStore
    from branch_app.store.crypto import MemoryKeyring
    from central.devserver import start_central
    from sync.service import SyncService, enrol_with_config

    memory = MemoryKeyring()
    keyring.set_keyring(memory)  # the sync reads the device token through `keyring`
    central = start_central(seed_demo=True, enable_channels=True, cheap_passwords=False)
    store = sync = None
    try:
        config = demo_config(base, central.url, folder / "store")
        code = central.issue_enrolment_code(config.branch.code, "branch")
        enrol_with_config(config.central, code, DEMO_DEVICE_NAME)
        store = LocalStore.open(config.data_dir(), keyring=memory)
        sync = SyncService(config, store)
        parts = DemoParts(config=config, store=store, sync=sync, central=central)
        yield parts
    finally:
        if sync is not None:
            with contextlib.suppress(Exception):
                sync.close()
        if store is not None:
            with contextlib.suppress(Exception):
                store.close()
        central.close()


def demo_logins() -> list[str]:
    """One line per demo member of staff at the demo branch: role, id, password."""
    from central.cli import DEMO_BRANCH, DEMO_STAFF

    return [
        f"{t(f'shell.role.{member.role}')}: {member.staff_id} / {member.password}"
        for member in DEMO_STAFF
        if member.branch == DEMO_BRANCH
    ]


def run_demo(base: AppConfig) -> int:
    """Start the parts, run the TUI on them, stop everything when the TUI ends."""
    from branch_app.ui.launch import reader_factory, run_app
    from branch_app.ui.services import AppServices

    print(t("demo.starting"), file=sys.stderr, flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="branch-app-demo-") as folder,
        demo_parts(base, Path(folder)) as parts,
    ):
        for line in demo_logins():
            print(f"  {line}", file=sys.stderr)
        services = AppServices(
            store=parts.store,
            sync=parts.sync,
            reader_factory=reader_factory(parts.config),
            login_hint="\n".join(demo_logins()),
        )
        return run_app(parts.config, services)
