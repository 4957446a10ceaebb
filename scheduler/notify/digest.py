"""Digest content: pure functions from store rows, `today` and the last digest time to sections."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from scheduler.store import labels
from scheduler.store.timeline import STALE_DAYS, bucket, stale_by_days_left

SECTIONS = (("overdue", "已逾期"), ("week", "7 天内到期"), ("month", "30 天内到期"),
            ("new", "新增事项"), ("found", "新发现"), ("recurring", "本期例行事项"))
# the summary at the top uses `deadlines status --check`'s windows: every open milestone due in
# 0..7 days counts as due within 7 days, recurring duties included; stale ones are in `overdue` too
SUMMARY = ("overdue", "week", "month", "stale")


@dataclass
class Line:
    id: str
    title: str
    task: str
    due: dt.date
    days_left: int
    precision: str
    owner: str
    sentence: str
    source: str
    doc: str
    time_text: str
    rrule: str | None
    link: str | None = None        # the document's web address, if it has one (never a path)

    @property
    def when(self) -> str:
        if self.days_left < 0:
            return f"逾期 {-self.days_left} 天"
        if self.days_left == 0:
            return "今天到期"
        return f"还有 {self.days_left} 天"


@dataclass
class OwnerGroup:
    owner: str
    sections: dict[str, list[Line]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUMMARY, 0))

    @property
    def active(self) -> bool:
        """Anything due or overdue that is not stale."""
        return self.counts["overdue"] > self.counts["stale"] or self.counts["week"] or self.counts["month"]

    def blocks(self, key: str, top: int | None = None) -> list[tuple[str, list[Line]]]:
        """The section's first `top` lines, those that quote the same sentence grouped under it."""
        shown: dict[str, list[Line]] = {}
        for line in self.sections.get(key, [])[:top]:
            shown.setdefault(line.sentence, []).append(line)
        return list(shown.items())


@dataclass
class Digest:
    recipient: str
    period: str
    today: dt.date
    groups: list[OwnerGroup]
    counts: dict[str, int]                     # lines listed per section
    summary: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUMMARY, 0))
    stale_days: int = STALE_DAYS
    quiet: list[OwnerGroup] = field(default_factory=list)   # owners with only stale items

    @property
    def quiet_stale(self) -> int:
        return sum(g.counts["stale"] for g in self.quiet)

    @property
    def empty(self) -> bool:
        return not any(self.counts.values()) and not any(self.summary.values())

    def subject(self) -> str:
        kind = "日报" if len(self.period) == 10 else "周报"
        found = f"，{self.counts['found']} 项新发现" if self.counts.get("found") else ""
        return (f"【里程碑{kind}】{self.period}：{self.summary['overdue']} 项逾期，"
                f"{self.summary['week']} 项 7 天内到期，{self.counts['new']} 项新增{found}")


def period_key(schedule: str, day: dt.date) -> str:
    """`2023-07-03` for a daily digest, `2023-W27` (ISO week) for a weekly one."""
    if schedule == "daily":
        return day.isoformat()
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def period_end(schedule: str, day: dt.date) -> dt.date:
    return day if schedule == "daily" else day + dt.timedelta(days=6 - day.weekday())


def _line(row) -> Line:
    ms, doc = row.milestone, row.document
    return Line(ms.id, ms.title, ms.task, row.due, row.days_left, labels.precision(ms.precision),
                ms.owner or labels.NO_OWNER, ms.sentence, labels.doc_title(doc), doc.id,
                ms.time_text, ms.rrule, labels.public_url(getattr(doc, "source", None)))


def build(rows, *, recipient: str, schedule: str, today: dt.date,
          since: dt.datetime | None, found=(), stale_days: int = STALE_DAYS) -> Digest:
    """Sections per owner. `rows` are store rows (milestone, document, due, days_left);
    `found` are the milestones of fetched documents first seen since the last digest, whatever
    their due date (新发现: listed there instead of 新增事项)."""
    end = period_end(schedule, today)
    groups: dict[str, OwnerGroup] = {}
    counts = {key: 0 for key, _ in SECTIONS}
    summary = dict.fromkeys(SUMMARY, 0)
    discovered = {row.milestone.id for row in found}
    for row in rows:
        ms = row.milestone
        if getattr(ms, "status", "open") != "open":
            continue
        owner = ms.owner or labels.NO_OWNER
        group = groups.setdefault(owner, OwnerGroup(owner))
        where = bucket(row.days_left)
        if where != "later":
            summary[where] += 1
            group.counts[where] += 1
        if stale_by_days_left(row.days_left, "open", stale_days):
            summary["stale"] += 1
            group.counts["stale"] += 1
            continue                      # counted, not listed
        line = _line(row)
        keys = []
        if ms.rrule:
            if row.due <= end:
                keys.append("recurring")
        elif row.days_left < 0:
            keys.append("overdue")
        elif row.days_left <= 7:
            keys.append("week")
        elif row.days_left <= 30:
            keys.append("month")
        created = ms.created_at
        if since is not None and created is not None:
            if created.tzinfo is None:
                created = created.replace(tzinfo=dt.timezone.utc)
            if created > since and ms.id not in discovered:
                keys.append("new")
        for key in keys:
            group.sections.setdefault(key, []).append(line)
            counts[key] += 1
    for row in found:
        line = _line(row)
        groups.setdefault(line.owner, OwnerGroup(line.owner)).sections.setdefault(
            "found", []).append(line)
        counts["found"] += 1

    def urgency(group: OwnerGroup):
        listed = [line.due for lines in group.sections.values() for line in lines]
        return (-len(group.sections.get("overdue", [])), -group.counts["week"],
                min(listed, default=dt.date.max), group.owner)

    ordered = sorted((g for g in groups.values() if g.sections or g.active), key=urgency)
    quiet = sorted((g for g in groups.values() if not (g.sections or g.active)),
                   key=lambda g: g.owner)
    for group in ordered:
        group.sections = {key: sorted(group.sections[key], key=lambda line: (line.due, line.id))
                          for key, _ in SECTIONS if key in group.sections}
    return Digest(recipient, period_key(schedule, today), today, ordered, counts, summary, stale_days,
                  quiet)
