"""The PC/SC backend on pyscard's low-level `smartcard.scard` API.

Why the low-level API: it gives every wait an explicit timeout (`SCardGetStatusChange`) so the
application can always quit, and it lets the backend throw its context away and establish a new
one when pcscd restarts or a reader is unplugged. Every PC/SC failure becomes a `ReaderError`.

Use one `PcscBackend` per thread (PC/SC contexts are not meant to be shared between threads).
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from readers.apdu import (
    CardNotResponding,
    CardRemoved,
    CardReset,
    NoCard,
    NoPcscService,
    ReaderError,
    ReaderNotFound,
)
from readers.backend import ReaderState

PNP_NOTIFICATION = "\\\\?PnP?\\Notification"
#: Longest single blocking PC/SC wait; longer waits are made of several of these.
MAX_WAIT_SLICE = 1.0
#: After a failed exchange, how long to let the reader report the card's removal (readers
#: poll for presence, so a card pulled mid-command shows as absent a moment later).
REMOVAL_GRACE = 1.5
#: How often to look for a reader while none is connected and PC/SC cannot notify us.
NO_READER_POLL = 0.5
#: SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1: whichever the card offers.
_PROTOCOLS = 0x0001 | 0x0002


class ReaderBusy(ReaderError):
    code = "reader_busy"


_SCARD: Any = None


def _scard() -> Any:
    """pyscard's C module, imported only when PC/SC is really used."""
    global _SCARD
    if _SCARD is None:
        from smartcard import scard

        _SCARD = scard
    return _SCARD


_TRANSMIT: Any = None


def _transmit_function() -> Any:
    """pyscard's SCardTransmit without its one-line Python shim (the SWIG C function itself).

    `smartcard.scard.SCardTransmit` only forwards to `smartcard.scard._scard.SCardTransmit`;
    calling the C function saves a Python frame on every APDU. Falls back to the shim if a
    pyscard release moves it.
    """
    global _TRANSMIT
    if _TRANSMIT is None:
        s = _scard()
        _TRANSMIT = getattr(getattr(s, "_scard", None), "SCardTransmit", None) or s.SCardTransmit
    return _TRANSMIT


def _service_lost(code: int) -> bool:
    s = _scard()
    return code in (
        s.SCARD_E_NO_SERVICE,
        s.SCARD_E_SERVICE_STOPPED,
        s.SCARD_E_INVALID_HANDLE,
        s.SCARD_F_COMM_ERROR,
    )


def describe(code: int) -> str:
    """`SCARD_E_NO_SERVICE (0x8010001D)` for support; never personal data."""
    s = _scard()
    try:
        text = s.SCardGetErrorMessage(code)
    except Exception:  # pragma: no cover - pyscard always has it
        text = ""
    return f"0x{code & 0xFFFFFFFF:08X} {text}".strip()


def _send_on_closed(_apdu: list[int]) -> tuple[int, list[int]]:
    """What a closed connection's transmit gets instead of PC/SC: an invalid handle."""
    return 0x80100003, []  # SCARD_E_INVALID_HANDLE


class PcscConnection:
    """A connection to the card in one reader; a `Transport` for the card logic."""

    def __init__(
        self, backend: PcscBackend, reader: str, handle: int, protocol: int, atr: bytes
    ) -> None:
        self._backend = backend
        self.reader = reader
        self._handle = handle
        self._protocol = protocol
        self.atr = atr
        #: SCardTransmit bound to this handle, made once: it runs for every APDU of a read.
        self._send: Callable[[list[int]], tuple[int, list[int]]] = functools.partial(
            _transmit_function(), handle, protocol
        )
        self._in_transaction = False
        self._closed = False

    def begin_transaction(self) -> None:
        """Keep other programs off the card until `close()`, so a read is never interleaved."""
        s = _scard()
        result = s.SCardBeginTransaction(self._handle)
        if result != s.SCARD_S_SUCCESS:
            raise self._failure(result)
        self._in_transaction = True

    def transmit(self, apdu: bytes) -> bytes:
        result, response = self._send(list(apdu))
        if result or len(response) < 2:  # SCARD_S_SUCCESS is 0
            raise self._transmit_failed(result, len(response))
        return bytes(response)

    def _transmit_failed(self, result: int, answer_length: int) -> ReaderError:
        if self._closed:  # the handle is gone: say so, whatever PC/SC made of it
            return CardNotResponding("connection closed")
        if result:
            return self._failure(result)
        # Some drivers (vpcd among them) answer "success" with no bytes when the card vanished
        # mid-command: find out which it was rather than call it garbage.
        if self._backend.card_leaves(self.reader, REMOVAL_GRACE):
            return CardRemoved(f"{answer_length} byte answer, card gone")
        return CardNotResponding(f"{answer_length} byte answer")

    def _failure(self, code: int) -> ReaderError:
        """Tell a removed card from a mute one: after a failed exchange, ask whether it is still in."""
        s = _scard()
        if code in (s.SCARD_W_REMOVED_CARD, s.SCARD_E_NO_SMARTCARD):
            return CardRemoved(describe(code))
        if code == s.SCARD_W_RESET_CARD:
            return CardReset(describe(code))
        if _service_lost(code):
            self._backend._drop_context()
            return NoPcscService(describe(code))
        if code == s.SCARD_E_READER_UNAVAILABLE:
            return CardRemoved(describe(code))
        status, _reader, state, _protocol, _atr = s.SCardStatus(self._handle)
        if status in (s.SCARD_W_REMOVED_CARD, s.SCARD_E_NO_SMARTCARD) or (
            status == s.SCARD_S_SUCCESS and state & getattr(s, "SCARD_ABSENT", 0x0002)
        ):
            return CardRemoved(describe(code))
        if self._backend.card_leaves(self.reader, REMOVAL_GRACE):
            return CardRemoved(describe(code))
        return CardNotResponding(describe(code))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._send = _send_on_closed  # nothing goes out on a handle PC/SC may hand out again
        s = _scard()
        try:
            if self._in_transaction:
                s.SCardEndTransaction(self._handle, s.SCARD_LEAVE_CARD)
            s.SCardDisconnect(self._handle, s.SCARD_LEAVE_CARD)
        except Exception:  # pragma: no cover - the handle is gone with the card or the service
            pass


