"""The composition root: builds the store, the sync service, the reader and the application
services from the configuration, for the normal start and the demo alike.

`branch-app` (`branch_app.cli`) and `branch-app demo` (`branch_app.demo`) both call `start`; the
demo first builds its own parts (a loopback central, an in-memory keyring, simulated cards) and
hands the opened store and sync in. Nothing here imports a heavy library at module level: the
store, the sync service and pyscard are built in threads after the first screen is drawn
(`AppServices.store_factory` / `reader_factory`), so start-up stays close to a bare Textual app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from branch_app.config import AppConfig, ReaderConfig
    from branch_app.store import LocalStore
    from branch_app.ui.services import AppServices, StaffFactory, StaffOnDuty
    from readers.backend import CardBackend
    from readers.service import ReaderService
    from sync.service import SyncService

#: The simulated readers' names (`readers.simulated.demo_readers`).
SIMULATED_READER = "Simulated Reader 0"
SIMULATED_PSAM = "Simulated Reader 1 (PSAM)"


# -- the card readers -------------------------------------------------------------------------


def backend_factory(
    reader_config: ReaderConfig, *, simulated: bool | None = None, simulated_card: str = "gen2_t0"
) -> Callable[[], CardBackend]:
    """A factory of backends for the configured readers (one backend per thread for PC/SC).

    PC/SC unless the configuration (or `simulated`) explicitly asks for the simulated readers.
    Raises ValueError for an unknown simulated test card.
    """
    use_simulated = reader_config.simulated if simulated is None else simulated
    if use_simulated:
        from readers.simulated import card_models, demo_readers

        if simulated_card not in card_models():
            raise ValueError(
                f"no test card {simulated_card!r}; choose from {sorted(card_models())}"
            )
        shared = demo_readers(simulated_card)
        return lambda: shared
    from readers.pcsc import PcscBackend

    return PcscBackend


def psam_reader_name(reader_config: ReaderConfig, *, simulated: bool | None = None) -> str:
    """The configured PSAM reader; the simulated PSAM slot when simulated and none is named."""
    use_simulated = reader_config.simulated if simulated is None else simulated
    return reader_config.psam_name or (SIMULATED_PSAM if use_simulated else "")


def reader_service(config: AppConfig) -> ReaderService:
    """The reader service the TUI runs: the card widget drives it."""
    from readers.service import ReaderService

    reader = config.reader
    return ReaderService(
        backend_factory(reader), reader=reader.name, psam_reader=psam_reader_name(reader)
    )


# -- the store and the sync ---------------------------------------------------------------------


def open_store(config: AppConfig) -> LocalStore:
    """The configured local store (outbox, card cache, audit journal), opened and locked.

    Raises the store's `StoreError`s (a corrupt file, a second instance, no keyring)."""
    from branch_app.store import LocalStore

    return LocalStore.open(
        config.data_dir(),
        retention_months=config.store.archive_retention_months,
        visit_retention_days=config.store.visit_retention_days,
    )


def sync_service(config: AppConfig, store: LocalStore) -> SyncService | None:
    """The sync service for the configured central; None when no central is configured."""
    if not config.central.configured:
        return None
    from sync.service import SyncService

    return SyncService(config, store)


def store_factory(config: AppConfig) -> Callable[[], tuple[LocalStore, SyncService | None]]:
    """Opens the configured store and builds the sync service, when called (in a thread)."""

    def open_parts() -> tuple[LocalStore, SyncService | None]:
        store = open_store(config)
        try:
            return store, sync_service(config, store)
        except BaseException:
            store.close()
            raise

    return open_parts


def reader_factory(config: AppConfig) -> Callable[[], ReaderService]:
    """Builds the configured reader service, when called (in a thread: it imports pyscard)."""
    return lambda: reader_service(config)


# -- the application ------------------------------------------------------------------------------


def app_services(
    config: AppConfig,
    *,
    store: LocalStore | None = None,
    sync: SyncService | None = None,
    open_store: bool = True,
    staff: StaffOnDuty | None = None,
    act_as: StaffFactory | None = None,
    login_hint: str = "",
) -> AppServices:
    """The parts handed to `BranchApp`.

    Without `store`, the configured store and sync are opened after the first paint (unless
    `open_store` is false: the shell alone); the reader service is always built then. `act_as` (the demo only) lets F9 switch the pretend role.
    """
    from branch_app.ui.services import AppServices

    return AppServices(
        store=store,
        sync=sync,
        store_factory=store_factory(config) if store is None and open_store else None,
        reader_factory=reader_factory(config),
        staff=staff,
        act_as=act_as,
        login_hint=login_hint,
    )


def start(config: AppConfig, services: AppServices) -> int:
    """Run the teller application on `services` until it ends; then close what it opened.

    The rotating log (`branch_app.logbook`) starts here, for `branch-app` and the demo alike."""
    from branch_app.logbook import log_folder, start_logging, stop_logging
    from branch_app.ui.launch import run_app

    start_logging(log_folder(config))
    try:
        return run_app(config, services)
    finally:
        try:
            if services.sync is not None:
                services.sync.close()
            if services.store is not None:
                services.store.close()
        finally:
            stop_logging()
