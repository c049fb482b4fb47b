"""The identity-check screen: checked as typed, exact reasons, masked result, both languages."""

from __future__ import annotations

from textual.widgets import Input, Select, Static

from branch_app.domain.identity import (
    IdentityError,
    IdentityKind,
    parse_identity,
    resident_check_character,
)
from branch_app.i18n import Language, catalog, t
from branch_app.ui.screens.identity_check import (
    AUTOMATIC,
    IdentityCheckScreen,
    check_identity,
    describe_identity_error,
)

from .conftest import FIXED_NOW, SIZE, make_app, wait_until

VALID = "11010519491231002X"


def shown(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


async def open_check(pilot) -> Input:
    await pilot.press("f2")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, IdentityCheckScreen))
    return pilot.app.screen.query_one("#idcheck-number", Input)


async def test_valid_resident_id_shows_masked_details() -> None:
    app = make_app("en")
    async with app.run_test(size=SIZE) as pilot:
        number = await open_check(pilot)
        await pilot.press(*VALID)
        await wait_until(pilot, lambda: number.value == VALID)
        assert not number.has_class("-invalid")
        assert shown(app, "#idcheck-reason") == "The number is valid."
        result = shown(app, "#idcheck-result")
        assert "Resident ID card" in result
        assert "110105********002X" in result
        assert VALID not in result  # the full number is never echoed back
        assert "1949-12-31" in result
        assert "75 years" in result  # on the fixed clock's 2025-03-14
        assert "female" in result


async def test_wrong_check_character_says_exactly_what_is_wrong() -> None:
    app = make_app("en")
    async with app.run_test(size=SIZE) as pilot:
        number = await open_check(pilot)
        await pilot.press(*"110105194912310021")
        await wait_until(pilot, lambda: number.has_class("-invalid"))
        reason = shown(app, "#idcheck-reason")
        expected = describe_identity_error(IdentityError("check_character", expected="X", got="1"))
        assert reason == expected
        assert "X" in reason and "1" in reason
        assert shown(app, "#idcheck-result") == ""
        assert app.screen.query_one("#idcheck-reason").has_class("-error")


async def test_reason_follows_the_language_switch() -> None:
    app = make_app("en")
    async with app.run_test(size=SIZE) as pilot:
        number = await open_check(pilot)
        await pilot.press(*"11010519491231")
        await wait_until(pilot, lambda: number.has_class("-invalid"))
        english = shown(app, "#idcheck-reason")
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.language is Language.CHINESE)
        chinese = shown(app, "#idcheck-reason")
        error = IdentityError("unknown_form", length=14)
        if error.message_key in catalog():
            assert english == t(error.message_key, Language.ENGLISH, length=14)
            assert chinese == t(error.message_key, Language.CHINESE, length=14)
        else:  # the domain's catalog has not landed: its English sentence stands in
            assert english == chinese == str(error)
        assert app.screen.query_one("#idcheck-kind", Select).value == AUTOMATIC


async def test_future_birth_date_is_refused_against_the_app_clock() -> None:
    app = make_app("en")
    async with app.run_test(size=SIZE) as pilot:
        number = await open_check(pilot)
        # Born 2025-06-01: after the fixed "today" of 2025-03-14.
        first17 = "44010620250601123"
        await pilot.press(*(first17 + resident_check_character(first17)))
        await wait_until(pilot, lambda: number.has_class("-invalid"))
        assert "20250601" in shown(app, "#idcheck-reason")


async def test_passport_needs_the_kind_chosen() -> None:
    app = make_app("en")
    async with app.run_test(size=SIZE) as pilot:
        number = await open_check(pilot)
        await pilot.press(*"E12345678")
        await wait_until(pilot, lambda: number.has_class("-invalid"))
        kind = app.screen.query_one("#idcheck-kind", Select)
        kind.value = IdentityKind.PASSPORT.value
        await wait_until(pilot, lambda: not number.has_class("-invalid"))
        result = shown(app, "#idcheck-result")
        assert "Passport" in result and "*****5678" in result


async def test_empty_input_is_neither_valid_nor_invalid() -> None:
    app = make_app("en")
    async with app.run_test(size=SIZE) as pilot:
        number = await open_check(pilot)
        await pilot.press("1", "backspace")
        await wait_until(pilot, lambda: number.value == "")
        assert not number.has_class("-invalid")
        assert shown(app, "#idcheck-reason") == ""


def test_check_identity_is_the_domain_parser() -> None:
    today = FIXED_NOW.date()
    assert check_identity("  ", AUTOMATIC, today) is None
    parsed = check_identity(VALID.lower(), AUTOMATIC, today)
    assert parsed == parse_identity(VALID, today=today)
    refused = check_identity("110105194912310021", AUTOMATIC, today)
    assert isinstance(refused, IdentityError) and refused.code == "check_character"
