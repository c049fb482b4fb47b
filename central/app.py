"""The central's HTTP API (wire protocol v1), an ASGI app built with FastAPI.

Bodies are read and validated here with `sync.protocol` (strict pydantic models from raw bytes)
rather than through FastAPI's parameter parsing, so every malformed, oversized or hostile body
gets one clear JSON error (`{error: {code, message, message_zh, details}}`) that never echoes
the input. Database work runs in the thread pool. The OpenAPI document at `/v1/openapi.json`
is assembled from the same models.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central import devices
from central.auth import Authenticator, DeviceIdentity, LoginRefused, StaffIdentity
from central.db import Database, utcnow
from central.service import CentralService
from central.settings import CentralSettings
from sync import protocol as p

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
_JSON = "application/json"
#: The conflicts table's ids are 32-bit integers: a larger one names no conflict.
MAX_CONFLICT_ID = 2**31 - 1


def _json(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(p.encode(model), status_code=status, media_type=_JSON, headers=headers)


def _error(exc: p.ProtocolError, headers: dict[str, str] | None = None) -> Response:
    return _json(exc.to_response(), exc.status, headers)


class BodySizeLimit:
    """Refuse a request whose declared length is over the limit before reading any of it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope.get("headers", ()):
                if name == b"content-length":
                    try:
                        too_large = int(value) > self.max_bytes
                    except ValueError:
                        too_large = True
                    if too_large:
                        response = _error(p.ProtocolError(p.ErrorCode.BODY_TOO_LARGE))
                        response.headers["Connection"] = "close"
                        await response(scope, _drained(receive), send)
                        return
        await self.app(scope, receive, send)


