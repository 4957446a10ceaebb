"""The dashboard's numbers: summary strip, owner × bucket matrix, chart periods, month grid, list.

Everything is computed from `store.status` rows (the same rows `deadlines status --json` prints),
so a count on the page is the count of that command for the same day. Rows are loaded once per
(change stamp, day, status) and filtered in memory per request; the caller runs this off the
event loop.
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

from scheduler.store import labels, status
from scheduler.store.review import backlog
from scheduler.store.tables import Document, Milestone
from scheduler.store.timeline import BUCKETS, bucket, stale_by_days_left

FILTERS = ("owner", "doc", "status", "bucket", "q", "due")
STATUS_CHOICES = ("open", "done", "cancelled", "all")
BUCKET_CHOICES = tuple(key for key, _ in BUCKETS) + ("stale",)
MATRIX_OWNERS = 20
LIST_LIMIT = 200
CHART_MONTHS = 6


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


def owner_of(row) -> str:
    return row.milestone.owner or labels.NO_OWNER


def matches(row, filters: dict, today: dt.date, stale_days: int) -> bool:
    ms = row.milestone
    if "owner" in filters and owner_of(row) != filters["owner"]:
        return False
    if "doc" in filters and row.document.id != filters["doc"]:
        return False
    if "due" in filters and row.due.isoformat() != filters["due"]:
        return False
    if "bucket" in filters:
        if ms.status != "open":
            return False
        if filters["bucket"] == "stale":
            if not stale_by_days_left(row.days_left, ms.status, stale_days):
                return False
        elif bucket(row.days_left) != filters["bucket"]:
            return False
    if "q" in filters:
        text = filters["q"]
        if not any(text in (value or "") for value in (ms.title, ms.task, ms.sentence, ms.owner)):
            return False
    return True


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
    def __init__(self, engine: Engine, stale_days: int = 90, reviewed_only: bool = False):
        self.engine = engine
        self.reviewed_only = reviewed_only      # publish = reviewed
        self.stale_days = stale_days
        self._rows: dict[tuple, list] = {}
        self._lock = threading.Lock()

    def rows(self, today: dt.date, state: str, mark: tuple | None = None) -> list:
        key = (mark or stamp(self.engine), today, state)
        with self._lock:
            hit = self._rows.get(key)
        if hit is None:
            statuses = None if state == "all" else (state,)
            hit = status(self.engine, today, statuses=statuses,
                         reviewed=True if self.reviewed_only else None)
            with self._lock:
                if len(self._rows) > 16:
                    self._rows.clear()
                self._rows[key] = hit
        return hit

    def summary(self, today: dt.date, open_rows: list, done: list) -> dict[str, int]:
        counts = Counter(bucket(r.days_left) for r in open_rows)
        return {"overdue": counts["overdue"], "week": counts["week"], "month": counts["month"],
                "later": counts["later"], "done": len(done),
                "stale": sum(stale_by_days_left(r.days_left, "open", self.stale_days) for r in open_rows),
                "review": backlog(self.engine)}

    def view(self, today: dt.date, filters: dict, month: dt.date | None = None,
             mark: tuple | None = None) -> View:
        mark = mark or stamp(self.engine)
        open_rows = self.rows(today, "open", mark)
        done = self.rows(today, "done", mark)
        state = filters.get("status", "open")
        picked = [r for r in (open_rows if state == "open" else self.rows(today, state, mark))
                  if matches(r, filters, today, self.stale_days)]
        scoped = {k: v for k, v in filters.items() if k in ("doc", "q")}
        base_open = [r for r in open_rows if matches(r, scoped, today, self.stale_days)]
        base_done = [r for r in done if matches(r, scoped, today, self.stale_days)]
        matrix, more = self.matrix(base_open)
        listed, stale_rows = [], []
        for r in picked:       # stale items are collapsed unless a bucket was asked for
            collapse = "bucket" not in filters and stale_by_days_left(r.days_left, r.milestone.status,
                                                            self.stale_days)
            (stale_rows if collapse else listed).append(r)
        return View(today, filters, self.summary(today, base_open, base_done), matrix, more,
                    chart(base_open + base_done + self._cancelled(today, scoped, mark), today),
                    month_grid(month or today.replace(day=1), picked if filters else base_open, today),
                    listed[:LIST_LIMIT], stale_rows[:LIST_LIMIT], len(picked))

    def _cancelled(self, today: dt.date, scoped: dict, mark: tuple) -> list:
        return [r for r in self.rows(today, "cancelled", mark)
                if matches(r, scoped, today, self.stale_days)]

    @staticmethod
    def matrix(rows: list) -> tuple[list[tuple[str, dict[str, int], int]], int]:
        cells: dict[str, Counter] = {}
        for row in rows:
            cells.setdefault(owner_of(row), Counter())[bucket(row.days_left)] += 1
        ordered = sorted(cells.items(), key=lambda kv: (-kv[1]["overdue"], -kv[1]["week"],
                                                         -sum(kv[1].values()), kv[0]))
        shown = [(owner, dict(c), sum(c.values())) for owner, c in ordered[:MATRIX_OWNERS]]
        return shown, max(0, len(ordered) - MATRIX_OWNERS)


def _month_add(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)


def chart(rows: list, today: dt.date) -> list[dict]:
    """One period per bar: open overdue, then this month and the next five, by status."""
    periods = [{"key": "overdue", "label": "已逾期", "open": 0, "done": 0, "cancelled": 0}]
    first = today.replace(day=1)
    index = {}
    for n in range(CHART_MONTHS):
        month = _month_add(first, n)
        index[(month.year, month.month)] = len(periods)
        periods.append({"key": f"{month:%Y-%m}", "label": f"{month.month}月" if n else "本月",
                        "open": 0, "done": 0, "cancelled": 0})
    for row in rows:
        state = row.milestone.status
        if state == "open" and row.days_left < 0:
            periods[0]["open"] += 1
            continue
        at = index.get((row.due.year, row.due.month))
        if at is not None and (state != "open" or row.due >= today):
            periods[at][state] += 1
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
