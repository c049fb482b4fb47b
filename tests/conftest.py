"""Settings and fixtures shared by the whole suite."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from hypothesis import HealthCheck, settings
from keyring.backend import KeyringBackend

from branch_app.store.crypto import MemoryKeyring

settings.register_profile(
    "ci",
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Install an in-memory keyring for one test, then put the previous one back.

    It is the store's `MemoryKeyring`, which keyring's own discovery never picks: a test keyring
    with a plain priority would be chosen by any later `keyring.get_keyring()` in the same
    process and hide a "no usable keyring" case from other tests."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


# -- a real Secret Service (gnome-keyring-daemon in its own D-Bus session) ----------------------


class SecretServiceSession:
    """A private D-Bus session bus with gnome-keyring-daemon unlocked by a throwaway password.

    Its address goes into the environment only for the tests that ask for it (`secret_service`),
    so nothing else in the run sees a keyring that is not there on a plain machine."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {
            "HOME": str(root / "home"),
            "XDG_RUNTIME_DIR": str(root / "run"),
            "XDG_DATA_HOME": str(root / "home" / ".local" / "share"),
            "XDG_CONFIG_HOME": str(root / "home" / ".config"),
            "XDG_CACHE_HOME": str(root / "home" / ".cache"),
        }
        self.processes: list[subprocess.Popen[bytes]] = []
        self.address = ""

    def start(self, timeout: float = 20.0) -> None:
        for key in ("HOME", "XDG_RUNTIME_DIR", "XDG_DATA_HOME"):
            Path(self.env[key]).mkdir(parents=True, exist_ok=True, mode=0o700)
        base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **self.env}
        bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=base,
        )
        self.processes.append(bus)
        assert bus.stdout is not None
        self.address = bus.stdout.readline().decode().strip()
        if not self.address:
            raise RuntimeError("dbus-daemon printed no address")
        daemon = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**base, "DBUS_SESSION_BUS_ADDRESS": self.address},
        )
        self.processes.append(daemon)
        assert daemon.stdin is not None
        daemon.stdin.write(b"throwaway-test-password")
        daemon.stdin.close()
        deadline = time.monotonic() + timeout
        while not self._answers():  # until the daemon owns the Secret Service name
            if daemon.poll() is not None:
                raise RuntimeError(f"gnome-keyring-daemon exited ({daemon.returncode})")
            if time.monotonic() > deadline:
                raise RuntimeError("the Secret Service did not answer in time")
            with contextlib.suppress(Exception):
                bus.wait(timeout=0.05)  # a bounded wait on a process, not a sleep

    def _answers(self) -> bool:
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        try:
            with open_dbus_connection(self.address) as conn:
                msg = new_method_call(
                    DBusAddress(
                        "/org/freedesktop/DBus",
                        bus_name="org.freedesktop.DBus",
                        interface="org.freedesktop.DBus",
                    ),
                    "NameHasOwner",
                    "s",
                    ("org.freedesktop.secrets",),
                )
                reply = conn.send_and_get_reply(msg, timeout=2)
                return bool(reply.body[0])
        except Exception:
            return False

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@pytest.fixture(scope="session")
def secret_service_session(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SecretServiceSession]:
    """gnome-keyring-daemon in its own D-Bus session for the whole run. Without it the tests
    that need it skip with the reason, except under CI (env CI set), where they fail."""
    missing = [tool for tool in ("dbus-daemon", "gnome-keyring-daemon") if not shutil.which(tool)]
    session = SecretServiceSession(tmp_path_factory.mktemp("secret-service"))
    try:
        if missing:
            raise RuntimeError(f"not installed: {', '.join(missing)} (scripts/bootstrap.sh)")
        session.start()
    except (RuntimeError, OSError) as exc:
        session.stop()
        message = f"a Secret Service (gnome-keyring-daemon) could not start: {exc}"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; it is needed under CI")
        pytest.skip(message)
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture
def secret_service(
    secret_service_session: SecretServiceSession, monkeypatch: pytest.MonkeyPatch
) -> Iterator[KeyringBackend]:
    """The `keyring` package's SecretService backend talking to the private daemon, installed
    as the keyring for one test (the environment points at the private bus only meanwhile)."""
    from keyring.backends import SecretService

    for key, value in secret_service_session.env.items():
        if key != "HOME":
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service_session.address)
    backend = SecretService.Keyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(params=["memory", "secret_service"])
def any_keyring(request: pytest.FixtureRequest) -> KeyringBackend:
    """Each test that takes it runs with the in-memory keyring and with the real one."""
    name = "memory_keyring" if request.param == "memory" else "secret_service"
    backend: KeyringBackend = request.getfixturevalue(name)
    return backend
