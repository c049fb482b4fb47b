"""Pilot tests of the shell: language, status bar, role gating, help, palette, themes, keys."""

from __future__ import annotations

import threading
from datetime import timedelta

from rich.console import Console
from rich.text import Text
from textual.command import CommandList, CommandPalette
from textual.filter import Monochrome, NoColor
from textual.widgets import Input, OptionList, Static

from branch_app.config import DeviceKind
from branch_app.demo.staff import demo_staff
from branch_app.domain.roles import Role
from branch_app.i18n import Language
from branch_app.ui.app import BranchApp
from branch_app.ui.commands import ShellCommandPalette
from branch_app.ui.dialogs.help import HelpScreen
from branch_app.ui.screens.home import HomeScreen
from branch_app.ui.screens.identity_check import IdentityCheckScreen
from branch_app.ui.services import AppServices
from branch_app.ui.status import (
    ConnectionStatusChanged,
    QueueDepthChanged,
    ReaderStatusChanged,
    SlotState,
    StaffOnDutyChanged,
)
from branch_app.ui.widgets.key_bar import KeyBar

from .conftest import SIZE, fixed_clock, make_app, wait_until


def text_of(app: BranchApp, selector: str) -> str:
    """The plain text a Static shows (tables included)."""
    content = app.screen.query_one(selector, Static).content
    if isinstance(content, str | Text):
        return str(content)
    console = Console(width=160, color_system=None)
    with console.capture() as capture:
        console.print(content)
    return capture.get()


def menu_ids(app: BranchApp) -> list[str | None]:
    menu = app.screen.query_one("#services", OptionList)
    return [menu.get_option_at_index(i).id for i in range(menu.option_count)]


def enabled_menu_ids(app: BranchApp) -> list[str]:
    menu = app.screen.query_one("#services", OptionList)
    options = [menu.get_option_at_index(i) for i in range(menu.option_count)]
    return [o.id for o in options if o.id is not None and not o.disabled]


async def test_home_shows_branch_profile_duty_and_services() -> None:
    app = make_app("en", Role.TELLER, instant=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        profile = text_of(app, "#branch-profile")
        assert "GZ-TEST-042" in profile and "test-bank" in profile
        assert "Instant issuance  Yes" in profile
        assert "branch counter PC" in profile
        duty = text_of(app, "#on-duty")
        assert "李明 Li Ming" in duty and "teller" in duty
        assert app.title == "Social Security Card Counter"
        assert app.screen.sub_title == "Home"
        # The menu has focus, so the keyboard works at once.
        assert app.focused is app.screen.query_one("#services", OptionList)


async def test_status_bar_says_not_available_for_missing_parts() -> None:
    app = make_app("en")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert text_of(app, "#status-reader") == "Reader: not available"
        assert text_of(app, "#status-connection") == "Central: not available"
        assert text_of(app, "#status-queue") == "Queue: not available"
        assert text_of(app, "#status-staff") == "李明 Li Ming, teller"
        assert app.screen.query_one("#status-reader").has_class("-unavailable")


async def test_status_bar_waits_for_parts_that_exist() -> None:
    # A reader (or its factory) is "waiting" until the card widget reports; checked before the
    # app runs because the real widget reports at once (tests/ui/test_shell_reader.py).
    for services in (
        AppServices(clock=fixed_clock, reader=object()),
        AppServices(clock=fixed_clock, reader_factory=object),
    ):
        assert make_app("en", services=services).status.reader.state is SlotState.WAITING
    services = AppServices(clock=fixed_clock, sync=object())
    app = make_app("en", services=services)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert text_of(app, "#status-reader") == "Reader: not available"
        assert text_of(app, "#status-connection") == "Central: waiting…"
        assert text_of(app, "#status-queue") == "Queue: not available"
        assert text_of(app, "#status-staff") == "nobody signed in"
    services = AppServices(clock=fixed_clock, store=object())
    app = make_app("en", services=services)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert text_of(app, "#status-queue") == "Queue: waiting…"


async def test_status_messages_update_the_bar_and_follow_the_language() -> None:
    app = make_app("en")
    async with app.run_test(size=SIZE) as pilot:
        app.post_message(ReaderStatusChanged(SlotState.OK, "reader.status.ready"))
        app.post_message(ConnectionStatusChanged(SlotState.ERROR, "common.error"))
        app.post_message(QueueDepthChanged(3, timedelta(minutes=12)))
        await wait_until(pilot, lambda: "3 waiting" in text_of(app, "#status-queue"))
        assert text_of(app, "#status-reader") == "Reader: ready, no card"
        assert app.screen.query_one("#status-reader").has_class("-ok")
        assert text_of(app, "#status-connection") == "Central: Error"
        assert app.screen.query_one("#status-connection").has_class("-error")
        assert text_of(app, "#status-queue") == "Queue: 3 waiting, oldest 12 min ago"
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.language is Language.CHINESE)
        assert text_of(app, "#status-reader") == "读卡器：就绪，无卡"
        assert text_of(app, "#status-queue") == "待同步：3 笔待发送，最早 12 分钟前"
        app.post_message(QueueDepthChanged(0))
        await wait_until(pilot, lambda: text_of(app, "#status-queue") == "待同步：无")


