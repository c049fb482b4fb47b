"""Every sync that reaches the central reports the device's state (issue 13) with its audit head
(issue 10); the central keeps the latest per device and the furthest head, and says when a
device's journal went back. Real central on 127.0.0.1, real store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from branch_app.config import AppConfig, StoreConfig
from branch_app.store import LocalStore, MemoryKeyring
from sync.protocol import AuditHead
from sync.service import SyncService
from tests.sync.helpers import enrolled_service

pytestmark = pytest.mark.slow

BRANCH, SUPERVISOR, PASSWORD = "GZ-DEV-001", "S888", "super-password-8"


@pytest.fixture(scope="module")
def central() -> Iterator[Any]:
    from central.dev.server import start_central

    with start_central() as running:
        running.add_staff(SUPERVISOR, PASSWORD, role="supervisor", branch=BRANCH)
        yield running


def test_each_sync_reports_the_state_and_a_journal_that_went_back_is_seen(
    central: Any, tmp_path: Path, memory_keyring: MemoryKeyring, capsys: Any
) -> None:
    with enrolled_service(central, tmp_path / "store", memory_keyring, BRANCH) as (sync, store):
        device = sync.device()
        assert device is not None
        session = sync.authenticator().login(SUPERVISOR, PASSWORD)  # audited: the head moves
        sync.signed_in(session)
        assert store.audit.head_info.n >= 0
        assert sync.run().reached_central

        with sync.client() as client:
            listed = client.branch_devices().devices
        mine = next(d for d in listed if d.device_id == device.device_id)
        assert mine.queue_depth == 0 and mine.refused_open == 0
        assert mine.audit_n == store.audit.head_info.n and mine.last_sync is not None
        assert mine.app_version and mine.audit_regressed_at is None

        # A report behind the furthest head the central saw: the journal went back.
        report = sync.state_report()
        ahead = report.model_copy(
            update={"audit_head": AuditHead(n=report.audit_head.n + 5, mac="a" * 64)}
        )
        with sync.client() as client:
            assert not client.report_state(ahead).audit_regressed
            answer = client.report_state(report)
            assert answer.audit_regressed and answer.furthest_audit_n == report.audit_head.n + 5
            again = next(
                d for d in client.branch_devices().devices if d.device_id == device.device_id
            )
        assert again.audit_regressed_at is not None

        from central.cli import main as central_main

        assert (
            central_main(["devices", "--branch", BRANCH, "--database-url", central.database_url])
            == 0
        )
        out = capsys.readouterr().out
        assert device.device_id in out and "WENT BACK" in out


def test_the_report_carries_no_personal_data(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    config = replace(AppConfig(), store=StoreConfig(data_dir=str(tmp_path / "store")))
    store = LocalStore.open(tmp_path / "store", keyring=memory_keyring)
    try:
        report = SyncService(config, store).state_report()
        assert set(report.model_dump()) == {
            "queue_depth",
            "oldest_unsent_age_seconds",
            "refused_open",
            "last_sync",
            "app_version",
            "audit_head",
            "visits_planned",
            "visits_done",
            "batch_open",
        }
    finally:
        store.close()
