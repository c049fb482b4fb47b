"""The central service's settings: defaults, then `CENTRAL_*` environment variables, then flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from sync.protocol import MAX_BATCH_COMMANDS, MAX_BODY_BYTES

ENV_PREFIX = "CENTRAL_"


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
