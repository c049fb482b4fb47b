"""Fixtures of the sync tests."""

from tests.sync.keyring_memory import memory_keyring

__all__ = ["memory_keyring"]
