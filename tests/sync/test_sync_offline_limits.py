"""The branch's offline limits on the device (issue 13): kept from the enrolment, every log-in and
every device-state answer, sealed in the sync state (the laptop's user cannot raise them by
editing a file), re-sealed by a key rotation; the device-state report carries the open batch of a
home-visit device. Real central on 127.0.0.1, real store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from branch_app.config import AppConfig, BranchProfile, CentralConfig, DeviceKind, StoreConfig
from branch_app.store import LocalStore, MemoryKeyring
from central.limits import set_branch_limits
from central.settings import DEFAULT_MAX_OFFLINE_HOURS, DEFAULT_MAX_UNSENT
from sync.engine import RetryPolicy
from sync.protocol import OfflineLimits
from sync.service import SyncService
from sync.state import BUILT_IN_LIMITS, STATE_FILE, SyncState

pytestmark = pytest.mark.slow

BRANCH, STAFF, PASSWORD = "GZ-LIM-001", "H777", "home-visit-pass-7"


@pytest.fixture(scope="module")
def central() -> Iterator[Any]:
    from central.dev.server import start_central

    with start_central() as running:
        running.add_staff(STAFF, PASSWORD, role="home_visit", branch=BRANCH)
        yield running


@pytest.fixture
def home_device(
    central: Any, tmp_path: Path, memory_keyring: MemoryKeyring
) -> Iterator[tuple[SyncService, LocalStore]]:
    config = replace(
        AppConfig(),
        branch=BranchProfile(code=BRANCH, bank="icbc", device_kind=DeviceKind.HOME_VISIT),
        central=CentralConfig(url=central.url, timeout_seconds=5.0, auto_sync=False),
        store=StoreConfig(data_dir=str(tmp_path / "store")),
    )
    quick = RetryPolicy(attempts=3, timeout=5, wait_initial=0.05, wait_max=0.2, wait_jitter=0.05)
    store = LocalStore.open(tmp_path / "store", keyring=memory_keyring)
    sync = SyncService(config, store, retry=quick)
    try:
        sync.enrol(central.issue_enrolment_code(branch=BRANCH, place="home_visit"), "laptop 1")
        yield sync, store
    finally:
        sync.close()
        store.close()


def _set(central: Any, **limits: int) -> None:
    with central.database().write() as conn:
        set_branch_limits(conn, BRANCH, **limits)


def test_the_built_in_limits_are_the_centrals_defaults() -> None:
    assert (
        OfflineLimits(max_unsent=DEFAULT_MAX_UNSENT, max_offline_hours=DEFAULT_MAX_OFFLINE_HOURS)
        == BUILT_IN_LIMITS
    )


def test_limits_come_with_enrolment_log_in_and_each_sync_sealed(
    central: Any, home_device: tuple[SyncService, LocalStore]
) -> None:
    sync, store = home_device
    assert sync.offline_limits() == BUILT_IN_LIMITS  # the central's defaults, as sent
    assert sync.last_successful_sync() is not None  # the enrolment reached the central
    assert sync.batch_open() == 0

    _set(central, max_unsent=4, max_offline_hours=6)
    session = sync.authenticator().login(STAFF, PASSWORD)
    sync.signed_in(session)
    assert sync.offline_limits() == OfflineLimits(max_unsent=4, max_offline_hours=6)

    _set(central, max_unsent=2)
    before = sync.last_successful_sync()
    assert sync.run().ok
    assert sync.offline_limits() == OfflineLimits(max_unsent=2, max_offline_hours=6)
    after = sync.last_successful_sync()
    assert before is not None and after is not None and after >= before

    # Sealed: the file says nothing readable about them, and survives a reopen.
    raw = (store.data_dir / STATE_FILE).read_bytes()
    assert b"max_unsent" not in raw and b"approved_through" not in raw
    again = SyncState.in_folder(store.data_dir, store.keys)
    assert again.offline_limits() == OfflineLimits(max_unsent=2, max_offline_hours=6)

    # A key rotation re-seals it; the limits still read.
    store.rotate_key()
    assert SyncState.in_folder(store.data_dir, store.keys).offline_limits().max_unsent == 2


def test_an_edited_seal_reads_as_the_strictest_state(
    home_device: tuple[SyncService, LocalStore],
) -> None:
    _sync, store = home_device
    path = store.data_dir / STATE_FILE
    document = orjson.loads(path.read_bytes())
    blob = document["sealed"]["home_visit"]
    document["sealed"]["home_visit"] = blob[:-6] + (
        "A" * 6 if not blob.endswith("A" * 6) else "B" * 6
    )
    path.write_bytes(orjson.dumps(document))
    edited = SyncState.in_folder(store.data_dir, store.keys)
    assert edited.offline_limits() == BUILT_IN_LIMITS
    assert edited.last_successful_sync() is None and edited.approved_through() == 0


def test_the_report_carries_the_open_batch_and_the_approval_closes_it(
    central: Any, home_device: tuple[SyncService, LocalStore]
) -> None:
    sync, store = home_device
    for n in range(3):
        store.outbox.enqueue(
            "report_loss",
            f"44010619900101{n:03d}X",
            {"kind": "report_loss", "channel": "card_bank_branch"},
            base_version=None,
            actor=STAFF,
            device="dev",
            branch=BRANCH,
        )
    assert sync.batch_open() == 3
    report = sync.state_report()
    assert report.batch_open == 3
    sync.approve_batch(store.outbox.next_seq - 1, dt.datetime.now(dt.UTC))
    assert sync.batch_open() == 0 and sync.state_report().batch_open == 0
    sync.approve_batch(1)  # never moves back
    assert sync.batch_open() == 0
