"""The client's transport does not trust the environment (issue 10, finding 9).

With `HTTP_PROXY`/`ALL_PROXY` set, httpx's defaults send every request, the device token
included, through the proxy even for a loopback central. The client turns that off: the proxy
(a local listener that records whether it was contacted) never hears from it."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from sync.client import CentralClient, CentralServerError, InsecureCentralURL, check_url


class Listener:
    """A local TCP server that records the bytes of each connection and answers a 500."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.requests: list[bytes] = []
        self.contacted = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                data = b""
                try:
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                except OSError:
                    pass
                self.requests.append(data)
                self.contacted.set()
                with contextlib.suppress(OSError):
                    conn.sendall(
                        b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n"
                        b"connection: close\r\n\r\n"
                    )

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listeners() -> Iterator[tuple[Listener, Listener]]:
    proxy, central = Listener(), Listener()
    try:
        yield proxy, central
    finally:
        proxy.close()
        central.close()


def test_a_proxy_in_the_environment_never_gets_the_device_token(
    listeners: tuple[Listener, Listener], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy, central = listeners
    proxy_url = f"http://127.0.0.1:{proxy.port}"
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY"):
        monkeypatch.setenv(name, proxy_url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    # The setup is meaningful: httpx with its defaults does go through the proxy.
    with httpx.Client(timeout=5) as trusting:
        trusting.get(f"http://127.0.0.1:{central.port}/probe")
    assert proxy.contacted.is_set()
    proxy.requests.clear()
    proxy.contacted.clear()

    client = CentralClient(f"http://127.0.0.1:{central.port}", device_token="secret-device-token")
    try:
        with pytest.raises(CentralServerError):
            client.noop()
    finally:
        client.close()
    assert central.contacted.is_set()
    assert any(b"secret-device-token" in request for request in central.requests)
    assert proxy.requests == []
    assert not proxy.contacted.is_set()


@pytest.mark.parametrize(
    "url", ["http://central.localhost:8765", "http://x.localhost", "http://localhost.example.cn"]
)
def test_a_localhost_subdomain_is_not_loopback(url: str) -> None:
    """Only 127.0.0.0/8, ::1 and `localhost` itself count as loopback (a name under
    .localhost goes wherever the resolver sends it)."""
    with pytest.raises(InsecureCentralURL):
        check_url(url)


@pytest.mark.parametrize("url", ["http://localhost:8765", "http://127.0.0.1", "http://[::1]:1"])
def test_literal_loopback_stays_allowed(url: str) -> None:
    assert check_url(url) == url
