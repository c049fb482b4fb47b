"""The HTTP client for the central service: explicit timeouts, TLS rules, keyring token, typed errors.

Every failure a teller or the engine can meet becomes one of a few typed errors, so the engine can
decide (retry or not) and the screens can say what to do next. The two families:

- `CentralUnavailable` (retryable): offline, connection refused, connection lost, timeout, 5xx, 429;
- `CentralRejected` (never retried): the central understood the request and said no (4xx).

Bodies are never logged: they carry ID numbers and names. Only method, path, status and timing are.
"""

from __future__ import annotations

import email.utils
import errno
import ipaddress
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, ClassVar, TypeVar
from urllib.parse import urlsplit

import httpx
import orjson
from pydantic import BaseModel, ValidationError

from branch_app.domain.vocabulary import ConflictStatus
from sync.protocol import (
    API_PREFIX,
    STAFF_SESSION_HEADER,
    ChangesResponse,
    ChannelCardIssued,
    ChannelDeathRecord,
    ChannelLossReport,
    ConflictsResponse,
    ConflictView,
    DevicesResponse,
    DeviceStateAnswer,
    DeviceStateReport,
    EnrolRequest,
    EnrolResponse,
    ErrorCode,
    LookupRequest,
    LookupResponse,
    NoopResponse,
    PingResponse,
    PushCommand,
    PushRequest,
    PushResponse,
    PushResult,
    ResolveConflictRequest,
    ResolveConflictResponse,
    SessionRequest,
    SessionResponse,
    WithdrawalsResponse,
    encode_push,
)

if TYPE_CHECKING:
    from branch_app.config import CentralConfig

log = logging.getLogger(__name__)

KEYRING_SERVICE = "branch-app"


def device_token_key(central_url: str) -> str:
    """The keyring user name under which the device token for one central is kept."""
    return f"device-token:{normalise_url(central_url)}"


def normalise_url(url: str) -> str:
    """One spelling per central, so the keyring entry is found again (no trailing slash)."""
    return url.strip().rstrip("/")


# ---------------------------------------------------------------- errors

#: Values a catalog sentence may be filled with.
Param = str | int | float | None


class CentralError(Exception):
    """Something went wrong talking to the central.

    `key` names the sentence for the screen (the sync catalog, `branch_app/i18n/catalogs/sync.py`)
    and `params` fill it. `detail` is a short diagnostic for logs (an exception's type name, an
    HTTP status): never shown to staff, never personal data.
    """

    key: ClassVar[str] = "sync.error.unknown"
    retryable: ClassVar[bool] = False

    def __init__(self, detail: str = "", **params: Param) -> None:
        super().__init__(detail or self.key)
        self.detail = detail
        self.params: dict[str, Param] = params


class CentralUnavailable(CentralError):
    """The central could not be reached or answered 'try later': worth retrying."""

    key = "sync.error.offline"
    retryable = True


class CentralOffline(CentralUnavailable):
    """No route to the central (network down, name not resolved)."""

    key = "sync.error.offline"


class CentralConnectionRefused(CentralUnavailable):
    """The central's machine answered but nothing listens: the service is down or restarting."""

    key = "sync.error.refused"


class CentralConnectionLost(CentralUnavailable):
    """The connection broke mid-request (reset, closed early): the request may or may not have landed."""

    key = "sync.error.connection_lost"


class CentralTimeout(CentralUnavailable):
    """No answer within the configured time."""

    key = "sync.error.timeout"


class CentralServerError(CentralUnavailable):
    """The central failed (5xx), or answered something that is not protocol v1."""

    key = "sync.error.server"

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}", status=status)
        self.status = status


class CentralBusy(CentralUnavailable):
    """429: the central asks us to slow down; `retry_after` seconds if it said so."""

    key = "sync.error.busy"

    def __init__(self, retry_after: float | None) -> None:
        super().__init__(f"HTTP 429 retry after {retry_after}")
        self.retry_after = retry_after


