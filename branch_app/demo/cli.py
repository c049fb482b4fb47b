"""`branch-app demo [--home-visit] [--shell-only [--role ROLE]]`. Imports stay light."""

from __future__ import annotations

import argparse
from dataclasses import replace
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
    demo.set_defaults(func=demo_command)


def demo_command(args: argparse.Namespace) -> int:
    """The demo on the embedded defaults (never the configuration file: the demo chooses its
    simulated cards and loopback central itself), in the language asked for."""
    from branch_app.config import AppConfig, DeviceKind
    from branch_app.demo import run_demo, run_shell_only
    from branch_app.domain.vocabulary import Role
    from branch_app.i18n import Language, language_from_locale, set_language

    config = AppConfig()
    if args.language:
        config = replace(config, ui=replace(config.ui, language=args.language))
    if args.home_visit:
        config = replace(config, branch=replace(config.branch, device_kind=DeviceKind.HOME_VISIT))
    if args.shell_only:
        return run_shell_only(config, Role(args.role))
    set_language(Language(config.ui.language) if config.ui.language else language_from_locale())
    return run_demo(config)
