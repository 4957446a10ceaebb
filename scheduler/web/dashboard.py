"""The dashboard's numbers: summary strip, owner × bucket matrix, chart periods, month grid, list.

Every count is the count of the rows `store.status` returns (the rows `deadlines status --json`
prints) for the same day, but counted by the database (`store.counts`): only the listed rows and
the month grid's entries are loaded. The caller runs this off the event loop and caches the page
by the store's change stamp.
"""

from __future__ import annotations

import calendar
import datetime as dt
import threading
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler.store import counts
from scheduler.store.review import backlog
from scheduler.store.tables import Document, Milestone
from scheduler.store.timeline import BUCKETS

FILTERS = ("owner", "doc", "status", "bucket", "q", "due")
STATUS_CHOICES = ("open", "done", "cancelled", "all")
BUCKET_CHOICES = tuple(key for key, _ in BUCKETS) + ("stale",)
MATRIX_OWNERS = 20
LIST_LIMIT = 200
CHART_MONTHS = counts.CHART_MONTHS
STATUSES = ("open", "done", "cancelled")


def clean_filters(params) -> dict[str, str]:
    """The query string's filters, unknown values dropped."""
    out = {k: params.get(k, "").strip() for k in FILTERS if params.get(k, "").strip()}
    if out.get("status") not in STATUS_CHOICES:
        out.pop("status", None)
    if out.get("bucket") not in BUCKET_CHOICES:
        out.pop("bucket", None)
    if "due" in out:
        try:
            dt.date.fromisoformat(out["due"])
        except ValueError:
            out.pop("due")
    return out


def stamp(engine: Engine) -> tuple:
    """What the page depends on: changes whenever a milestone or a document changes."""
    with Session(engine) as session:
        ms = session.exec(select(func.count(), func.max(Milestone.updated_at))).one()
        docs = session.exec(select(func.count(), func.max(Document.updated_at))).one()
    return (*ms, *docs)


@dataclass
class View:
    today: dt.date
    filters: dict
    summary: dict[str, int]
    matrix: list[tuple[str, dict[str, int], int]]
    matrix_more: int
    chart: list[dict]
    month: dict
    rows: list
    stale_rows: list
    total: int
    feeds: list = field(default_factory=list)


