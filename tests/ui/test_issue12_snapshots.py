"""SVG snapshots of the screens issue 12 touched, in both languages at 80x24 and 120x36: the day's
list (requests of every status), the end-of-day dialog, the supervisor's approvals and conflicts,
and the home screen. Fixed clocks, made-up holders with valid check digits. Each SVG's text is read
back: every column header and status word is there whole (nothing cut, no '…'), and no full ID
number is shown. Regenerate after an intended change with
`.venv/bin/python -m pytest tests/ui/test_issue12_snapshots.py --snapshot-update` and review."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from branch_app.domain.identity import parse_identity
from branch_app.domain.lifecycle import CancellationReason
from branch_app.domain.roles import Place, Role
from branch_app.domain.vocabulary import OutboxStatus
from branch_app.i18n import set_language, t
from branch_app.services.counter import Accepted, Counter, Desk
from branch_app.store import LocalStore
from branch_app.ui.dialogs.end_of_day import EndOfDayDialog
from branch_app.ui.screens.day_list import DayListScreen
from branch_app.ui.screens.supervisor_approvals import ApprovalsScreen
from branch_app.ui.screens.supervisor_conflicts import ConflictsScreen
from tests.counter.conftest import CHILD, make_counter
from tests.counter.conftest import desk as counter_desk
from tests.counter.screens import counter_app
from tests.counter.test_day_list import SCREEN_TELLER, a_day, answer, card_in_use
from tests.ui.conftest import make_app, wait_until
from tests.ui_supervisor.conftest import NOW, holder, supervisor_app
from tests.ui_supervisor.conftest import store as store
from tests.ui_supervisor.test_supervisor_local import card_in_use as cached_card
from tests.ui_supervisor.test_supervisor_local import queue_with_answers

SNAPSHOTS = Path(__file__).parent / "__snapshots__" / Path(__file__).stem
CASES = [
    pytest.param(language, size, id=f"{size[0]}x{size[1]}-{language}")
    for language in ("en", "zh")
    for size in ((80, 24), (120, 36))
]
#: A full resident ID number anywhere in the screen's text.
FULL_ID = re.compile(r"\d{17}[\dX]")


@pytest.fixture(autouse=True)
def _fixed_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """The outbox's ids (and so the references on screen) the same at every run."""
    import hashlib
    import itertools
    import uuid

    numbers = itertools.count()

    def made_up() -> uuid.UUID:
        return uuid.UUID(bytes=hashlib.sha256(b"%d" % next(numbers)).digest()[:16])

    monkeypatch.setattr(uuid, "uuid4", made_up)


def svg_lines(svg: str) -> list[str]:
    """The SVG's text, line by line (the exporter splits a line into styled pieces)."""
    lines: dict[int, str] = {}
    pattern = r'<text [^>]*clip-path="url\(#terminal-[^)]*?line-(\d+)\)"[^>]*>([^<]*)</text>'
    for number, piece in re.findall(pattern, svg):
        lines[int(number)] = lines.get(int(number), "") + html.unescape(piece)
    return [lines[n].replace("\xa0", " ") for n in sorted(lines)]


class Shot:
    """Runs the screen's steps, then keeps the SVG of the screen the snapshot takes."""

    def __init__(self, steps: Callable[[Pilot], Awaitable[None]] | None = None) -> None:
        self.steps = steps
        self.svg = ""

    async def __call__(self, pilot: Pilot) -> None:
        if self.steps is not None:
            await self.steps(pilot)
        await pilot.pause()
        self.svg = pilot.app.export_screenshot()


def check_text(request: pytest.FixtureRequest, shot: Shot, language: str, words: list[str]) -> str:
    """The snapshot's text holds every word whole, no ellipsis and no full ID number (the
    stored SVG too, once written)."""
    stored = SNAPSHOTS / f"{request.node.name}.svg"
    svgs = [shot.svg] + ([stored.read_text(encoding="utf-8")] if stored.exists() else [])
    for svg in svgs:
        text = check_svg(svg, language, words)
    return text


