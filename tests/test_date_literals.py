"""Date literal intervals and date functions, against days worked out by hand."""

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from fakeforce.soql.date_literals import DateLiteralError, date_function, literal_range, local_day_range

WED = date(2026, 11, 18)  # a Wednesday


@pytest.mark.parametrize("name, n, first, after", [
    ("TODAY", None, WED, date(2026, 11, 19)),
    ("YESTERDAY", None, date(2026, 11, 17), WED),
    ("TOMORROW", None, date(2026, 11, 19), date(2026, 11, 20)),
    ("THIS_WEEK", None, date(2026, 11, 15), date(2026, 11, 22)),  # Sunday to Sunday
    ("LAST_WEEK", None, date(2026, 11, 8), date(2026, 11, 15)),
    ("NEXT_WEEK", None, date(2026, 11, 22), date(2026, 11, 29)),
    ("THIS_MONTH", None, date(2026, 11, 1), date(2026, 12, 1)),
    ("LAST_MONTH", None, date(2026, 10, 1), date(2026, 11, 1)),
    ("NEXT_MONTH", None, date(2026, 12, 1), date(2027, 1, 1)),
    ("LAST_90_DAYS", None, date(2026, 8, 20), date(2026, 11, 19)),  # 91 days with today
    ("NEXT_90_DAYS", None, date(2026, 11, 19), date(2027, 2, 17)),
    ("LAST_N_DAYS", 1, date(2026, 11, 17), date(2026, 11, 19)),  # yesterday and today
    ("NEXT_N_DAYS", 2, date(2026, 11, 19), date(2026, 11, 21)),
    ("N_DAYS_AGO", 3, date(2026, 11, 15), date(2026, 11, 16)),
    ("LAST_N_WEEKS", 2, date(2026, 11, 1), date(2026, 11, 15)),
    ("NEXT_N_WEEKS", 1, date(2026, 11, 22), date(2026, 11, 29)),
    ("N_WEEKS_AGO", 1, date(2026, 11, 8), date(2026, 11, 15)),
    ("LAST_N_MONTHS", 2, date(2026, 9, 1), date(2026, 11, 1)),
    ("NEXT_N_MONTHS", 2, date(2026, 12, 1), date(2027, 2, 1)),
    ("N_MONTHS_AGO", 11, date(2025, 12, 1), date(2026, 1, 1)),
    ("THIS_QUARTER", None, date(2026, 10, 1), date(2027, 1, 1)),
    ("LAST_QUARTER", None, date(2026, 7, 1), date(2026, 10, 1)),
    ("NEXT_N_QUARTERS", 2, date(2027, 1, 1), date(2027, 7, 1)),
    ("N_QUARTERS_AGO", 4, date(2025, 10, 1), date(2026, 1, 1)),
    ("THIS_YEAR", None, date(2026, 1, 1), date(2027, 1, 1)),
    ("LAST_YEAR", None, date(2025, 1, 1), date(2026, 1, 1)),
    ("LAST_N_YEARS", 2, date(2024, 1, 1), date(2026, 1, 1)),
    ("NEXT_N_YEARS", 1, date(2027, 1, 1), date(2028, 1, 1)),
    ("N_YEARS_AGO", 1, date(2025, 1, 1), date(2026, 1, 1)),
    ("THIS_FISCAL_QUARTER", None, date(2026, 10, 1), date(2027, 1, 1)),
    ("this_fiscal_year", None, date(2026, 1, 1), date(2027, 1, 1)),
])
def test_local_day_ranges(name, n, first, after):
    assert local_day_range(name, n, WED) == (first, after)


def test_fiscal_year_starting_in_april():
    assert local_day_range("THIS_FISCAL_YEAR", None, WED, fiscal_start=4) == (date(2026, 4, 1), date(2027, 4, 1))
    assert local_day_range("THIS_FISCAL_QUARTER", None, WED, fiscal_start=4) == (date(2026, 10, 1),
                                                                                 date(2027, 1, 1))
    assert local_day_range("LAST_FISCAL_QUARTER", None, date(2026, 4, 2), fiscal_start=4) == (
        date(2026, 1, 1), date(2026, 4, 1))


def test_year_boundary_and_leap_day():
    assert local_day_range("LAST_WEEK", None, date(2027, 1, 1)) == (date(2026, 12, 20), date(2026, 12, 27))
    assert local_day_range("N_DAYS_AGO", 365, date(2025, 2, 28)) == (date(2024, 2, 29), date(2024, 3, 1))


def test_time_zone_decides_where_days_start():
    la = ZoneInfo("America/Los_Angeles")
    now = datetime(2026, 11, 19, 3, 0, tzinfo=timezone.utc)  # still the 18th in Los Angeles
    start, end = literal_range("TODAY", None, now, la)
    assert start == datetime(2026, 11, 18, 8, 0, tzinfo=timezone.utc)
    assert end == datetime(2026, 11, 19, 8, 0, tzinfo=timezone.utc)
    # The day daylight saving ends is 25 hours long.
    start, end = literal_range("TODAY", None, datetime(2026, 11, 1, 20, 0, tzinfo=timezone.utc), la)
    assert (end - start).total_seconds() == 25 * 3600


@pytest.mark.parametrize("name, n", [("LAST_N_DAYS", None), ("TODAY", 3), ("SOMEDAY", None), ("LAST_N_DAYS", -1),
                                     ("LAST_N_FORTNIGHTS", 2)])
def test_bad_literals(name, n):
    with pytest.raises(DateLiteralError):
        local_day_range(name, n, WED)


def test_date_functions():
    utc = timezone.utc
    moment = datetime(2026, 11, 18, 23, 30, tzinfo=utc)
    expected = {"CALENDAR_MONTH": 11, "CALENDAR_QUARTER": 4, "CALENDAR_YEAR": 2026, "DAY_IN_MONTH": 18,
                "DAY_IN_WEEK": 4, "DAY_IN_YEAR": 322, "DAY_ONLY": date(2026, 11, 18), "FISCAL_MONTH": 11,
                "FISCAL_QUARTER": 4, "FISCAL_YEAR": 2026, "HOUR_IN_DAY": 23, "WEEK_IN_MONTH": 3, "WEEK_IN_YEAR": 46}
    for name, value in expected.items():
        assert date_function(name, moment, utc) == value, name
    assert date_function("HOUR_IN_DAY", moment, ZoneInfo("Europe/Berlin")) == 0
    assert date_function("DAY_ONLY", moment, ZoneInfo("Europe/Berlin")) == date(2026, 11, 19)
    assert date_function("DAY_IN_WEEK", date(2026, 11, 15), utc) == 1  # Sunday
    assert date_function("FISCAL_YEAR", date(2026, 5, 1), utc, fiscal_start_month=4) == 2027
    with pytest.raises(DateLiteralError):
        date_function("CALENDAR_WEEK", moment, utc)
