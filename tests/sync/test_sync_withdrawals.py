"""Issue 10: a withdrawn person's offline login goes at the device's next sync that reaches the
central, not only at its next online login (real central on 127.0.0.1, real store)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from branch_app.config import AppConfig, BranchProfile, CentralConfig, StoreConfig
from branch_app.store import LocalStore, MemoryKeyring
from sync.auth import LoginError
from sync.engine import RetryPolicy
from sync.service import SyncService

pytestmark = pytest.mark.slow

QUICK = RetryPolicy(attempts=3, timeout=5, wait_initial=0.05, wait_max=0.2, wait_jitter=0.05)
BRANCH, TELLER, PASSWORD = "GZ-WDR-001", "T777", "teller-password-7"


@pytest.fixture(scope="module")
def central() -> Iterator[Any]:
    from central.dev.server import start_central

    with start_central() as running:
        running.add_staff(TELLER, PASSWORD, role="teller", branch=BRANCH)
        yield running


def test_a_deactivated_person_cannot_log_in_offline_after_the_next_sync(
    central: Any, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    config = replace(
        AppConfig(),
        branch=BranchProfile(code=BRANCH, bank="icbc"),
        central=CentralConfig(url=central.url, timeout_seconds=5.0, auto_sync=False),
        store=StoreConfig(data_dir=str(tmp_path / "store")),
    )
    store = LocalStore.open(tmp_path / "store", keyring=memory_keyring)
    sync = SyncService(config, store, retry=QUICK)
    try:
        sync.enrol(central.issue_enrolment_code(branch=BRANCH), "counter 1")
        online = sync.authenticator().login(TELLER, PASSWORD)  # stores the offline verifier
        assert online.session_token
        assert sync.authenticator().directory.get(TELLER).verifier is not None

        from central.auth import deactivate_staff

        with central.database().write() as conn:
            assert deactivate_staff(conn, TELLER)
        assert sync.run().reached_central
        assert sync.authenticator().directory.get(TELLER).verifier is None

        central.stop()  # offline: only the device's own verifiers count
        with pytest.raises(LoginError):
            sync.authenticator().login(TELLER, PASSWORD)
    finally:
        if not central.is_running():
            central.start()
        sync.close()
        store.close()
