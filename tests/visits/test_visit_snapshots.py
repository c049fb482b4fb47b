"""SVG snapshots of the home-visit screens, zh and en at 80x24 and 120x36: today's list (a visit
done, one in progress, one to do) and the planning screen offline (its one sentence). Fixed clock,
made-up people with valid check characters. The SVG's text is read back: every column header and
status word whole, no '…', no full ID number and no full name. Regenerate after an intended change
with `.venv/bin/python -m pytest tests/visits/test_visit_snapshots.py --snapshot-update`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from textual.pilot import Pilot

from branch_app.i18n import t
from branch_app.store import LocalStore
from branch_app.store.visits import PresentPerson, VisitNeed, VisitStatus
from branch_app.ui.screens.visit_plan import VisitPlanScreen
from branch_app.ui.screens.visits import VisitsScreen
from tests.ui.conftest import wait_until
from tests.ui.test_issue12_snapshots import Shot, check_svg

from .conftest import CARED, ELDER, NAMES, NEWCOMER
from .screens import home_visit_app, planned

CASES = [
    pytest.param(language, size, id=f"{size[0]}x{size[1]}-{language}")
    for language in ("en", "zh")
    for size in ((80, 24), (120, 36))
]
SNAPSHOTS = Path(__file__).parent / "__snapshots__" / Path(__file__).stem


def a_day(store: LocalStore) -> None:
    done = planned(store, ELDER, VisitNeed.APPLICATION)
    store.visits.save(
        dataclasses.replace(
            done,
            status=VisitStatus.DONE,
            started_at="2025-03-14T01:10:00.000Z",
            ended_at="2025-03-14T01:40:00.000Z",
            present=(PresentPerson("carer", "王阿姨"),),
        )
    )
    going = planned(store, CARED, VisitNeed.DATA_CHANGE)
    store.visits.save(
        dataclasses.replace(
            going,
            status=VisitStatus.IN_PROGRESS,
            started_at="2025-03-14T02:05:00.000Z",
            visited_address=going.address,
        )
    )
    planned(store, NEWCOMER, VisitNeed.APPLICATION, known=False)


def check(request: pytest.FixtureRequest, shot: Shot, language: str, words: list[str]) -> None:
    stored = SNAPSHOTS / f"{request.node.name}.svg"
    for svg in [shot.svg] + ([stored.read_text(encoding="utf-8")] if stored.exists() else []):
        text = check_svg(svg, language, words)
        for name in NAMES.values():
            assert name not in text


@pytest.mark.parametrize(("language", "size"), CASES)
def test_todays_visits(
    snap_compare, request: pytest.FixtureRequest, store: LocalStore, language: str, size
) -> None:
    a_day(store)
    app = home_visit_app(store, language=language)

    async def steps(pilot: Pilot) -> None:
        app.action_open_service("visits")
        await wait_until(
            pilot, lambda: isinstance(app.screen, VisitsScreen) and len(app.screen.visits) == 3
        )
        await pilot.press("down")  # the visit in progress, in the panel
        await pilot.pause()

    shot = Shot(steps)
    assert snap_compare(app, terminal_size=size, run_before=shot)
    words = [t(f"visits.status.{s}") for s in ("done", "in_progress", "to_do")]
    words += [t(f"visits.col.{c}") for c in ("holder", "need", "status")]
    check(request, shot, language, words)


@pytest.mark.parametrize(("language", "size"), CASES)
def test_planning_offline(
    snap_compare, request: pytest.FixtureRequest, store: LocalStore, language: str, size
) -> None:
    planned(store, ELDER, VisitNeed.LOSS_REPORT)
    app = home_visit_app(store, language=language)

    async def steps(pilot: Pilot) -> None:
        app.action_open_service("visit_plan")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, VisitPlanScreen) and len(app.screen.visits) == 1,
        )

    shot = Shot(steps)
    assert snap_compare(app, terminal_size=size, run_before=shot)
    words = [t("visits.plan.title"), t("visits.title")]
    words += [t(f"visits.col.{c}") for c in ("need", "central", "holder")]
    check(request, shot, language, words)
