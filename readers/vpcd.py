"""Simulated cards behind the real pcscd: a client of the vsmartcard vpcd driver, and pcscd itself.

vpcd (a pcscd reader driver) listens on TCP, one port per slot (35963, 35964, ...). A card
connects to it: connecting is inserting, disconnecting is removing. Messages both ways are a
2-byte big-endian length and a body; from vpcd a 1-byte body is a control (00 power off,
01 power on, 02 reset, 04 get ATR), anything longer an APDU; the card answers only get ATR and
APDUs. For tests, demos and benchmarks only: never ship vpcd on a teller's machine, because it
listens on all interfaces.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from readers.simulated import CardPulled, SimulatedChip

VPCD_PORTS = (35963, 35964)
VPCD_POWER_OFF, VPCD_POWER_ON, VPCD_RESET, VPCD_GET_ATR = 0, 1, 2, 4
_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


class VpcdCard:
    """Holds a simulated chip in one vpcd slot from `insert()` until `remove()`.

    With `stay_inserted`, a lost connection (pcscd restarting) is re-made until `remove()`, like
    a card that stays in the reader while the service restarts.
    """

    def __init__(
        self,
        chip: SimulatedChip,
        *,
        port: int = VPCD_PORTS[0],
        host: str = "127.0.0.1",
        stay_inserted: bool = False,
    ) -> None:
        self.chip = chip
        self.port = port
        self.host = host
        self.stay_inserted = stay_inserted
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.connections = 0

    def insert(self, timeout: float = 10.0) -> None:
        """Connect to vpcd (retrying while pcscd starts); raises TimeoutError after `timeout`."""
        if self._thread is not None:
            raise RuntimeError("card already inserted")
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"vpcd-card-{self.port}", daemon=True
        )
        self._thread.start()
        if not self.connected.wait(timeout):
            self.remove()
            raise TimeoutError(f"vpcd on port {self.port} did not accept the card in {timeout}s")

    def remove(self) -> None:
        """Take the card out: close the connection and stop the thread."""
        self._stop.set()
        self._close_socket()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)
        self._thread = None
        self.connected.clear()

    def _close_socket(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
            except OSError:
                self._stop.wait(0.05)  # vpcd not listening yet (pcscd starting)
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if _QUICKACK is not None:
                sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
            sock.settimeout(0.25)
            self._sock = sock
            self.connections += 1
            self.connected.set()
            pulled = self._serve(sock)
            self.connected.clear()
            self._close_socket()
            if pulled or not self.stay_inserted:
                self._stop.set()

    def _recv_exact(self, sock: socket.socket, size: int) -> bytes | None:
        data = b""
        while len(data) < size:
            if self._stop.is_set():
                return None
            try:
                chunk = sock.recv(size - len(data))
                # vpcd writes a length and then the APDU in two writes: acknowledge at once so
                # Nagle on its side does not wait out our delayed ACK (40 ms per APDU).
                if _QUICKACK is not None:
                    sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
            except TimeoutError:
                continue
            except OSError:
                return None
            if not chunk:
                return None
            data += chunk
        return data

    def _serve(self, sock: socket.socket) -> bool:
        """Answer vpcd until the connection ends; True when the card was pulled out."""
        while True:
            header = self._recv_exact(sock, 2)
            if header is None:
                return False
            body = self._recv_exact(sock, int.from_bytes(header, "big"))
            if body is None:
                return False
            if len(body) == 1:
                if body[0] in (VPCD_POWER_ON, VPCD_RESET, VPCD_POWER_OFF):
                    with self.chip.lock:
                        self.chip.power_on()
                    continue
                if body[0] != VPCD_GET_ATR:
                    continue
                answer = self.chip.atr
            else:
                try:
                    answer = self.chip.process(body)
                except CardPulled:
                    return True
            try:
                sock.sendall(len(answer).to_bytes(2, "big") + answer)
            except OSError:
                return False


# ---------------------------------------------------------------------------------------------
# pcscd for tests and benchmarks
# ---------------------------------------------------------------------------------------------


def pcscd_socket() -> Path:
    """Where PC/SC clients reach pcscd (pcsc-lite honours PCSCLITE_CSOCK_NAME)."""
    return Path(os.environ.get("PCSCLITE_CSOCK_NAME", "/run/pcscd/pcscd.comm"))


def pcscd_running() -> bool:
    """Whether a pcscd answers on its socket (a leftover socket file does not count)."""
    path = pcscd_socket()
    if not path.exists():
        return False
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(str(path))
    except OSError:
        return False
    finally:
        probe.close()
    return True


class PcscdUnavailable(RuntimeError):
    """pcscd is neither running nor startable here; the message says why."""


class PcscdDaemon:
    """Starts pcscd in the foreground if none is running, and stops only what it started."""

    def __init__(self, log_path: Path | None = None) -> None:
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def started_here(self) -> bool:
        return self.process is not None

    def ensure_running(self, timeout: float = 15.0) -> None:
        if pcscd_running():
            self.wait_ready(timeout)
            return
        executable = shutil.which("pcscd") or (
            "/usr/sbin/pcscd" if Path("/usr/sbin/pcscd").exists() else None
        )
        if executable is None:
            raise PcscdUnavailable(
                "pcscd is not installed (Debian: apt-get install pcscd vsmartcard-vpcd)"
            )
        if not Path("/etc/reader.conf.d/vpcd").exists():
            raise PcscdUnavailable(
                "the vpcd driver is not configured (apt-get install vsmartcard-vpcd)"
            )
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.process = subprocess.Popen(
                [executable, "--foreground"], stdout=log, stderr=subprocess.STDOUT
            )
        except OSError as exc:
            raise PcscdUnavailable(f"pcscd could not be started: {exc}") from exc
        finally:
            if self.log_path:
                log.close()  # type: ignore[union-attr]
        try:
            self.wait_ready(timeout)
        except PcscdUnavailable:
            self.stop()
            raise

    def wait_ready(self, timeout: float) -> None:
        """Until pcscd answers and lists the vpcd readers, or `timeout` passes."""
        from readers.apdu import ReaderError
        from readers.pcsc import PcscBackend

        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                if not pcscd_running():
                    raise PcscdUnavailable(f"pcscd exited with status {self.process.returncode}")
                self.process = None  # another pcscd won the start: use it, never stop it
            backend = PcscBackend()
            try:
                if any("Virtual PCD" in name for name in backend.list_readers()):
                    return
                last = "no vpcd reader listed"
            except ReaderError as exc:
                last = exc.detail or exc.code
            finally:
                backend.close()
            threading.Event().wait(0.05)
        raise PcscdUnavailable(f"pcscd did not become ready in {timeout}s ({last})")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the pcscd started here (never one found running)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

    def restart(self, timeout: float = 15.0) -> None:
        if self.process is None:
            raise PcscdUnavailable("this pcscd was not started here; it is not restarted")
        self.stop()
        self.ensure_running(timeout)


def reader_name_for_port(port: int) -> str:
    """The PC/SC name of a vpcd slot as pcsc-lite lists it (slot n: `Virtual PCD 00 0n`)."""
    return f"Virtual PCD 00 {VPCD_PORTS.index(port):02d}"


def main(argv: list[str] | None = None) -> int:
    """`python -m readers.vpcd --card gen1`: hold a test card (or `--psam`) in a vpcd slot.

    For demos, manual checks and benchmarks (the card then runs in its own process, as a real
    card would, instead of sharing the reader's interpreter). Stops on Ctrl+C, SIGTERM or when
    stdin closes.
    """
    import argparse
    import sys

    from readers.simulated import SimulatedCard, SimulatedPsam, card_models

    parser = argparse.ArgumentParser(prog="python -m readers.vpcd", description=main.__doc__)
    parser.add_argument("--card", choices=sorted(card_models()), default="gen2_t0")
    parser.add_argument("--psam", action="store_true", help="hold the simulated PSAM instead")
    parser.add_argument("--slot", type=int, choices=range(len(VPCD_PORTS)), default=0)
    args = parser.parse_args(argv)
    chip = SimulatedPsam() if args.psam else SimulatedCard(card_models()[args.card])
    card = VpcdCard(chip, port=VPCD_PORTS[args.slot], stay_inserted=True)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        card.insert(timeout=30)
        print(f"inserted {'PSAM' if args.psam else args.card} in slot {args.slot}", flush=True)
        with contextlib.suppress(KeyboardInterrupt, ValueError, OSError):
            sys.stdin.read()
    finally:
        card.remove()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