async def test_status_message_from_a_worker_thread() -> None:
    app = make_app("en")
    async with app.run_test(size=SIZE) as pilot:
        thread = threading.Thread(
            target=lambda: app.post_message(QueueDepthChanged(7, timedelta(hours=5)))
        )
        thread.start()
        thread.join()
        await wait_until(pilot, lambda: "7 waiting" in text_of(app, "#status-queue"))
        assert app.screen.query_one("#status-queue").has_class("-warning")
        assert text_of(app, "#status-queue") == "Queue: 7 waiting, oldest 5 h ago"


async def test_status_bar_api_updates_every_screen() -> None:
    app = make_app("en")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.status_bar.show_reader(SlotState.WARNING, "reader.status.no_reader")
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        app.status_bar.show_queue(2)  # a dialog without a bar is in front: still works
        await pilot.press("escape", "f2")
        await wait_until(pilot, lambda: isinstance(app.screen, IdentityCheckScreen))
        assert text_of(app, "#status-reader") == "Reader: no reader"
        assert text_of(app, "#status-queue") == "Queue: 2 waiting"


async def test_language_switch_rewords_every_visible_string() -> None:
    app = make_app("en", Role.TELLER)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "Branch code" in text_of(app, "#branch-profile")
        await pilot.press("f5")
        await wait_until(pilot, lambda: "网点代码" in text_of(app, "#branch-profile"))
        assert app.title == "社会保障卡柜面系统"
        assert app.screen.sub_title == "首页"
        assert "柜员" in text_of(app, "#on-duty")
        menu = app.screen.query_one("#services", OptionList)
        prompts = [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]
        assert any("挂失" in p for p in prompts)
        assert not any("Loss report" in p for p in prompts)
        keys = str(app.screen.query_one(KeyBar).render())
        assert "帮助" in keys and "Help" not in keys
        await pilot.press("f5")
        await wait_until(pilot, lambda: "Branch code" in text_of(app, "#branch-profile"))


async def test_language_from_the_system_locale(monkeypatch) -> None:
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    app = make_app("")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.language is Language.CHINESE
        assert "网点代码" in text_of(app, "#branch-profile")
    monkeypatch.setenv("LC_ALL", "en_GB.UTF-8")
    app = make_app("")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.language is Language.ENGLISH


async def test_teller_does_not_see_supervisor_tools() -> None:
    app = make_app("en", Role.TELLER)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        ids = menu_ids(app)
        assert "report_loss" in ids and "unlock" in ids
        assert not {"approvals", "sync_queue", "conflicts"} & set(ids)
        assert app.check_action("open_service", ("conflicts",)) is False
        # The counter services are built; instant issuance needs an instant-issuance branch.
        assert app.check_action("open_service", ("report_loss",)) is True
        assert app.check_action("open_service", ("apply_instant",)) is None
        assert "apply_instant" not in enabled_menu_ids(app)
        assert {"report_loss", "unlock", "cancellation", "identity_check"} <= set(
            enabled_menu_ids(app)
        )


