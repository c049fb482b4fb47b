"""`branch-app demo` and `branch-app config show|path`. Imports stay light: the TUI loads later."""

from __future__ import annotations

import argparse
import os
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from branch_app.i18n import t


def register(subparsers: Any) -> None:
    demo = subparsers.add_parser("demo", help=t("shell.cli.demo_help", language="en"))
    demo.add_argument(
        "--role",
        choices=("teller", "home_visit", "supervisor"),
        default="teller",
        help=t("shell.cli.role_help", language="en"),
    )
    demo.add_argument(
        "--home-visit",
        action="store_true",
        help=t("shell.cli.home_visit_help", language="en"),
    )
    demo.add_argument(
        "--shell-only",
        action="store_true",
        help=t("shell.cli.shell_only_help", language="en"),
    )
    demo.set_defaults(func=_demo)

    config = subparsers.add_parser("config", help=t("shell.cli.config_help", language="en"))
    verbs = config.add_subparsers(dest="config_command", metavar="show|path", required=True)
    show = verbs.add_parser("show", help=t("shell.cli.config_show_help", language="en"))
    show.set_defaults(func=_config_show)
    path = verbs.add_parser("path", help=t("shell.cli.config_path_help", language="en"))
    path.set_defaults(func=_config_path)


def _demo(args: argparse.Namespace) -> int:
    from branch_app.ui.launch import run_demo

    return run_demo(args)


def config_file_in_use(args: argparse.Namespace) -> Path:
    from branch_app.config import ENV_PREFIX, default_config_path

    if getattr(args, "config", None):
        return Path(args.config)
    if os.environ.get(f"{ENV_PREFIX}CONFIG"):
        return Path(os.environ[f"{ENV_PREFIX}CONFIG"])
    return default_config_path()


def _config_path(args: argparse.Namespace) -> int:
    path = config_file_in_use(args)
    print(path)
    return 0


def render_config(config: Any) -> str:
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


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _config_show(args: argparse.Namespace) -> int:
    from branch_app.config import ConfigError
    from branch_app.ui.launch import config_from_args, report_config_error

    try:
        config = config_from_args(args)
    except ConfigError as error:
        return report_config_error(error, args)
    source = config.source
    print(f"# {t('shell.cli.source', language='en', source=source)}")
    if config.env_overrides:
        print(f"# environment: {', '.join(config.env_overrides)}")
    print(render_config(config), end="")
    return 0
