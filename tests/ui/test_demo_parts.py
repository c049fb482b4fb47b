"""The demo's parts for each kind of device: who may log in, and the place it is enrolled for."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import keyring
import pytest

from branch_app.config import AppConfig, DeviceKind
from branch_app.demo.parts import demo_logins, demo_parts

pytestmark = pytest.mark.slow


def home_visit_config() -> AppConfig:
    base = AppConfig()
    return replace(base, branch=replace(base.branch, device_kind=DeviceKind.HOME_VISIT))


def test_the_login_hint_offers_only_staff_who_can_work_on_this_device() -> None:
    counter = " ".join(demo_logins(AppConfig()))
    assert "T001" in counter and "S001" in counter and "H001" not in counter
    home = " ".join(demo_logins(home_visit_config()))
    assert "H001" in home and "T001" in home  # tellers may go on home visits too


def test_a_home_visit_demo_is_enrolled_as_a_home_visit_device(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    try:
        with demo_parts(home_visit_config(), tmp_path) as parts:
            device = parts.sync.device()
            assert device is not None and device.place == "home_visit"
            session = parts.sync.authenticator().login("H001", "visit-demo-1")
            assert session.role == "home_visit" and not session.offline
    finally:
        keyring.set_keyring(previous)  # the demo installs its in-memory keyring process-wide
