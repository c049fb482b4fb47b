"""`SyncService`: the one object the app and the CLI hold for everything sync.

It ties the configuration, the opened `LocalStore`, the keyring and the central together: the
engine (`run`), the queue's state for the status bar (`queue_status`), the connection check
(`ping`), device enrolment and the staff login. It goes into `AppServices.sync`.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from branch_app.domain.vocabulary import UNSENT, OutboxStatus, Place
from sync.auth import (
    Authenticator,
    CommandSigner,
    DeviceIdentity,
    StaffDirectory,
    StaffSession,
    enrol_device,
    enrolled_device,
)
from sync.client import CentralClient, CentralError, Timeouts
from sync.engine import ProgressCallback, RetryPolicy, SyncEngine, SyncSummary, age_of
from sync.protocol import AuditHead, DeviceStateReport, OfflineLimits
from sync.state import StorePullTarget, SyncState

if TYPE_CHECKING:
    from branch_app.config import AppConfig, CentralConfig
    from branch_app.store import LocalStore

log = logging.getLogger(__name__)


def app_version() -> str:
    """The installed application's version, as the central keeps it per device."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gz-sscard-branch")
    except PackageNotFoundError:  # a checkout run without installing
        return "0+unknown"


def anonymous_client(central: CentralConfig, *, timeout: float | None = None) -> CentralClient:
    """A client without a device token (ping, enrolment), by the transport rules of the config."""
    seconds = float(central.timeout_seconds) if timeout is None else timeout
    return CentralClient(
        str(central.url),
        timeouts=Timeouts.uniform(seconds),
        verify_tls=bool(central.verify_tls),
        allow_insecure_http=bool(central.allow_insecure_http),
    )


def enrol_with_config(
    central: CentralConfig,
    code: str,
    device_name: str,
    *,
    on_limits: Callable[[OfflineLimits | None], None] | None = None,
) -> DeviceIdentity:
    """Enrol this device with the configured central (token and identity into the keyring);
    `on_limits`: told the branch's offline limits the answer carries."""
    with anonymous_client(central) as client:
        return enrol_device(client, code, device_name, on_limits=on_limits)


@dataclass(frozen=True)
class QueueStatus:
    """What the status bar shows about the outbox."""

    depth: int
    oldest_age: dt.timedelta | None
    conflicts: int
    rejected: int
    #: Conflicts and rejections still open: a supervisor has to look at them.
    awaiting_supervisor: int = 0