class Dashboard:
    """The dashboard's numbers, counted by the database (see `store.counts`); only the listed
    rows are loaded in full. The page that uses them is cached by the store's change stamp."""

    def __init__(self, engine: Engine, stale_days: int = 90, reviewed_only: bool = False):
        self.engine = engine
        self.reviewed_only = reviewed_only      # publish = reviewed
        self.stale_days = stale_days
        self._duties: dict[tuple, list] = {}
        self._lock = threading.Lock()
        self._build = threading.Lock()

    def duties(self, today: dt.date, mark: tuple | None) -> list:
        """The recurring duties with today's due dates, once per (store change, day)."""
        key = (mark or stamp(self.engine), today)
        with self._lock:
            hit = self._duties.get(key)
        if hit is None:
            with self._build:          # concurrent misses wait for one computation
                with self._lock:
                    hit = self._duties.get(key)
                if hit is None:
                    hit = counts.duties(self.engine, today)
                    with self._lock:
                        if len(self._duties) > 4:
                            self._duties.clear()
                        self._duties[key] = hit
        return hit

    def _scope(self, filters: dict, statuses: tuple[str, ...]) -> counts.Scope:
        due = filters.get("due")
        return counts.Scope(statuses=statuses, reviewed=self.reviewed_only,
                            owner=filters.get("owner"), doc=filters.get("doc"), q=filters.get("q"),
                            due=dt.date.fromisoformat(due) if due else None)

    def view(self, today: dt.date, filters: dict, month: dt.date | None = None,
             mark: tuple | None = None) -> View:
        known = self.duties(today, mark)
        state = filters.get("status", "open")
        statuses = STATUSES if state == "all" else (state,)
        scoped = {k: v for k, v in filters.items() if k in ("doc", "q")}
        base = counts.tally(self.engine, today, self._scope(scoped, STATUSES), self.stale_days, known)
        picked_scope = self._scope(filters, statuses)
        wanted = filters.get("bucket")
        picked = counts.tally(self.engine, today, picked_scope, self.stale_days, known)
        total = sum(n for (_o, s, b, stale, _p), n in picked.items()
                    if wanted is None or (s == "open" and (stale if wanted == "stale" else b == wanted)))
        if wanted:          # stale items are collapsed unless a bucket was asked for
            listed = counts.rows(self.engine, today, picked_scope, self.stale_days,
                                 bucket_name=wanted, limit=LIST_LIMIT, known=known)
            stale_rows = []
        else:
            listed = counts.rows(self.engine, today, picked_scope, self.stale_days, stale=False,
                                 limit=LIST_LIMIT, known=known)
            stale_rows = counts.rows(self.engine, today, picked_scope, self.stale_days, stale=True,
                                     limit=LIST_LIMIT, known=known)
        first = month or today.replace(day=1)
        grid_scope = picked_scope if filters else self._scope({}, ("open",))
        in_month = counts.month_rows(self.engine, today, grid_scope, self.stale_days, first,
                                     bucket_name=wanted if filters else None, known=known)
        matrix, more = self.matrix(base)
        return View(today, filters, self.summary(base), matrix, more, chart(base, today),
                    month_grid(first, in_month, today), listed, stale_rows, total)

    def summary(self, tally: Counter) -> dict[str, int]:
        out = dict.fromkeys(("overdue", "week", "month", "later", "done", "stale"), 0)
        for (_owner, state, b, stale, _period), n in tally.items():
            if state == "open":
                out[b] += n
                out["stale"] += n if stale else 0
            elif state == "done":
                out["done"] += n
        out["review"] = backlog(self.engine)
        return out

    @staticmethod
    def matrix(tally: Counter) -> tuple[list[tuple[str, dict[str, int], int]], int]:
        cells: dict[str, Counter] = {}
        for (owner, state, b, _stale, _period), n in tally.items():
            if state == "open":
                cells.setdefault(owner, Counter())[b] += n
        ordered = sorted(cells.items(), key=lambda kv: (-kv[1]["overdue"], -kv[1]["week"],
                                                         -sum(kv[1].values()), kv[0]))
        shown = [(owner, dict(c), sum(c.values())) for owner, c in ordered[:MATRIX_OWNERS]]
        return shown, max(0, len(ordered) - MATRIX_OWNERS)


def _month_add(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)


def chart(tally: Counter, today: dt.date) -> list[dict]:
    """One period per bar: open overdue, then this month and the next five, by status."""
    periods = [{"key": "overdue", "label": "已逾期", "open": 0, "done": 0, "cancelled": 0}]
    index = {"overdue": 0}
    for n, (key, month, _stop) in enumerate(counts.periods(today)):
        index[key] = len(periods)
        periods.append({"key": key, "label": f"{month.month}月" if n else "本月",
                        "open": 0, "done": 0, "cancelled": 0})
    for (_owner, state, _b, _stale, period), n in tally.items():
        if period is not None:
            periods[index[period]][state] += n
    return periods


def month_grid(first: dt.date, rows: list, today: dt.date) -> dict:
    """Weeks (Monday first) of `first`'s month; each day with the open milestones due on it."""
    due: dict[dt.date, list] = {}
    for row in rows:
        if row.due.year == first.year and row.due.month == first.month:
            due.setdefault(row.due, []).append(row)
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        weeks.append([{"day": d, "inside": d.month == first.month, "today": d == today,
                       "rows": due.get(d, []) if d.month == first.month else []} for d in week])
    return {"first": first, "weeks": weeks, "prev": _month_add(first, -1), "next": _month_add(first, 1)}
