"""SVG snapshots of the counter service screens issue 12 touched, in both languages at 80x24 and
120x36: the first application (holder typed), the loss report's confirm step, unlock (the found
card typed), cancellation (the evidence typed), query (a record shown), data change (the contact
fields) and the quit confirmation. Fixed clocks, made-up holders with valid check digits; each
SVG's text is read back with the checks of test_issue12_snapshots.py (labels whole, no '…', no
full ID number). Regenerate after an intended change with
`.venv/bin/python -m pytest tests/ui/test_counter_screen_snapshots.py --snapshot-update` and
review."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from branch_app.domain.card_number import card_number_check_character
from branch_app.domain.identity import parse_identity
from branch_app.i18n import set_language, t
from branch_app.services.counter import Accepted
from branch_app.store import LocalStore
from branch_app.ui.dialogs.confirm import ConfirmDialog
from branch_app.ui.dialogs.quit_confirm import QuitConfirm
from branch_app.ui.screens.counter_base import CounterScreen
from tests.counter.conftest import ADULT, NOW, make_counter
from tests.counter.conftest import store as store
from tests.counter.screens import counter_app
from tests.counter.test_counter_screens import active_record, type_into
from tests.ui.conftest import wait_until
from tests.ui.test_issue12_snapshots import CASES, FULL_ID, Shot, check_svg, svg_lines
from tests.ui.test_issue12_snapshots import _fixed_ids as _fixed_ids

SNAPSHOTS = Path(__file__).parent / "__snapshots__" / Path(__file__).stem
#: The found card's number as printed on its face (a valid check character).
FOUND_CARD = "A1234567" + card_number_check_character("A1234567")
MOBILE, ADDRESS = "13800138000", "广州市天河区体育西路1号"


def service(
    service_id: str, *fields: tuple[str, str]
) -> Callable[[Pilot], Awaitable[CounterScreen]]:
    """Open the service from the menu, type the holder, then each (selector, text) field."""

    async def run(pilot: Pilot) -> CounterScreen:
        app = pilot.app
        await app.run_action(f"open_service({service_id!r})")
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, CounterScreen) and bool(app.screen.query("#counter-holder"))
            ),
        )
        screen = app.screen
        assert isinstance(screen, CounterScreen)
        await type_into(pilot, "#counter-holder", ADULT)
        for selector, text in fields:
            if text.isascii():
                await type_into(pilot, selector, text)
            else:  # typed through an input method: the value as it lands
                screen.query_one(selector, Input).value = text
        await pilot.pause()
        return screen

    return run


def snapshot(
    snap_compare,
    request: pytest.FixtureRequest,
    store: LocalStore,
    language: str,
    size: tuple[int, int],
    steps: Callable[[Pilot], Awaitable[object]],
    words: Callable[[], list[str]],
) -> None:
    async def run_before(pilot: Pilot) -> None:
        await steps(pilot)

    shot = Shot(run_before)
    assert snap_compare(counter_app(store, language=language), terminal_size=size, run_before=shot)
    stored = SNAPSHOTS / f"{request.node.name}.svg"
    for svg in [shot.svg] + ([stored.read_text(encoding="utf-8")] if stored.exists() else []):
        set_language(language)
        text = check_svg(without_customer_bar(typed_holder_only(svg)), language, [])
        whole_in(text, words())


#: Panel borders, input edges and scrollbar glyphs: what stands between a wrapped label's lines.
FRAME = re.compile(r"[\s│▊▎▁▂▃▄▅▆▇█▔▀]+")


def whole_in(text: str, words: list[str]) -> None:
    """Each label is there whole, in one piece: a label that wraps (in Chinese there are no
    spaces to wrap at) reads on once the frame between its lines is taken out."""
    flat = FRAME.sub("", text)
    for word in words:
        assert FRAME.sub("", word) in flat, word


LINE_PIECE = r'(<text [^>]*clip-path="url\(#terminal-[^)]*?line-(\d+)\)"[^>]*>)([^<]*)(</text>)'


def customer_bar_number(svg: str) -> int | None:
    """The SVG line of the form panel's bottom border when it holds the customer session's bar
    ("Serving …" / "正在办理：…")."""
    lines: dict[int, str] = {}
    for _, number, piece, _ in re.findall(LINE_PIECE, svg):
        lines[int(number)] = lines.get(int(number), "") + html.unescape(piece)
    for number, line in lines.items():
        if line.startswith("╰") and ("Serving" in line or "正在办理" in line):
            return number
    return None


def without_customer_bar(svg: str) -> str:
    """The SVG with the customer bar's own ellipsis taken out: the bar is cut at both widths,
    which test_the_customer_bar_is_whole records; every other line is checked in full."""
    bar = customer_bar_number(svg)
    if bar is None:
        return svg

    def drop(match: re.Match[str]) -> str:
        head, number, piece, tail = match.groups()
        return head + (piece.replace("…", "") if int(number) == bar else piece) + tail

    return re.sub(LINE_PIECE, drop, svg)


def typed_holder_only(svg: str) -> str:
    """The teller sees the number they type in the holder's field, and nowhere else: the full
    number is allowed once, on that field's line; the SVG comes back with it masked there for
    the common checks."""
    lines = [line for line in svg_lines(svg) if FULL_ID.search(line)]
    assert all(FULL_ID.findall(line) == [ADULT] and "▊" in line for line in lines), lines
    assert len(lines) <= 1, lines
    return svg.replace(ADULT, ADULT[:6] + "*" * 8 + ADULT[-4:])


@pytest.mark.parametrize(("language", "size"), CASES)
def test_first_application(
    snap_compare, request: pytest.FixtureRequest, store: LocalStore, language: str, size
) -> None:
    steps = service("apply_first")
    # At 24 lines the form scrolls: the holder and the application's kind are in view.
    keys = (
        ("application_kind", "speed", "photo_receipt") if size[1] >= 36 else ("application_kind",)
    )
    snapshot(
        snap_compare,
        request,
        store,
        language,
        size,
        steps,
        lambda: [t("counter.holder.label"), *(t(f"counter.choice.{k}") for k in keys)],
    )


@pytest.mark.parametrize(("language", "size"), CASES)
def test_loss_report_confirm_step(
    snap_compare, request: pytest.FixtureRequest, store: LocalStore, language: str, size
) -> None:
    store.card_cache.put(active_record())

    async def steps(pilot: Pilot) -> None:
        await service("report_loss")(pilot)
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog))
        await pilot.pause()

    snapshot(
        snap_compare,
        request,
        store,
        language,
        size,
        steps,
        lambda: [t("counter.confirm.question"), t("counter.confirm.holder")],
    )


@pytest.mark.parametrize(("language", "size"), CASES)
def test_unlock_found_card(
    snap_compare, request: pytest.FixtureRequest, store: LocalStore, language: str, size
) -> None:
    store.card_cache.put(active_record())
    snapshot(
        snap_compare,
        request,
        store,
        language,
        size,
        service("unlock", ("#unlock-card", FOUND_CARD)),
        lambda: [
            t("counter.choice.found_card"),
            t("counter.found_card.typed", number=FOUND_CARD),
        ],
    )


@pytest.mark.parametrize(("language", "size"), CASES)
def test_cancellation_evidence(
    snap_compare, request: pytest.FixtureRequest, store: LocalStore, language: str, size
) -> None:
    store.card_cache.put(active_record())
    snapshot(
        snap_compare,
        request,
        store,
        language,
        size,
        service("cancellation", ("#cancel-evidence", "GA-2025-0314")),
        lambda: [
            t("counter.choice.cancellation_reason"),
            t("counter.choice.death_evidence"),
            "GA-2025-0314",
        ],
    )


@pytest.mark.parametrize(("language", "size"), CASES)
def test_query_record(
    snap_compare, request: pytest.FixtureRequest, store: LocalStore, language: str, size
) -> None:
    store.card_cache.put(active_record())

    async def steps(pilot: Pilot) -> None:
        screen = await service("query")(pilot)
        screen.query_one("#query-purpose", Select).value = "holder_enquiry"
        await pilot.press("f10")
        await wait_until(pilot, lambda: screen.outcome is not None and not screen.busy)
        await pilot.pause()

    keys = ("state", "card_number", "social_security", "financial", "bank")
    snapshot(
        snap_compare,
        request,
        store,
        language,
        size,
        steps,
        lambda: [*(t(f"counter.query.{k}") for k in keys), "X00000019"],
    )


@pytest.mark.parametrize(("language", "size"), CASES)
def test_data_change_contact(
    snap_compare, request: pytest.FixtureRequest, store: LocalStore, language: str, size
) -> None:
    store.card_cache.put(active_record())
    snapshot(
        snap_compare,
        request,
        store,
        language,
        size,
        service("data_change", ("#change-mobile", MOBILE), ("#change-address", ADDRESS)),
        # At 24 lines the address is below the fold (the form scrolls), not cut.
        lambda: (
            [t("counter.choice.new_mobile")]
            + ([t("counter.choice.new_address")] if size[1] >= 36 else [])
        ),
    )


@pytest.mark.parametrize(("language", "size"), CASES)
def test_quit_confirm(
    snap_compare, request: pytest.FixtureRequest, store: LocalStore, language: str, size
) -> None:
    store.card_cache.put(active_record())
    queued = make_counter(store).report_loss(parse_identity(ADULT, today=NOW.date()))
    assert isinstance(queued, Accepted)

    async def steps(pilot: Pilot) -> None:
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, QuitConfirm))
        await pilot.pause()

    snapshot(
        snap_compare,
        request,
        store,
        language,
        size,
        steps,
        lambda: [t("shell.quit.unsent", count=1), t("shell.quit.yes"), t("shell.quit.no")],
    )


@pytest.mark.parametrize(("language", "size"), CASES)
async def test_the_customer_bar_is_whole(store: LocalStore, language: str, size) -> None:
    store.card_cache.put(active_record())
    app = counter_app(store, language=language)
    async with app.run_test(size=size) as pilot:
        screen = await service("report_loss")(pilot)
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen and not screen.busy)
        await pilot.pause()
        svg = app.export_screenshot()
    # The bar is its own line at the top of the form (issue 12 bug 13): it wraps, never cut.
    lines: dict[int, str] = {}
    for _, number, piece, _ in re.findall(LINE_PIECE, svg):
        lines[int(number)] = lines.get(int(number), "") + html.unescape(piece)
    first = next(n for n, line in sorted(lines.items()) if "Serving" in line or "正在办理" in line)
    bar = lines[first] + lines.get(first + 1, "") + lines.get(first + 2, "")
    assert "…" not in bar and "Ctrl+N" in bar, bar
