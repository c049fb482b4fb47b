"""`branch-app` and its subcommands.

Each area registers its own subcommands in its own module (listed in `COMMAND_MODULES`), so parts
built independently never edit one shared file. A module defines `register(subparsers)` and sets
`func` on each parser it adds; `func(args) -> int` is the exit code. Heavy imports stay inside
the functions so that `branch-app --help` and the TUI start fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMAND_MODULES = (
    "branch_app.ui.commands_cli",
    "branch_app.cli_card",
    "branch_app.store.cli",
    "sync.cli",
)


def _global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="configuration file (default: the platform config path)")
    parser.add_argument("--language", choices=("zh", "en"), help="language of the screens")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="branch-app",
        description="Social security card counter application (社会保障卡柜面系统).",
    )
    _global_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # that area is not built yet
            raise
        module.register(subparsers)
    return parser


def _tui_only(argv: Sequence[str]) -> argparse.Namespace | None:
    """The global options when `argv` names no subcommand (the TUI), else None.

    Starting the TUI then skips importing every area's CLI module (and the packages behind
    them), which keeps start-up close to a bare Textual app (bench/bench_startup.py).
    """
    if any(arg in ("-h", "--help") for arg in argv):
        return None
    quick = argparse.ArgumentParser(prog="branch-app", add_help=False, exit_on_error=False)
    _global_options(quick)
    try:
        known, rest = quick.parse_known_args(argv)
    except argparse.ArgumentError:
        return None  # let the full parser report it
    return None if rest else known


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    tui_args = _tui_only(argv)
    if tui_args is not None:
        from branch_app.ui.launch import run_tui

        return run_tui(tui_args)
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        from branch_app.ui.launch import run_tui

        return run_tui(args)
    return int(func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
