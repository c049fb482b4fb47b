"""`branch-app sync` and `branch-app enrol --code CODE`.

`sync` runs one sync (push the outbox, pull changes) and prints a summary with a count per
outcome; the exit code is 0 when everything queued went out, 1 when the central could not be
reached or refused, 2 on a configuration problem. `enrol` exchanges a one-time code for the device
token (kept in the OS keyring).
"""

from __future__ import annotations

import argparse
import socket
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from branch_app.config import AppConfig
    from sync.engine import SyncSummary


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from branch_app.i18n import t

    sync = subparsers.add_parser("sync", help=t("sync.cli.help", language="en"))
    sync.add_argument("--no-pull", action="store_true", help="only send the queue")
    sync.add_argument("--batch-size", type=int, default=200, help="commands per request")
    sync.add_argument(
        "--max-wait",
        type=float,
        default=120.0,
        help="seconds to keep retrying an unreachable central before giving up (default 120)",
    )
    sync.set_defaults(func=run_sync)
    enrol = subparsers.add_parser("enrol", help=t("sync.cli.enrol_help", language="en"))
    enrol.add_argument("--code", required=True, help="the one-time enrolment code")
    enrol.add_argument("--name", default=socket.gethostname(), help="this device's name")
    enrol.set_defaults(func=run_enrol)


def _setup(args: argparse.Namespace) -> AppConfig:
    from pathlib import Path

    from branch_app.config import load_config
    from branch_app.i18n import language_from_locale, set_language

    config = load_config(Path(args.config) if getattr(args, "config", None) else None)
    language = getattr(args, "language", None) or config.ui.language or language_from_locale()
    set_language(language)
    return config


def summary_lines(summary: SyncSummary) -> list[str]:
    """The summary as printed: one line per outcome, then pulled, remaining, retries."""
    from branch_app.domain.vocabulary import Outcome
    from branch_app.i18n import t
    from sync.engine import OUTCOMES

    lines = [t("sync.summary.title")]
    for outcome in OUTCOMES:
        lines.append(
            f"  {t(f'sync.summary.outcome.{outcome}'):<20} {summary.outcomes.get(outcome, 0):>7}"
        )
    lines.append(f"  {t('sync.summary.pulled'):<20} {summary.pulled:>7}")
    lines.append(f"  {t('sync.summary.remaining'):<20} {summary.remaining:>7}")
    lines.append(f"  {t('sync.summary.retries'):<20} {summary.retries:>7}")
    if summary.cancelled:
        lines.append(t("sync.cancelled"))
    elif summary.error:
        lines.append(t(summary.error))
    conflicts = summary.outcomes.get(Outcome.CONFLICT, 0)
    if conflicts:
        lines.append(t("sync.finished.conflicts", count=conflicts))
    return lines


def run_sync(args: argparse.Namespace) -> int:
    from branch_app.config import ConfigError
    from branch_app.i18n import t
    from sync.client import CentralError

    try:
        config = _setup(args)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if not config.central.configured:  # safe default: no central until one is configured
        print(t("shell.config.no_central", path=config.file_path()), file=sys.stderr)
        return 2
    from branch_app.store import LocalStore
    from sync.service import SyncService

    try:
        store = LocalStore.open(config.data_dir())
    except Exception as exc:  # the store's own errors say what is wrong with the folder
        print(str(exc), file=sys.stderr)
        return 2
    try:
        from sync.engine import RetryPolicy

        retry = RetryPolicy(timeout=args.max_wait, wait_max=min(30.0, max(args.max_wait / 4, 0.1)))
        service = SyncService(config, store, batch_size=args.batch_size, retry=retry)
        interactive = sys.stderr.isatty()

        def progress(done: int, total: int) -> None:
            if interactive and total:
                print(f"\r{t('sync.progress.title')} {done}/{total}", end="", file=sys.stderr)

        try:
            summary = service.engine().run(progress=progress, pull=not args.no_pull)
        except CentralError as exc:
            print(t(exc.key), file=sys.stderr)
            return 2
        service.state.finished(ok=summary.ok, error=summary.error, at=summary.finished_at)
        if interactive:
            print(file=sys.stderr)
        print("\n".join(summary_lines(summary)))
        service.close()
        return 0 if summary.ok else 1
    finally:
        store.close()


def run_enrol(args: argparse.Namespace) -> int:
    from branch_app.config import ConfigError
    from branch_app.i18n import t
    from sync.auth import EnrolmentError
    from sync.client import CentralError
    from sync.service import enrol_with_config

    try:
        config = _setup(args)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if not config.central.configured:  # safe default: no central until one is configured
        print(t("shell.config.no_central", path=config.file_path()), file=sys.stderr)
        return 2
    try:
        identity = enrol_with_config(config.central, args.code, args.name)
    except (EnrolmentError, CentralError) as exc:
        print(t(exc.key), file=sys.stderr)
        return 1
    print(t("sync.cli.enrolled", device_id=identity.device_id))
    return 0
