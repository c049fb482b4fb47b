"""`branch-app store ...`: the supervisor's maintenance commands for the local store.

    branch-app store check              open and check every file (and decrypt every field)
    branch-app store verify-audit       verify the audit journal's chain
    branch-app store rotate-key         new data key, everything re-encrypted
    branch-app store recover --file F   the documented recovery of a damaged file
    branch-app store archive            archive answered commands, apply the retention

Exit codes: 0 all well, 1 a problem was found (damaged file, broken chain), 2 the store could
not be opened (the sentence says why).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from branch_app.i18n import t


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "store", help=t("store.cli.help"), description=t("store.cli.help")
    )
    actions = parser.add_subparsers(dest="store_action", metavar="ACTION", required=True)

    def add(name: str, help_key: str, func: Any) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=t(help_key), description=t(help_key))
        sub.add_argument("--data-dir", help=t("store.cli.data_dir"))
        sub.set_defaults(func=func)
        return sub

    add("check", "store.cli.check", run_check)
    add("verify-audit", "store.cli.verify_audit", run_verify_audit)
    add("rotate-key", "store.cli.rotate_key", run_rotate_key)
    recover = add("recover", "store.cli.recover", run_recover)
    recover.add_argument("--file", required=True, help=t("store.cli.recover_file"))
    archive = add("archive", "store.cli.archive", run_archive)
    archive.add_argument("--retention-months", type=int, help=t("store.cli.retention"))


def _setup(args: argparse.Namespace) -> tuple[Path, Any, str]:
    """The data folder, the configuration and the language for this command."""
    from branch_app.config import load_config
    from branch_app.i18n import language_from_locale, set_language

    config = load_config(Path(args.config) if getattr(args, "config", None) else None)
    language = getattr(args, "language", None) or config.ui.language or language_from_locale()
    set_language(language)
    data_dir = Path(args.data_dir).expanduser() if args.data_dir else config.data_dir()
    return data_dir, config, str(language)


def _open(data_dir: Path, language: str, *, inspect: bool = False) -> Any:
    from branch_app.store import LocalStore, StoreError

    try:
        return LocalStore.open(data_dir, inspect=inspect)
    except StoreError as exc:
        print(exc.message(language))
        return None


def run_check(args: argparse.Namespace) -> int:
    from branch_app.store import LocalStore, StoreError
    from branch_app.store.recover import folder_keys, structural_check

    data_dir, _config, language = _setup(args)
    if not (data_dir / "store.json").exists() and not (data_dir / "outbox.json").exists():
        print(t("store.check.empty", data_dir=data_dir))
        return 1
    damaged = False
    for path, problem in structural_check(data_dir, keys=folder_keys(data_dir)):
        if problem is None:
            print(t("store.check.sound", file=path))
        else:
            damaged = True
            print(t("store.check.damaged", file=path, problem=problem))
    if damaged:
        print(t("store.check.recover_hint"))
        return 1
    try:
        store = LocalStore.open(data_dir, inspect=True)  # a journal cut short is named below
    except StoreError as exc:
        print(t("store.check.keys_unavailable", reason=exc.message(language)))
        return 2
    with store:
        try:
            report = store.check()
        except StoreError as exc:
            print(exc.message(language))
            return 1
    print(
        t(
            "store.check.summary",
            items=report.outbox_items,
            archived=report.archived_items,
            cached=report.cached_records,
            entries=report.audit.checked if report.audit else 0,
        )
    )
    return _print_audit(report.audit)


def _print_audit(result: Any) -> int:
    if result is None or result.ok:
        print(t("store.audit.ok", count=result.checked if result else 0))
        return 0
    print(
        t(
            "store.audit.broken",
            n=result.first_bad,
            problem=t(f"store.audit.problem.{result.problem}"),
            file=result.file,
            count=result.checked,
        )
    )
    if result.anchored is not None:
        print(t("store.audit.anchored", head=result.anchored, first=result.checked + 1))
    return 1


def run_verify_audit(args: argparse.Namespace) -> int:
    data_dir, _config, language = _setup(args)
    store = _open(data_dir, language, inspect=True)
    if store is None:
        return 2
    with store:
        return _print_audit(store.audit.verify())


def run_rotate_key(args: argparse.Namespace) -> int:
    data_dir, _config, language = _setup(args)
    store = _open(data_dir, language)
    if store is None:
        return 2
    with store:
        report = store.rotate_key()
    print(
        t(
            "store.rotate.done",
            items=report.outbox_items,
            archived=report.archived_items,
            cached=report.cached_records,
            entries=report.audit_entries,
        )
    )
    return 0


def run_recover(args: argparse.Namespace) -> int:
    from branch_app.store import StoreError
    from branch_app.store.recover import folder_keys, recover_file

    data_dir, _config, language = _setup(args)
    target = Path(args.file).expanduser()
    try:
        report = recover_file(data_dir, target, keys=folder_keys(data_dir))
    except ValueError:
        print(t("store.error.not_store_file", file=target, data_dir=data_dir))
        return 2
    except StoreError as exc:
        print(exc.message(language))
        return 2
    if not report.damaged:
        print(t("store.recover.not_damaged", file=report.file))
        return 0
    if report.moved_to is not None:
        print(t("store.recover.moved", path=report.moved_to))
    print(
        t(
            "store.recover.rebuilt",
            file=report.file,
            from_damaged=report.from_damaged,
            from_backup=report.from_backup,
        )
    )
    if report.backup_time:
        print(t("store.recover.backup_time", time=report.backup_time))
    if report.file.name == "outbox.json":
        since = report.backup_time or "?"
        print(t("store.recover.unknown_since", time=since))
    if report.lost_ids:
        print(
            t("store.recover.lost_ids", count=len(report.lost_ids), ids=", ".join(report.lost_ids))
        )
    elif report.file.name == "outbox.json" or report.file.parent.name == "archive":
        print(t("store.recover.nothing_lost"))
    if report.lost_entries:
        print(t("store.recover.lost_entries", entries=", ".join(map(str, report.lost_entries))))
    if report.next_seq is not None:
        print(t("store.recover.next_seq", seq=report.next_seq))
    for key, params in report.notes:
        print(t(key, **params))
    return 0


def run_archive(args: argparse.Namespace) -> int:
    data_dir, config, language = _setup(args)
    months = args.retention_months
    if months is None:
        months = config.store.archive_retention_months
    store = _open(data_dir, language)
    if store is None:
        return 2
    with store:
        moved, pruned = store.archive_now(retention_months=months)
    print(t("store.archive.done", moved=moved, pruned=len(pruned), months=months))
    return 0