async def test_supervisor_sees_supervisor_tools() -> None:
    app = make_app("en", Role.SUPERVISOR)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        ids = menu_ids(app)
        assert {"approvals", "sync_queue", "conflicts"} <= set(ids)
        assert app.check_action("open_service", ("conflicts",)) is True


async def test_home_visit_staff_cannot_unlock_or_issue_instantly() -> None:
    app = make_app("en", Role.HOME_VISIT, device=DeviceKind.HOME_VISIT)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        ids = menu_ids(app)
        assert "unlock" not in ids and "apply_instant" not in ids and "cancellation" not in ids
        assert "report_loss" in ids and "identity_check" in ids
        assert "home-visit laptop" in text_of(app, "#branch-profile")


async def test_instant_issuance_needs_an_instant_branch() -> None:
    app = make_app("en", Role.TELLER, instant=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        prompt = str(
            app.screen.query_one("#services", OptionList).get_option("apply_instant").prompt
        )
        assert "this branch cannot issue instantly" in prompt


async def test_nobody_signed_in_may_only_check_identity_numbers() -> None:
    app = make_app("en", role=None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert enabled_menu_ids(app) == ["identity_check"]
        assert "sign in first" in str(
            app.screen.query_one("#services", OptionList).get_option("report_loss").prompt
        )
        app.post_message(StaffOnDutyChanged(demo_staff(Role.SUPERVISOR)))
        await wait_until(pilot, lambda: "conflicts" in menu_ids(app))
        assert text_of(app, "#status-staff") == "张伟 Zhang Wei, supervisor"
        app.post_message(StaffOnDutyChanged(None))
        await wait_until(pilot, lambda: "conflicts" not in menu_ids(app))


async def test_demo_role_key_only_in_the_demo() -> None:
    app = make_app("en", Role.TELLER, demo=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f9")
        await pilot.pause()
        assert app.role == "teller"
        assert app.check_action("demo_next_role", ()) is False
    app = make_app("en", Role.TELLER, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f9")
        await wait_until(pilot, lambda: app.role == "home_visit")
        await pilot.press("f9")
        await wait_until(pilot, lambda: "conflicts" in menu_ids(app))
        assert app.role == "supervisor"


async def test_help_lists_keys_and_the_config_source() -> None:
    app = make_app("en")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        keys = text_of(app, "#help-keys")
        for expected in ("F1", "Help", "F5", "Ctrl+Q", "Quit", "identity_check", "language"):
            assert expected in keys
        settings = text_of(app, "#help-config")
        assert "built-in defaults (demo)" in settings
        assert "[keymap]" in settings
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))


async def test_user_keymap_moves_a_key() -> None:
    app = make_app("en", keymap=(("help", "f11"),))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("f11")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert "F11" in text_of(app, "#help-keys")


async def test_palette_offers_prefixed_commands_and_runs_them() -> None:
    app = make_app("en", Role.TELLER)
    async with app.run_test(size=SIZE) as pilot:
        titles = [title for title, _help, _run in app.palette_commands()]
        assert "Service: Check an identity document" in titles
        assert "Language: 中文 (Chinese)" in titles
        assert "Theme: High contrast" in titles
        assert not any(title.startswith("Demo") for title in titles)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: CommandPalette.is_open(app))
        await pilot.press(*"language chinese")
        commands = app.screen.query_one(CommandList)

        def prompts() -> list[str]:
            count = commands.option_count
            return [
                str(commands.get_option_at_index(i).prompt).splitlines()[0] for i in range(count)
            ]

        await wait_until(pilot, lambda: prompts() == ["Language: 中文 (Chinese)"])
        if commands.highlighted is None:
            await pilot.press("down")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.language is Language.CHINESE)
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        titles = [title for title, _help, _run in app.palette_commands()]
        assert "业务：核验身份证件" in titles


