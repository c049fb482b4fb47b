"""The store opens in a thread after the first screen; if it cannot, the app ends with its sentence."""

from __future__ import annotations

from pathlib import Path

from branch_app.config import AppConfig, CentralConfig, StoreConfig
from branch_app.store import LocalStore, StoreLocked
from branch_app.store.crypto import MemoryKeyring
from branch_app.ui.app import BranchApp
from branch_app.ui.services import AppServices
from sync.service import SyncService
from tests.ui.conftest import SIZE, fixed_clock, wait_until


def config_for(folder: Path) -> AppConfig:
    return AppConfig(
        store=StoreConfig(data_dir=str(folder)),
        central=CentralConfig(url="http://127.0.0.1:9", timeout_seconds=0.5),
    )


async def test_store_that_cannot_open_ends_the_app_with_its_sentence(tmp_path: Path) -> None:
    def refuse() -> tuple[object, object]:
        raise StoreLocked(tmp_path)

    app = BranchApp(config_for(tmp_path), AppServices(clock=fixed_clock, store_factory=refuse))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.return_code is not None)
    assert app.return_code == 3
    assert app.services.store is None


async def test_store_opened_after_the_first_screen_starts_enrolment(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    config = config_for(tmp_path / "store")
    opened: list[LocalStore] = []

    def open_parts() -> tuple[object, object]:
        store = LocalStore.open(config.data_dir(), keyring=memory_keyring)
        opened.append(store)
        return store, SyncService(config, store)

    app = BranchApp(config, AppServices(clock=fixed_clock, store_factory=open_parts))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.services.store is not None)
            assert app.services.sync is not None
            # A device that was never enrolled asks for its one-time code first.
            await wait_until(pilot, lambda: type(app.screen).__name__ == "EnrolScreen")
            assert app.session_keeper is not None
    finally:
        for store in opened:
            store.close()
