"""`branch-app demo [--home-visit] [--shell-only [--role ROLE]]`. Imports stay light."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from branch_app.i18n import t

if TYPE_CHECKING:
    from branch_app.config import AppConfig


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
    from branch_app.config import DeviceKind
    from branch_app.demo import run_demo, run_shell_only
    from branch_app.domain.vocabulary import Role
    from branch_app.i18n import Language, language_from_locale, set_language

    config = demo_base_config()
    if args.language:
        config = replace(config, ui=replace(config.ui, language=args.language))
    if args.home_visit:
        config = replace(config, branch=replace(config.branch, device_kind=DeviceKind.HOME_VISIT))
    if args.shell_only:
        return run_shell_only(config, Role(args.role))
    set_language(Language(config.ui.language) if config.ui.language else language_from_locale())
    return run_demo(config)


#: The sections a demo takes from the environment (`BRANCH_APP_<SECTION>_<KEY>`): the branch
#: (`BRANCH_APP_BRANCH_INSTANT_ISSUANCE=true` makes the demo an instant-issuance branch, issue 12,
#: bug 11), the screen, the fees and the printer. The central, the store and the reader stay the
#: demo's own (its loopback central, a throwaway store, the simulated cards).
DEMO_ENV_SECTIONS = ("branch", "ui", "fees", "printer")


def demo_base_config(env: Mapping[str, str] | None = None) -> AppConfig:
    """The embedded defaults overlaid with the environment's values for `DEMO_ENV_SECTIONS` and
    the keymap (never the configuration file); a bad value is a `ConfigError`, as at a start."""
    import os

    from branch_app.config import ENV_PREFIX, AppConfig, load_config

    env = os.environ if env is None else env
    wanted = tuple(f"{ENV_PREFIX}{name.upper()}_" for name in DEMO_ENV_SECTIONS)
    chosen = {
        key: value
        for key, value in env.items()
        if key.startswith((*wanted, f"{ENV_PREFIX}KEYMAP_"))
    }
    # load_config reads a file when one is there; an empty one stands for "no file".
    with tempfile.TemporaryDirectory() as folder:
        empty = Path(folder) / "demo.toml"
        empty.write_text("", encoding="utf-8")
        loaded = load_config(empty, env=chosen)
    return replace(loaded, source=AppConfig().source)
