"""The organisation's clock: reporting periods (day, ISO week, month, quarter) in its time zone,
its local days, and today where it is."""

import datetime as dt
import zoneinfo

import holidays
from django.db import connection
from django.utils import formats, timezone
from django.utils.translation import gettext as _

DAY, WEEK, MONTH, QUARTER = "day", "week", "month", "quarter"
KINDS = (DAY, WEEK, MONTH, QUARTER)


def period_start(day: dt.date, kind: str) -> dt.date:
    """The first day of the period of ``kind`` that contains ``day`` (weeks start on Monday)."""
    if kind == DAY:
        return day
    if kind == WEEK:
        return day - dt.timedelta(days=day.weekday())
    if kind == MONTH:
        return day.replace(day=1)
    if kind == QUARTER:
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    raise ValueError(f"unknown period kind {kind!r}")


def next_start(start: dt.date, kind: str) -> dt.date:
    if kind == DAY:
        return start + dt.timedelta(days=1)
    if kind == WEEK:
        return start + dt.timedelta(days=7)
    months = 1 if kind == MONTH else 3
    month = start.month - 1 + months
    return dt.date(start.year + month // 12, month % 12 + 1, 1)


def previous_start(start: dt.date, kind: str) -> dt.date:
    return period_start(start - dt.timedelta(days=1), kind)


def bounds(start: dt.date, kind: str, zone) -> tuple[dt.datetime, dt.datetime]:
    """The period as [from, until) aware datetimes: local midnights, whatever the DST shift."""
    end = next_start(start, kind)
    return (
        dt.datetime.combine(start, dt.time(), tzinfo=zone),
        dt.datetime.combine(end, dt.time(), tzinfo=zone),
    )


def label(start: dt.date, kind: str) -> str:
    """The period as a stable key for machines (API, exports): 2026-11-29, 2026-W48, 2026-11,
    2026-Q4. People read ``period_name``."""
    if kind == DAY:
        return start.isoformat()
    if kind == WEEK:
        year, week, _weekday = start.isocalendar()
        return f"{year}-W{week:02d}"
    if kind == MONTH:
        return f"{start:%Y-%m}"
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def period_name(start: dt.date, kind: str) -> str:
    """The period in the reader's language, as people say it: “29 November 2026”, “week 48 of
    2026”, “November 2026”, “Q4 2026” (in Dutch “29 november 2026”, “week 48 van 2026”,
    “november 2026”, “4e kwartaal 2026”)."""
    if kind == DAY:
        return formats.date_format(start, "j F Y")
    if kind == WEEK:
        year, week, _weekday = start.isocalendar()
        return _("week %(week)s of %(year)s") % {"week": week, "year": year}
    if kind == MONTH:
        return formats.date_format(start, "F Y")
    return _("Q%(quarter)s %(year)s") % {"quarter": (start.month - 1) // 3 + 1, "year": start.year}


def local_day(time_zone: str):
    """A function giving the local date of an aware moment in ``time_zone``."""
    zone = zoneinfo.ZoneInfo(time_zone)

    def day(moment: dt.datetime) -> dt.date:
        # Most times arrive without an offset and so already on the organisation's clock.
        return moment.date() if moment.tzinfo is zone else moment.astimezone(zone).date()

    return day


def local_today(organisation) -> dt.date:
    """Today where the organisation is."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(organisation.time_zone)).date()


def as_date(value) -> dt.date:
    """A day from raw SQL: a date already (PostgreSQL), or ISO text (SQLite)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def zone_for_stamping(organisation) -> str:
    """The organisation's time zone as it is now, for a write that stamps rows with local days.

    Call inside the write's transaction. On PostgreSQL the organisation's row stays share-locked
    until it commits, so a change of zone waits for writes in progress and every later write
    sees the new zone: no row is ever stamped on a clock the restamping has already passed."""
    if connection.vendor != "postgresql":
        return (
            type(organisation).objects.values_list("time_zone", flat=True).get(pk=organisation.pk)
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT time_zone FROM organisations_organisation WHERE id = %s FOR SHARE",
            [organisation.pk],
        )
        return cursor.fetchone()[0]


def holiday_calendar(country: str, years):
    """The public holidays of ``country`` (ISO 3166 code, e.g. "NL") in ``years``."""
    return holidays.country_holidays(country, years=years)


def add_working_days(start: dt.date, days: int, country: str) -> dt.date:
    """The day ``days`` working days after ``start``: weekends and the country's public holidays
    do not count. ``start`` itself never counts, whatever day it is."""
    calendar = holiday_calendar(country, range(start.year, start.year + 2))
    day = start
    while days > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in calendar:
            days -= 1
    return day
