"""Settings and fixtures shared by the whole suite."""

from __future__ import annotations

import os
from collections.abc import Iterator

import keyring
import pytest
from hypothesis import HealthCheck, settings

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