class ContainErrors:
    """Answer an unexpected exception with a JSON 500 and log its type and path only.

    Starlette's own error middleware re-raises after answering, and the server then logs the
    traceback with the exception's message, which may quote a record; here nothing escapes.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            log.error(
                "unhandled %s on %s %s", type(exc).__name__, scope.get("method"), scope.get("path")
            )
            if not started:
                response = _error(p.ProtocolError(p.ErrorCode.INTERNAL_ERROR))
                await response(scope, receive, send)


def _drained(receive: Receive) -> Receive:
    async def _receive() -> Message:
        return {"type": "http.disconnect"}

    return _receive


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The whole body, refused as soon as it grows past `max_bytes` (chunked uploads too)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise p.ProtocolError(p.ErrorCode.BODY_TOO_LARGE)
        chunks.append(chunk)
    return b"".join(chunks)


def _known_params(request: Request, *names: str) -> None:
    """Refuse a query parameter the operation does not declare (as bodies refuse fields)."""
    unknown = sorted(set(request.query_params) - set(names))
    if unknown:
        raise p.ProtocolError(
            p.ErrorCode.INVALID_QUERY,
            message="Unknown query parameter; this operation takes " + ", ".join(names) + ".",
        )


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        raise p.ProtocolError(p.ErrorCode.INVALID_QUERY, message=f"{name} must be a whole number.")
    value = int(raw)
    if not low <= value <= high:
        raise p.ProtocolError(
            p.ErrorCode.INVALID_QUERY, message=f"{name} must be between {low} and {high}."
        )
    return value


def create_app(settings: CentralSettings, *, database: Database | None = None) -> FastAPI:
    """The ASGI app over `settings.database_url` (or an open `database`), schema created."""
    try:
        audit_key = settings.configured_audit_key()
    except ValueError as exc:
        raise AuditKeyMissing(str(exc)) from None
    if audit_key is None and database is None and not settings.enable_channels:
        raise AuditKeyMissing(
            "the lookup audit needs a key kept outside the database: set CENTRAL_AUDIT_KEY_FILE "
            "to a file made with `central new-audit-key FILE` (or CENTRAL_AUDIT_KEY)"
        )
    db = database or Database(settings.resolved_database_url())
    db.create_schema()
    auth = Authenticator(db, settings)
    # An embedded (test) or demo central without a key uses one of this process only.
    service = CentralService(db, audit_key or db.audit_key())
    enrol_limiter = RateLimiter(settings.enrol_attempts_per_minute, per_seconds=60.0)
    request_models: dict[str, type[BaseModel]] = {}

    app = FastAPI(
        title="Guangzhou social security card central service",
        version=f"{p.PROTOCOL_VERSION}.0",
        description="Wire protocol v1 between branch counter applications and the card agency.",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.database = db
    app.state.service = service
    app.state.settings = settings
    app.state.auth = auth

    # Errors ------------------------------------------------------------------------------------

    async def on_protocol_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, p.ProtocolError)
        headers: dict[str, str] = {}
        if exc.code in (p.ErrorCode.UNAUTHORIZED, p.ErrorCode.SESSION_REQUIRED):
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, LoginRefused | RateLimited) and exc.retry_after is not None:
            headers["Retry-After"] = str(exc.retry_after)
        return _error(exc, headers)

    async def on_http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = {
            404: p.ErrorCode.NOT_FOUND,
            405: p.ErrorCode.METHOD_NOT_ALLOWED,
            413: p.ErrorCode.BODY_TOO_LARGE,
            415: p.ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        }.get(exc.status_code, p.ErrorCode.INVALID_BODY)
        headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() == "allow"}
        return _error(p.ProtocolError(code), headers)

    app.add_exception_handler(p.ProtocolError, on_protocol_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)

    # Helpers -----------------------------------------------------------------------------------

    async def body_of(request: Request, model: type[M]) -> M:
        data = await read_body(request, settings.max_body_bytes)  # 413 first: bounded anyway
        if not _is_json(request.headers.get("content-type", "")):
            raise p.ProtocolError(p.ErrorCode.UNSUPPORTED_MEDIA_TYPE)
        return p.decode(model, data)

    async def device_of(request: Request) -> DeviceIdentity:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise p.ProtocolError(p.ErrorCode.UNAUTHORIZED)
        device = await run_in_threadpool(auth.device_for_token, token.strip())
        if device is None:
            raise p.ProtocolError(p.ErrorCode.UNAUTHORIZED)
        return device

    async def staff_of(request: Request, device: DeviceIdentity) -> StaffIdentity:
        token = request.headers.get(p.STAFF_SESSION_HEADER, "").strip()
        staff = await run_in_threadpool(auth.staff_for_session, token, device) if token else None
        if staff is None:
            raise p.ProtocolError(p.ErrorCode.SESSION_REQUIRED)
        return staff

    async def supervisor_of(request: Request) -> tuple[DeviceIdentity, StaffIdentity]:
        device = await device_of(request)
        staff = await staff_of(request, device)
        if staff.role is not p.Role.SUPERVISOR:
            raise p.ProtocolError(
                p.ErrorCode.FORBIDDEN, message="Only a supervisor may see or resolve conflicts."
            )
        return device, staff

    #: Each operation's declared responses and query or path parameters, set in the document.
    declared: dict[tuple[str, str], dict[str, Any]] = {}

    def route(
        method: str,
        path: str,
        *,
        summary: str,
        request_model: type[BaseModel] | None = None,
        response_model: type[BaseModel],
        secured: tuple[str, ...] = ("deviceToken",),
        status: int = 200,
        errors: tuple[p.ErrorCode, ...] = (),
        parameters: list[dict[str, Any]] | None = None,
    ) -> Callable[[Callable[..., Awaitable[Response]]], Callable[..., Awaitable[Response]]]:
        refusals = [*errors, p.ErrorCode.BODY_TOO_LARGE, p.ErrorCode.INTERNAL_ERROR]
        if request_model is not None:
            refusals += [
                p.ErrorCode.INVALID_JSON,
                p.ErrorCode.INVALID_BODY,
                p.ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            ]
        if "deviceToken" in secured:
            refusals.append(p.ErrorCode.UNAUTHORIZED)
        if "staffSession" in secured:
            refusals.append(p.ErrorCode.SESSION_REQUIRED)
        responses: dict[str, Any] = {
            str(status): {
                "description": response_model.__doc__.strip().splitlines()[0]
                if response_model.__doc__
                else "OK",
                "content": {_JSON: {"schema": _ref(response_model)}},
            },
            **_error_responses(refusals),
        }
        extra: dict[str, Any] = {
            "responses": responses,
            "security": [{name: [] for name in secured}] if secured else [],
        }
        declared[(p.API_PREFIX + path, method.lower())] = {
            "responses": responses,
            "parameters": parameters or [],
        }
        request_models[response_model.__name__] = response_model
        if request_model is not None:
            extra["requestBody"] = {
                "required": True,
                "content": {_JSON: {"schema": _ref(request_model)}},
            }
            request_models[request_model.__name__] = request_model

        def decorate(
            func: Callable[..., Awaitable[Response]],
        ) -> Callable[..., Awaitable[Response]]:
            app.add_api_route(
                p.API_PREFIX + path,
                func,
                methods=[method],
                summary=summary,
                openapi_extra=extra,
                response_class=Response,
                status_code=status,
            )
            return func

        return decorate

    # Endpoints ---------------------------------------------------------------------------------

    @route("GET", "/ping", summary="Is the service up?", response_model=p.PingResponse, secured=())
    async def ping() -> Response:
        return _json(
            p.PingResponse(
                status="ok",
                service="central",
                protocol_version=p.PROTOCOL_VERSION,
                time=utcnow().isoformat(),
            )
        )

    @route(
        "POST",
        "/devices/enrol",
        summary="Exchange a one-time enrolment code for a device token",
        request_model=p.EnrolRequest,
        response_model=p.EnrolResponse,
        secured=(),
        errors=(p.ErrorCode.INVALID_CODE, p.ErrorCode.RATE_LIMITED),
    )
    async def enrol(request: Request) -> Response:
        # Every attempt counts before anything is read; an enrolment that works gives its turn
        # back, so only refused ones (guesses) are limited.
        address = request.client.host if request.client else ""
        wait = enrol_limiter.take(address)
        if wait is not None:
            raise RateLimited(wait)
        body = await body_of(request, p.EnrolRequest)
        answer = await run_in_threadpool(auth.enrol, body.code, body.device_name)
        enrol_limiter.give_back(address)
        return _json(answer)

    @route(
        "POST",
        "/sessions",
        summary="Staff log-in: a session token and an offline verifier",
        request_model=p.SessionRequest,
        response_model=p.SessionResponse,
        errors=(p.ErrorCode.INVALID_CREDENTIALS, p.ErrorCode.LOCKED_OUT),
    )
    async def login(request: Request) -> Response:
        device = await device_of(request)
        body = await body_of(request, p.SessionRequest)
        answer = await run_in_threadpool(
            auth.login, device, body.staff_id, body.password, body.signing_key
        )
        return _json(answer)

    @route(
        "GET",
        "/staff/withdrawn",
        summary="Staff of this branch whose offline verifiers the device must drop",
        response_model=p.WithdrawalsResponse,
    )
    async def withdrawn(request: Request) -> Response:
        device = await device_of(request)
        answer = await run_in_threadpool(auth.withdrawals, device)
        return _json(answer)

    @route(
        "POST",
        "/devices/state",
        summary="The device's state at the end of a sync: queue, refusals, version, audit head",
        request_model=p.DeviceStateReport,
        response_model=p.DeviceStateAnswer,
    )
    async def device_state(request: Request) -> Response:
        device = await device_of(request)
        body = await body_of(request, p.DeviceStateReport)
        answer = await run_in_threadpool(devices.record_state, db, device, body, settings)
        return _json(answer)

    @route(
        "GET",
        "/devices",
        summary="The branch's devices with their latest state (supervisors)",
        response_model=p.DevicesResponse,
        errors=(p.ErrorCode.SESSION_REQUIRED, p.ErrorCode.FORBIDDEN),
    )
    async def branch_devices(request: Request) -> Response:
        _device, staff = await supervisor_of(request)
        stuck_after = dt.timedelta(minutes=settings.stuck_after_minutes)
        answer = await run_in_threadpool(
            lambda: devices.branch_devices(db, staff.branch, stuck_after=stuck_after)
        )
        return _json(answer)

    @route(
        "POST",
        "/commands/push",
        summary="Push a batch of commands; one answer per command, in order",
        request_model=p.PushRequest,
        response_model=p.PushResponse,
        errors=(p.ErrorCode.BATCH_TOO_LARGE,),
    )
    async def push(request: Request) -> Response:
        device = await device_of(request)
        body = await body_of(request, p.PushRequest)
        if len(body.commands) > settings.max_batch_commands:
            raise p.ProtocolError(p.ErrorCode.BATCH_TOO_LARGE)
        # A live staff session, when the push carries one, may see the records of its own
        # commands' merged and conflict answers (audited as lookups); the push never needs one.
        token = request.headers.get(p.STAFF_SESSION_HEADER, "").strip()
        viewer = await run_in_threadpool(auth.staff_for_session, token, device) if token else None
        answer = await run_in_threadpool(service.push_response, device, list(body.commands), viewer)
        return Response(answer, media_type=_JSON)

    @route(
        "POST",
        "/noop",
        summary="Parse a push body and do nothing (the sync benchmark's baseline)",
        request_model=p.PushRequest,
        response_model=p.NoopResponse,
        errors=(p.ErrorCode.BATCH_TOO_LARGE,),
    )
    async def noop(request: Request) -> Response:
        await device_of(request)
        body = await body_of(request, p.PushRequest)
        return _json(p.NoopResponse(received=len(body.commands)))

    @route(
        "GET",
        "/changes",
        summary="Record changes after a cursor for the cards this branch follows",
        response_model=p.ChangesResponse,
        errors=(p.ErrorCode.INVALID_QUERY,),
        parameters=[
            _query("since", "The cursor: changes after it (0: from the start).", 0, 2**62),
            _query("limit", "Most changes in the page.", 1, p.MAX_CHANGES_LIMIT),
        ],
    )
    async def changes(request: Request) -> Response:
        device = await device_of(request)
        _known_params(request, "since", "limit")
        since = _int_param(request, "since", 0, 0, 2**62)
        limit = _int_param(request, "limit", p.DEFAULT_CHANGES_LIMIT, 1, p.MAX_CHANGES_LIMIT)
        answer = await run_in_threadpool(service.changes, device, since, limit)
        return _json(answer)

    @route(
        "POST",
        "/lookups",
        summary="Look up a person's record (needs a purpose and a staff session; audited)",
        request_model=p.LookupRequest,
        response_model=p.LookupResponse,
        secured=("deviceToken", "staffSession"),
        errors=(p.ErrorCode.NOT_FOUND,),
    )
    async def lookup(request: Request) -> Response:
        device = await device_of(request)
        staff = await staff_of(request, device)
        body = await body_of(request, p.LookupRequest)
        answer = await run_in_threadpool(service.lookup, staff, device, body)
        if answer is None:
            raise p.ProtocolError(p.ErrorCode.NOT_FOUND, message="No card record for that person.")
        return _json(answer)

    @route(
        "GET",
        "/conflicts",
        summary="Conflicts of this branch (supervisor); ?status=open|resolved|all",
        response_model=p.ConflictsResponse,
        secured=("deviceToken", "staffSession"),
        errors=(p.ErrorCode.FORBIDDEN, p.ErrorCode.INVALID_QUERY),
        parameters=[
            {
                "name": "status",
                "in": "query",
                "required": False,
                "description": "Which conflicts (default open).",
                "schema": {"type": "string", "enum": ["open", "resolved", "all"]},
            },
            _query("limit", "Most conflicts in the answer.", 1, 1000),
        ],
    )
    async def list_conflicts(request: Request) -> Response:
        _device, staff = await supervisor_of(request)
        _known_params(request, "status", "limit")
        raw_status = request.query_params.get("status", "open")
        if raw_status not in ("open", "resolved", "all"):
            raise p.ProtocolError(
                p.ErrorCode.INVALID_QUERY, message="status must be open, resolved or all."
            )
        status = None if raw_status == "all" else p.ConflictStatus(raw_status)
        limit = _int_param(request, "limit", 200, 1, 1000)
        found = await run_in_threadpool(service.conflicts, staff, status, limit)
        return _json(p.ConflictsResponse(conflicts=found))

    @route(
        "POST",
        "/conflicts/{conflict_id}/resolve",
        summary="Close a conflict with a decision, a note and perhaps a correcting command",
        request_model=p.ResolveConflictRequest,
        response_model=p.ResolveConflictResponse,
        secured=("deviceToken", "staffSession"),
        errors=(
            p.ErrorCode.FORBIDDEN,
            p.ErrorCode.NOT_FOUND,
            p.ErrorCode.CONFLICT_CLOSED,
            p.ErrorCode.CORRECTION_REFUSED,
        ),
        parameters=[
            {
                "name": "conflict_id",
                "in": "path",
                "required": True,
                "description": "The conflict's id (a conflict of another branch is not found).",
                "schema": {"type": "string", "pattern": "^[0-9]{1,10}$"},
            }
        ],
    )
    async def resolve(request: Request, conflict_id: str) -> Response:
        device, staff = await supervisor_of(request)
        if (
            not conflict_id.isascii()
            or not conflict_id.isdigit()
            or len(conflict_id) > 18
            or int(conflict_id) > MAX_CONFLICT_ID
        ):
            raise p.ProtocolError(p.ErrorCode.NOT_FOUND)  # PostgreSQL: DataError beyond int4
        body = await body_of(request, p.ResolveConflictRequest)
        answer = await run_in_threadpool(
            service.resolve_conflict, int(conflict_id), staff, device, body
        )
        return _json(answer)

    # Simulated channels ------------------------------------------------------------------------

    async def channel_device(request: Request) -> DeviceIdentity:
        if not settings.enable_channels:
            raise p.ProtocolError(p.ErrorCode.CHANNELS_DISABLED)
        return await device_of(request)

    async def apply_channel(
        request: Request, model: type[Any], source_and_command: Callable[[Any], tuple[str, Any]]
    ) -> Response:
        """One simulated channel: check the switch and the device, read the body, apply."""
        await channel_device(request)
        body = await body_of(request, model)
        source, command = source_and_command(body)
        result = await run_in_threadpool(
            lambda: service.channel_command(
                source=source, holder_id=body.holder_id, command=command, command_id=body.id
            )
        )
        return _json(result)

    @route(
        "POST",
        "/channels/loss-report",
        summary="(Tests, demo) The online platform or a hotline reports a card lost",
        request_model=p.ChannelLossReport,
        response_model=p.PushResult,
        errors=(p.ErrorCode.CHANNELS_DISABLED,),
    )
    async def channel_loss(request: Request) -> Response:
        from branch_app.domain.lifecycle import ReportLoss
        from branch_app.domain.vocabulary import LossChannel

        return await apply_channel(
            request,
            p.ChannelLossReport,
            lambda body: (
                body.channel.value,
                ReportLoss(channel=LossChannel(body.channel.value)),
            ),
        )

    @route(
        "POST",
        "/channels/death-record",
        summary="(Tests, demo) The police record a death; the card is cancelled",
        request_model=p.ChannelDeathRecord,
        response_model=p.PushResult,
        errors=(p.ErrorCode.CHANNELS_DISABLED,),
    )
    async def channel_death(request: Request) -> Response:
        from branch_app.domain.lifecycle import Cancel
        from branch_app.domain.vocabulary import CancellationReason

        return await apply_channel(
            request,
            p.ChannelDeathRecord,
            lambda _body: ("police", Cancel(reason=CancellationReason.DEATH)),
        )

    @route(
        "POST",
        "/channels/card-issued",
        summary="(Tests, demo) The card agency has produced the card for an application",
        request_model=p.ChannelCardIssued,
        response_model=p.PushResult,
        errors=(p.ErrorCode.CHANNELS_DISABLED,),
    )
    async def channel_issued(request: Request) -> Response:
        import datetime as dt

        from branch_app.domain.lifecycle import ConfirmIssuance

        return await apply_channel(
            request,
            p.ChannelCardIssued,
            lambda body: (
                "card_agency",
                ConfirmIssuance(
                    card_number=body.card_number, issued_on=dt.date.fromisoformat(body.issued_on)
                ),
            ),
        )

    # OpenAPI -----------------------------------------------------------------------------------

    def openapi_document() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            for (path, method), spec in declared.items():
                operation = document["paths"][path][method]
                operation["responses"] = spec["responses"]  # FastAPI's 422 is not ours
                if spec["parameters"]:
                    operation["parameters"] = spec["parameters"]
                else:
                    operation.pop("parameters", None)
            components = document.setdefault("components", {})
            schemas = components.setdefault("schemas", {})
            for unused in ("HTTPValidationError", "ValidationError"):
                schemas.pop(unused, None)
            for model in request_models.values():
                schemas.update(_component_schemas(model))
            schemas.update(_component_schemas(p.ErrorResponse))
            components["securitySchemes"] = {
                "deviceToken": {"type": "http", "scheme": "bearer"},
                "staffSession": {
                    "type": "apiKey",
                    "in": "header",
                    "name": p.STAFF_SESSION_HEADER,
                },
            }
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi_document  # type: ignore[method-assign]

    async def openapi_json(_request: Request) -> Response:
        import orjson

        return Response(orjson.dumps(openapi_document()), media_type=_JSON)

    app.add_route(p.API_PREFIX + "/openapi.json", openapi_json, include_in_schema=False)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(ContainErrors)  # added last: the outermost of ours
    return app


def create_app_from_env() -> FastAPI:
    """The app from `CENTRAL_*` environment variables alone: the factory each worker process of
    `central serve --workers N` calls (uvicorn imports it by name in every worker)."""
    return create_app(CentralSettings.from_env())


class AuditKeyMissing(RuntimeError):
    """The central cannot start: the lookup audit's key is not configured or not readable."""


