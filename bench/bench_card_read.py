"""A full card read (EF05 + EF06) through pcscd: the readers package against raw pyscard transmit.

Both sides talk to the same simulated card behind the real pcscd (vpcd driver) in the same run:
- package: `readers.backend.read_card` on `PcscBackend`, as the reader service calls it: an
  exclusive `SCardConnect`, one `SCardGetStatusChange` for the connected card's ATR, the SELECTs
  and READ RECORDs by tag with 61xx/6Cxx handling, `SCardDisconnect`, then decoding and the
  immutable reading;
- baseline: `SCardConnect`, the very same APDU bytes (recorded from a package read) sent with
  `SCardTransmit`, `SCardDisconnect`, no decoding.
Reads alternate between the two so drift in machine load hits both alike.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TITLE = "Card read through pcscd (readers package vs raw pyscard transmit)"
READS = 1000
WARMUP = 20


class _Recorder:
    """Wraps a connection to note every APDU the package sends."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.reader = inner.reader  # type: ignore[attr-defined]
        self.atr = inner.atr  # type: ignore[attr-defined]
        self.sent: list[bytes] = []

    def transmit(self, apdu: bytes) -> bytes:
        self.sent.append(apdu)
        return self.inner.transmit(apdu)  # type: ignore[attr-defined]

    def close(self) -> None:
        self.inner.close()  # type: ignore[attr-defined]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _measure(label: str, reader: str) -> dict[str, object]:
    from smartcard import scard

    from readers.backend import read_card
    from readers.pcsc import PcscBackend

    # The card runs in a process of its own, as a real card would: in the reader's process
    # it would compete with the reader for the interpreter lock and blur the comparison.
    card = subprocess.Popen(
        [sys.executable, "-m", "readers.vpcd", "--card", label, "--slot", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert card.stdout is not None
    if not card.stdout.readline().startswith("inserted"):
        raise RuntimeError("the simulated card did not start")
    backend = PcscBackend()
    try:
        deadline = time.monotonic() + 15
        states = backend.reader_states()
        while not any(s.name == reader and s.card_present for s in states):
            if time.monotonic() > deadline:
                raise RuntimeError("pcscd did not see the simulated card")
            states = backend.wait_for_change(states, 1.0)

        # Record the package's APDU sequence once.
        recorded: list[_Recorder] = []
        real_connect = backend.connect

        def recording_connect(name: str, **kw: object) -> _Recorder:
            wrapper = _Recorder(real_connect(name, **kw))  # type: ignore[arg-type]
            recorded.append(wrapper)
            return wrapper

        backend.connect = recording_connect  # type: ignore[method-assign]
        reference = read_card(backend, reader=reader)
        backend.connect = real_connect  # type: ignore[method-assign]
        sequence = recorded[0].sent

        result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        assert result == scard.SCARD_S_SUCCESS

        def raw_read() -> None:
            rc, handle, protocol = scard.SCardConnect(
                context,
                reader,
                scard.SCARD_SHARE_SHARED,
                scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
            )
            assert rc == scard.SCARD_S_SUCCESS
            for apdu in sequence:
                rc, _response = scard.SCardTransmit(handle, protocol, list(apdu))
                assert rc == scard.SCARD_S_SUCCESS
            scard.SCardDisconnect(handle, scard.SCARD_LEAVE_CARD)

        def package_read() -> None:
            reading = read_card(backend, reader=reader)
            assert reading.card_number == reference.card_number

        package: list[float] = []
        raw: list[float] = []
        # The reading thread's own CPU time, beside the wall time: what the side itself spends
        # (Python and its system calls), without the waits on pcscd and the card.
        package_cpu: list[float] = []
        raw_cpu: list[float] = []
        for i in range(WARMUP + READS):
            for fn, sink, cpu_sink in (
                ((package_read, package, package_cpu), (raw_read, raw, raw_cpu))
                if i % 2
                else (
                    (raw_read, raw, raw_cpu),
                    (package_read, package, package_cpu),
                )
            ):
                start = time.perf_counter()
                cpu_start = time.thread_time()
                fn()
                cpu = time.thread_time() - cpu_start
                elapsed = time.perf_counter() - start
                if i >= WARMUP:
                    sink.append(elapsed * 1000)
                    cpu_sink.append(cpu * 1000)
        scard.SCardReleaseContext(context)
        paired = [p / r for p, r in zip(package, raw, strict=True)]
        return {
            "label": label,
            "paired_ratio": statistics.median(paired),
            "apdus": len(sequence),
            "package_median": statistics.median(package),
            "package_p90": _percentile(package, 0.9),
            "raw_median": statistics.median(raw),
            "raw_p90": _percentile(raw, 0.9),
            "package_cpu": statistics.median(package_cpu),
            "raw_cpu": statistics.median(raw_cpu),
        }
    finally:
        assert card.stdin is not None
        card.stdin.close()
        card.wait(10)
        # The next card goes into the same slot: wait until pcscd has seen this one leave, or
        # the next connect would reach the slot while pcscd still holds this card's state.
        try:
            deadline = time.monotonic() + 15
            states = backend.reader_states()
            while any(s.name == reader and s.card_present for s in states):
                if time.monotonic() > deadline:
                    raise RuntimeError("pcscd did not see the simulated card leave")
                states = backend.wait_for_change(states, 1.0)
        finally:
            backend.close()


def run() -> str:
    from filelock import FileLock

    from readers.vpcd import VPCD_PORTS, PcscdDaemon, reader_name_for_port

    reader = reader_name_for_port(VPCD_PORTS[0])
    lock = FileLock(str(Path(tempfile.gettempdir()) / "branch-app-vpcd.lock"))
    with lock.acquire(timeout=300):
        daemon = PcscdDaemon(log_path=Path(tempfile.gettempdir()) / "branch-app-pcscd-bench.log")
        daemon.ensure_running()
        try:
            rows = [_measure(label, reader) for label in ("rare_name", "gen2_t0")]
        finally:
            daemon.stop()
    lines = [
        f"{READS} full reads per side (after {WARMUP} warm-up reads), alternating, one simulated card "
        "behind pcscd + vpcd on loopback. Times in milliseconds per read.",
        "",
        "| card | APDUs per read | package median | package p90 | raw transmit median | raw p90 "
        "| ratio of medians | median of paired ratios |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    worst = 0.0
    for row in rows:
        ratio = float(row["package_median"]) / float(row["raw_median"])  # type: ignore[arg-type]
        worst = max(worst, ratio, float(row["paired_ratio"]))  # type: ignore[arg-type]
        lines.append(
            f"| {row['label']} | {row['apdus']} | {row['package_median']:.2f} | {row['package_p90']:.2f} "
            f"| {row['raw_median']:.2f} | {row['raw_p90']:.2f} | {ratio:.2f}x | {row['paired_ratio']:.2f}x |"
        )
    verdict = "meets" if worst <= 1.2 else "misses"
    lines += [
        "",
        f"Goal: within 1.2x of raw transmit. Worst ratio {worst:.2f}x: the package {verdict} it.",
        "",
        "CPU time of the reading thread per read (median, milliseconds; Python and system "
        "calls, not the waits on pcscd and the card):",
        "",
        "| card | package | raw transmit | difference |",
        "|---|---:|---:|---:|",
    ]
    for row in rows:
        difference = float(row["package_cpu"]) - float(row["raw_cpu"])  # type: ignore[arg-type]
        lines.append(
            f"| {row['label']} | {row['package_cpu']:.2f} | {row['raw_cpu']:.2f} | {difference:.2f} |"
        )
    lines += [
        "",
        "What the package does beyond the raw sequence, per read: one more PC/SC call "
        "(`SCardGetStatusChange` without waiting, right after the exclusive connect: the ATR of "
        "the card the handle is bound to, one IPC where `SCardStatus` made two), and its Python: "
        "the status word looked at between two APDUs, 61xx/6Cxx handling, then decoding both "
        "files in one pass after the card's last answer and building the immutable reading. "
        "Exclusive access costs no call: it is the connect's share mode. "
        "The APDUs on the wire are the same. Where the difference goes (the CPU table; split "
        "measured separately, thread CPU time): about 20 us the ATR call, about 90 us the "
        "connection layer (pyscard takes and gives lists, so a list and a bytes per APDU; "
        "connect and close), the rest the card logic and decoding. That logic takes 40-60 us on "
        "a warm core; here it runs right after each wake-up from the PC/SC socket, with caches "
        "and branch predictors cold from pcscd and the card's process, and costs several times "
        "as much.",
        "The simulated card answers in about 0.1 ms, so this is the worst case: a real card "
        "takes 5-50 ms per APDU and the overhead vanishes in it. On a shared, busy machine the "
        "ratios move between runs, by more than 0.1 when other CPU-heavy work shares the cores "
        "(the package's extra CPU is what gets preempted); the paired ratio (each package read "
        "against the raw read next to it) is the steadier one.",
        "(`rare_name` is a 2.01 card answering T=1 style; `gen2_t0` answers T=0 style, so its "
        "sequence includes the GET RESPONSE exchange.)",
    ]
    return "\n".join(lines)
