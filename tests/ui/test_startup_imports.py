"""Start-up stays light: the TUI path imports none of the heavy libraries before its first screen.

Not a timed test (bench/bench_startup.py measures time); this checks the cause of a slow start.
"""

from __future__ import annotations

import os
import subprocess
import sys

from branch_app.cli import _tui_only

HEAVY = ("tinydb", "httpx", "smartcard", "chinese_calendar", "holidays", "keyring", "sqlalchemy")

PROBE = """
import sys
from branch_app.cli import _tui_only, config_from_args
from branch_app.composition import app_services
from branch_app.ui.app import BranchApp
config = config_from_args(_tui_only([]))
app = BranchApp(config, app_services(config))
heavy = {heavy!r}
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in heavy
                      or m.startswith(("branch_app.store", "branch_app.domain.", "sync", "readers"))
                      and m != "branch_app.domain.vocabulary")))
"""


def test_tui_start_imports_no_heavy_library() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("BRANCH_APP_")},
    )
    assert result.stdout.strip() == ""


def test_no_subcommand_means_the_tui_without_loading_area_clis() -> None:
    assert _tui_only([]) is not None
    assert _tui_only(["--language", "en"]).language == "en"
    assert _tui_only(["--config", "x.toml"]).config == "x.toml"
    assert _tui_only(["demo"]) is None
    assert _tui_only(["--help"]) is None
    assert _tui_only(["--language", "fr"]) is None  # the full parser reports the error
