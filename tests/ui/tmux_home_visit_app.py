"""A branch's home-visit laptop for the tmux test of a home-visit day, against the test's central.

`branch-app demo --home-visit` runs a home-visit laptop, but its central, store and keyring live
and die inside the demo's process: the test could neither stop and restart the central on the
same database (the day offline) nor, afterwards, read the laptop's audit journal or the central's
tables. So the pane runs this module instead:

    python -m tests.ui.tmux_home_visit_app SETTINGS.json

SETTINGS holds the central's URL, an enrolment code issued for a home-visit device of the demo's
branch, the data folder, and where to write the in-memory keyring (tests only; a pilot's keys
live in the OS keyring) when the app ends, so the test can open the laptop's store and read its
journal. The app is the demo's configuration (its branch, the simulated readers, the demo log-ins
on the login screen; `BRANCH_APP_PRINTER_FOLDER` and the other demo sections from the
environment) as a home-visit laptop, started through the composition root like `branch-app`.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import orjson


def write_settings(path: Path, *, url: str, code: str, data_dir: Path, keyring_out: Path) -> Path:
    settings = {
        "url": url,
        "code": code,
        "data_dir": str(data_dir),
        "keyring_out": str(keyring_out),
    }
    path.write_bytes(orjson.dumps(settings))
    return path


def main(settings_path: str) -> int:
    """Enrol as a home-visit laptop, open the store and run the app; write the keyring back."""
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
    memory = MemoryKeyring()
    keyring.set_keyring(memory)  # the sync reads the device token through `keyring`
    base = demo_base_config()
    base = replace(base, branch=replace(base.branch, device_kind=DeviceKind.HOME_VISIT))
    config = demo_config(base, settings["url"], Path(settings["data_dir"]))
    set_language(Language(config.ui.language) if config.ui.language else language_from_locale())
    try:
        enrol_with_config(config.central, settings["code"], "home-visit laptop")
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
