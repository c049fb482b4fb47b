"""`branch-app` and its subcommands.

Without a subcommand, `branch-app` reads the configuration and starts the teller application
through the composition root (`branch_app.composition`). Each area registers its own subcommands
in its own module (listed in `COMMAND_MODULES`), so parts built independently never edit one
shared file: a module defines `register(subparsers)` and sets `func` on each parser it adds;
`func(args) -> int` is the exit code. `config show|path` are this module's own. Heavy imports stay
inside the functions so that `branch-app --help` and the TUI start fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import fields, is_dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from branch_app.i18n import t

if TYPE_CHECKING:
    from branch_app.config import AppConfig, ConfigError

COMMAND_MODULES = (
    "branch_app.demo.cli",
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
    _register_config(subparsers)
    _register_support(subparsers)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
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


# -- the teller application -------------------------------------------------------------------------


def config_from_args(args: argparse.Namespace) -> AppConfig:
    """The configuration named on the command line (or found at the platform path)."""
    from branch_app.config import load_config

    path = Path(args.config) if getattr(args, "config", None) else None
    config = load_config(path)
    language = getattr(args, "language", None)
    return replace(config, ui=replace(config.ui, language=language)) if language else config


def report_config_error(error: ConfigError, args: argparse.Namespace) -> int:
    from branch_app.i18n import Language, language_from_locale, set_language

    set_language(
        Language(args.language) if getattr(args, "language", None) else language_from_locale()
    )
    print(f"branch-app: {t('shell.cli.config_error', detail=error)}", file=sys.stderr)
    return 2


def run_tui(args: argparse.Namespace) -> int:
    """`branch-app` without a subcommand: the teller application on the configured parts.

    The local store opens in a thread right after the first screen is drawn (its imports would
    double the start-up time). A corrupt file, a second instance or an unusable keyring ends the
    app at once with one sentence (for a corrupt file, with the recovery command): a counter
    never runs without its outbox.
    """
    from branch_app.config import ConfigError

    try:
        config = config_from_args(args)
    except ConfigError as error:
        return report_config_error(error, args)
    from branch_app.composition import app_services, start

    return start(config, app_services(config))


# -- config show | path -----------------------------------------------------------------------------


def _register_config(subparsers: Any) -> None:
    config = subparsers.add_parser("config", help=t("shell.cli.config_help", language="en"))
    verbs = config.add_subparsers(dest="config_command", metavar="show|path", required=True)
    show = verbs.add_parser("show", help=t("shell.cli.config_show_help", language="en"))
    show.set_defaults(func=_config_show)
    path = verbs.add_parser("path", help=t("shell.cli.config_path_help", language="en"))
    path.set_defaults(func=_config_path)


def config_file_in_use(args: argparse.Namespace) -> Path:
    from branch_app.config import ENV_PREFIX, default_config_path

    if getattr(args, "config", None):
        return Path(args.config)
    if os.environ.get(f"{ENV_PREFIX}CONFIG"):
        return Path(os.environ[f"{ENV_PREFIX}CONFIG"])
    return default_config_path()


def _config_path(args: argparse.Namespace) -> int:
    print(config_file_in_use(args))
    return 0


def render_config(config: AppConfig) -> str:
    """The effective configuration as TOML, so it can be pasted into a file and edited."""
    lines: list[str] = []
    for f in fields(config):
        value = getattr(config, f.name)
        if f.name in ("source", "env_overrides"):
            continue
        if f.name == "keymap":
            lines.append("[keymap]")
            lines.extend(f"{key} = {_toml(keys)}" for key, keys in value)
            lines.append("")
            continue
        if is_dataclass(value):
            lines.append(f"[{f.name}]")
            for inner in fields(value):
                lines.append(f"{inner.name} = {_toml(getattr(value, inner.name))}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _config_show(args: argparse.Namespace) -> int:
    from branch_app.config import ConfigError

    try:
        config = config_from_args(args)
    except ConfigError as error:
        return report_config_error(error, args)
    print(f"# {t('shell.cli.source', language='en', source=config.source)}")
    if config.env_overrides:
        print(f"# environment: {', '.join(config.env_overrides)}")
    print(render_config(config), end="")
    return 0


# -- support-bundle -------------------------------------------------------------------------------


def _register_support(subparsers: Any) -> None:
    bundle = subparsers.add_parser(
        "support-bundle",
        help=t("support.cli.help", language="en"),
        description=t("support.cli.help", language="en"),
    )
    bundle.add_argument("--output", help=t("support.cli.output", language="en"))
    bundle.add_argument("--data-dir", help=t("support.cli.data_dir", language="en"))
    bundle.set_defaults(func=support_bundle)


def support_bundle(args: argparse.Namespace) -> int:
    """`branch-app support-bundle`: the help desk's archive (branch_app.support).

    Exit codes as `store check`: 0 written and nothing found wrong, 1 written and a problem
    found (it is in the bundle, and named here), 2 the archive could not be written."""
    from branch_app.config import AppConfig, ConfigError
    from branch_app.i18n import Language, language_from_locale, set_language
    from branch_app.support import default_output, write_bundle

    error: str | None = None
    try:
        config = config_from_args(args)
    except ConfigError as exc:  # the bundle is wanted most when things are broken
        config, error = AppConfig(), str(exc)
    language = getattr(args, "language", None) or config.ui.language or language_from_locale()
    set_language(Language(language))
    output = Path(args.output).expanduser() if args.output else default_output()
    data_dir = Path(args.data_dir).expanduser() if args.data_dir else None
    try:
        bundle = write_bundle(
            output.resolve(),
            config,
            config_error=error,
            config_file=getattr(args, "config", None),
            data_dir=data_dir,
        )
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        print(
            f"branch-app: {t('support.not_written', path=output, reason=reason)}", file=sys.stderr
        )
        return 2
    print(t("support.written", path=bundle.path))
    for problem in bundle.problems:
        print(t(f"support.problem.{problem}"))
    return 1 if bundle.problems else 0


# -- the log --------------------------------------------------------------------------------------

#: Subcommands that write the rotating log (the TUI and the demo start it in `composition.start`).
LOGGED_COMMANDS = frozenset({"sync", "enrol"})


def start_log(args: argparse.Namespace) -> bool:
    """Start the rotating log for a subcommand in `LOGGED_COMMANDS`; whether it started. Not
    without a central (those commands then only say so and touch nothing), nor when the
    configuration does not load (the command reports it)."""
    from branch_app.config import ConfigError
    from branch_app.logbook import log_folder, start_logging

    try:
        config = config_from_args(args)
    except ConfigError:
        return False
    if not config.central.configured:
        return False
    return start_logging(log_folder(config)) is not None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    tui_args = _tui_only(argv)
    if tui_args is not None:
        return run_tui(tui_args)
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        return run_tui(args)
    if args.command not in LOGGED_COMMANDS or not start_log(args):
        return int(func(args) or 0)
    from branch_app.logbook import stop_logging

    try:
        return int(func(args) or 0)
    finally:
        stop_logging()  # closed with the command (a test's process goes on)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
