"""Watched sources: article pages, list pages and RSS/Atom feeds, fetched politely on a schedule
and ingested like any other document.

`add` validates and stores a source, `run_now` runs one or all at once, `run_due` is the
scheduler's tick (on PostgreSQL one process at a time scans, under an advisory lock; every run
is claimed with a conditional UPDATE, so no two processes fetch the same source at once).
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

from scheduler.errors import UsageError
from scheduler.sources.discover import canonical, check_selector
from scheduler.sources.fetch import Fetcher, FetchError, check_url
from scheduler.sources.run import Outcome, backoff, doc_id, run
from scheduler.store import watch

EVERY = re.compile(r"^\s*(\d+)\s*(m|min|h|d)\s*$", re.I)
UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400}
MIN_EVERY, MAX_EVERY = 10 * 60, 30 * 86400
NAME = re.compile(r"^[^\s/\\]{1,64}$")

__all__ = ["add", "run_now", "run_due", "parse_every", "show_every", "Outcome", "Fetcher",
           "FetchError", "backoff", "doc_id", "canonical"]


def parse_every(text: str) -> int:
    """`30m`, `6h`, `1d` → seconds; between 10 minutes and 30 days."""
    match = EVERY.match(text or "")
    if not match:
        raise UsageError(f"invalid --every {text!r}: use minutes, hours or days such as 30m, 6h, 1d")
    seconds = int(match.group(1)) * UNITS[match.group(2).lower()]
    if not MIN_EVERY <= seconds <= MAX_EVERY:
        raise UsageError(f"--every {text!r} is out of range: from 10m to 30d")
    return seconds


def show_every(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds // 60}m"


def _default_name(url: str, taken: set[str]) -> str:
    """`example.gov.cn-tzgg` from `https://www.example.gov.cn/tzgg/index.html`."""
    parts = urlsplit(url)
    host = (parts.hostname or "source").removeprefix("www.")
    segments = [s.rsplit(".", 1)[0] for s in parts.path.split("/") if s]
    segments = [s for s in segments if s and s.lower() not in ("index", "default", "list")]
    base = (f"{host}-{segments[-1]}" if segments else host)[:56]
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def add(engine, *, url: str, name: str | None, every: str, follow: str | None, max_new: int,
        owner: str | None, now: dt.datetime) -> watch.Source:
    url = check_url(url)
    if follow is not None and follow != "auto":
        check_selector(follow)
    if max_new < 1:
        raise UsageError("--max-new must be 1 or more")
    if name is not None and not NAME.match(name):
        raise UsageError(f"invalid --name {name!r}: 1 to 64 characters, no spaces or slashes")
    seconds = parse_every(every)
    return watch.add(engine, name=name or _default_name(url, watch.names(engine)), url=url,
                     follow=follow, every=seconds, max_new=max_new, owner=owner or None, now=now)


def run_now(engine, settings, now: dt.datetime, name: str | None = None, *,
            transport=None) -> list[Outcome]:
    """Run one source (by name) or every source now, whatever their schedule."""
    sources = [watch.get(engine, name)] if name else watch.listing(engine)
    with Fetcher(settings, transport=transport) as fetcher:
        return [run(engine, settings, source, fetcher, now, force=True) for source in sources]


def run_due(engine, settings, now: dt.datetime, *, transport=None) -> list[Outcome]:
    """The scheduler's tick: every source whose time has come, one run each."""
    outcomes: list[Outcome] = []
    with watch.scan_lock(engine) as mine:
        if not mine:
            return outcomes
        sources = watch.due(engine, now)
        if not sources:
            return outcomes
        with Fetcher(settings, transport=transport) as fetcher:
            for source in sources:
                outcome = run(engine, settings, source, fetcher, now)
                if outcome.ran:
                    outcomes.append(outcome)
    return outcomes
