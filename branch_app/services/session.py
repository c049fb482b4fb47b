"""The staff session at one counter: log in, who is on duty, log out, a supervisor stepping in,
and the idle lock.

No Textual here. The login screen calls `check` in a worker thread (argon2 and the network take
time) and hands a successful session to `begin`; the session keeper (`branch_app.ui.controllers.
session_keeper`) calls `touch` on every key press or click and `lock_if_idle` on a timer, and
asks for the login again when it returns True.

The password is checked by the sync service's authenticator (`sync.auth.Authenticator`: the
central when it answers, else the stored verifier); from `begin` to `end` the sync service sends
the staff member's session token with every staff action.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sync.auth import StaffSession

log = logging.getLogger(__name__)

#: Idle time after which the counter locks (the configuration's `ui.session_timeout_minutes`).
DEFAULT_TIMEOUT = dt.timedelta(minutes=15)


class PasswordCheck(Protocol):
    """Checks a member of staff's password (`sync.auth.Authenticator`); raises
    `sync.auth.LoginError` when the login does not succeed."""

    def login(self, staff_id: str, password: str) -> StaffSession: ...


class SessionSync(Protocol):
    """The sync service as the session sees it (`sync.service.SyncService`)."""

    def authenticator(self) -> PasswordCheck: ...

    def signed_in(self, session: StaffSession) -> None: ...

    def signed_out(self) -> None: ...


@dataclass(frozen=True)
class LoginRefused:
    """Why a login did not succeed: a catalog key and its parameters (never the password)."""

    key: str
    params: Mapping[str, object] = field(default_factory=dict)


class StaffSessions:
    """Who is on duty at this counter, and how long the counter has been idle."""

    def __init__(
        self,
        sync: SessionSync,
        *,
        timeout: dt.timedelta = DEFAULT_TIMEOUT,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sync = sync
        self.timeout = timeout
        self._monotonic = monotonic
        self._last_input = monotonic()
        #: The member of staff signed in now, or `None`.
        self.on_duty: StaffSession | None = None
        #: The member of staff whose session waits while a supervisor has stepped in.
        self.held: StaffSession | None = None

    def check(self, staff_id: str, password: str) -> StaffSession | LoginRefused:
        """The password checked, online first, offline against the stored verifier. Blocks:
        call it from a worker thread. Nobody is signed in until `begin`."""
        from sync.auth import LoginError

        try:
            return self._sync.authenticator().login(staff_id, password)
        except LoginError as exc:
            return LoginRefused(exc.key, dict(exc.params))
        except Exception as exc:  # a broken store or keyring: a sentence, never a traceback
            log.warning("login could not be checked (%s)", type(exc).__name__)
            return LoginRefused("sync.error.unknown")

    def begin(self, session: StaffSession) -> None:
        """`session`'s member of staff is on duty; the idle time starts now."""
        self.on_duty = session
        self.touch()
        self._sync.signed_in(session)

    def end(self) -> None:
        """Nobody is on duty any more (nor waiting); staff actions carry no session."""
        self.on_duty = None
        self.held = None
        self._sync.signed_out()

    def step_in(self, session: StaffSession) -> None:
        """A supervisor steps in at this counter: `session` is on duty now and the one on duty
        waits (not ended) until `step_back`."""
        if self.on_duty is not None and self.held is None:
            self.held = self.on_duty
        self._sync.signed_out()
        self.begin(session)

    def step_back(self) -> StaffSession | None:
        """The supervisor leaves; the waiting session is on duty again (returned). `None` when
        nobody was waiting (then nothing changes)."""
        held = self.held
        if held is None:
            return None
        self.held = None
        self._sync.signed_out()
        self.begin(held)
        return held

    def touch(self) -> None:
        """A key press or click: the counter is in use."""
        self._last_input = self._monotonic()

    def idle(self) -> dt.timedelta:
        """How long since the last key press or click."""
        return dt.timedelta(seconds=self._monotonic() - self._last_input)

    def lock_if_idle(self) -> bool:
        """End the session when the counter has been idle for `timeout`; True when it did."""
        if self.on_duty is None or self.idle() < self.timeout:
            return False
        self.end()
        return True
