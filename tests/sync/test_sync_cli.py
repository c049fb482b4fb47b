"""`branch-app enrol --code` and `branch-app sync` in-process against the real central."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from branch_app.cli import main
from branch_app.store import LocalStore
from sync.auth import enrolled_device
from tests.sync.helpers import (
    Device,
    fill_with_lives,
    holder_id,
    lifecycle_commands,
    registered_signer,
)

pytestmark = pytest.mark.slow

ACTOR = "T400"


@pytest.fixture(scope="module")
def central() -> Iterator[Any]:
    from central.dev.server import start_central

    with start_central(enable_channels=True) as running:
        running.add_staff(ACTOR, "teller-password-4", role="teller")
        yield running


def counts_of(out: str) -> dict[str, str]:
    """Summary lines `  <label>   <count>` as {label: count}."""
    rows = {}
    for line in out.splitlines()[1:]:
        label, _, count = line.strip().rpartition(" ")
        if label and count.isdigit():
            rows[label.strip()] = count
    return rows


def test_enrol_then_sync_prints_counts(
    central, tmp_path: Path, monkeypatch, memory_keyring, capsys
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    monkeypatch.setenv("BRANCH_APP_CONFIG", str(config))
    monkeypatch.setenv("BRANCH_APP_CENTRAL_URL", central.url)
    monkeypatch.setenv("BRANCH_APP_STORE_DATA_DIR", str(tmp_path / "store"))

    assert main(["--language", "en", "enrol", "--code", "WRONG-CODE-1"]) == 1
    assert "code is wrong" in capsys.readouterr().err
    code = central.issue_enrolment_code(place="instant_branch")  # its card lives issue cards
    assert main(["--language", "en", "enrol", "--code", code]) == 0
    identity = enrolled_device(central.url)
    assert identity is not None and identity.device_id in capsys.readouterr().out

    with LocalStore.open(tmp_path / "store", keyring=memory_keyring) as store:
        signer = registered_signer(central, ACTOR, identity.device_id)  # as its log-in would
        device = Device(store, identity.device_id, "", identity.branch, ACTOR, signer=signer)
        ids = fill_with_lives(device, 2)

    assert main(["--language", "en", "sync"]) == 0
    rows = counts_of(capsys.readouterr().out)
    assert rows["applied"] == str(len(ids))
    assert rows["conflict"] == rows["rejected"] == rows["still queued"] == "0"

    # The central is down: the command stays queued, the exit code says so.
    with LocalStore.open(tmp_path / "store", keyring=memory_keyring) as store:
        Device(store, identity.device_id, "", identity.branch, ACTOR, signer=signer).enqueue(
            holder_id(), lifecycle_commands(1)[0]
        )
    central.stop()
    try:
        assert main(["--language", "en", "sync", "--max-wait", "0.5"]) == 1
        captured = capsys.readouterr().out
        assert counts_of(captured)["still queued"] == "1"
        assert "not answering" in captured or "cannot be reached" in captured
    finally:
        central.start()


def test_sync_and_enrol_without_a_central_say_so_and_touch_nothing(
    tmp_path: Path, monkeypatch, memory_keyring, capsys
) -> None:
    """Safe default: with no central configured nothing is sent and no store is opened."""
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    monkeypatch.setenv("BRANCH_APP_CONFIG", str(config))
    monkeypatch.delenv("BRANCH_APP_CENTRAL_URL", raising=False)
    monkeypatch.setenv("BRANCH_APP_STORE_DATA_DIR", str(tmp_path / "store"))

    assert main(["--language", "en", "sync"]) == 2
    assert "central" in capsys.readouterr().err.lower()
    assert main(["--language", "en", "enrol", "--code", "ANY-CODE-1"]) == 2
    assert "central" in capsys.readouterr().err.lower()
    assert not (tmp_path / "store").exists()
