"""The pure layers import without the UI, storage or network libraries (checked in a fresh
interpreter, so nothing imported by other tests can hide a dependency)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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


# -- two installs: a teller PC has none of the central's libraries ------------------------------

#: The `central` extra (and what FastAPI brings): never on the branch application's paths.
SERVER_LIBRARIES: tuple[str, ...] = ("fastapi", "uvicorn", "sqlalchemy", "psycopg", "starlette")

#: What a teller PC runs, each in a fresh interpreter: the TUI's start through the composition
#: root, its parts once opened (store, sync service, reader service, counter service), and the
#: `sync` command with every area's CLI registered.
_BRANCH_PATHS = {
    "start": """
from branch_app.cli import _tui_only, config_from_args
from branch_app.composition import app_services
from branch_app.ui.app import BranchApp
config = config_from_args(_tui_only([]))
BranchApp(config, app_services(config))
""",
    "parts": """
import branch_app.composition, branch_app.store, branch_app.services.counter
import sync.service, sync.engine, sync.auth, sync.client, readers.service, readers.pcsc
""",
    "sync": """
from branch_app.cli import build_parser
import sync.cli
build_parser().parse_args(["sync", "--no-pull"])
""",
}

_PATH_PROBE = """
import json, sys
exec(sys.argv[1])
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


@pytest.mark.parametrize("path", sorted(_BRANCH_PATHS))
def test_the_branch_application_imports_none_of_the_centrals_libraries(path: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRANCH_APP_")}
    completed = subprocess.run(
        [sys.executable, "-c", _PATH_PROBE, _BRANCH_PATHS[path]],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert completed.returncode == 0, completed.stderr
    loaded = set(json.loads(completed.stdout))
    assert not loaded & set(SERVER_LIBRARIES), f"{path} pulled in {loaded & set(SERVER_LIBRARIES)}"


_WITHOUT_EXTRA = """
import sys
from importlib.abc import MetaPathFinder

class NotInstalled(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"fastapi", "uvicorn", "sqlalchemy", "psycopg", "starlette"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())
from central.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_the_central_without_its_extra_says_what_to_install(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", _WITHOUT_EXTRA, "seed-demo"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "CENTRAL_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"},
    )
    assert completed.returncode == 2
    assert "gz-sscard-branch[central]" in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1  # one sentence, not a traceback
