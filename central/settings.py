"""The central service's settings: defaults, then `CENTRAL_*` environment variables, then flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from sync.protocol import MAX_BATCH_COMMANDS, MAX_BODY_BYTES

ENV_PREFIX = "CENTRAL_"
#: The offline limits of a branch without its own (issue 13): a day's visits, about half a day.
#: The device keeps the same numbers built in for before it was ever sent any.
DEFAULT_MAX_UNSENT = 30
DEFAULT_MAX_OFFLINE_HOURS = 12


def default_database_url() -> str:
    """SQLite in the platform's data folder: fine for a demo or a one-branch pilot."""
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("central", appauthor=False))
    return f"sqlite:///{folder / 'central.db'}"


@dataclass(frozen=True)
class CentralSettings:
    #: SQLAlchemy URL: `sqlite:///path.db` or `postgresql+psycopg://user:pw@host/db`.
    database_url: str = ""
    #: Serve the endpoints that play the online platform, hotlines and police (tests, demo).
    enable_channels: bool = False
    max_body_bytes: int = MAX_BODY_BYTES
    max_batch_commands: int = MAX_BATCH_COMMANDS
    #: Lifetime of a staff session made by `POST /v1/sessions`.
    session_minutes: int = 480
    #: Failed log-ins in a row before a staff id is locked, and for how long.
    login_max_failures: int = 5
    lockout_minutes: int = 15
    #: How long a one-time enrolment code stays valid.
    enrolment_code_hours: int = 72
    #: argon2id cost of the stored password hashes (argon2-cffi's RFC 9106 low-memory profile).
    password_time_cost: int = 3
    password_memory_kib: int = 65_536
    #: How many days an offline login verifier stays usable on a device.
    offline_login_days: int = 7
    #: Refused enrolment attempts one client address may make per minute (a code is 59 bits;
    #: this keeps guessing slow and the database quiet). A successful enrolment does not count.
    enrol_attempts_per_minute: int = 10
    #: The key of the lookup audit's keyed hashes (64 hex characters), or a file holding it:
    #: never in the database beside the hashes. `central new-audit-key FILE` makes one. Without
    #: either, only an embedded (test) or channels-enabled (demo) central runs, with a key of its own.
    audit_key: str = ""
    audit_key_file: str = ""
    #: The offline limits of a branch that has none of its own (`central branch-limits`): a
    #: home-visit device takes at most this many requests before a sync and the supervisor's
    #: approval of its batch, and none once this many hours passed since its last sync.
    offline_max_unsent: int = DEFAULT_MAX_UNSENT
    offline_max_hours: int = DEFAULT_MAX_OFFLINE_HOURS
    #: A device of a branch with nothing synced for this long is listed as stuck for its
    #: supervisor (`GET /v1/devices`, `central devices`).
    stuck_after_minutes: int = 60

    def configured_audit_key(self) -> bytes | None:
        """The audit key from `audit_key` or `audit_key_file`, None when neither is set.

        Raises `ValueError` with a sentence for the administrator when it is set but unusable."""
        if self.audit_key:
            return _parse_key(self.audit_key, "CENTRAL_AUDIT_KEY")
        if self.audit_key_file:
            path = Path(self.audit_key_file).expanduser()
            try:
                text = path.read_text().strip()
            except OSError as exc:
                raise ValueError(
                    f"the audit key file {path} cannot be read ({exc.strerror or exc}); "
                    f"make one with `central new-audit-key {path}`"
                ) from None
            return _parse_key(text, str(path))
        return None

    def resolved_database_url(self) -> str:
        return self.database_url or default_database_url()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> CentralSettings:
        """Defaults < `CENTRAL_<FIELD>` environment variables < explicit keyword overrides."""
        env = os.environ if env is None else env
        settings = cls()
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None:
                continue
            default = getattr(settings, f.name)
            if isinstance(default, bool):
                values[f.name] = raw.strip().lower() in {"1", "true", "yes", "on"}
            elif isinstance(default, int):
                values[f.name] = int(raw)
            else:
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(settings, **values)


def _parse_key(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) < 32:
        raise ValueError(f"{where} must hold at least 64 hexadecimal characters (a 32-byte key)")
    return key


def write_new_key(path: Path) -> None:
    """A new random 32-byte key, in hex, in a new file only its owner may read."""
    import secrets

    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(secrets.token_hex(32) + "\n")
