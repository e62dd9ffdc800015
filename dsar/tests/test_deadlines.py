"""Deadline arithmetic (SPEC "Deadlines"): month ends, leap years, weekends, holidays, each jurisdiction."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dsar import deadlines

LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def _uk(settings):
    settings.TIME_ZONE = "Europe/London"
    settings.HOLIDAYS_COUNTRY = "GB"


def at(y, m, d, hour=10):
    return datetime(y, m, d, hour, tzinfo=LONDON)


def due(received, jurisdiction="gdpr", **kw) -> deadlines.Due:
    return deadlines.compute(received_at=received, jurisdiction=jurisdiction, now=received, **kw)


def test_one_calendar_month_is_the_same_date_next_month():
    assert due(at(2026, 5, 12)).day == date(2026, 6, 12)  # a Friday, no holiday
    assert due(at(2026, 3, 10)).day == date(2026, 4, 10)


def test_good_friday_and_the_weekend_after_it_are_skipped():
    # Tue 3 Mar → Fri 3 Apr 2026 is Good Friday → Sat, Sun → Mon 6 Apr (no holiday in GB as a whole).
    result = due(at(2026, 3, 3))

    assert result.day == date(2026, 4, 6)
    assert any("Good Friday" in step for step in result.trace)


def test_jan_31_clamps_to_the_end_of_february_then_rolls():
    # 2027 is no leap year: 28 Feb 2027 is a Sunday → Monday 1 March.
    result = due(at(2027, 1, 31))

    assert result.day == date(2027, 3, 1)
    assert any("no day 31" in step for step in result.trace)
    assert any("weekend" in step for step in result.trace)


def test_jan_31_in_a_leap_year_clamps_to_the_29th():
    # 29 Feb 2028 is a Tuesday.
    assert due(at(2028, 1, 31)).day == date(2028, 2, 29)
    assert due(at(2028, 1, 29)).day == date(2028, 2, 29)
    assert due(at(2028, 1, 30)).day == date(2028, 2, 29)


def test_feb_29_received_gives_march_29():
    assert due(at(2028, 2, 29)).day == date(2028, 3, 29)


def test_month_ends_clamp_to_a_shorter_month():
    # 31 May → 30 June 2026 (Tuesday).
    assert due(at(2026, 5, 31)).day == date(2026, 6, 30)
    # 31 Aug → 30 Sep 2026 (Wednesday).
    assert due(at(2026, 8, 31)).day == date(2026, 9, 30)


def test_a_due_date_on_a_weekend_moves_to_monday():
    # 7 Feb 2026 (Sat) → 7 Mar 2026 is a Saturday → Monday 9 March.
    result = due(at(2026, 2, 7))

    assert result.day == date(2026, 3, 9)
    assert sum("weekend" in step for step in result.trace) == 2


def test_public_holidays_of_the_configured_country_move_the_date():
    # 25 Nov → Fri 25 Dec 2026 (Christmas), Sat, Sun, Mon 28 Dec (Boxing Day observed) → Tue 29 Dec.
    result = due(at(2026, 11, 25))

    assert result.day == date(2026, 12, 29)
    assert any("Christmas" in step for step in result.trace)


def test_another_country_has_other_holidays(settings):
    settings.HOLIDAYS_COUNTRY = "DE"
    # 3 Sep → Sat 3 Oct 2026 (German Unity Day, and a Saturday), Sun → Mon 5 Oct.
    assert due(at(2026, 9, 3)).day == date(2026, 10, 5)
    # 1 Apr → 1 May 2026: Labour Day in Germany (Friday) → Monday 4 May; the UK's early May holiday is 4 May too.
    assert due(at(2026, 4, 1)).day == date(2026, 5, 4)


def test_the_day_of_receipt_is_taken_in_the_organisations_zone(settings):
    # 23:30 UTC on 31 March is 00:30 on 1 April in London (summer time).
    late = datetime(2026, 3, 31, 23, 30, tzinfo=ZoneInfo("UTC"))

    assert due(late).day == date(2026, 5, 1)  # 1 May 2026 is a Friday
    settings.TIME_ZONE = "America/New_York"
    assert due(late).day == date(2026, 4, 30)


def test_the_due_time_is_the_end_of_that_day_locally():
    result = due(at(2026, 5, 12))

    assert result.at == datetime(2026, 6, 12, 23, 59, 59, tzinfo=LONDON)


def test_the_extension_counts_three_months_from_receipt_never_from_the_rolled_first_date():
    # 7 Feb 2026: first due Mon 9 Mar (rolled); extended: 7 May 2026 (Thu), not 9 May.
    first = due(at(2026, 2, 7))
    extended = due(at(2026, 2, 7), extended=True)

    assert first.day == date(2026, 3, 9)
    assert extended.day == date(2026, 5, 7)
    assert any("not from the first due date" in step for step in extended.trace)


def test_the_extension_clamps_and_rolls_too():
    # 30 Nov 2026 + 3 months → 28 Feb 2027 (clamped; a Sunday) → Mon 1 Mar.
    assert due(at(2026, 11, 30), extended=True).day == date(2027, 3, 1)
    # 30 Nov 2027 + 3 → 29 Feb 2028 (leap year, a Tuesday).
    assert due(at(2027, 11, 30), extended=True).day == date(2028, 2, 29)


def test_a_one_month_extension_gives_two_months_from_receipt():
    assert due(at(2026, 5, 12), extended=True, extension_months=1).day == date(2026, 7, 13)  # 12 Jul is a Sunday


def test_ccpa_is_45_calendar_days_not_rolled():
    assert due(at(2026, 1, 16), "ccpa").day == date(2026, 3, 2)
    sunday = due(at(2026, 1, 22), "ccpa")
    assert sunday.day == date(2026, 3, 8)  # a Sunday: CCPA counts calendar days
    assert sunday.day.weekday() == 6


def test_ccpa_extends_once_to_90_days():
    assert due(at(2026, 1, 16), "ccpa", extended=True).day == date(2026, 4, 16)
    assert due(at(2026, 1, 16), "ccpa", extended=True, extension_days=15).day == date(2026, 3, 17)


def test_uk_pauses_stop_the_clock_and_the_date_is_rolled_after():
    received = at(2026, 5, 12)  # first due Fri 12 June
    pauses = [(at(2026, 5, 14), at(2026, 5, 22))]  # 8 days

    result = deadlines.compute(received_at=received, jurisdiction="uk_gdpr", pauses=pauses, now=at(2026, 5, 23))

    # 12 June + 8 days = Sat 20 June → Mon 22 June.
    assert result.day == date(2026, 6, 22)
    assert any("Clock stopped 8 day(s)" in step for step in result.trace)


def test_eu_gdpr_and_ccpa_pauses_do_not_stop_the_clock():
    received = at(2026, 5, 12)
    pauses = [(at(2026, 5, 14), at(2026, 5, 22))]

    gdpr = deadlines.compute(received_at=received, jurisdiction="gdpr", pauses=pauses, now=at(2026, 5, 23))
    ccpa = deadlines.compute(received_at=received, jurisdiction="ccpa", pauses=pauses, now=at(2026, 5, 23))

    assert gdpr.day == date(2026, 6, 12)
    assert ccpa.day == date(2026, 6, 26)
    assert any("do not stop the clock" in step for step in gdpr.trace)


def test_an_open_uk_pause_counts_up_to_now():
    received = at(2026, 5, 12)
    result = deadlines.compute(
        received_at=received, jurisdiction="uk_gdpr", pauses=[(at(2026, 5, 14), None)], now=at(2026, 5, 17)
    )

    assert result.day == date(2026, 6, 15)  # 12 June + 3 = Mon 15 June
    assert any("Paused now" in step for step in result.trace)


def test_every_due_date_carries_a_trace_from_receipt_to_due():
    result = due(at(2026, 5, 12), "uk_gdpr")

    assert result.trace[0].startswith("Received Tue 12 May 2026")
    assert result.trace[-1] == "Due Fri 12 Jun 2026, end of day."


@pytest.mark.parametrize("year", range(2026, 2031))
def test_every_receipt_day_of_a_year_lands_on_a_working_day_within_a_month_and_a_week(year):
    day = date(year, 1, 1)
    while day.year == year:
        received = datetime(day.year, day.month, day.day, 12, tzinfo=LONDON)
        result = due(received)
        assert result.day.weekday() < 5
        assert deadlines.holiday_name(result.day) is None
        assert timedelta(days=28) <= result.day - day <= timedelta(days=31 + 5)
        day += timedelta(days=1)
