"""Benchmarks: each measures a capability against a baseline in the same run.

Run them with `make bench` (all) or `python -m bench NAME ...` (some). Each module `bench/bench_NAME.py`
defines `TITLE` and `run() -> str`, returning a Markdown section body with figures and ratios; the
runner writes it into `docs/BENCHMARKS.md` between markers, leaving other sections as they were.
Benchmarks are never run as timed tests.
"""