class CentralRejected(CentralError):
    """The central understood the request and refused it (4xx): retrying cannot help.

    `code` is the central's error code (an `ErrorCode` value, or a word naming an answer that
    was not ours: `refused`, `redirect`, `unreadable`, ...). `error_code` is the `ErrorCode` when
    it is one, and `reason_key` its catalog sentence (`sync.central.<code>`), filled by `params`
    (the central's parameters). `central_message` is the central's English text for API users and
    logs; screens use `key` or `reason_key`.
    """

    key = "sync.error.rejected"

    def __init__(
        self,
        status: int,
        code: str,
        central_message: str = "",
        params: Mapping[str, Param] | None = None,
    ) -> None:
        super().__init__(f"HTTP {status} {code}", status=status, code=code, **(params or {}))
        self.status = status
        self.code = code
        self.central_message = central_message

    @property
    def error_code(self) -> ErrorCode | None:
        try:
            return ErrorCode(self.code)
        except ValueError:
            return None

    @property
    def reason_key(self) -> str:
        """The catalog key saying why: the central's error code's, else this class's."""
        code = self.error_code
        return f"sync.central.{code.value}" if code is not None else self.key


class CentralAuthRejected(CentralRejected):
    """401/403: the device token or staff session is missing, wrong, expired or not allowed."""

    key = "sync.error.auth"


class NotEnrolled(CentralError):
    """This device holds no token for this central: enrol it with a one-time code first."""

    key = "sync.error.not_enrolled"


class InsecureCentralURL(CentralError):
    """Plain HTTP to a machine other than this one, without `allow_insecure_http`."""

    key = "sync.error.insecure_url"


class KeyringUnavailable(CentralError):
    """No usable OS keyring (or only a plaintext one, which is refused)."""

    key = "sync.error.keyring"


# ---------------------------------------------------------------- rules


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 and `localhost` itself: the only hosts plain HTTP may go to by default.

    Only literal addresses and the one name count: `*.localhost` is a name like any other until
    it is resolved, and a resolver may send it anywhere (issue 10, finding 9)."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_insecure_http: bool = False) -> str:
    """The normalised URL, or `InsecureCentralURL` when the transport rules forbid it."""
    parts = urlsplit(normalise_url(url))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InsecureCentralURL(f"not an http(s) URL: {url!r}", url=url)
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback_host(parts.hostname):
        raise InsecureCentralURL(f"plain HTTP to {parts.hostname} refused", url=url)
    return normalise_url(url)


def checked_keyring() -> ModuleType:
    """The `keyring` module after refusing a missing, null or plaintext backend.

    One policy for every secret of the app: the store's (`refusal_reason`), which also judges
    the backends a chainer would write to.
    """
    import keyring

    from branch_app.store import refusal_reason

    backend = keyring.get_keyring()
    if refusal_reason(backend) is not None:
        name = f"{type(backend).__module__}.{type(backend).__name__}"
        raise KeyringUnavailable(f"unusable keyring backend {name}", backend=name)
    return keyring


def read_device_token(central_url: str) -> str:
    """The device token for this central from the OS keyring (never from a file)."""
    token = checked_keyring().get_password(KEYRING_SERVICE, device_token_key(central_url))
    if not token:
        raise NotEnrolled(f"no device token for {normalise_url(central_url)}")
    return token


def store_device_token(central_url: str, token: str) -> None:
    checked_keyring().set_password(KEYRING_SERVICE, device_token_key(central_url), token)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def _refusal(body: bytes) -> tuple[str, str, dict[str, Param]]:
    """(code, message, params) from an error body in our own shape or FastAPI's; never logged."""
    try:
        data = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        return "unreadable", "", {}
    if not isinstance(data, dict):
        return "unknown", "", {}
    for holder in (data.get("error"), data.get("detail"), data):
        if isinstance(holder, dict) and ("code" in holder or "reason" in holder):
            code = holder.get("code") or holder.get("reason") or "unknown"
            raw = holder.get("params")
            params: dict[str, Param] = {}
            if isinstance(raw, dict):
                params = {
                    str(k): v
                    for k, v in raw.items()
                    if v is None or isinstance(v, str | int | float)
                }
            return str(code), str(holder.get("message", "")), params
    detail = data.get("detail")
    if isinstance(detail, str):
        return "refused", detail, {}
    if isinstance(detail, list):  # FastAPI validation errors
        return (
            "invalid_request",
            "; ".join(str(d.get("msg", "")) for d in detail[:3] if isinstance(d, dict)),
            {},
        )
    return "unknown", "", {}


