"""Fixtures of the sync tests (the in-memory keyring is the suite's, in tests/conftest.py)."""
