"""Pieces of the tmux stories that run a branch's real app against a central the test controls.

`branch-app demo` (and `demo --home-visit`) starts its own central, store and keyring, which live
and die inside the demo's process: a story could neither stop and restart the central on the same
database (a day offline), nor cut one branch's network while the central serves other channels,
nor read the device's journal afterwards. So the pane runs this module:

    python -m tests.ui.tmux_story SETTINGS.json

SETTINGS holds the central's URL (a proxy's, for a story that cuts the line), an enrolment code,
the data folder, the device's kind (a branch counter unless said), the exported in-memory keyring
(tests only; a pilot's keys live in the OS keyring; empty: enrol first) and where to write it
back when the app ends, so the test can open the device's store afterwards and read its journal.
The app is the demo's configuration (its branch, its simulated card in the simulated reader, the
demo log-ins on the login screen; `BRANCH_APP_PRINTER_FOLDER` and the other demo sections from
the environment) with that central, started through the composition root like `branch-app`.

`CuttableProxy` is the sync tests' `FaultyProxy` with a switch: while `cut`, every request is
reset before it reaches the central, as a branch whose line is down.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import orjson

from tests.sync.faulty_proxy import FaultyProxy


@dataclass
class CuttableProxy(FaultyProxy):
    """Every request reaches the central, except while `cut`: then each is reset unsent."""

    cut: bool = False

    def _next_fault(self, path: str) -> str:
        if self.cut:
            return "reset_before"
        return super()._next_fault(path)


def write_settings(
    path: Path,
    *,
    url: str,
    code: str,
    data_dir: Path,
    keyring_out: Path,
    keyring: Mapping[str, str] | None = None,
    device_kind: str | None = None,
    device_name: str = "story counter",
) -> Path:
    path.write_bytes(
        orjson.dumps(
            {
                "url": url,
                "code": code,
                "data_dir": str(data_dir),
                "keyring": dict(keyring or {}),
                "keyring_out": str(keyring_out),
                "device_kind": device_kind,
                "device_name": device_name,
            }
        )
    )
    return path


def main(settings_path: str) -> int:
    """Enrol (first start), open the store and run the app; write the keyring back at the end."""
    import keyring

    from branch_app.composition import app_services, start, sync_service
    from branch_app.config import DeviceKind
    from branch_app.demo.cli import demo_base_config
    from branch_app.demo.parts import demo_config, demo_logins
    from branch_app.i18n import Language, language_from_locale, set_language
    from branch_app.store import LocalStore
    from branch_app.store.crypto import MemoryKeyring
    from sync.service import enrol_with_config

    settings = orjson.loads(Path(settings_path).read_bytes())
    memory = MemoryKeyring.from_export(settings["keyring"])
    keyring.set_keyring(memory)  # the sync reads the device token through `keyring`
    base = demo_base_config()
    if settings["device_kind"] is not None:
        base = replace(
            base, branch=replace(base.branch, device_kind=DeviceKind(settings["device_kind"]))
        )
    config = demo_config(base, settings["url"], Path(settings["data_dir"]))
    set_language(Language(config.ui.language) if config.ui.language else language_from_locale())
    try:
        if not memory.export():
            enrol_with_config(config.central, settings["code"], settings["device_name"])
        store = LocalStore.open(config.data_dir(), keyring=memory)
        sync = sync_service(config, store)
        services = app_services(
            config, store=store, sync=sync, login_hint="\n".join(demo_logins(config))
        )
        return start(config, services)  # closes the sync and the store
    finally:
        Path(settings["keyring_out"]).write_bytes(orjson.dumps(memory.export()))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
