"""The branch's devices (issue 13): every enrolled device of the branch with the state its last
sync reported (last sync, queue, oldest unsent request, refused requests waiting, version, audit
journal head), the home-visit laptops' visit progress, and the stuck ones first, marked, with
why in words. The list is the central's (`GET /v1/devices`, a supervisor's online session), read
in a worker; F4 reads it again. Without the central there is no list, and one sentence says why:
only the central knows the other devices. Counts and times only: nothing here names a person.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from branch_app.domain.vocabulary import Role, StuckReason
from branch_app.i18n import t
from branch_app.ui.counter_text import table
from branch_app.ui.screens.supervisor_base import SupervisorScreen, local_time, row_under_cursor
from branch_app.ui.status import format_age
from branch_app.ui.widgets.paged_table import Formatted, PagedTable

if TYPE_CHECKING:
    from branch_app.services.supervisor import DeviceList
    from sync.protocol import DeviceStateView

#: How a stuck device's name and reasons look: the eye goes there first.
STUCK_STYLE = "bold red"
REVOKED_STYLE = "dim"


def last_heard(view: DeviceStateView) -> dt.datetime | None:
    """When the device last synced as far as the central can tell: the earlier of its own last
    sync and the central's receipt of its report (the central decides `no_sync` on the same)."""
    from branch_app.services.supervisor import parse_iso

    moments = [parse_iso(view.last_sync), parse_iso(view.reported_at)]
    known = [moment for moment in moments if moment is not None]
    return min(known) if known else None


def ago(moment: dt.datetime | None, now: dt.datetime) -> str:
    """`12 min ago`, `3 h ago`, `never`."""
    if moment is None:
        return t("devices.never")
    return format_age(max(now - moment, dt.timedelta(0)))


