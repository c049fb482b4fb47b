"""The staff session service without Textual: the password check's answers, who is on duty,
and the idle lock on a clock the test moves."""

from __future__ import annotations

import datetime as dt

from branch_app.services.session import LoginRefused, StaffSessions
from sync.auth import LockedOut, StaffSession

NOW = dt.datetime(2025, 3, 14, 9, 0, tzinfo=dt.UTC)
SESSION = StaffSession("T100", "Li Ming", "teller", "GZ-TH-01", False, NOW, NOW, "token")


class FakeSync:
    """The sync service's staff side: one password, and what it was told."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.fail = fail
        self.signed: list[str | None] = []

    def authenticator(self) -> FakeSync:
        return self

    def login(self, staff_id: str, password: str) -> StaffSession:
        if self.fail is not None:
            raise self.fail
        return SESSION

    def signed_in(self, session: StaffSession) -> None:
        self.signed.append(session.staff_id)

    def signed_out(self) -> None:
        self.signed.append(None)


class Clock:
    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def test_a_refused_login_comes_back_as_its_catalog_key() -> None:
    sessions = StaffSessions(FakeSync(fail=LockedOut(minutes=5)))
    answer = sessions.check("T100", "wrong")
    assert answer == LoginRefused("sync.login.locked", {"minutes": 5})
    assert sessions.on_duty is None


def test_a_broken_store_is_a_sentence_not_a_traceback() -> None:
    answer = StaffSessions(FakeSync(fail=OSError("disk"))).check("T100", "pw")
    assert answer == LoginRefused("sync.error.unknown")


def test_the_counter_locks_after_the_idle_timeout_and_not_before() -> None:
    sync, clock = FakeSync(), Clock()
    sessions = StaffSessions(sync, timeout=dt.timedelta(minutes=15), monotonic=clock)
    answer = sessions.check("T100", "pw")
    assert answer is SESSION
    sessions.begin(SESSION)
    assert sessions.on_duty is SESSION and sync.signed == ["T100"]
    clock.seconds += 14 * 60
    sessions.touch()  # a key press: the 15 minutes start again
    clock.seconds += 14 * 60
    assert not sessions.lock_if_idle()
    clock.seconds += 60
    assert sessions.lock_if_idle()
    assert sessions.on_duty is None and sync.signed == ["T100", None]
    assert not sessions.lock_if_idle()  # nobody on duty: nothing to lock
