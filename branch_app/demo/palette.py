"""The demo's own command-palette entries: stop and restart the central, and play the other
channels (an online loss report, the card agency's "card issued", a police death record) on the
holder being served (else the card in the simulated reader), so a new user sees offline work, the
sync and a conflict without a second terminal. Only `branch-app demo` offers them.

Each entry runs in a thread (a restart waits for the central to answer) and says what it did in a
notification; the sync monitor is asked to look again, so the status bar and the day's list follow.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from branch_app.i18n import t

if TYPE_CHECKING:
    from branch_app.demo.parts import DemoParts
    from branch_app.ui.app import BranchApp

PaletteEntry = tuple[str, str, Callable[[], object]]


def demo_palette(parts: DemoParts) -> Callable[[BranchApp], Iterator[PaletteEntry]]:
    """The entries for `AppServices.palette_extras`."""

    def entries(app: BranchApp) -> Iterator[PaletteEntry]:
        def run(job: Callable[[], str]) -> Callable[[], None]:
            def start() -> None:
                threading.Thread(target=_notify_after, args=(app, job), daemon=True).start()

            return start

        title = _title
        if parts.central.is_running():
            yield title("demo.palette.stop"), t("demo.palette.stop_help"), run(lambda: _stop(parts))
        else:
            yield (
                title("demo.palette.restart"),
                t("demo.palette.restart_help"),
                run(lambda: _restart(parts)),
            )
        for channel in ("loss_report", "card_issued", "death_record"):
            yield (
                title(f"demo.palette.{channel}"),
                t("demo.palette.channel_help"),
                run(functools.partial(_channel, parts, app, channel)),
            )

    return entries


def _title(key: str) -> str:
    return t("shell.palette.title", prefix=t("demo.palette.prefix"), name=t(key))


def _notify_after(app: BranchApp, job: Callable[[], str]) -> None:
    from branch_app.ui.status import OutboxChanged

    try:
        text, severity = job(), "information"
    except Exception as error:  # the demo's central refused or is down: say so
        text, severity = t("demo.palette.failed", detail=type(error).__name__), "error"
    app.call_from_thread(app.notify, text, severity=severity, timeout=10)
    app.post_message(OutboxChanged())  # the monitor looks again: status bar, sync, day's list


def _stop(parts: DemoParts) -> str:
    parts.central.stop()
    return t("demo.palette.stopped")


def _restart(parts: DemoParts) -> str:
    parts.central.start()
    return t("demo.palette.restarted")


def _holder(parts: DemoParts, app: BranchApp) -> str:
    """The holder being served, else the first simulated card's holder."""
    current = app.customer_keeper.current
    if current is not None:
        return current.holder.number
    from branch_app.demo.parts import simulated_holder_records

    return simulated_holder_records(parts.config.branch.bank)[0].holder_id


def _channel(parts: DemoParts, app: BranchApp, channel: str) -> str:
    from sync.protocol import (
        ChannelCardIssued,
        ChannelDeathRecord,
        ChannelLossReport,
        ChannelLossReportSource,
    )

    holder = _holder(parts, app)
    with parts.sync.client() as client:
        if channel == "loss_report":
            answer = client.channel_loss_report(
                ChannelLossReport(holder_id=holder, channel=ChannelLossReportSource.ONLINE)
            )
        elif channel == "card_issued":
            number = "D" + "".join(secrets.choice("0123456789") for _ in range(8))
            answer = client.channel_card_issued(
                ChannelCardIssued(
                    holder_id=holder, card_number=number, issued_on=dt.date.today().isoformat()
                )
            )
        else:
            answer = client.channel_death_record(ChannelDeathRecord(holder_id=holder))
    return t(
        "demo.palette.played",
        channel=t(f"demo.palette.{channel}"),
        outcome=str(answer.outcome.value),
    )