def check_svg(svg: str, language: str, words: list[str]) -> str:
    text = "\n".join(svg_lines(svg))
    assert text
    assert FULL_ID.search(text) is None
    set_language(language)
    assert "…" not in text.replace(t("shell.status.waiting"), "")  # the queue's own word
    flat = re.sub(r"\s+", "", text)
    for word in words:  # a cell that wraps keeps each of its words whole
        for piece in word.split():
            assert piece in flat, word
    return text


def opened(
    service: str, ready: Callable[[Pilot], bool], *keys: str
) -> Callable[[Pilot], Awaitable[None]]:
    async def run_before(pilot: Pilot) -> None:
        await pilot.app.run_action(f"open_service({service!r})")
        await wait_until(pilot, lambda: ready(pilot))
        for key in keys:
            await pilot.press(key)
        await pilot.pause()

    return run_before


def a_day_of_every_status(store: LocalStore) -> None:
    """The screen's teller: a loss report applied, a replacement refused, a child's loss report
    in conflict, and one more queued."""
    adult = parse_identity(holder(21), today=NOW.date())
    store.card_cache.put(card_in_use(adult.number))
    loss, replacement = a_day(store, adult, SCREEN_TELLER)
    answer(store, loss.outbox_id, OutboxStatus.ACCEPTED)
    answer(store, replacement.outbox_id, OutboxStatus.REJECTED)
    child = parse_identity(CHILD, today=NOW.date())
    store.card_cache.put(card_in_use(CHILD))
    counter = make_counter(store, counter_desk(staff_id=SCREEN_TELLER))
    conflict = counter.report_loss(child)
    assert isinstance(conflict, Accepted)
    answer(store, conflict.outbox_id, OutboxStatus.CONFLICT)
    other = parse_identity(holder(22), today=NOW.date())
    store.card_cache.put(card_in_use(other.number))
    queued = counter.report_loss(other)
    assert isinstance(queued, Accepted)


def day_loaded(rows: int) -> Callable[[Pilot], bool]:
    def ready(pilot: Pilot) -> bool:
        screen = pilot.app.screen
        return isinstance(screen, DayListScreen) and len(screen.rows) == rows

    return ready


@pytest.mark.parametrize(("language", "size"), CASES)
def test_day_list(
    snap_compare,
    request: pytest.FixtureRequest,
    store: LocalStore,
    language: str,
    size: tuple[int, int],
) -> None:
    a_day_of_every_status(store)
    app = counter_app(store, language=language)
    shot = Shot(opened("day_list", day_loaded(4)))
    assert snap_compare(app, terminal_size=size, run_before=shot)
    words = [t(f"day.status.{s}") for s in ("queued", "applied", "refused", "conflict")]
    words += [t(f"day.col.{c}") for c in ("time", "reference", "service", "holder", "status")]
    check_text(request, shot, language, words)


@pytest.mark.parametrize(("language", "size"), CASES)
def test_end_of_day(
    snap_compare,
    request: pytest.FixtureRequest,
    store: LocalStore,
    language: str,
    size: tuple[int, int],
) -> None:
    a_day_of_every_status(store)
    app = counter_app(store, language=language)

    async def run_before(pilot: Pilot) -> None:
        await opened("day_list", day_loaded(4))(pilot)
        await pilot.press("f8")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, EndOfDayDialog))
        await pilot.pause()

    shot = Shot(run_before)
    assert snap_compare(app, terminal_size=size, run_before=shot)
    check_text(request, shot, language, [t("day.summary.title"), t("day.summary.confirm")])


def approvals(store: LocalStore) -> None:
    desk = Desk("T001", Role.TELLER, Place.BRANCH, "GZ-001", "PC-07", "icbc")
    counter = Counter(store, desk, clock=lambda: NOW)
    for n, approver in ((11, "S900"), (12, "S901")):
        store.card_cache.put(cached_card(holder(n)))
        cancelled = counter.cancel(
            parse_identity(holder(n), today=NOW.date()),
            CancellationReason.EMIGRATION,
            approved_by=approver,
            approval_verified=n == 12,
        )
        assert isinstance(cancelled, Accepted), cancelled