async def test_palette_says_no_matches_in_the_language(monkeypatch) -> None:
    monkeypatch.setattr(ShellCommandPalette, "_NO_MATCHES_COUNTDOWN", 0.01)
    app = make_app("zh")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: CommandPalette.is_open(app))
        assert isinstance(app.screen, ShellCommandPalette)
        await pilot.press(*"zzzz")
        commands = app.screen.query_one(CommandList)

        def texts() -> list[str]:
            count = commands.option_count
            return [str(commands.get_option_at_index(i).prompt) for i in range(count)]

        await wait_until(pilot, lambda: any("没有匹配的命令" in text for text in texts()))


async def test_palette_hides_what_the_role_may_not_do() -> None:
    app = make_app("en", role=None)
    async with app.run_test(size=SIZE):
        titles = [title for title, _help, _run in app.palette_commands()]
        assert "Service: Check an identity document" in titles


async def test_theme_switch_cycles_to_high_contrast() -> None:
    app = make_app("en")
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "textual-dark"
        assert "branch-high-contrast" in app.available_themes
        await pilot.press("f6")
        await wait_until(pilot, lambda: app.theme == "textual-light")
        await pilot.press("f6")
        await wait_until(pilot, lambda: app.theme == "branch-high-contrast")
        assert app.current_theme.background == "#000000"
        await pilot.press("f6")
        await wait_until(pilot, lambda: app.theme == "textual-dark")


async def test_unknown_theme_in_config_falls_back_with_a_notice() -> None:
    app = make_app("en", theme="no-such-theme")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: bool(app._notifications))
        assert app.theme == "textual-dark"
        assert "Theme no-such-theme is unknown" in next(iter(app._notifications)).message


async def test_no_color_is_honoured(monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app("en")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.no_color
        assert any(isinstance(f, Monochrome | NoColor) for f in app._filters)
    monkeypatch.delenv("NO_COLOR")
    app = make_app("en")
    assert not app.no_color


async def test_keyboard_only_round_trip_through_the_identity_check() -> None:
    app = make_app("en", Role.TELLER)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        menu = app.screen.query_one("#services", OptionList)
        # Arrow down to the identity check (the only enabled entry) and open it with Enter.
        await pilot.press("end")
        await wait_until(pilot, lambda: menu.highlighted_option is not None)
        assert menu.highlighted_option.id == "identity_check"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, IdentityCheckScreen))
        number = app.screen.query_one("#idcheck-number", Input)
        assert app.focused is number
        await pilot.press("shift+tab")
        assert app.focused is app.screen.query_one("#idcheck-kind")
        await pilot.press("tab")
        assert app.focused is number
        await pilot.press(*"4401")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert app.focused is menu
        # The identity check is an independent mode: what was typed is still there.
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, IdentityCheckScreen))
        assert app.screen.query_one("#idcheck-number", Input).value == "4401"


async def test_ctrl_c_says_which_key_quits() -> None:
    app = make_app("zh")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+c")
        await wait_until(pilot, lambda: bool(app._notifications))
        assert next(iter(app._notifications)).message == "按 Ctrl+Q 退出。"
        assert app.return_code is None


async def test_quit_key_ends_the_app() -> None:
    app = make_app("en")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: app.return_code is not None)
    assert app.return_code == 0


def test_the_queue_slot_says_when_refused_requests_wait_for_a_supervisor() -> None:
    from datetime import timedelta

    from branch_app.i18n import Language, set_language, t
    from branch_app.ui.status import SlotState, queue_slot

    plain = queue_slot(3, timedelta(minutes=5))
    assert plain.state is SlotState.BUSY and "count" not in plain.params
    only_refused = queue_slot(0, None, awaiting_supervisor=2)
    both = queue_slot(3, timedelta(minutes=5), awaiting_supervisor=1)
    assert only_refused.state is both.state is SlotState.WARNING
    set_language(Language.ENGLISH)  # the suite's autouse fixture puts the language back
    assert t(only_refused.text, **only_refused.params) == "2 refused, for a supervisor"
    assert t(both.text, **both.params) == "3 waiting, 1 refused, for a supervisor"
    set_language(Language.CHINESE)
    assert t(only_refused.text, **only_refused.params) == "2 笔被拒，待主管处理"
