"""Due dates on the official calendar, and on a provisional one for unpublished years."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from branch_app.domain.workdays import (
    CalendarOverrideError,
    DueDate,
    due_date,
    is_working_day,
    official_schedule_known,
    parse_calendar_overrides,
)


@pytest.mark.parametrize(
    ("accepted_on", "due"),
    [
        # an ordinary fortnight: counted from Tuesday 3 March
        (dt.date(2026, 3, 2), dt.date(2026, 3, 18)),
        # National Day 1-7 Oct off, Saturday 10 Oct an adjusted working day
        (dt.date(2026, 9, 28), dt.date(2026, 10, 20)),
        # Spring Festival 15-23 Feb off, Saturdays 14 and 28 Feb working days
        (dt.date(2026, 2, 10), dt.date(2026, 3, 4)),
    ],
)
def test_official_calendar_with_adjusted_working_weekends(
    accepted_on: dt.date, due: dt.date
) -> None:
    assert due_date(accepted_on) == DueDate(due, provisional=False)


def test_the_acceptance_day_itself_does_not_count() -> None:
    assert due_date(dt.date(2026, 3, 2), working_days=1).date == dt.date(2026, 3, 3)
    assert due_date(dt.date(2026, 3, 6), working_days=1).date == dt.date(2026, 3, 9)


def test_an_unpublished_year_uses_statutory_holidays_and_is_provisional() -> None:
    assert not official_schedule_known(2027)
    assert official_schedule_known(2026)
    # holidays gives 5-10 Feb 2027 for the Spring Festival
    assert due_date(dt.date(2027, 2, 1)) == DueDate(dt.date(2027, 2, 23), provisional=True)


def test_a_due_date_reaching_into_an_unpublished_year_is_provisional() -> None:
    assert due_date(dt.date(2026, 12, 24)) == DueDate(dt.date(2027, 1, 12), provisional=True)


def test_overrides_adjust_an_unpublished_year_only() -> None:
    overrides = parse_calendar_overrides(
        """
        [2027]
        workdays = ["2027-02-14"]

        [2026]
        holidays = ["2026-03-03"]
        """
    )
    assert due_date(dt.date(2027, 2, 1), overrides=overrides).date == dt.date(2027, 2, 22)
    # the official 2026 schedule wins over a local file
    assert due_date(dt.date(2026, 3, 2), overrides=overrides) == DueDate(
        dt.date(2026, 3, 18), provisional=False
    )
    answer = is_working_day(dt.date(2027, 2, 14), overrides)
    assert answer.is_workday and answer.provisional


def test_override_file_shapes() -> None:
    text = """
    [2027]
    holidays = ["2027-02-11", 2027-02-12]
    workdays = [2027-02-14]
    """
    assert parse_calendar_overrides(text) == {
        dt.date(2027, 2, 11): False,
        dt.date(2027, 2, 12): False,
        dt.date(2027, 2, 14): True,
    }
    assert parse_calendar_overrides("") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[2027", "not valid TOML"),
        ("[next]\nholidays = []", "a table name must be a year"),
        ("year = 2027", "a table name must be a year"),
        ('[2027]\nholiday = ["2027-01-01"]', "unknown key(s) holiday"),
        ('[2027]\nholidays = "2027-01-01"', "must be a list of dates"),
        ('[2027]\nholidays = ["2028-01-01"]', "2028-01-01 is not in 2027"),
        ('[2027]\nholidays = ["1 Feb"]', "'1 Feb' is not a date as YYYY-MM-DD"),
        ('[2027]\nholidays = ["2027-W05-1"]', "is not a date as YYYY-MM-DD"),
        ("[2027]\nholidays = [2027-02-01T08:00:00]", "has a time"),
        (
            '[2027]\nholidays = ["2027-02-14"]\nworkdays = ["2027-02-14"]',
            "2027-02-14 is both a holiday and a workday",
        ),
    ],
)
def test_bad_override_files_say_where(text: str, message: str) -> None:
    with pytest.raises(CalendarOverrideError) as caught:
        parse_calendar_overrides(text)
    assert message in str(caught.value)


def test_working_days_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        due_date(dt.date(2026, 3, 2), working_days=0)


@given(st.dates(min_value=dt.date(2005, 1, 1), max_value=dt.date(2028, 12, 31)))
def test_due_date_is_a_working_day_after_acceptance(accepted_on: dt.date) -> None:
    due = due_date(accepted_on)
    assert due.date > accepted_on
    assert is_working_day(due.date).is_workday
    # exactly 12 working days in (accepted_on, due]
    day, count = accepted_on, 0
    while day < due.date:
        day += dt.timedelta(days=1)
        count += is_working_day(day).is_workday
    assert count == 12
    assert due.provisional == (not official_schedule_known(due.date.year))
