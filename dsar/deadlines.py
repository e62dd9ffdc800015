"""When a data-subject request is due: pure functions that also say how they got there.

SPEC "Deadlines": GDPR and UK GDPR one calendar month from the day of receipt
(taken in the organisation's time zone, ``settings.TIME_ZONE``): the same date
next month, the month's last day where it has no such date, then rolled past
Saturdays, Sundays and the public holidays of ``settings.HOLIDAYS_COUNTRY``.
One extension, counted from receipt (receipt + 3 months, clamped and rolled the
same way, never chained from the rolled first date). CCPA: 45 calendar days,
one extension to 90. Pauses (waiting for the subject) stop the clock only under
UK GDPR: the unrolled date moves by the paused days, then is rolled.

Every answer carries a short trace, shown on the request page.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

GDPR, UK_GDPR, CCPA = "gdpr", "uk_gdpr", "ccpa"
MONTHS = {GDPR: 1, UK_GDPR: 1}
EXTENDED_MONTHS = 3  # receipt + 3 months: the month owed plus two further
CCPA_DAYS, CCPA_EXTENDED_DAYS = 45, 90
# Only the UK lets waiting for the subject stop the clock.
PAUSES_STOP_CLOCK = {UK_GDPR}

# A due date is the whole of that day in the organisation's zone.
END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True)
class Due:
    day: date
    at: datetime  # the end of ``day`` in the organisation's zone, aware
    trace: list[str] = field(default_factory=list)


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_day(moment: datetime) -> date:
    """The calendar day of ``moment`` in the organisation's zone."""
    return moment.astimezone(zone()).date()


def end_of(day: date) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=zone())


def _fmt(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


@cache
def _calendar(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=year)


def holiday_name(day: date, country: str | None = None) -> str | None:
    country = country or settings.HOLIDAYS_COUNTRY
    return _calendar(country, day.year).get(day)


def add_months(day: date, months: int) -> tuple[date, bool]:
    """The same date ``months`` later, or that month's last day where it has none; and whether clamped."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last)), day.day > last


def roll(day: date, trace: list[str], country: str | None = None) -> date:
    """The next working day from ``day`` (itself if it is one), naming each day skipped in ``trace``."""
    while True:
        if day.weekday() >= 5:
            trace.append(f"{_fmt(day)} is a weekend day: next day.")
        elif name := holiday_name(day, country):
            trace.append(f"{_fmt(day)} is a public holiday ({name}): next day.")
        else:
            return day
        day += timedelta(days=1)


def paused_days(pauses: Iterable[tuple[datetime, datetime | None]], now: datetime) -> int:
    """Whole calendar days spent paused (an open pause counts up to ``now``)."""
    total = 0
    for started, ended in pauses:
        total += max(0, (local_day(ended or now) - local_day(started)).days)
    return total


def compute(
    *,
    received_at: datetime,
    jurisdiction: str,
    extended: bool = False,
    extension_days: int | None = None,
    extension_months: int | None = None,
    pauses: Iterable[tuple[datetime, datetime | None]] = (),
    now: datetime | None = None,
) -> Due:
    """The due date of a request, with its trace.

    ``extended``: the one extension was taken (GDPR: to receipt + 1 + ``extension_months``
    months, by default 3 in all; CCPA: to receipt + 45 + ``extension_days`` days, by default 90).
    """
    now = now or datetime.now(tz=zone())
    received = local_day(received_at)
    trace = [f"Received {_fmt(received)} ({settings.TIME_ZONE})."]
    pauses = list(pauses)

    if jurisdiction == CCPA:
        days = CCPA_DAYS
        if extended:
            days = CCPA_DAYS + (CCPA_EXTENDED_DAYS - CCPA_DAYS if extension_days is None else extension_days)
            trace.append(f"CCPA, extended once: {days} calendar days from receipt.")
        else:
            trace.append(f"CCPA: {days} calendar days from receipt.")
        day = received + timedelta(days=days)
        trace.append(f"{_fmt(day)} (calendar days: not moved for weekends or holidays).")
        if pauses:
            trace.append(f"{len(pauses)} pause(s) recorded: under CCPA they do not stop the clock.")
        return Due(day, end_of(day), trace)

    if jurisdiction not in MONTHS:
        raise ValueError(f"Unknown jurisdiction {jurisdiction!r}.")
    label = "UK GDPR" if jurisdiction == UK_GDPR else "GDPR"
    months = MONTHS[jurisdiction]
    if extended:
        months = months + (EXTENDED_MONTHS - months if extension_months is None else extension_months)
        trace.append(f"{label}, extended once: {months} months from receipt (not from the first due date).")
    else:
        trace.append(f"{label}: one calendar month from receipt.")
    day, clamped = add_months(received, months)
    if clamped:
        trace.append(f"{_fmt(day)}: the month has no day {received.day}, so its last day.")
    else:
        trace.append(f"Same date {months} month(s) later: {_fmt(day)}.")

    if pauses:
        if jurisdiction in PAUSES_STOP_CLOCK:
            stopped = paused_days(pauses, now)
            if stopped:
                day += timedelta(days=stopped)
                trace.append(f"Clock stopped {stopped} day(s) while waiting for the subject: {_fmt(day)}.")
            if any(ended is None for _, ended in pauses):
                trace.append("Paused now: the date moves on each day until the subject answers.")
        else:
            trace.append(f"{len(pauses)} pause(s) recorded: under {label} they do not stop the clock.")

    due = roll(day, trace)
    trace.append(f"Due {_fmt(due)}, end of day.")
    return Due(due, end_of(due), trace)
