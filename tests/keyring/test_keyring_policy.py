"""Which keyring backends may hold the keys: judged by what a backend is, not by its name
(issue 10, finding 9: a plain-file backend with another name was accepted)."""

from __future__ import annotations

from pathlib import Path

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import SecretService, chainer

from branch_app.store import KeyringRefused, LocalStore, MemoryKeyring
from branch_app.store.crypto import refusal_reason


class PlainFile(KeyringBackend):
    """A backend that writes secrets to a readable file, with a good priority."""

    priority = 10  # type: ignore[assignment]

    def __init__(self, path: Path | None = None) -> None:
        super().__init__()
        self.path = path

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.path is not None:
            self.path.write_text(f"{service} {username} {password}\n")

    def delete_password(self, service: str, username: str) -> None:
        pass


def renamed(module: str, name: str, base: type = PlainFile) -> KeyringBackend:
    """A plain-file backend wearing a secure backend's module and class name."""
    kind = type(name, (base,), {"__module__": module, "__qualname__": name})
    backend: KeyringBackend = kind()
    return backend


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("keyring.backends.SecretService", "Keyring"),
        ("keyring.backends.macOS", "Keyring"),
        ("keyring.backends.Windows", "WinVaultKeyring"),
        ("secure_vault", "EncryptedKeyring"),  # no "plaintext" in the name
    ],
)
def test_a_plain_file_backend_is_refused_whatever_its_name(
    module: str, name: str, tmp_path: Path
) -> None:
    backend = renamed(module, name)
    assert refusal_reason(backend) is not None
    with pytest.raises(KeyringRefused, match="not a known secure keyring"):
        LocalStore.open(tmp_path / "data", keyring=backend)
    assert not (tmp_path / "data" / "outbox.json").exists()


def test_a_subclass_of_a_secure_backend_is_not_that_backend(tmp_path: Path) -> None:
    class Leaky(SecretService.Keyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            (tmp_path / "leak").write_text(password)

    assert refusal_reason(Leaky()) is not None


def test_a_chainer_passes_only_when_everything_it_chains_is_allowed() -> None:
    class Chain(chainer.ChainerBackend):
        def __init__(self, backends: list[KeyringBackend]) -> None:
            self._backends = backends

        @property
        def backends(self) -> list[KeyringBackend]:  # type: ignore[override]
            return self._backends

    assert refusal_reason(Chain([MemoryKeyring()])) is None
    assert refusal_reason(Chain([MemoryKeyring(), renamed("x", "Keyring")])) is not None
    assert refusal_reason(Chain([])) is not None


def test_the_in_memory_keyring_passed_explicitly_is_allowed(tmp_path: Path) -> None:
    with LocalStore.open(tmp_path / "data", keyring=MemoryKeyring()) as store:
        assert store.keyring_is_memory


def test_the_real_secret_service_is_allowed(secret_service: KeyringBackend) -> None:
    assert refusal_reason(secret_service) is None
