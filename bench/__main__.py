"""Run benchmarks and record their figures in docs/BENCHMARKS.md."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import pkgutil
import platform
import re
import sys
from pathlib import Path

import bench

DOC = Path(__file__).resolve().parent.parent / "docs" / "BENCHMARKS.md"
HEADER = """# Benchmarks

Figures written by `make bench` (`python -m bench [NAME ...]`). Every benchmark runs the real code
and a baseline in the same run on the same machine; compare the ratios, not the absolute figures,
which move with the machine's load. Each section says when and where it was last measured.
"""


def available() -> list[str]:
    return sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules(bench.__path__)
        if m.name.startswith("bench_")
    )


def write_section(name: str, title: str, body: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    stamp = (
        f"_Measured {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}._"
    )
    block = (
        f"<!-- bench:{name} -->\n## {title}\n\n{stamp}\n\n{body.strip()}\n<!-- /bench:{name} -->"
    )
    pattern = re.compile(
        rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S
    )
    text = (
        pattern.sub(lambda _m: block, text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + block + "\n"
    )
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", help=f"benchmarks to run (default: all of {available()})"
    )
    args = parser.parse_args(argv)
    names = args.names or available()
    for name in names:
        if name not in available():
            parser.error(f"no benchmark {name!r}; choose from {available()}")
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        print(f"== {name}: {module.TITLE}", flush=True)
        body = module.run()
        print(body, flush=True)
        write_section(name, module.TITLE, body)
    print(f"figures written to {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
