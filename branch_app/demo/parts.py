"""The full demo's parts: a loopback central, this device enrolled with it, a store whose data key
lives in an in-memory keyring, the sync service, and simulated cards in simulated readers.

Every one of them is chosen here explicitly: the configuration's defaults are a pilot's (PC/SC
readers, no central), never the demo's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from branch_app.config import AppConfig, ReaderConfig
from branch_app.i18n import t

if TYPE_CHECKING:
    from branch_app.domain.lifecycle import CardRecord
    from branch_app.store import LocalStore
    from central.dev.server import RunningCentral
    from sync.service import SyncService

#: The device's name as the central records it.
DEMO_DEVICE_NAME = "demo counter"


@dataclass(frozen=True)
class DemoParts:
    """What the demo started (`demo_parts` stops them when its block ends)."""

    config: AppConfig
    store: LocalStore
    sync: SyncService
    central: RunningCentral


def demo_config(base: AppConfig, central_url: str, data_dir: Path) -> AppConfig:
    """`base` pointed at the loopback central, the demo folder and the simulated readers."""
    from central.dev.demo_data import DEMO_BRANCH

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

    from branch_app.composition import sync_service
    from branch_app.store import LocalStore
    from branch_app.store.crypto import MemoryKeyring
    from central.dev.server import start_central
    from sync.service import enrol_with_config

    memory = MemoryKeyring()
    keyring.set_keyring(memory)  # the sync reads the device token through `keyring`
    central = start_central(seed_demo=True, enable_channels=True, cheap_passwords=False)
    store = sync = None
    try:
        config = demo_config(base, central.url, folder / "store")
        # Enrolled for the place the configuration says it is (a counter PC, an instant-issuance
        # counter or a home-visit laptop): the central checks each command against it.
        code = central.issue_enrolment_code(config.branch.code, config.branch.place.value)
        enrol_with_config(config.central, code, DEMO_DEVICE_NAME)
        store = LocalStore.open(config.data_dir(), keyring=memory)
        seed_simulated_holders(central, store, config.branch.bank)
        sync = sync_service(config, store)
        assert sync is not None  # the demo's configuration names its central
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


#: The shipped test cards that a demo counter can meet in its simulated reader.
DEMO_CARDS = ("gen1", "gen2_t0", "gen3_psam", "rare_name")


def simulated_holder_records(bank: str) -> list[CardRecord]:
    """An active card record for the holder of each demo test card, read off the card itself.

    Reading the cards (in process, with the simulated PSAM) keeps the demo's records true to what
    the reader will show, without a second copy of the test people.
    """
    import datetime as dt

    from branch_app.domain.lifecycle import CardRecord
    from branch_app.domain.vocabulary import CardState, FunctionStatus
    from readers.backend import read_card
    from readers.simulated import demo_readers

    records: list[CardRecord] = []
    for label in DEMO_CARDS:
        reading = read_card(demo_readers(label), psam_reader="Simulated Reader 1 (PSAM)")
        if not (reading.social_security_number and reading.card_number):
            continue
        generation = int(reading.generation.value) if reading.generation.value.isdigit() else 2
        records.append(
            CardRecord(
                holder_id=reading.social_security_number,
                version=1,
                card_number=reading.card_number,
                card_state=CardState.ACTIVE,
                social_security=FunctionStatus.NORMAL,
                financial=FunctionStatus.NORMAL if generation > 1 else FunctionStatus.NONE,
                bank=bank if generation > 1 else None,
                generation=generation,
                collected_on=dt.date(2024, 1, 15),
            )
        )
    return records


def seed_simulated_holders(central: RunningCentral, store: LocalStore, bank: str) -> None:
    """The central knows the simulated cards' holders, and this device has their records as if
    fetched ahead, so a loss report on the card in the reader works from the first minute."""
    from central.db import utcnow
    from central.dev.demo_data import DEMO_BRANCH
    from central.service import CentralService

    records = simulated_holder_records(bank)
    database = central.database()
    service = CentralService(database, database.audit_key())
    for record in records:
        service.put_record(record)
        # The demo branch follows them as if it had served them: what another channel changes
        # (the demo's palette plays them) reaches this device with the next sync.
        with database.write() as conn:
            service._follow(conn, DEMO_BRANCH, record.holder_id, utcnow())
    store.card_cache.put_many(records, source="demo")


def demo_logins(config: AppConfig) -> list[str]:
    """One line per demo member of staff who can work on this device: role, id, password.

    Home-visit staff work only on a home-visit device (`branch-app demo --home-visit`); tellers
    and supervisors on every device."""
    from branch_app.domain.vocabulary import Place, Role
    from central.dev.demo_data import DEMO_BRANCH, DEMO_STAFF

    home_visit = config.branch.place is Place.HOME_VISIT
    return [
        f"{t(f'shell.role.{member.role}')}: {member.staff_id} / {member.password}"
        for member in DEMO_STAFF
        if member.branch == DEMO_BRANCH and (member.role is not Role.HOME_VISIT or home_visit)
    ]
