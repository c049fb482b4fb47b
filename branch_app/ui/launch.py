"""Start the TUI from the command line: configuration, parts, then `BranchApp.run`.

Kept apart from `app.py` so that a configuration error is reported as one sentence before Textual
is even imported.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from branch_app.config import AppConfig, ConfigError, DeviceKind, load_config
from branch_app.i18n import Language, language_from_locale, set_language, t

EXIT_WHEN_READY_ENV = "BRANCH_APP_EXIT_WHEN_READY"


def _with_language(config: AppConfig, language: str | None) -> AppConfig:
    if not language:
        return config
    return replace(config, ui=replace(config.ui, language=language))


def config_from_args(args: argparse.Namespace) -> AppConfig:
    """The configuration named on the command line (or found at the platform path)."""
    path = Path(args.config) if getattr(args, "config", None) else None
    return _with_language(load_config(path), getattr(args, "language", None))


def report_config_error(error: ConfigError, args: argparse.Namespace) -> int:
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
    try:
        config = config_from_args(args)
    except ConfigError as error:
        return report_config_error(error, args)
    from branch_app.ui.services import AppServices

    services = AppServices(
        store_factory=store_factory(config), reader_factory=reader_factory(config)
    )
    try:
        return run_app(config, services)
    finally:
        if services.sync is not None:
            services.sync.close()
        if services.store is not None:
            services.store.close()


def store_factory(config: AppConfig) -> Callable[[], tuple[object, object]]:
    """Opens the configured local store and builds the sync service on demand."""

    def open_parts() -> tuple[object, object]:
        from branch_app.store import LocalStore
        from sync.service import SyncService

        store = LocalStore.open(
            config.data_dir(), retention_months=config.store.archive_retention_months
        )
        return store, SyncService(config, store)

    return open_parts


def config_language(config: AppConfig) -> Language:
    """The configured language, or the system locale's."""
    return Language(config.ui.language) if config.ui.language else language_from_locale()


def reader_factory(config: AppConfig) -> Callable[[], object]:
    """Builds the configured reader service (PC/SC, or the simulated demo readers) on demand."""

    def build() -> object:
        from branch_app.cli_card import reader_service_for

        return reader_service_for(config)

    return build


def run_demo(args: argparse.Namespace) -> int:
    """`branch-app demo`: every real part on this machine (see `branch_app.demo`).

    With `--shell-only`, just the shell with a pretend member of staff (`--role`): no central,
    no store, for a first look or a training room without the rest.
    """
    config = _with_language(AppConfig(), getattr(args, "language", None))
    if getattr(args, "home_visit", False):
        config = replace(config, branch=replace(config.branch, device_kind=DeviceKind.HOME_VISIT))
    if not getattr(args, "shell_only", False):
        from branch_app.demo import run_demo as run_full_demo

        set_language(config_language(config))
        return run_full_demo(config)
    from branch_app.domain.roles import Role
    from branch_app.ui.app import demo_staff
    from branch_app.ui.services import AppServices

    staff = demo_staff(Role(getattr(args, "role", "teller")))
    return run_app(
        config, AppServices(staff=staff, demo=True, reader_factory=reader_factory(config))
    )


def run_app(config: AppConfig, services: object) -> int:
    from branch_app.ui.app import BranchApp

    app = BranchApp(config, services)  # type: ignore[arg-type]
    # The startup benchmark runs the app without a terminal and stops it once the home screen
    # is ready; nothing else should ever set this.
    headless = os.environ.get(EXIT_WHEN_READY_ENV) == "1"
    result = app.run(headless=headless)
    return int(app.return_code or result or 0)
