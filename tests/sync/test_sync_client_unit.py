"""Unit tests of the client's rules: which URLs, which errors, where the token comes from."""

from __future__ import annotations

import httpx
import pytest

from sync.client import (
    CentralAuthRejected,
    CentralBusy,
    CentralClient,
    CentralConnectionRefused,
    CentralRejected,
    CentralServerError,
    CentralTimeout,
    InsecureCentralURL,
    NotEnrolled,
    Timeouts,
    check_url,
    device_token_key,
    parse_retry_after,
    read_device_token,
    store_device_token,
)
from sync.protocol import PushCommand, SessionRequest

COMMAND = PushCommand.model_construct(id="a")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8765",
        "http://127.8.9.10/",
        "http://[::1]:80",
        "http://localhost:1",
        "https://central.example.cn",
    ],
)
def test_allowed_urls(url: str) -> None:
    assert check_url(url) == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://10.0.0.5:8765", "http://central.example.cn", "ftp://x"])
def test_plain_http_off_loopback_is_refused(url: str) -> None:
    with pytest.raises(InsecureCentralURL):
        check_url(url)


def test_plain_http_allowed_when_configured() -> None:
    assert check_url("http://10.0.0.5:8765", allow_insecure_http=True) == "http://10.0.0.5:8765"


def test_retry_after_forms() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("Sat, 28 Nov 2026 09:00:10 GMT", now=1795856400.0) == 10.0


def test_timeouts_are_all_explicit() -> None:
    client = CentralClient("http://127.0.0.1:1", device_token="t", timeouts=Timeouts(1, 2, 3, 4))
    timeout = client._http.timeout
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (1, 2, 3, 4)
    client.close()


def _client(handler) -> CentralClient:
    return CentralClient(
        "http://127.0.0.1:9",
        device_token="tok",
        staff_session="sess",
        transport=httpx.MockTransport(handler),
    )


def test_headers_and_status_mapping() -> None:
    seen: list[httpx.Request] = []
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(503),
            httpx.Response(401, json={"error": {"code": "unauthorized", "message": "x"}}),
            httpx.Response(422, json={"error": {"code": "invalid_body", "message": "bad"}}),
            httpx.Response(429, json={"error": {"code": "locked_out", "message": "wait"}}),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return next(answers)

    client = _client(handler)
    with pytest.raises(CentralBusy) as busy:
        client.push([COMMAND])
    assert busy.value.retry_after == 7.0
    with pytest.raises(CentralServerError):
        client.push([COMMAND])
    with pytest.raises(CentralAuthRejected):
        client.push([COMMAND])
    with pytest.raises(CentralRejected) as rejected:
        client.push([COMMAND])
    assert (rejected.value.status, rejected.value.code) == (422, "invalid_body")
    with pytest.raises(CentralRejected) as locked:
        client.login(SessionRequest(staff_id="T1", password="pw"))
    assert locked.value.code == "locked_out" and not locked.value.retryable
    assert seen[0].headers["Authorization"] == "Bearer tok"
    assert seen[0].headers["X-Staff-Session"] == "sess"


def test_a_short_answer_list_is_not_trusted() -> None:
    client = _client(lambda r: httpx.Response(200, json={"results": []}))
    with pytest.raises(CentralServerError):
        client.push([COMMAND])


def test_timeout_and_refused_are_typed() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(CentralTimeout):
        _client(slow).push([COMMAND])
    refused = CentralClient("http://127.0.0.1:1", device_token="t", timeouts=Timeouts.uniform(2))
    with pytest.raises(CentralConnectionRefused):
        refused.noop()
    assert refused.ping() is False


def test_device_token_lives_in_the_keyring(memory_keyring) -> None:
    url = "http://127.0.0.1:8765/"
    with pytest.raises(NotEnrolled):
        read_device_token(url)
    store_device_token(url, "secret-token")
    assert (
        memory_keyring.get_password("branch-app", "device-token:http://127.0.0.1:8765")
        == "secret-token"
    )
    assert read_device_token("http://127.0.0.1:8765") == "secret-token"
    assert device_token_key(url) == "device-token:http://127.0.0.1:8765"
