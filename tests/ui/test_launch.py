"""The composition root and the safe defaults: a device without a configuration reads real cards,
has no central and says so; only the demo chooses simulated cards and a loopback central."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from branch_app import cli
from branch_app import config as config_module
from branch_app.composition import app_services, psam_reader_name, store_factory
from branch_app.config import AppConfig, ReaderConfig, StoreConfig
from branch_app.demo.parts import demo_config
from branch_app.store.crypto import MemoryKeyring
from branch_app.ui.app import BranchApp
from tests.ui.conftest import SIZE, wait_until


@pytest.fixture
def no_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No file at the platform path and no BRANCH_APP_* overrides: the embedded defaults."""
    missing = tmp_path / "nowhere" / "config.toml"
    monkeypatch.setattr(config_module, "default_config_path", lambda: missing)
    for name in [k for k in os.environ if k.startswith("BRANCH_APP_")]:
        monkeypatch.delenv(name)
    return missing


def test_the_normal_start_builds_its_parts_after_the_first_paint() -> None:
    config = AppConfig()
    services = app_services(config)
    assert services.store is None and services.sync is None and services.reader is None
    assert services.store_factory is not None and services.reader_factory is not None
    assert not services.demo and services.act_as is None  # F9 "act as" is the demo's only


def test_without_a_file_the_readers_are_pcsc_and_there_is_no_central(
    no_config_file: Path,
) -> None:
    args = cli._tui_only([])
    assert args is not None
    config = cli.config_from_args(args)
    assert config.reader.simulated is False and psam_reader_name(config.reader) == ""
    assert not config.central.configured
    assert config.file_path() == no_config_file


async def test_without_a_central_the_app_opens_its_store_and_says_how_to_configure_one(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    config = replace(AppConfig(), store=StoreConfig(data_dir=str(tmp_path / "store")))
    services = app_services(config)
    services.reader_factory = None  # no card reader in this test
    app = BranchApp(config, services)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.services.store is not None)
            assert app.services.sync is None and app.session_keeper is None
            messages = [n.message for n in app._notifications]
            assert any(
                "No central service is configured" in m and "[central]" in m for m in messages
            )
    finally:
        if app.services.store is not None:
            app.services.store.close()


def test_no_central_means_no_sync_service(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    config = replace(AppConfig(), store=StoreConfig(data_dir=str(tmp_path / "store")))
    store, sync = store_factory(config)()
    try:
        assert sync is None
    finally:
        store.close()


def test_card_read_without_a_file_says_it_reads_the_pcsc_readers(
    no_config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.main(["--language", "en", "card", "read"])  # no PC/SC here, or no card: any status
    out, err = capsys.readouterr()
    assert f"No configuration file at {no_config_file}" in err
    assert "PC/SC" in err
    assert "simulated" not in out.lower()


def test_card_read_on_a_configured_device_says_nothing_about_defaults(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[reader]\nsimulated = true\n", encoding="utf-8")
    assert cli.main(["--config", str(path), "--language", "en", "card", "read"]) == 0
    _out, err = capsys.readouterr()
    assert "No configuration file" not in err


def test_only_the_demo_chooses_simulated_cards_and_a_loopback_central(tmp_path: Path) -> None:
    pilot = AppConfig()
    demo = demo_config(pilot, "http://127.0.0.1:8799", tmp_path)
    assert demo.reader == ReaderConfig(simulated=True)
    assert demo.central.url == "http://127.0.0.1:8799"
    assert pilot.reader.simulated is False and not pilot.central.configured
