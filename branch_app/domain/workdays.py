"""Due dates in working days on the official Chinese calendar, with its adjusted working weekends.

`chinese_calendar` holds the official schedule for the years the State Council has published. For a
later year the due date rests on an unpublished schedule: weekends off, the statutory holidays from
`holidays`, and the office's own overrides (a small TOML text staff can update); such a result is
marked `provisional` so the teller can say so. Both libraries are pure data; they are imported
inside the functions so that importing the domain stays cheap.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_WORKING_DAYS = 12  # first application, replacement and exchange (seed)
#: After a change of bank, the old account is closed within 3 working days of collecting the
#: new card (DOMAIN: replacement and exchange).
OLD_ACCOUNT_CLOSING_WORKING_DAYS = 3
#: The card agency cancels a card within 1 working day (DOMAIN: cancellation, from the guides).
CANCELLATION_WORKING_DAYS = 1
#: The card agency's clock: Beijing time, UTC+8 all year (China keeps no summer time). Ages,
#: fees and due dates are counted in its days wherever the deciding machine is.
CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "CST")
_MAX_DAYS_SCANNED = 3660  # a safety bound: no calendar has ten years without working days
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class CalendarOverrideError(ValueError):
    """The override text is not of the expected shape; the message says where."""


@dataclass(frozen=True, slots=True)
class DueDate:
    """The due date and whether it rests on a schedule the State Council has not yet published."""

    date: dt.date
    provisional: bool


@dataclass(frozen=True, slots=True)
class WorkdayAnswer:
    is_workday: bool
    provisional: bool


def is_working_day(day: dt.date, overrides: Mapping[dt.date, bool] | None = None) -> WorkdayAnswer:
    """Whether `day` is a working day. Overrides count only for years without an official schedule."""
    official = _official_is_workday(day)
    if official is not None:
        return WorkdayAnswer(official, provisional=False)
    if overrides and day in overrides:
        return WorkdayAnswer(bool(overrides[day]), provisional=True)
    if day.weekday() >= 5:
        return WorkdayAnswer(False, provisional=True)
    return WorkdayAnswer(day not in _statutory_holidays(day.year), provisional=True)


def due_date(
    accepted_on: dt.date,
    working_days: int = DEFAULT_WORKING_DAYS,
    overrides: Mapping[dt.date, bool] | None = None,
) -> DueDate:
    """The `working_days`-th working day counted from the day after `accepted_on`."""
    if working_days < 1:
        raise ValueError("working_days must be at least 1")
    provisional = False
    day = accepted_on
    counted = 0
    for _ in range(_MAX_DAYS_SCANNED):
        day += dt.timedelta(days=1)
        answer = is_working_day(day, overrides)
        provisional = provisional or answer.provisional
        if answer.is_workday:
            counted += 1
            if counted == working_days:
                return DueDate(day, provisional)
    raise ValueError("no working day found in the calendar; check the overrides")


def official_schedule_known(year: int) -> bool:
    """Whether `chinese_calendar` holds the published schedule for `year`."""
    return _official_is_workday(dt.date(year, 1, 1)) is not None


def _official_is_workday(day: dt.date) -> bool | None:
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


@functools.lru_cache(maxsize=16)
def _statutory_holidays(year: int) -> frozenset[dt.date]:
    import holidays

    return frozenset(holidays.China(years=year).keys())  # type: ignore[no-untyped-call]


def parse_calendar_overrides(text: str) -> dict[dt.date, bool]:
    """Read the local override file: one table per year with `holidays` and `workdays` lists.

        [2027]
        holidays = ["2027-02-08", "2027-02-09"]
        workdays = ["2027-02-14"]

    Dates may be TOML dates or "YYYY-MM-DD" strings and must lie in their table's year; a date may
    not be both a holiday and a workday.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CalendarOverrideError(f"not valid TOML: {error}") from None
    result: dict[dt.date, bool] = {}
    for year_key, table in data.items():
        if not (year_key.isascii() and year_key.isdigit() and len(year_key) == 4):
            raise CalendarOverrideError(f"[{year_key}]: a table name must be a year such as 2027")
        if not isinstance(table, dict):
            raise CalendarOverrideError(f"[{year_key}] must be a table")
        unknown = sorted(set(table) - {"holidays", "workdays"})
        if unknown:
            raise CalendarOverrideError(
                f"[{year_key}]: unknown key(s) {', '.join(unknown)} (use holidays and workdays)"
            )
        year = int(year_key)
        for key, working in (("holidays", False), ("workdays", True)):
            values = table.get(key, [])
            if not isinstance(values, list):
                raise CalendarOverrideError(f"[{year_key}] {key} must be a list of dates")
            for value in values:
                day = _override_date(value, year_key, key)
                if day.year != year:
                    raise CalendarOverrideError(
                        f"[{year_key}] {key}: {day.isoformat()} is not in {year}"
                    )
                if result.get(day, working) is not working:
                    raise CalendarOverrideError(
                        f"[{year_key}]: {day.isoformat()} is both a holiday and a workday"
                    )
                result[day] = working
    return result


def _override_date(value: object, year_key: str, key: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise CalendarOverrideError(f"[{year_key}] {key}: {value} has a time; give a date")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise CalendarOverrideError(f"[{year_key}] {key}: {value!r} is not a date as YYYY-MM-DD")


def china_date(moment: dt.datetime) -> dt.date:
    """The calendar day in Guangzhou at `moment` (an aware datetime)."""
    return moment.astimezone(CHINA_TIME).date()
