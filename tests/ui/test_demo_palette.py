"""The demo's own palette entries: stop and restart the central, and play the other channels on
the real loopback central, each from the command palette's list, each saying what it did."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest

from branch_app.config import AppConfig
from branch_app.demo.palette import demo_palette
from branch_app.demo.parts import demo_parts, simulated_holder_records
from branch_app.domain.lifecycle import record_from_dict
from branch_app.domain.vocabulary import FunctionStatus
from branch_app.ui.app import BranchApp
from branch_app.ui.services import AppServices
from tests.ui.conftest import wait_until

pytestmark = pytest.mark.slow


async def test_the_demo_stops_and_restarts_the_central_and_plays_a_channel(
    tmp_path: Path,
) -> None:
    previous = keyring.get_keyring()
    try:
        with demo_parts(AppConfig(), tmp_path) as parts:
            services = AppServices(store=parts.store, sync=parts.sync)
            services.palette_extras = demo_palette(parts)
            app = BranchApp(parts.config, services)
            holder = simulated_holder_records(parts.config.branch.bank)[0].holder_id
            async with app.run_test(size=(120, 36)) as pilot:

                def entry(word: str):
                    titles = {title: run for title, _help, run in services.palette_extras(app)}
                    found = [run for title, run in titles.items() if word in title]
                    assert found, f"no palette entry with {word!r} in {list(titles)}"
                    return found[0]

                def notified(word: str) -> bool:
                    return any(word in str(n.message) for n in app._notifications)

                entry("Online loss report")()
                await wait_until(pilot, lambda: notified("the central says applied"))
                assert parts.sync.run().ok  # the pull brings the other channel's change here
                record = record_from_dict(parts.store.card_cache.get(holder).record)
                assert record.social_security is FunctionStatus.FROZEN

                entry("Stop the central")()
                await wait_until(pilot, lambda: not parts.central.is_running())
                await wait_until(pilot, lambda: notified("requests now wait on this device"))
                entry("Restart the central")()  # offered only while it is stopped
                await wait_until(pilot, lambda: notified("answers again"), deadline=30)
                assert parts.central.is_running() and parts.sync.ping()
    finally:
        keyring.set_keyring(previous)  # the demo installs its in-memory keyring process-wide
