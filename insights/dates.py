"""Date ranges and interval buckets in the project's timezone.

Relative dates follow PostHog: `-7d`, `-24h`, `-2w`, `-3m`, `-1q`, `-1y` (days and longer start at
midnight; hours at the top of the hour), `dStart`/`wStart`/`mStart`/`qStart`/`yStart` and their
`-1mStart`/`-1mEnd` forms, ISO dates (a `date_to` date means the end of that day) and ISO times.
Weeks start on Sunday, PostHog's default. Buckets are wall-clock times in the project's timezone:
naive local datetimes, the same values `date_trunc(..., timestamp AT TIME ZONE tz)` produces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from insights.query_spec import fail

MAX_BUCKETS = 10_000
_RELATIVE = re.compile(r"^-(\d{1,5})([hdwmqy])$")
_ANCHORED = re.compile(r"^(?:-(\d{1,5}))?([dwmqy])(Start|End)$")
_MONTHS_PER_UNIT = {"m": 1, "q": 3, "y": 12}


class DateError(ValueError):
    pass


def project_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise DateError("date out of range")
    days_in_month = [31, 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28, 31, 30, 31, 30,
                     31, 31, 30, 31, 30, 31][month]
    return moment.replace(year=year, month=month + 1, day=min(moment.day, days_in_month))


def truncate(moment: datetime, unit: str) -> datetime:
    """Start of the hour/day/week/month/quarter/year containing a naive local datetime."""
    if unit == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=(day.weekday() + 1) % 7)
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return day.replace(day=1, month=(day.month - 1) // 3 * 3 + 1)
    return day.replace(day=1, month=1)


def step(moment: datetime, unit: str, count: int = 1) -> datetime:
    if unit == "hour":
        return moment + timedelta(hours=count)
    if unit == "day":
        return moment + timedelta(days=count)
    if unit == "week":
        return moment + timedelta(weeks=count)
    return add_months(moment, count * {"month": 1, "quarter": 3, "year": 12}[unit])


_UNIT_NAMES = {"h": "hour", "d": "day", "w": "week", "m": "month", "q": "quarter", "y": "year"}


def parse_point(value: str, *, zone: ZoneInfo, now: datetime, end: bool) -> datetime:
    """A naive local datetime for `value`; `end` picks the last microsecond of a date or unit."""
    local_now = now.astimezone(zone).replace(tzinfo=None)
    text = value.strip()
    try:
        if match := _RELATIVE.match(text):
            count, unit = int(match.group(1)), _UNIT_NAMES[match.group(2)]
            if unit in ("month", "quarter", "year"):
                moment = add_months(local_now, -count * _MONTHS_PER_UNIT[match.group(2)])
            else:
                moment = local_now - timedelta(**{f"{unit}s": count})
            grain = "hour" if unit == "hour" else "day"
            start = truncate(moment, grain)
            return step(start, grain) - timedelta(microseconds=1) if end else start
        if match := _ANCHORED.match(text):
            unit = _UNIT_NAMES[match.group(2)]
            start = step(truncate(local_now, unit), unit, -int(match.group(1) or 0))
            return step(start, unit) - timedelta(microseconds=1) if match.group(3) == "End" else start
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = datetime.fromisoformat(text)
            return day + timedelta(days=1, microseconds=-1) if end else day
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    except (ValueError, OverflowError) as error:
        raise DateError(str(error)) from error
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(zone).replace(tzinfo=None)
        except OverflowError as error:  # year 1 with a positive offset, year 9999 with a negative one
            raise DateError("date out of range") from error
    if not 1 < moment.year < 9999:
        raise DateError("date out of range")
    return moment


def check_date_string(value: object, path: list[str]) -> None:
    """Fail validation (400 at `path`) unless `value` is a string short enough to be a date."""
    if not isinstance(value, str) or len(value) > 64:
        fail(path, "Expected a date string such as -7d, mStart or 2024-01-31.", "invalid_date")


def check_date(value: object, path: list[str]) -> None:
    """Fail validation (400 at `path`) unless `value` is a date this module understands."""
    check_date_string(value, path)
    try:
        parse_point(value, zone=ZoneInfo("UTC"), now=datetime.now(UTC), end=False)
    except DateError:
        fail(path, f"Could not parse the date '{value}'.", "invalid_date")


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Buckets:
    interval: str
    zone: ZoneInfo
    starts: list[datetime]  # naive local bucket starts
    date_from: datetime  # aware, inclusive lower bound (the first bucket's start)
    date_to: datetime  # aware, inclusive upper bound

    def days(self) -> list[str]:
        fmt = "%Y-%m-%d %H:%M:%S" if self.interval == "hour" else "%Y-%m-%d"
        return [start.strftime(fmt) for start in self.starts]

    def labels(self) -> list[str]:
        fmt = "%b-%Y %H:%M" if self.interval == "hour" else "%b-%Y"
        return [f"{start.day}-{start.strftime(fmt)}" for start in self.starts]


def trends_buckets(*, date_from: str | None, date_to: str | None, interval: str, zone: ZoneInfo,
                   now: datetime, earliest: datetime | None, path: list[str]) -> Buckets:
    """Every bucket of the range, including empty ones; 400 for inverted or oversized ranges.

    `earliest` (aware) serves `date_from: "all"`: the project's first matching event.
    """
    local_now = now.astimezone(zone).replace(tzinfo=None)
    try:
        if date_from == "all":
            start = earliest.astimezone(zone).replace(tzinfo=None) if earliest else truncate(local_now, interval)
        else:
            start = parse_point(date_from or "-7d", zone=zone, now=now, end=False)
    except DateError:
        fail([*path, "date_from"], f"Could not parse the date '{date_from}'.", "invalid_date")
    try:
        end = (parse_point(date_to, zone=zone, now=now, end=True) if date_to
               else step(truncate(local_now, interval), interval) - timedelta(microseconds=1))
    except DateError:
        fail([*path, "date_to"], f"Could not parse the date '{date_to}'.", "invalid_date")
    if start > end:
        fail([*path, "date_from"], "date_from must be before date_to.", "invalid_date_range")
    first = truncate(start, interval)
    starts, cursor = [], first
    try:
        while cursor <= end:
            starts.append(cursor)
            if len(starts) > MAX_BUCKETS:
                fail([*path, "date_from"], f"The range has more than {MAX_BUCKETS} {interval} intervals.",
                     "too_many_intervals")
            cursor = step(cursor, interval)
        bounds = to_utc(first, zone), to_utc(end, zone)
    except (DateError, OverflowError):
        fail([*path, "date_to"], "The date range is out of bounds.", "invalid_date")
    return Buckets(interval=interval, zone=zone, starts=starts, date_from=bounds[0], date_to=bounds[1])
