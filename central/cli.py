"""`central serve | enroll-device | add-staff | deactivate-staff | revoke-device | new-audit-key |
branch-limits | seed-demo`: run and administer the central.

Every command takes `--database-url` (default: `$CENTRAL_DATABASE_URL`, else SQLite in the
platform's data folder). Passwords are read from a prompt or standard input, never from the
command line, where other users of the machine could see them.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime as dt

    from central.db import Database
    from central.settings import CentralSettings
    from sync.protocol import DeviceStateView

#: Uvicorn logging: no request bodies anywhere; access lines show method, path and status only.
LOG_CONFIG: dict[str, object] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "default": {
            "()": "uvicorn.logging.DefaultFormatter",
            "fmt": "%(asctime)s %(levelprefix)s %(name)s: %(message)s",
            "use_colors": False,
        },
        "access": {
            "()": "uvicorn.logging.AccessFormatter",
            "fmt": '%(asctime)s %(levelprefix)s "%(request_line)s" %(status_code)s',
            "use_colors": False,
        },
    },
    "handlers": {
        "default": {
            "formatter": "default",
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
        },
        "access": {
            "formatter": "access",
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
        },
    },
    "loggers": {
        "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        "central": {"handlers": ["default"], "level": "INFO", "propagate": False},
        "sqlalchemy": {"handlers": ["default"], "level": "WARNING", "propagate": False},
    },
}


def _settings(args: argparse.Namespace) -> CentralSettings:
    from central.settings import CentralSettings

    return CentralSettings.from_env(
        database_url=getattr(args, "database_url", None),
        enable_channels=True if getattr(args, "enable_channels", False) else None,
    )


def _database(args: argparse.Namespace) -> Database:
    from central.db import Database

    db = Database(_settings(args).resolved_database_url())
    for statement in db.create_schema():  # an older central's tables, brought up to these
        print(f"upgraded: {statement}")
    return db


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise SystemExit("central: the two passwords differ; nothing was changed.")
    if len(password) < 8:
        raise SystemExit("central: a password needs at least 8 characters; nothing was changed.")
    return password


def _stop_when_stdin_closes() -> None:
    """Shut down gracefully once standard input reaches its end: the parent that holds the other
    end of the pipe has exited, however it ended (closed terminal, SIGKILL, crash). Without
    this, a demo or a test run that dies leaves its central running in its own session."""
    import os
    import signal
    import threading

    def watch() -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        os.kill(os.getpid(), signal.SIGTERM)  # uvicorn finishes requests in flight, then exits

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from central.app import create_app

    if args.exit_with_parent:
        _stop_when_stdin_closes()

    settings = _settings(args)
    if args.workers < 1:
        print("central: --workers needs at least 1.", file=sys.stderr)
        return 2
    if args.workers > 1:
        return _serve_workers(args, settings)
    if args.seed_demo:
        from central.dev.demo_data import seed_demo

        db = _database(args)
        seed_demo(db)
        db.dispose()
    from central.app import AuditKeyMissing

    try:
        app = create_app(settings)
    except AuditKeyMissing as exc:
        print(f"central: {exc}.", file=sys.stderr)
        return 2
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=LOG_CONFIG,
        access_log=not args.no_access_log,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    return 0


def _serve_workers(args: argparse.Namespace, settings: CentralSettings) -> int:
    """N uvicorn worker processes on one address (the kernel shares the listening socket), each
    with its own app and connection pool over one PostgreSQL database.

    Refused on SQLite, whose single writer would make N processes queue on one file lock, and
    without an audit key in the settings: every worker must hash the lookup audit with the same
    key. The schema is made here once, before the workers start, so they never race to make it.
    Each worker's enrolment rate limit is its own: N workers allow N times the attempts."""
    import os

    import uvicorn

    from central.db import Database

    url = settings.resolved_database_url()
    if not url.startswith("postgresql"):
        print(
            "central: several workers need PostgreSQL (--database-url postgresql+psycopg://...); "
            "SQLite has one writer at a time, so run it with one worker.",
            file=sys.stderr,
        )
        return 2
    try:
        key = settings.configured_audit_key()
    except ValueError as exc:
        print(f"central: {exc}.", file=sys.stderr)
        return 2
    if key is None:
        print(
            "central: several workers need one lookup audit key for all of them: set "
            "CENTRAL_AUDIT_KEY_FILE to a file made with `central new-audit-key FILE`.",
            file=sys.stderr,
        )
        return 2
    db = Database(url, pool_size=1)
    db.create_schema()
    if args.seed_demo:
        from central.dev.demo_data import seed_demo

        seed_demo(db)
    db.dispose()
    # The workers build their app from the environment (`create_app_from_env`): pass on what
    # the flags said.
    os.environ["CENTRAL_DATABASE_URL"] = url
    if settings.enable_channels:
        os.environ["CENTRAL_ENABLE_CHANNELS"] = "1"
    uvicorn.run(
        "central.app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=LOG_CONFIG,
        access_log=not args.no_access_log,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    return 0


def cmd_enroll_device(args: argparse.Namespace) -> int:
    from branch_app.domain.vocabulary import Place
    from central.auth import issue_enrolment_code

    settings = _settings(args)
    db = _database(args)
    with db.write() as conn:
        code = issue_enrolment_code(
            conn,
            branch=args.branch,
            place=Place(args.place),
            valid_hours=args.valid_hours or settings.enrolment_code_hours,
        )
    db.dispose()
    print(code)
    print(
        f"One-time enrolment code for a {args.place} device of branch {args.branch}; "
        f"valid {args.valid_hours or settings.enrolment_code_hours} hours.",
        file=sys.stderr,
    )
    return 0


def cmd_add_staff(args: argparse.Namespace) -> int:
    from branch_app.domain.vocabulary import Role
    from central.auth import add_staff, password_hasher

    password = _read_password(args)
    settings = _settings(args)
    db = _database(args)
    with db.write() as conn:
        add_staff(
            conn,
            password_hasher(settings),
            staff_id=args.staff_id,
            name=args.name,
            role=Role(args.role),
            branch=args.branch,
            password=password,
        )
    db.dispose()
    print(f"Staff member {args.staff_id} ({args.role}, branch {args.branch}) saved.")
    return 0


def cmd_deactivate_staff(args: argparse.Namespace) -> int:
    from central.auth import deactivate_staff

    db = _database(args)
    with db.write() as conn:
        found = deactivate_staff(conn, args.staff_id)
    db.dispose()
    if not found:
        print(f"central: no staff member {args.staff_id}; nothing was changed.", file=sys.stderr)
        return 1
    print(
        f"Staff member {args.staff_id} deactivated: log-ins refused, sessions ended, offline "
        "log-ins withdrawn at each device's next sync."
    )
    return 0


def cmd_revoke_device(args: argparse.Namespace) -> int:
    from central.auth import revoke_device

    db = _database(args)
    with db.write() as conn:
        found = revoke_device(conn, args.device_id)
    db.dispose()
    if not found:
        print(f"central: no device {args.device_id}; nothing was changed.", file=sys.stderr)
        return 1
    print(f"Device {args.device_id} revoked: its token and its staff sessions are refused.")
    return 0


def cmd_devices(args: argparse.Namespace) -> int:
    """The branch's devices with their latest state, the stuck ones first with why, and the
    home-visit laptops' visit progress: what a supervisor's Devices screen shows."""
    import datetime as dt

    from central.db import utcnow
    from central.devices import branch_devices

    minutes = args.stuck_after or _settings(args).stuck_after_minutes
    db = _database(args)
    now = utcnow()
    devices = branch_devices(
        db, args.branch, stuck_after=dt.timedelta(minutes=minutes), now=now
    ).devices
    db.dispose()
    if not devices:
        print(f"central: no device is enrolled for branch {args.branch}.")
        return 0
    stuck = sum(1 for d in devices if d.stuck)
    print(
        f"Branch {args.branch}: {len(devices)} device(s), {stuck} stuck "
        f"(nothing synced for {minutes} min counts as stuck). Times in UTC."
    )
    header = (
        "", "device", "name", "place", "last sync", "queue", "oldest", "refused", "version",
        "audit", "visits", "needs a look",
    )  # fmt: skip
    rows = [header, *(_device_row(d, now) for d in devices)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())
    return 0


def _device_row(d: DeviceStateView, now: dt.datetime) -> tuple[str, ...]:
    """One device as `central devices` prints it: a mark, its state, why it is stuck."""
    import datetime as dt

    from central.devices import last_heard

    mark = "revoked" if d.revoked else ("STUCK" if d.stuck else "ok")
    heard = last_heard(d)
    last = "never" if heard is None else f"{heard:%Y-%m-%d %H:%M} ({_ago(now - heard)} ago)"
    oldest = (
        "-"
        if d.oldest_unsent_age_seconds is None
        else _ago(dt.timedelta(seconds=d.oldest_unsent_age_seconds))
    )
    visits = "-" if d.visits_planned is None else f"{d.visits_done or 0} of {d.visits_planned}"
    if d.batch_open:
        visits += f", {d.batch_open} to approve"
    why = {
        "never_reported": "never reported (no sync reached the central)",
        "no_sync": "nothing synced" if heard is None else f"nothing synced for {_ago(now - heard)}",
        "refused_waiting": f"{d.refused_open} refused request(s) waiting for the supervisor",
        "audit_regressed": f"audit journal WENT BACK at {d.audit_regressed_at}",
    }
    return (
        mark,
        d.device_id,
        d.name,
        d.place.value,
        last,
        _dash(d.queue_depth),
        oldest,
        _dash(d.refused_open),
        d.app_version or "-",
        _dash(d.audit_n),
        visits,
        "; ".join(why.get(code, code) for code in d.stuck),
    )


def _ago(age: dt.timedelta) -> str:
    """`45 min`, `3 h`, `2 d`: an age an administrator reads at a glance."""
    minutes = max(int(age.total_seconds() // 60), 0)
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


def cmd_branch_limits(args: argparse.Namespace) -> int:
    """Show a branch's offline limits, or set one or both and show them (issue 13)."""
    from central.limits import branch_limits, set_branch_limits

    settings = _settings(args)
    db = _database(args)
    try:
        with db.write() as conn:
            if args.max_unsent is None and args.max_hours is None:
                limits = branch_limits(conn, args.branch, settings)
            else:
                limits = set_branch_limits(
                    conn,
                    args.branch,
                    max_unsent=args.max_unsent,
                    max_offline_hours=args.max_hours,
                    settings=settings,
                )
    except ValueError as exc:
        print(f"central: {exc}; nothing was changed.", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    print(
        f"Branch {args.branch}: a home-visit device takes at most {limits.max_unsent} requests "
        f"before a sync and the supervisor's approval, and none {limits.max_offline_hours} hours "
        "after its last sync. Devices learn it at their next log-in or sync."
    )
    return 0


def _dash(value: int | None) -> str:
    return "-" if value is None else str(value)


def cmd_new_audit_key(args: argparse.Namespace) -> int:
    from pathlib import Path

    from central.settings import write_new_key

    path = Path(args.file).expanduser()
    if path.exists():
        print(f"central: {path} exists; nothing was changed.", file=sys.stderr)
        return 1
    if not args.from_database:
        write_new_key(path)
        print(f"New lookup audit key in {path}; set CENTRAL_AUDIT_KEY_FILE={path}.")
        return 0
    import os

    db = _database(args)
    legacy = db.legacy_audit_key()
    if legacy is None:
        db.dispose()
        print("central: the database holds no audit key; nothing was changed.", file=sys.stderr)
        return 1
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(legacy.hex() + "\n")
        out.flush()
        os.fsync(out.fileno())
    db.drop_legacy_audit_key()
    db.dispose()
    print(
        f"The audit key moved from the database to {path} (earlier audit rows keep matching); "
        f"set CENTRAL_AUDIT_KEY_FILE={path}."
    )
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from branch_app.domain.vocabulary import Place
    from central.auth import issue_enrolment_code
    from central.dev.demo_data import DEMO_BRANCH, DEMO_STAFF, seed_demo

    db = _database(args)
    ids = seed_demo(db)
    with db.write() as conn:
        code = issue_enrolment_code(conn, branch=DEMO_BRANCH, place=Place.BRANCH, valid_hours=72)
    db.dispose()
    print("Demo data written (fictional people; a demo database only).")
    for member in DEMO_STAFF:
        print(
            f"  {member.role:<11} {member.staff_id}  password {member.password}  ({member.branch})"
        )
    print(f"  {len(ids)} cardholders with cards in several states")
    print(f"  enrolment code for a counter device of {DEMO_BRANCH}: {code}")
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    """Bring the tables up to this version (additive), then prune what no device needs."""
    import datetime as dt

    from central.service import DEVICE_IDLE_LIMIT, FOLLOW_EXPIRY, CentralService

    if args.older_than < 1:
        raise SystemExit("central: --older-than needs at least 1 day; nothing was pruned.")
    db = _database(args)  # upgrades the tables first, and says so
    service = CentralService(
        db,
        db.audit_key(),
        follow_expiry=dt.timedelta(days=args.follow_days) if args.follow_days else FOLLOW_EXPIRY,
    )
    idle = dt.timedelta(days=args.device_idle_days) if args.device_idle_days else DEVICE_IDLE_LIMIT
    report = service.prune(dt.timedelta(days=args.older_than), device_idle=idle)
    db.dispose()
    print(
        f"Pruned {report.changes} feed changes (up to cursor {report.feed_floor}), the records of "
        f"{report.answers} stored answers and {report.follows} lapsed follows; "
        "the lookup audit is kept."
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="central", description="The reference central card service (社保卡中心服务)."
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--database-url",
        help="sqlite:///path.db or postgresql+psycopg://user:pw@host/db "
        "(default: $CENTRAL_DATABASE_URL, else SQLite in the user data folder)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = sub.add_parser("serve", parents=[common], help="run the HTTP API under uvicorn")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port (8765)")
    serve.add_argument(
        "--enable-channels",
        action="store_true",
        help="serve the simulated online/hotline/police channels (tests and demos only)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="N worker processes on one address (PostgreSQL only; default 1)",
    )
    serve.add_argument("--seed-demo", action="store_true", help="write the demo data first")
    serve.add_argument("--no-access-log", action="store_true", help="no per-request log lines")
    serve.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="stop when standard input closes (run as a child that must not outlive its parent)",
    )
    serve.set_defaults(func=cmd_serve)

    enrol = sub.add_parser(
        "enroll-device", parents=[common], help="issue a one-time device enrolment code"
    )
    enrol.add_argument("--branch", required=True, help="branch code, e.g. GZ-ICBC-0101")
    enrol.add_argument(
        "--place", default="branch", choices=("branch", "instant_branch", "home_visit")
    )
    enrol.add_argument("--valid-hours", type=int, default=0, help="validity (default 72)")
    enrol.set_defaults(func=cmd_enroll_device)

    staff = sub.add_parser("add-staff", parents=[common], help="add or update a staff member")
    staff.add_argument("staff_id")
    staff.add_argument("--name", required=True)
    staff.add_argument("--role", required=True, choices=("teller", "home_visit", "supervisor"))
    staff.add_argument("--branch", required=True)
    staff.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    staff.set_defaults(func=cmd_add_staff)

    leave = sub.add_parser(
        "deactivate-staff",
        parents=[common],
        help="a staff member leaves: log-ins refused, sessions ended, offline log-ins withdrawn",
    )
    leave.add_argument("staff_id")
    leave.set_defaults(func=cmd_deactivate_staff)

    revoke = sub.add_parser(
        "revoke-device", parents=[common], help="refuse a device's token and end its sessions"
    )
    revoke.add_argument("device_id")
    revoke.set_defaults(func=cmd_revoke_device)

    key = sub.add_parser(
        "new-audit-key",
        parents=[common],
        help="write the lookup audit's key to a new file (kept outside the database)",
    )
    key.add_argument("file")
    key.add_argument(
        "--from-database",
        action="store_true",
        help="move the key an older central kept in the database to FILE (and delete it there)",
    )
    key.set_defaults(func=cmd_new_audit_key)

    devices = sub.add_parser(
        "devices", parents=[common], help="a branch's devices with their latest state"
    )
    devices.add_argument("--branch", required=True)
    devices.add_argument(
        "--stuck-after",
        type=int,
        metavar="MINUTES",
        help="nothing synced for this long is stuck (default: the central's stuck_after_minutes)",
    )
    devices.set_defaults(func=cmd_devices)

    limits = sub.add_parser(
        "branch-limits",
        parents=[common],
        help="show or set a branch's offline limits (home-visit devices)",
    )
    limits.add_argument("--branch", required=True)
    limits.add_argument(
        "--max-unsent",
        type=int,
        metavar="N",
        help="requests a device may take before a sync and the supervisor's approval",
    )
    limits.add_argument(
        "--max-hours", type=int, metavar="H", help="hours a device may work since its last sync"
    )
    limits.set_defaults(func=cmd_branch_limits)

    seed = sub.add_parser("seed-demo", parents=[common], help="write demo staff and cardholders")
    seed.set_defaults(func=cmd_seed_demo)

    prune = sub.add_parser(
        "prune",
        parents=[common],
        help="remove feed changes every device has pulled, old answers' records, lapsed follows",
    )
    prune.add_argument(
        "--older-than", type=int, required=True, metavar="DAYS", help="keep the last DAYS days"
    )
    prune.add_argument(
        "--device-idle-days",
        type=int,
        default=0,
        help="a device silent this long no longer holds the feed back (default 30)",
    )
    prune.add_argument(
        "--follow-days",
        type=int,
        default=0,
        help="a follow lapses after this many days without a lookup or command (default 90)",
    )
    prune.set_defaults(func=cmd_prune)
    return parser


#: The libraries of the `central` extra: a teller PC's install has none of them.
CENTRAL_EXTRA = ("fastapi", "uvicorn", "sqlalchemy", "psycopg", "starlette")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in CENTRAL_EXTRA:
            raise
        print(
            f"central: {error.name} is not installed; the central needs its extra: "
            "pip install 'gz-sscard-branch[central]'.",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
