"""SVG snapshots of the shell at a fixed size and a fixed clock, in both languages.

Regenerate after an intended change with
`.venv/bin/python -m pytest tests/ui/test_shell_snapshots.py --snapshot-update` and review the SVGs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot

from branch_app.domain.roles import Role
from branch_app.ui.screens.identity_check import IdentityCheckScreen

from .conftest import SIZE, make_app, wait_until


@pytest.fixture(autouse=True)
def _fixed_config_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The help screen shows the config path; pin it so the snapshot is the same everywhere."""
    monkeypatch.setattr(
        "branch_app.ui.dialogs.help.default_config_path",
        lambda: Path("/home/teller/.config/branch-app/config.toml"),
    )


def test_home_english(snap_compare) -> None:
    assert snap_compare(make_app("en", Role.TELLER), terminal_size=SIZE)


def test_home_chinese_supervisor_instant_branch(snap_compare) -> None:
    app = make_app("zh", Role.SUPERVISOR, instant=True)
    assert snap_compare(app, terminal_size=SIZE)


def test_identity_check_valid_english(snap_compare) -> None:
    async def type_number(pilot: Pilot) -> None:
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, IdentityCheckScreen))
        await pilot.press(*"11010519491231002X")
        await pilot.pause()

    assert snap_compare(make_app("en"), terminal_size=SIZE, run_before=type_number)


def test_identity_check_invalid_chinese(snap_compare) -> None:
    async def type_number(pilot: Pilot) -> None:
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, IdentityCheckScreen))
        await pilot.press(*"110105194912310021")
        await pilot.pause()

    assert snap_compare(make_app("zh"), terminal_size=SIZE, run_before=type_number)


def test_help_chinese(snap_compare) -> None:
    assert snap_compare(make_app("zh"), terminal_size=SIZE, press=["f1"])


def test_home_high_contrast_english(snap_compare) -> None:
    app = make_app("en", Role.HOME_VISIT, theme="branch-high-contrast")
    assert snap_compare(app, terminal_size=SIZE)


def test_home_no_color_english(snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:
    """With NO_COLOR set, Textual renders in monochrome; the screen must still read well."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app("en", Role.TELLER)
    assert app.no_color
    assert snap_compare(app, terminal_size=SIZE)


def test_command_palette_chinese(snap_compare) -> None:
    async def open_palette(pilot: Pilot) -> None:
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: CommandPalette.is_open(pilot.app))
        commands = pilot.app.screen.query_one(CommandList)
        await wait_until(pilot, lambda: commands.option_count > 0)

    assert snap_compare(make_app("zh"), terminal_size=SIZE, run_before=open_palette)