@pytest.mark.parametrize(("language", "size"), CASES)
def test_approvals(
    snap_compare,
    request: pytest.FixtureRequest,
    store: LocalStore,
    language: str,
    size: tuple[int, int],
) -> None:
    approvals(store)

    def ready(pilot: Pilot) -> bool:
        screen = pilot.app.screen
        return isinstance(screen, ApprovalsScreen) and screen.rows is not None

    app = supervisor_app(store, language=language)
    shot = Shot(opened("approvals", ready))
    assert snap_compare(app, terminal_size=size, run_before=shot)
    words = [t("supervisor.col.when"), t("supervisor.col.status"), "S900", "S901"]
    words += [t("supervisor.approvals.approved_by"), t("supervisor.status.pending")]
    if size[0] >= 100:
        words += [t("supervisor.approvals.requested_by"), t("supervisor.approvals.verified")]
    check_text(request, shot, language, words)


@pytest.mark.parametrize(("language", "size"), CASES)
def test_conflicts(
    snap_compare,
    request: pytest.FixtureRequest,
    store: LocalStore,
    language: str,
    size: tuple[int, int],
) -> None:
    queue_with_answers(store)

    def ready(pilot: Pilot) -> bool:
        screen = pilot.app.screen
        return isinstance(screen, ConflictsScreen) and screen.found is not None

    app = supervisor_app(store, language=language)
    shot = Shot(opened("conflicts", ready))
    assert snap_compare(app, terminal_size=size, run_before=shot)
    columns = (
        ("holder", "kind", "actor", "made_at", "reason") if size[0] >= 100 else ("holder", "kind")
    )
    headers = [t(f"supervisor.col.{c}") for c in columns]
    text = check_text(request, shot, language, headers)
    # The list's header row holds every column it shows, whole (at 80 columns the list keeps
    # the holder and the request; the rest is in the details beside it).
    row = next(line for line in text.splitlines() if headers[0] in line and headers[1] in line)
    listed = row.split("││")[0]
    for header in headers:
        assert f" {header} " in f"{listed} ", header
    assert listed.rstrip(" │").endswith(headers[-1])


@pytest.mark.parametrize(("language", "size"), CASES)
def test_home(
    snap_compare, request: pytest.FixtureRequest, language: str, size: tuple[int, int]
) -> None:
    shot = Shot()
    assert snap_compare(make_app(language, Role.TELLER), terminal_size=size, run_before=shot)
    check_text(request, shot, language, [t("day.title")])


# -- the confirm step says what becomes of the request (issue 12, bug 5) ---------------------------


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("online", [False, True], ids=["offline", "online"])
async def test_the_confirm_step_says_sent_now_only_when_the_central_answers(
    store: LocalStore,
    language: str,
    online: bool,
) -> None:
    from branch_app.ui.dialogs.confirm import ConfirmDialog
    from branch_app.ui.status import ConnectionStatusChanged, SlotState
    from tests.counter.test_counter_screens import type_holder

    number = holder(31)
    store.card_cache.put(cached_card(number))
    app = counter_app(store, language=language)
    async with app.run_test(size=(120, 36)) as pilot:
        if online:
            app.post_message(ConnectionStatusChanged(SlotState.OK, "sync.status.online"))
            await wait_until(pilot, lambda: app.status.connection.state is SlotState.OK)
        await app.run_action("open_service('report_loss')")
        await wait_until(pilot, lambda: bool(app.screen.query("#counter-holder")))
        await type_holder(pilot, number)
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        question = str(app.screen.query_one("#confirm-question").render())
        set_language(language)
        sent_now = t("counter.confirm.question_online")
        queued = t("counter.confirm.question")
        assert question == (sent_now if online else queued) and sent_now != queued
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
    assert len(store.outbox) == 0