class RateLimited(p.ProtocolError):
    """Too many attempts from one client address; `retry_after` in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(p.ErrorCode.RATE_LIMITED)
        self.retry_after = retry_after


class RateLimiter:
    """At most `limit` attempts per `per_seconds` for each key (a client address), in memory.

    A sliding window per key; keys whose window has passed are forgotten, and at most
    `max_keys` are kept (the oldest dropped), so a flood of addresses cannot grow it."""

    def __init__(
        self,
        limit: int,
        *,
        per_seconds: float,
        max_keys: int = 10_000,
        clock: Callable[[], float] | None = None,
    ) -> None:
        import threading
        import time

        self.limit = limit
        self.per_seconds = per_seconds
        self.max_keys = max_keys
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._attempts: dict[str, list[float]] = {}

    def take(self, key: str) -> int | None:
        """None when this attempt may go ahead, else the seconds to wait."""
        now = self._clock()
        start = now - self.per_seconds
        with self._lock:
            recent = [t for t in self._attempts.pop(key, []) if t > start]
            if len(recent) >= self.limit:
                self._attempts[key] = recent
                return int(recent[0] - start) + 1
            recent.append(now)
            self._attempts[key] = recent  # re-inserted: the dict is oldest-first
            if len(self._attempts) > self.max_keys:
                for old in list(self._attempts)[: len(self._attempts) - self.max_keys]:
                    del self._attempts[old]
            return None

    def give_back(self, key: str) -> None:
        """Uncount the latest attempt of `key` (it succeeded)."""
        with self._lock:
            recent = self._attempts.get(key)
            if recent:
                recent.pop()


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == _JSON or (media.startswith("application/") and media.endswith("+json"))


def _error_responses(codes: list[p.ErrorCode]) -> dict[str, Any]:
    """The declared refusals: one response per status, its body's `code` one of that status's."""
    by_status: dict[int, list[p.ErrorCode]] = {}
    for code in codes:
        found = by_status.setdefault(p.ERROR_STATUS[code], [])
        if code not in found:
            found.append(code)
    return {
        str(status): {
            "description": ("Refused: " if status < 500 else "Failed: ")
            + ", ".join(code.value for code in found)
            + ".",
            "content": {
                _JSON: {
                    "schema": {
                        "allOf": [
                            _ref(p.ErrorResponse),
                            {
                                "type": "object",
                                "properties": {
                                    "error": {
                                        "type": "object",
                                        "properties": {
                                            "code": {"enum": [code.value for code in found]}
                                        },
                                    }
                                },
                            },
                        ]
                    }
                }
            },
        }
        for status, found in sorted(by_status.items())
    }


def _query(name: str, description: str, low: int, high: int) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "integer", "minimum": low, "maximum": high},
    }


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _component_schemas(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    found = dict(schema.pop("$defs", {}))
    found[model.__name__] = schema
    return found
