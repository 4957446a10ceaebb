"""The only module that reads the wall clock. Everything else is passed `today`/`now`."""

from __future__ import annotations

import datetime as dt
import os
import time
from zoneinfo import ZoneInfo

from scheduler.errors import UsageError

DEFAULT_TZ = "Asia/Shanghai"


def parse_date(text: str, what: str = "date") -> dt.date:
    """Parse YYYY-MM-DD strictly; a bad value is a one-line usage error."""
    try:
        return dt.date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise UsageError(f"invalid {what} {text!r}: expected YYYY-MM-DD") from None


def zone(name: str | None = None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except Exception:
        raise UsageError(f"unknown time zone {name!r}") from None


def now(tz: str | None = None) -> dt.datetime:
    """The current time in the configured zone."""
    return dt.datetime.now(zone(tz))


def today(override: str | dt.date | None = None, tz: str | None = None) -> dt.date:
    """`--today` if given, else DEADLINES_TODAY, else the wall-clock date in `tz`."""
    if isinstance(override, dt.date):
        return override
    if override:
        return parse_date(override, "--today")
    env = os.environ.get("DEADLINES_TODAY")
    if env:
        return parse_date(env, "DEADLINES_TODAY")
    return now(tz).date()


def monotonic() -> float:
    """Seconds on a clock that never goes back (for spacing requests, not for dates)."""
    return time.monotonic()


def sleep(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)
