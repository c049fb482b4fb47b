"""The pure layers import without the UI, storage or network libraries (checked in a fresh
interpreter, so nothing imported by other tests can hide a dependency)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Modules that must stay pure; the lead extends this with the readers' pure layers and
# sync.protocol.
PURE_MODULES: list[str] = [
    "branch_app.domain",
    "branch_app.domain.identity",
    "branch_app.domain.card_number",
    "branch_app.domain.lifecycle",
    "branch_app.domain.roles",
    "branch_app.domain.fees",
    "branch_app.domain.workdays",
    # The wire schemas: shared by the app's sync engine and the central, so free of either's IO.
    "sync.protocol",
    # The card layers are checked more strictly (no pyscard either) in tests/readers.
    "readers.apdu",
    "readers.sscard",
]

FORBIDDEN: tuple[str, ...] = ("textual", "tinydb", "httpx", "sqlalchemy", "fastapi")

# Data libraries the domain may use, but only lazily, inside the functions that need them.
LAZY: tuple[str, ...] = ("chinese_calendar", "holidays")

_PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(name.split(".")[0] for name in sys.modules)))
"""


def loaded_after_import(module: str) -> set[str]:
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE, module],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return set(json.loads(completed.stdout))


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_module_imports_without_ui_storage_or_network(module: str) -> None:
    loaded = loaded_after_import(module)
    assert not loaded & set(FORBIDDEN), f"{module} pulled in {sorted(loaded & set(FORBIDDEN))}"
    if module.startswith("branch_app.domain"):
        assert not loaded & set(LAZY), f"{module} imported {sorted(loaded & set(LAZY))} eagerly"