def _caused_by_refusal(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError) or (
            isinstance(current, OSError) and current.errno == errno.ECONNREFUSED
        ):
            return True
        current = current.__cause__ or current.__context__
    return "connection refused" in str(exc).lower()


# ---------------------------------------------------------------- client


@dataclass(frozen=True)
class Timeouts:
    """Seconds for each phase; all explicit so a dead central can never freeze the counter."""

    connect: float = 5.0
    read: float = 10.0
    write: float = 10.0
    pool: float = 5.0

    @classmethod
    def uniform(cls, seconds: float) -> Timeouts:
        return cls(connect=min(seconds, 5.0), read=seconds, write=seconds, pool=min(seconds, 5.0))

    def to_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


M = TypeVar("M", bound=BaseModel)


def _when_sent(callback: Callable[[], None]) -> Callable[[str, Mapping[str, object]], None]:
    """An httpcore `trace` extension that calls `callback` once the request body is written."""

    def trace(event: str, _info: Mapping[str, object]) -> None:
        if event.endswith("send_request_body.complete"):
            callback()

    return trace


class CentralClient:
    """Talks protocol v1 to one central. Thread-safe as httpx.Client is; close() when done.

    Every endpoint the app uses has a method that takes and returns the protocol's models
    (`sync/protocol.py`); nothing outside this class builds a URL. Failures are the typed
    `CentralError`s above; an answer that is not protocol v1 is a `CentralServerError`.
    """

    def __init__(
        self,
        base_url: str,
        *,
        device_token: str | Callable[[], str] | None = None,
        staff_session: str | None = None,
        timeouts: Timeouts | None = None,
        verify_tls: bool = True,
        allow_insecure_http: bool = False,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = check_url(base_url, allow_insecure_http=allow_insecure_http)
        self._device_token = device_token
        self.staff_session = staff_session
        self.timeouts = timeouts or Timeouts()
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=self.timeouts.to_httpx(),
            verify=verify_tls,
            transport=transport,
            follow_redirects=False,
            # Never the environment's proxies, .netrc or CA settings: an HTTP_PROXY would
            # otherwise receive the device token even for a loopback central (issue 10, 9).
            trust_env=False,
            headers={"User-Agent": "branch-app-sync/1", "Accept": "application/json"},
        )

    @classmethod
    def from_config(
        cls,
        central: CentralConfig,
        *,
        staff_session: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> CentralClient:
        """From `AppConfig.central`; the device token is read lazily from the keyring."""
        url = central.url
        return cls(
            url,
            device_token=lambda: read_device_token(url),
            staff_session=staff_session,
            timeouts=Timeouts.uniform(float(central.timeout_seconds)),
            verify_tls=bool(central.verify_tls),
            allow_insecure_http=bool(central.allow_insecure_http),
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CentralClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- plumbing

    def _token(self) -> str:
        token = self._device_token
        if token is None:
            raise NotEnrolled(f"no device token for {self.base_url}")
        return token() if callable(token) else token

    def _headers(self, *, auth: bool, staff: bool) -> dict[str, str]:
        headers: dict[str, str] = {}
        if auth:
            headers["Authorization"] = f"Bearer {self._token()}"
        if staff and self.staff_session:
            headers[STAFF_SESSION_HEADER] = self.staff_session
        return headers

    def _exchange(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: Mapping[str, str | int] | None = None,
        auth: bool = True,
        staff: bool = True,
        on_sent: Callable[[], None] | None = None,
    ) -> bytes:
        """One request; the body of a 2xx answer, or a typed `CentralError`. `on_sent` is called
        once the request is written, while the answer is awaited."""
        headers = self._headers(auth=auth, staff=staff)
        if content is not None:
            headers["Content-Type"] = "application/json"
        extensions = {"trace": _when_sent(on_sent)} if on_sent is not None else None
        started = time.perf_counter()
        try:
            response = self._http.request(
                method, path, content=content, params=params, headers=headers, extensions=extensions
            )
        except httpx.TimeoutException as exc:
            raise CentralTimeout(type(exc).__name__) from None
        except httpx.ConnectError as exc:
            if _caused_by_refusal(exc):
                raise CentralConnectionRefused("connection refused") from None
            raise CentralOffline(type(exc).__name__) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise CentralConnectionLost(type(exc).__name__) from None
        except httpx.NetworkError as exc:
            raise CentralOffline(type(exc).__name__) from None
        except httpx.TransportError as exc:  # proxy and protocol failures
            raise CentralOffline(type(exc).__name__) from None
        elapsed = time.perf_counter() - started
        log.debug("%s %s -> %s in %.3fs", method, path, response.status_code, elapsed)
        status = response.status_code
        if status == 429:
            code, message, params_ = _refusal(response.content)
            if code == ErrorCode.LOCKED_OUT:  # a login lockout is a refusal, not "slow down"
                raise CentralRejected(status, code, message, params_)
            raise CentralBusy(parse_retry_after(response.headers.get("Retry-After")))
        if status >= 500:
            raise CentralServerError(status)
        if status >= 400:
            code, message, params_ = _refusal(response.content)
            error = CentralAuthRejected if status in (401, 403) else CentralRejected
            raise error(status, code, message, params_)
        if status >= 300:
            raise CentralRejected(status, "redirect", "redirects are not followed")
        return response.content

    def _call(
        self,
        answer: type[M],
        method: str,
        path: str,
        body: BaseModel | None = None,
        *,
        params: Mapping[str, str | int] | None = None,
        auth: bool = True,
        staff: bool = True,
    ) -> M:
        """One request with a model as body; the answer parsed as `answer`."""
        content = body.model_dump_json(warnings=False).encode() if body is not None else None
        data = self._exchange(method, path, content=content, params=params, auth=auth, staff=staff)
        return self._parse(answer, method, path, data)

    @staticmethod
    def _parse(answer: type[M], method: str, path: str, data: bytes) -> M:
        """A 2xx answer's body as `answer`, or `CentralServerError(502)` if it is not one."""
        try:
            return answer.model_validate_json(data)
        except (ValidationError, RecursionError):
            log.warning("%s %s: the answer is not protocol v1", method, path)
            raise CentralServerError(502) from None

    # -- protocol v1

    def ping(self) -> bool:
        """True when the central answers; never raises (for the status bar)."""
        try:
            self.ping_answer()
        except CentralError:
            return False
        return True

    def ping_answer(self) -> PingResponse:
        """`GET /v1/ping`: who answers, and which protocol version it speaks."""
        return self._call(PingResponse, "GET", f"{API_PREFIX}/ping", auth=False, staff=False)

    def enrol(self, request: EnrolRequest) -> EnrolResponse:
        """`POST /v1/devices/enrol`: a one-time code for this device's token and identity."""
        return self._call(
            EnrolResponse, "POST", f"{API_PREFIX}/devices/enrol", request, auth=False, staff=False
        )

    def login(self, request: SessionRequest) -> SessionResponse:
        """`POST /v1/sessions`: a staff session and the offline verifier."""
        return self._call(SessionResponse, "POST", f"{API_PREFIX}/sessions", request, staff=False)

    def push(
        self,
        commands: Sequence[PushCommand],
        *,
        encoded: bytes | None = None,
        on_sent: Callable[[], None] | None = None,
    ) -> list[PushResult]:
        """`POST /v1/commands/push`: one batch; one result per command, in order (checked).

        `encoded`: the body, `encode_push(commands)`, when the engine made it beforehand, off
        the sending thread. `on_sent` is called once the batch is written (on this thread, at
        most once per attempt): the engine starts its background work then, not before, so that
        its threads do not hold the interpreter while this request is being written."""
        path = f"{API_PREFIX}/commands/push"
        content = encoded if encoded is not None else encode_push(commands)
        data = self._exchange("POST", path, content=content, on_sent=on_sent)
        answer = self._parse(PushResponse, "POST", path, data)
        if len(answer.results) != len(commands):
            raise CentralServerError(502)
        return answer.results

    def changes(self, since: int | None, limit: int = 500) -> ChangesResponse:
        """`GET /v1/changes`: records changed after cursor `since` (None: from the start)."""
        params: dict[str, str | int] = {"limit": limit}
        if since is not None:
            params["since"] = since
        return self._call(ChangesResponse, "GET", f"{API_PREFIX}/changes", params=params)

    def report_state(self, report: DeviceStateReport) -> DeviceStateAnswer:
        """`POST /v1/devices/state`: this device's queue, refusals, version and audit head."""
        return self._call(DeviceStateAnswer, "POST", f"{API_PREFIX}/devices/state", report)

    def branch_devices(self) -> DevicesResponse:
        """`GET /v1/devices`: the branch's devices with their latest state (a supervisor's
        session)."""
        return self._call(DevicesResponse, "GET", f"{API_PREFIX}/devices")

    def withdrawn_staff(self) -> WithdrawalsResponse:
        """`GET /v1/staff/withdrawn`: staff of this branch whose offline logins are withdrawn."""
        return self._call(WithdrawalsResponse, "GET", f"{API_PREFIX}/staff/withdrawn")

    def noop(self, body: PushRequest | None = None) -> NoopResponse:
        """`POST /v1/noop`, the benchmark's baseline: same auth and body size, no work."""
        request = body if body is not None else PushRequest(commands=[])
        return self._call(NoopResponse, "POST", f"{API_PREFIX}/noop", request)

    def lookup(self, request: LookupRequest) -> LookupResponse | None:
        """`POST /v1/lookups`: the central's record of one person (audited there with the
        purpose), or None when it has none (404 `not_found`). Needs a staff session."""
        try:
            return self._call(LookupResponse, "POST", f"{API_PREFIX}/lookups", request)
        except CentralRejected as error:
            if error.status == 404 and error.code == ErrorCode.NOT_FOUND:
                return None
            raise

    def list_conflicts(
        self, status: ConflictStatus | None = ConflictStatus.OPEN
    ) -> list[ConflictView]:
        """`GET /v1/conflicts`: the branch's conflicts with this status (None: all of them).
        Needs a supervisor's staff session."""
        answer = self._call(
            ConflictsResponse,
            "GET",
            f"{API_PREFIX}/conflicts",
            params={"status": status.value if status is not None else "all"},
        )
        return answer.conflicts

    def decide_conflict(
        self, conflict_id: int, request: ResolveConflictRequest
    ) -> ResolveConflictResponse:
        """`POST /v1/conflicts/{id}/resolve`: close a conflict, `upheld` with a note or `corrected`
        with the correcting command (a push command made by the supervisor about the same person).
        Needs a supervisor's staff session."""
        return self._call(
            ResolveConflictResponse,
            "POST",
            f"{API_PREFIX}/conflicts/{int(conflict_id)}/resolve",
            request,
        )

    # -- the simulated channels (tests and the demo; the central must enable them)

    def channel_loss_report(self, report: ChannelLossReport) -> PushResult:
        """`POST /v1/channels/loss-report`: the online platform or a hotline reports a loss."""
        return self._call(PushResult, "POST", f"{API_PREFIX}/channels/loss-report", report)

    def channel_death_record(self, record: ChannelDeathRecord) -> PushResult:
        """`POST /v1/channels/death-record`: the police record a death."""
        return self._call(PushResult, "POST", f"{API_PREFIX}/channels/death-record", record)

    def channel_card_issued(self, issued: ChannelCardIssued) -> PushResult:
        """`POST /v1/channels/card-issued`: the card agency has produced the card."""
        return self._call(PushResult, "POST", f"{API_PREFIX}/channels/card-issued", issued)
