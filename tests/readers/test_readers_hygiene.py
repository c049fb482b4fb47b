"""`readers` imports nothing of `branch_app`, and its pure layers load without pyscard or the UI,
storage and network libraries (checked in a fresh interpreter)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

READERS = Path(__file__).resolve().parents[2] / "readers"
PURE = ("readers.apdu", "readers.sscard", "readers.simulated", "readers.backend", "readers.service")
NEVER = ("branch_app", "textual", "tinydb", "httpx", "smartcard", "cryptography")

_PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


@pytest.mark.parametrize("module", PURE)
def test_pure_layer_imports_alone(module: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE, module],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    loaded = set(json.loads(completed.stdout))
    assert not loaded & set(NEVER), f"{module} loaded {sorted(loaded & set(NEVER))}"


def test_no_module_of_readers_imports_branch_app() -> None:
    for path in READERS.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n.split(".")[0] == "branch_app" for n in names), path.name