class SyncService:
    """Sync for one opened data folder and one configured central (see the module docstring)."""

    def __init__(
        self,
        config: AppConfig,
        store: LocalStore,
        *,
        retry: RetryPolicy | None = None,
        batch_size: int = 200,
    ) -> None:
        self.config = config
        self.store = store
        self.central_url = str(config.central.url)
        # The home visit's limits and approval mark are sealed with the store's data key.
        self.state = SyncState.in_folder(store.data_dir, store.keys)
        self.retry = retry or RetryPolicy()
        self.batch_size = batch_size
        self.staff_session: str | None = None
        #: The signing key of the member of staff on duty (their commands are signed with it).
        self.signer: CommandSigner | None = None
        self._engine: SyncEngine | None = None
        self._engine_lock = threading.Lock()

    # -- the central

    def client(self) -> CentralClient:
        """A new client for the configured central (the caller closes it)."""
        return CentralClient.from_config(self.config.central, staff_session=self.staff_session)

    def ping(self) -> bool:
        """Whether the central answers now (never raises)."""
        try:
            timeout = min(3.0, float(self.config.central.timeout_seconds))
            with anonymous_client(self.config.central, timeout=timeout) as client:
                return client.ping()
        except CentralError:
            return False

    # -- the device

    def device(self) -> DeviceIdentity | None:
        try:
            return enrolled_device(self.central_url)
        except CentralError:
            return None

    def enrol(self, code: str, device_name: str) -> DeviceIdentity:
        """Enrol; the branch's offline limits and a fresh start of the home-visit batch (the
        enrolment reached the central; nothing taken before it needs approval) are kept."""
        return enrol_with_config(
            self.config.central,
            code,
            device_name,
            on_limits=lambda limits: self.state.enrolled(
                limits, approved_through=self.store.outbox.next_seq - 1
            ),
        )

    def place(self) -> Place:
        """Where this device works: the enrolled identity's place, else the configured one."""
        device = self.device()
        return device.place if device is not None else Place(self.config.branch.place)

    # -- the home visit's limits (issue 13; `branch_app.services.ports.OfflineAllowance`)

    def offline_limits(self) -> OfflineLimits:
        """The branch's limits as the central last sent them (built-in defaults before)."""
        return self.state.offline_limits()

    def last_successful_sync(self) -> dt.datetime | None:
        return self.state.last_successful_sync()

    def approved_through(self) -> int:
        """The outbox seq through which the supervisor approved this device's batch."""
        return self.state.approved_through()

    def batch_open(self) -> int:
        """Requests taken since the supervisor last approved this device's batch."""
        return max(0, self.store.outbox.next_seq - 1 - self.state.approved_through())

    def approve_batch(self, through: int, at: dt.datetime | None = None) -> None:
        """The supervisor approved the batch through outbox seq `through`: the limit opens."""
        self.state.approve_batch(through, at)

    # -- staff

    def authenticator(self) -> Authenticator:
        return Authenticator(
            StaffDirectory.for_store(self.store),
            self.client,
            session_timeout=dt.timedelta(minutes=int(self.config.ui.session_timeout_minutes)),
            on_limits=self.state.save_limits,
        )

    def signed_in(self, session: StaffSession) -> None:
        """Staff actions from now on carry this session (None for an offline login) and their
        commands this person's signing key."""
        self.staff_session = session.session_token
        self.signer = session.signer
        self._engine = None

    def signed_out(self) -> None:
        self.staff_session = None
        self.signer = None
        self._engine = None

    # -- the sync

    def engine(self) -> SyncEngine:
        with self._engine_lock:
            if self._engine is None:
                self._engine = SyncEngine(
                    self.store.outbox,
                    self.client(),
                    StorePullTarget(self.store.card_cache, self.state),
                    batch_size=self.batch_size,
                    retry=self.retry,
                )
            return self._engine

    def run(
        self,
        *,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        wait_if_busy: bool = False,
    ) -> SyncSummary:
        """One sync; remembers when it ended for the status bar."""
        summary = self.engine().run(progress=progress, cancel=cancel, wait_if_busy=wait_if_busy)
        # Another run is on: it will record. A run that never reached the central synced
        # nothing: "last sync" stays at the last one that did (issue 12, bug 4).
        if summary.error != "sync.error.busy_running" and summary.reached_central:
            self.state.finished(ok=summary.ok, error=summary.error, at=summary.finished_at)
            self._after_sync()
        return summary

    def state_report(self, now: dt.datetime | None = None) -> DeviceStateReport:
        """This device's state as the central keeps it: counts and times, never a person."""
        status = self.queue_status(now)
        head = self.store.audit.head_info
        last = self.state.last_sync()
        home_visit = self.place() is Place.HOME_VISIT
        planned, done = self._visit_progress(now) if home_visit else (None, None)
        return DeviceStateReport(
            queue_depth=status.depth,
            oldest_unsent_age_seconds=None
            if status.oldest_age is None
            else int(status.oldest_age.total_seconds()),
            refused_open=status.awaiting_supervisor,
            last_sync=None if last is None else last.isoformat(),
            app_version=app_version(),
            audit_head=AuditHead(n=head.n, mac=head.mac, month=head.month),
            batch_open=min(self.batch_open(), 10_000_000) if home_visit else None,
            visits_planned=planned,
            visits_done=done,
        )

    def _visit_progress(self, now: dt.datetime | None) -> tuple[int | None, int | None]:
        """Today's visits planned and done on this device's visit list (None: no list)."""
        visits = getattr(self.store, "visits", None)
        if visits is None:
            return None, None
        today = (now or dt.datetime.now().astimezone()).astimezone().date()
        planned, done = visits.progress(today)
        return min(int(planned), 10_000), min(int(done), 10_000)

    def _after_sync(self) -> None:
        """On one connection, after a sync that reached the central: drop the offline logins
        the central withdrew (a person who left, a changed password or role), and tell it where
        this device stands. A journal the central saw further along than it is now (cut short,
        or an older copy restored) is logged here too. Both are asked again at the next sync."""
        try:
            with self.client() as client:
                self.authenticator().apply_withdrawals(client.withdrawn_staff().withdrawn)
                answer = client.report_state(self.state_report())
        except CentralError as error:
            log.info("withdrawals or device state not exchanged (%s)", type(error).__name__)
            return
        self.state.save_limits(answer.limits)
        if answer.audit_regressed:
            log.error(
                "the central saw this device's audit journal reach entry %d; it ends before that",
                answer.furthest_audit_n,
            )

    def queue_status(self, now: dt.datetime | None = None) -> QueueStatus:
        outbox = self.store.outbox
        counts = outbox.counts()
        oldest = outbox.oldest_unsent()
        return QueueStatus(
            depth=sum(counts.get(status, 0) for status in UNSENT),
            oldest_age=age_of(oldest.made_at, now) if oldest is not None else None,
            conflicts=counts.get(OutboxStatus.CONFLICT, 0),
            rejected=counts.get(OutboxStatus.REJECTED, 0),
            awaiting_supervisor=outbox.awaiting_supervisor(),
        )

    def last_sync(self) -> dt.datetime | None:
        return self.state.last_sync()

    def close(self) -> None:
        engine = self._engine
        if engine is not None and isinstance(engine.central, CentralClient):
            engine.central.close()
