"""Pieces of the tmux stories that run a branch's real app against a central the test controls.

`branch-app demo` starts its own central; a story that cuts one branch's network while the
central goes on serving other channels needs the app pointed at a central of the test's own,
through a proxy the test can cut. So the pane runs this module:

    python -m tests.ui.tmux_story SETTINGS.json

SETTINGS holds the central's URL (the proxy's), an enrolment code, the data folder, the exported
in-memory keyring (tests only; a pilot's keys live in the OS keyring) and where to write it back
when the app ends, so the test can open the device's store afterwards and read its journal. The
app is the demo's configuration (its branch, its simulated card in the simulated reader, the
demo log-ins on the login screen) with that central, started through the composition root like
`branch-app`.

`CuttableProxy` is the sync tests' `FaultyProxy` with a switch: while `cut`, every request is
reset before it reaches the central, as a branch whose line is down.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
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
    path: Path, *, url: str, code: str, data_dir: Path, keyring: dict[str, str], keyring_out: Path
) -> Path:
    path.write_bytes(
        orjson.dumps(
            {
                "url": url,
                "code": code,
                "data_dir": str(data_dir),
                "keyring": keyring,
                "keyring_out": str(keyring_out),
            }
        )
    )
    return path


def main(settings_path: str) -> int:
    """Enrol (first start), open the store and run the app; write the keyring back at the end."""
    import keyring

    from branch_app.composition import app_services, start, sync_service
    from branch_app.demo.cli import demo_base_config
    from branch_app.demo.parts import demo_config, demo_logins
    from branch_app.i18n import Language, language_from_locale, set_language
    from branch_app.store import LocalStore
    from branch_app.store.crypto import MemoryKeyring
    from sync.service import enrol_with_config

    settings = orjson.loads(Path(settings_path).read_bytes())
    memory = MemoryKeyring.from_export(settings["keyring"])
    keyring.set_keyring(memory)  # the sync reads the device token through `keyring`
    config = demo_config(demo_base_config(), settings["url"], Path(settings["data_dir"]))
    set_language(Language(config.ui.language) if config.ui.language else language_from_locale())
    try:
        if not memory.export():
            enrol_with_config(config.central, settings["code"], "story counter")
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
