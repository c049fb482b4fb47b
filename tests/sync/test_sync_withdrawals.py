"""Issue 10: a withdrawn person's offline login goes at the device's next sync that reaches the
central, not only at its next online login (real central on 127.0.0.1, real store)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from branch_app.store import MemoryKeyring
from sync.auth import LoginError
from tests.sync.helpers import enrolled_service

pytestmark = pytest.mark.slow

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
    with enrolled_service(central, tmp_path / "store", memory_keyring, BRANCH) as (sync, _store):
        online = sync.authenticator().login(TELLER, PASSWORD)  # stores the offline verifier
        assert online.session_token
        assert sync.authenticator().directory.get(TELLER).verifier is not None

        from central.auth import deactivate_staff

        with central.database().write() as conn:
            assert deactivate_staff(conn, TELLER)
        assert sync.run().reached_central
        assert sync.authenticator().directory.get(TELLER).verifier is None

        central.stop()  # offline: only the device's own verifiers count
        try:
            with pytest.raises(LoginError):
                sync.authenticator().login(TELLER, PASSWORD)
        finally:
            central.start()
