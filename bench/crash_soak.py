"""The long crash run: SIGKILL a child working on the store hundreds of times.

    .venv/bin/python -m bench.crash_soak --kills 500 [--seed N] [--dir PATH]

The same harness as tests/store/test_store_crash.py (tests/store/crash_harness.py) with many
more kills; after every kill the store must open, every command whose enqueue had returned must
be there exactly once, every recorded answer must have stayed, and the audit chain must hold.
Not part of `make bench` (it measures correctness, not speed). POSIX only.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.crash_soak", description=__doc__)
    parser.add_argument("--kills", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", help="data folder to use (default: a temporary one)")
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    from tests.store.crash_harness import crash_run

    with tempfile.TemporaryDirectory(prefix="crash-soak-") as tmp:
        folder = Path(args.dir) if args.dir else Path(tmp) / "data"
        report = crash_run(folder, kills=args.kills, seed=args.seed)
    print(
        f"{report.kills} kills in {report.seconds:.0f} s: {report.enqueued} enqueues returned, "
        f"{report.answered} answers recorded, {report.archived} items archived at the end"
    )
    for problem in report.problems:
        print(f"PROBLEM: {problem}")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
