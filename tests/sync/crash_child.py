"""A branch device's sync in a child process, for the test that kills it mid-batch.

    python -m tests.sync.crash_child SETTINGS.json

SETTINGS holds the data folder, the exported in-memory keyring (test only), the central URL (the
test's proxy), the device token and the batch size. The process opens the real store and runs
the engine until it is killed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson


def main(settings_path: str) -> int:
    from branch_app.store import LocalStore
    from branch_app.store.crypto import MemoryKeyring
    from sync.client import CentralClient, Timeouts
    from sync.engine import RetryPolicy, SyncEngine

    settings = orjson.loads(Path(settings_path).read_bytes())
    keyring = MemoryKeyring.from_export(settings["keyring"])
    with LocalStore.open(settings["data_dir"], keyring=keyring) as store:
        client = CentralClient(
            settings["url"], device_token=settings["token"], timeouts=Timeouts.uniform(120.0)
        )
        engine = SyncEngine(
            store.outbox, client, batch_size=settings["batch_size"], retry=RetryPolicy(attempts=1)
        )
        summary = engine.run(pull=False)
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
