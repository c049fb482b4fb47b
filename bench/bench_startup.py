"""Start-up: `branch-app` to its first screen, against a bare Textual app, in the same run.

Each run is a fresh interpreter (a subprocess), so every import is paid every time. Both apps run
headless and exit on Textual's `Ready` event (the first screen is composed, laid out and drawn):
the bare app by construction, `branch-app` because `BRANCH_APP_EXIT_WHEN_READY=1` tells it to.
Runs alternate between the two so that load on the machine hits both alike; the figure is the
median. Bytecode is written on a warm-up run first, as an installed copy on a teller's PC has it.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TITLE = "Start-up: branch-app to its first screen vs a bare Textual app"
RUNS = 25
GOAL_RATIO = 1.5
ROOT = Path(__file__).resolve().parent.parent

BARE_APP = """
from textual.app import App

class Bare(App):
    def on_ready(self) -> None:
        self.exit()

Bare().run(headless=True)
"""


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure with bytecode, as installed
    env["BRANCH_APP_EXIT_WHEN_READY"] = "1"
    return env


def branch_app_command() -> list[str]:
    script = Path(sys.executable).with_name("branch-app")
    return [str(script)] if script.exists() else [sys.executable, "-m", "branch_app"]


def bare_command() -> list[str]:
    return [sys.executable, "-c", BARE_APP]


def time_once(command: list[str], env: dict[str, str]) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as data_dir:
        # `branch-app` opens (here: creates) its local store before the first screen, with the
        # data key in a keyring; each run gets a new folder and an in-memory keyring.
        run_env = {
            **env,
            "BRANCH_APP_STORE_DATA_DIR": data_dir,
            "PYTHON_KEYRING_BACKEND": "bench.memory_keyring.BenchKeyring",
            "PYTHONPATH": str(ROOT),  # so that the keyring above can be imported
        }
        started = time.perf_counter()
        result = subprocess.run(
            command, env=run_env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
        )
        elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited with {result.returncode}:\n{result.stderr[-2000:]}"
        )
    return elapsed


def measure(runs: int = RUNS) -> tuple[list[float], list[float]]:
    env = _environment()
    app, bare = branch_app_command(), bare_command()
    time_once(app, env)  # warm-up: writes bytecode, fills the page cache
    time_once(bare, env)
    app_times: list[float] = []
    bare_times: list[float] = []
    for _ in range(runs):
        app_times.append(time_once(app, env))
        bare_times.append(time_once(bare, env))
    return app_times, bare_times


def run() -> str:
    app_times, bare_times = measure()
    app_median = statistics.median(app_times)
    bare_median = statistics.median(bare_times)
    ratio = app_median / bare_median
    fastest_ratio = min(app_times) / min(bare_times)
    # Each app run is followed by a bare run under much the same load: compare them pairwise.
    paired_ratio = statistics.median(a / b for a, b in zip(app_times, bare_times, strict=True))
    verdict = "meets" if ratio <= GOAL_RATIO else "misses"
    command = " ".join(
        Path(part).name if i == 0 else part for i, part in enumerate(branch_app_command())
    )
    return f"""
Fresh interpreter per run, headless, {RUNS} alternating runs each after one warm-up; wall time
from process start to exit on the first `Ready` (first screen drawn).

| program | median | fastest | slowest |
|---|---:|---:|---:|
| `{command}` (home screen, a new local store in a temporary folder) | {app_median * 1000:.0f} ms | {min(app_times) * 1000:.0f} ms | {max(app_times) * 1000:.0f} ms |
| bare Textual app (baseline) | {bare_median * 1000:.0f} ms | {min(bare_times) * 1000:.0f} ms | {max(bare_times) * 1000:.0f} ms |

**Ratio {ratio:.2f}x** the bare app by medians (goal: within {GOAL_RATIO}x) — {verdict} the goal.
Less sensitive to other load on the machine: the median of run-by-run ratios (each app run
against the bare run right after it) is {paired_ratio:.2f}x; fastest against fastest {fastest_ratio:.2f}x.

What keeps it there: `branch-app` without a subcommand parses only the global options and does
not import the areas' CLI modules (store, sync, readers); the identity-check screen, the help
screen and the domain package load on first use; tinydb, httpx, pyscard, chinese_calendar and
holidays are not imported before the first screen. The local store (tinydb, cryptography,
keyring) and the sync (httpx) open in a thread right after the first screen is drawn, as does
the card reader (pyscard); their cost is not in these figures, and a store that cannot open
ends the app at once with its sentence.
"""