def age_short(seconds: int | None) -> str:
    """`45 min`, `3 h`, `2 d`: an age in a narrow column."""
    if seconds is None:
        return "—"
    minutes = seconds // 60
    if minutes < 120:
        return t("devices.age.minutes", n=minutes)
    if minutes < 48 * 60:
        return t("devices.age.hours", n=minutes // 60)
    return t("devices.age.days", n=minutes // (24 * 60))


def visits_text(view: DeviceStateView, key: str = "devices.visits") -> str:
    """`2 of 3 visits` for a home-visit laptop with today's visit list; empty otherwise."""
    if view.visits_planned is None:
        return ""
    return t(key, done=view.visits_done or 0, planned=view.visits_planned)


def reasons_short(view: DeviceStateView) -> str:
    """The stuck reasons in a word or two each; `revoked` for a revoked device."""
    if view.revoked:
        return t("devices.revoked")
    return ", ".join(t(f"devices.stuck.{code}") for code in view.stuck)


def reason_sentences(view: DeviceStateView, now: dt.datetime) -> list[str]:
    """Why the device needs a look, one sentence per reason (or that it is well)."""
    if view.revoked:
        return [t("devices.why.revoked")]
    sentences = []
    for code in view.stuck:
        if code == StuckReason.NO_SYNC:
            sentences.append(t("devices.why.no_sync", age=ago(last_heard(view), now)))
        elif code == StuckReason.REFUSED_WAITING:
            sentences.append(t("devices.why.refused_waiting", count=view.refused_open or 0))
        elif code == StuckReason.AUDIT_REGRESSED:
            at = local_time(view.audit_regressed_at, now)
            sentences.append(t("devices.why.audit_regressed", at=at))
        else:
            sentences.append(t(f"devices.why.{code}"))
    return sentences or [t("devices.why.well")]


def _number(value: int | None) -> str:
    return "—" if value is None else str(value)


class DevicesScreen(SupervisorScreen):
    TITLE_KEY = "devices.title"

    BINDINGS: ClassVar[list[BindingType]] = []

    DEFAULT_CSS = """
    DevicesScreen #devices-main { height: 1fr; }
    DevicesScreen #devices-side { height: 12; }
    """

    class DevicesLoaded(Message):
        """The central answered, or why it could not (posted from the worker thread)."""

        def __init__(self, found: DeviceList, generation: int) -> None:
            super().__init__()
            self.found = found
            self.generation = generation

    def __init__(self) -> None:
        super().__init__()
        #: The last answer (None until the first read is back; tests wait on it).
        self.found: DeviceList | None = None
        self._rows: dict[str, DeviceStateView] = {}

    def compose_body(self) -> ComposeResult:
        with Vertical(classes="supervisor-body"):
            yield Static(id="devices-source", classes="supervisor-message")
            with Vertical(classes="supervisor-main panel", id="devices-main"):
                yield PagedTable(id="devices-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(classes="panel", id="devices-side"):
                yield Static(id="devices-detail")

    def on_mount(self) -> None:
        self.query_one("#devices-table", PagedTable).focus()

    def relabel(self) -> None:
        self.query_one("#devices-main").border_title = t("devices.list")
        self.query_one("#devices-side").border_title = t("devices.detail")
        self._show_list()

    def gate_problem(self) -> str | None:
        """Only a supervisor; the list is the central's, so no local store is needed."""
        staff = self.branch_app.status.staff
        if staff is None or staff.role is not Role.SUPERVISOR:
            return "supervisor.gate.not_supervisor"
        return None

    # -- reading ---------------------------------------------------------------------------------
    def action_reload(self) -> None:
        problem = self.gate_problem()
        if problem is not None:
            from branch_app.services.supervisor import DeviceList

            self.found = DeviceList(problem=problem)
            self._show_list()
            return
        self.show_message("devices-source", t("devices.loading"), ok=None)
        self._load(self.next_generation())

    @work(thread=True, exclusive=True, exit_on_error=False, group="supervisor-devices")
    def _load(self, generation: int) -> None:
        from branch_app.services.supervisor import DeviceList, read_devices

        try:
            found = read_devices(self.branch_app.services.sync)
        except Exception as error:  # never a traceback on the screen, never a stuck worker
            found = DeviceList(problem="supervisor.failed", error=type(error).__name__)
        self.post_message(self.DevicesLoaded(found, generation))

    @on(DevicesLoaded)
    def _loaded(self, message: DevicesLoaded) -> None:
        if message.generation != self.generation:
            return  # a later read is on its way
        self.found = message.found
        self._show_list()

    # -- showing ---------------------------------------------------------------------------------
    def _show_list(self) -> None:
        grid = self.query_one("#devices-table", PagedTable)
        found = self.found
        if found is None:
            return
        if found.problem is not None:
            self._rows = {}
            grid.clear(columns=True)
            self.show_message("devices-source", problem_text(found), ok=False)
            self._show_detail()
            return
        stuck = sum(1 for view in found.devices if view.stuck)
        self.show_message(
            "devices-source",
            t("devices.summary", count=len(found.devices), stuck=stuck)
            if found.devices
            else t("devices.none"),
            ok=stuck == 0,
        )
        keep = row_under_cursor(grid)
        self._rows = {view.device_id: view for view in found.devices}
        now = self.branch_app.now()

        def cells(view: DeviceStateView) -> tuple[str | Text, ...]:
            style = STUCK_STYLE if view.stuck else REVOKED_STYLE if view.revoked else ""
            name = ("! " if view.stuck else "  ") + view.name
            return (
                Text(name, style=style),
                t(f"devices.place.{view.place.value}"),
                ago(last_heard(view), now) if view.reported_at else t("devices.never"),
                _number(view.queue_depth),
                age_short(view.oldest_unsent_age_seconds),
                _number(view.refused_open),
                view.app_version or "—",
                _number(view.audit_n),
                visits_text(view, "devices.visits_short"),
                Text(reasons_short(view), style=style),
            )

        keys = list(self._rows)
        grid.show(
            tuple(
                t(f"devices.col.{column}")
                for column in (
                    "name",
                    "place",
                    "last_sync",
                    "queue",
                    "oldest",
                    "refused",
                    "version",
                    "audit",
                    "visits",
                    "why",
                )
            ),
            Formatted(found.devices, cells),
            keys,
            cursor=keys.index(keep) if keep in self._rows else None,
        )
        self._show_detail()

    def selected(self) -> DeviceStateView | None:
        chosen = row_under_cursor(self.query_one("#devices-table", DataTable))
        return self._rows.get(chosen) if chosen is not None else None

    @on(DataTable.RowHighlighted, "#devices-table")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        detail = self.query_one("#devices-detail", Static)
        view = self.selected()
        if view is None:
            detail.update("")
            return
        now = self.branch_app.now()
        text = Text()
        style = STUCK_STYLE if view.stuck else ""
        for sentence in reason_sentences(view, now):
            text.append(sentence + "\n", style=style)
        lines = [
            (t("devices.col.name"), f"{view.name} ({view.device_id})"),
            (t("devices.field.reported"), local_time(view.reported_at, now)),
            (t("devices.col.last_sync"), local_time(view.last_sync, now)),
        ]
        if view.oldest_unsent_age_seconds is not None:
            lines.append((t("devices.field.oldest"), age_short(view.oldest_unsent_age_seconds)))
        if view.audit_n is not None:
            lines.append((t("devices.col.audit"), t("devices.field.audit_value", n=view.audit_n)))
        if view.visits_planned is not None:
            lines.append((t("devices.field.visits"), visits_text(view)))
        if view.batch_open:
            lines.append(
                (t("devices.field.batch"), t("devices.field.batch_value", count=view.batch_open))
            )
        text.append_text(table(lines))
        detail.update(text)


def problem_text(found: DeviceList) -> str:
    """The one sentence saying why there is no list."""
    if found.problem == "supervisor.failed":
        return t("supervisor.failed", detail=found.error or "")
    return t(found.problem or "devices.unreachable")
