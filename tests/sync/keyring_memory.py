"""The in-memory keyring for the sync tests (the real app refuses plaintext backends).

It is the store's `MemoryKeyring`, which keyring's own discovery never picks: a test keyring with
a plain priority would be chosen by any later `keyring.get_keyring()` in the same process and
hide a "no usable keyring" case from other tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest

from branch_app.store.crypto import MemoryKeyring


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