class PcscBackend:
    """Readers through pcscd (or WinSCard); re-establishes its context whenever it was lost."""

    def __init__(self) -> None:
        self._context: int | None = None
        self._lock = threading.RLock()
        self._idle = threading.Event()  # set by `cancel()` to cut a no-reader wait short

    # -- context ----------------------------------------------------------------------------
    def _ensure_context(self) -> int:
        s = _scard()
        with self._lock:
            if self._context is not None:
                if s.SCardIsValidContext(self._context) == s.SCARD_S_SUCCESS:
                    return self._context
                self._drop_context()
            result, context = s.SCardEstablishContext(s.SCARD_SCOPE_USER)
            if result != s.SCARD_S_SUCCESS:
                raise NoPcscService(describe(result))
            self._context = context
            return context

    def _drop_context(self) -> None:
        s = _scard()
        with self._lock:
            if self._context is not None:
                with contextlib.suppress(Exception):  # the service may already be gone
                    s.SCardReleaseContext(self._context)
                self._context = None

    def close(self) -> None:
        self._drop_context()

    def cancel(self) -> None:
        """Wake a `wait_for_change` blocked in another thread (e.g. when the app quits)."""
        s = _scard()
        self._idle.set()
        with self._lock:
            if self._context is not None:
                s.SCardCancel(self._context)

    # -- readers ----------------------------------------------------------------------------
    def list_readers(self) -> list[str]:
        s = _scard()
        context = self._ensure_context()
        result, names = s.SCardListReaders(context, [])
        if result == s.SCARD_E_NO_READERS_AVAILABLE:
            return []
        if result != s.SCARD_S_SUCCESS:
            if _service_lost(result):
                self._drop_context()
                # pcscd may have restarted: one fresh context, then give up with a clear error.
                context = self._ensure_context()
                result, names = s.SCardListReaders(context, [])
                if result == s.SCARD_E_NO_READERS_AVAILABLE:
                    return []
                if result == s.SCARD_S_SUCCESS:
                    return list(names)
            self._drop_context()
            raise NoPcscService(describe(result))
        return list(names)

    def reader_states(self) -> list[ReaderState]:
        s = _scard()
        for _attempt in range(3):  # a reader may go away between listing and asking
            names = self.list_readers()
            if not names:
                return []
            context = self._ensure_context()
            result, states = s.SCardGetStatusChange(
                context, 0, [(name, s.SCARD_STATE_UNAWARE) for name in names]
            )
            if result == s.SCARD_S_SUCCESS:
                return [self._state(name, flags, atr) for name, flags, atr in states]
            if result in (s.SCARD_E_UNKNOWN_READER, s.SCARD_E_READER_UNAVAILABLE):
                continue
            if _service_lost(result):
                self._drop_context()
            raise NoPcscService(describe(result))
        return []

    @staticmethod
    def _state(name: str, flags: int, atr: Sequence[int]) -> ReaderState:
        s = _scard()
        present = bool(flags & s.SCARD_STATE_PRESENT) and not flags & s.SCARD_STATE_MUTE
        return ReaderState(name, present, bytes(atr) if present else b"")

    def card_present(self, reader: str) -> bool:
        try:
            return any(st.name == reader and st.card_present for st in self.reader_states())
        except ReaderError:
            return False

    def card_leaves(self, reader: str, timeout: float) -> bool:
        """Whether the card in `reader` is gone, or goes within `timeout` (a PC/SC wait)."""
        s = _scard()
        try:
            context = self._ensure_context()
        except ReaderError:
            return False
        result, states = s.SCardGetStatusChange(context, 0, [(reader, s.SCARD_STATE_UNAWARE)])
        if result != s.SCARD_S_SUCCESS:
            return result in (s.SCARD_E_UNKNOWN_READER, s.SCARD_E_READER_UNAVAILABLE)
        flags = states[0][1]
        if not flags & s.SCARD_STATE_PRESENT:
            return True
        result, states = s.SCardGetStatusChange(
            context, int(timeout * 1000), [(reader, flags & ~s.SCARD_STATE_CHANGED)]
        )
        if result != s.SCARD_S_SUCCESS:
            return result in (s.SCARD_E_UNKNOWN_READER, s.SCARD_E_READER_UNAVAILABLE)
        return not states[0][1] & s.SCARD_STATE_PRESENT

    def wait_for_change(self, known: Sequence[ReaderState], timeout: float) -> list[ReaderState]:
        """Block until a card or reader differs from `known` or `timeout` passes; never forever."""
        s = _scard()
        deadline = time.monotonic() + max(0.0, timeout)
        known = list(known)
        while True:
            current = self.reader_states()
            if current != known:
                return current
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return current
            watch = [
                (st.name, s.SCARD_STATE_PRESENT if st.card_present else s.SCARD_STATE_EMPTY)
                for st in current
            ]
            watch.append((PNP_NOTIFICATION, len(current) << 16))
            context = self._ensure_context()
            slice_ms = int(min(remaining, MAX_WAIT_SLICE) * 1000)
            result, _states = s.SCardGetStatusChange(context, max(slice_ms, 1), watch)
            if result in (s.SCARD_S_SUCCESS, s.SCARD_E_TIMEOUT, s.SCARD_E_UNKNOWN_READER):
                continue
            if result == s.SCARD_E_NO_READERS_AVAILABLE:
                # No reader to wait on and no plug-and-play notification: look again shortly,
                # without spinning.
                self._idle.wait(min(remaining, NO_READER_POLL))
                continue
            if result == s.SCARD_E_CANCELLED:
                return self.reader_states()
            if _service_lost(result):
                self._drop_context()
                raise NoPcscService(describe(result))
            raise NoPcscService(describe(result))

    def connect(self, reader: str, *, exclusive_read: bool = True) -> PcscConnection:
        """Connect (T=0 or T=1, whichever the card offers), by default keeping others off the card.

        A read must never interleave with another program's commands (a SELECT in between
        would change the current file). Exclusive access does that at no extra cost; when
        another program holds the card shared, a shared connection with a transaction does.
        The context is used as it is (no validity check per read): a lost service shows as the
        connect's error, and then one fresh context gets one more try.
        """
        s = _scard()
        context = self._context if self._context is not None else self._ensure_context()
        share = s.SCARD_SHARE_EXCLUSIVE if exclusive_read else s.SCARD_SHARE_SHARED
        result, handle, protocol = s.SCardConnect(context, reader, share, _PROTOCOLS)
        if result and _service_lost(result):  # pcscd restarted since the context was made
            self._drop_context()
            context = self._ensure_context()
            result, handle, protocol = s.SCardConnect(context, reader, share, _PROTOCOLS)
        needs_transaction = False
        if result == s.SCARD_E_SHARING_VIOLATION and exclusive_read:
            result, handle, protocol = s.SCardConnect(
                context, reader, s.SCARD_SHARE_SHARED, _PROTOCOLS
            )
            needs_transaction = True
        if result:
            raise self._connect_failed(result, reader)
        connection = PcscConnection(self, reader, handle, protocol, b"")
        try:
            connection.atr = self._atr_of_connected_card(context, reader)
            if needs_transaction:
                connection.begin_transaction()
        except ReaderError:
            connection.close()
            raise
        return connection

    def _connect_failed(self, result: int, reader: str) -> ReaderError:
        s = _scard()
        if result in (s.SCARD_E_NO_SMARTCARD, s.SCARD_W_REMOVED_CARD):
            return NoCard(describe(result))
        if result in (s.SCARD_E_UNKNOWN_READER, s.SCARD_E_READER_UNAVAILABLE):
            return ReaderNotFound(describe(result), name=reader)
        if result in (
            s.SCARD_W_UNRESPONSIVE_CARD,
            s.SCARD_W_UNPOWERED_CARD,
            s.SCARD_E_PROTO_MISMATCH,
        ):
            return CardNotResponding(describe(result))
        if result == s.SCARD_E_SHARING_VIOLATION:
            return ReaderBusy(describe(result))
        if _service_lost(result):
            self._drop_context()
        return NoPcscService(describe(result))

    def _atr_of_connected_card(self, context: int, reader: str) -> bytes:
        """The ATR of the card just connected, from the reader's state as pcscd holds it now.

        One IPC (`SCardGetStatusChange` without waiting; `SCardStatus` makes two). Asked after
        the connect, so it is the connected card's: a card swapped in between would have
        invalidated the new handle, and the read's first command then fails with
        `CardRemoved`. A reader that shows no card now means the card has just gone.
        """
        s = _scard()
        result, states = s.SCardGetStatusChange(context, 0, [(reader, s.SCARD_STATE_UNAWARE)])
        if result:
            if _service_lost(result):
                self._drop_context()
                raise NoPcscService(describe(result))
            raise CardRemoved(describe(result))
        _name, flags, atr = states[0]
        if not flags & s.SCARD_STATE_PRESENT or not atr:
            raise CardRemoved("the reader shows no card")
        return bytes(atr)
