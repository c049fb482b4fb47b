"""A tiny HTTP/1.1 proxy on 127.0.0.1 that misbehaves on cue, between the engine and the central.

Each request whose path starts with `target` takes the next scripted fault; others pass. Faults:

- `pass`: forward and answer normally;
- `reset_before`: reset the connection without forwarding (the central never sees it);
- `reset_after`: forward (the central applies it), then reset instead of answering;
- `hold_after`: forward, then hold the answer until the client gives up (its read timeout);
- `500_before` / `500_after`: answer 500 without forwarding / after the central applied it;
- `429_before`: answer 429 with `Retry-After: <retry_after>` without forwarding;
- `hook_after_forward`: forward, then call `hook()` (the test kills the central there) before
  reading the answer.

Threads only; every socket wait has a timeout so the proxy always stops.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

FAULTS = (
    "pass",
    "reset_before",
    "reset_after",
    "hold_after",
    "500_before",
    "500_after",
    "429_before",
    "hook_after_forward",
)


@dataclass
class Seen:
    path: str
    fault: str


def _recv_until(sock: socket.socket, buffer: bytearray, marker: bytes) -> int:
    while True:
        index = buffer.find(marker)
        if index >= 0:
            return index
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buffer.extend(chunk)


def _read_message(sock: socket.socket, buffer: bytearray) -> tuple[bytes, bytes]:
    """One HTTP message (head, body) from `sock`, using Content-Length; leftovers stay in buffer."""
    end = _recv_until(sock, buffer, b"\r\n\r\n")
    head = bytes(buffer[: end + 4])
    del buffer[: end + 4]
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        if name.strip().lower() == b"transfer-encoding":
            raise ValueError("chunked bodies are not supported by this test proxy")
    while len(buffer) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed mid-body")
        buffer.extend(chunk)
    body = bytes(buffer[:length])
    del buffer[:length]
    return head, body


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0), as a crashed middlebox would."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


def _canned(status: int, reason: str, extra: str = "") -> bytes:
    body = b'{"error":{"code":"internal_error","message":"injected"}}'
    return (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


@dataclass
class FaultyProxy:
    upstream_port: int
    target: str = "/v1/commands/push"
    retry_after: float = 0.05
    faults: deque[str] = field(default_factory=deque)
    seen: list[Seen] = field(default_factory=list)
    hook: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, *faults: str) -> None:
        for fault in faults:
            assert fault in FAULTS, fault
        with self._lock:
            self.faults.extend(faults)

    def faults_left(self) -> int:
        with self._lock:
            return len(self.faults)

    def start(self) -> FaultyProxy:
        self._accepter.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._accepter.join(timeout=5)
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def __enter__(self) -> FaultyProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _next_fault(self, path: str) -> str:
        with self._lock:
            fault = (
                self.faults.popleft() if path.startswith(self.target) and self.faults else "pass"
            )
            self.seen.append(Seen(path, fault))
            return fault

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(0.5)
        upstream: socket.socket | None = None
        inbound, outbound = bytearray(), bytearray()
        try:
            while not self._stop.is_set():
                try:
                    head, body = _read_message(client, inbound)
                except TimeoutError:
                    continue
                path = head.split(b" ", 2)[1].decode("latin-1")
                fault = self._next_fault(path)
                if fault == "reset_before":
                    _reset(client)
                    return
                if fault == "500_before":
                    client.sendall(_canned(500, "Internal Server Error"))
                    continue
                if fault == "429_before":
                    client.sendall(
                        _canned(429, "Too Many Requests", f"retry-after: {self.retry_after}\r\n")
                    )
                    continue
                if upstream is None:
                    upstream = socket.create_connection(
                        ("127.0.0.1", self.upstream_port), timeout=30
                    )
                upstream.sendall(head + body)
                if fault == "hook_after_forward" and self.hook is not None:
                    self.hook()
                answer_head, answer_body = _read_message(upstream, outbound)
                if fault == "reset_after":
                    _reset(client)
                    return
                if fault == "hold_after":
                    # Keep the answer until the client gives up and closes its end.
                    while not self._stop.is_set():
                        try:
                            if not client.recv(65536):
                                return
                        except TimeoutError:
                            continue
                    return
                if fault == "500_after":
                    client.sendall(_canned(500, "Internal Server Error"))
                    continue
                client.sendall(answer_head + answer_body)
        except (ConnectionError, OSError, ValueError):
            return
        finally:
            with contextlib.suppress(OSError):
                client.close()
            if upstream is not None:
                with contextlib.suppress(OSError):
                    upstream.close()
