"""Digest content: pure functions from store rows, `today` and the last digest time to sections."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

SECTIONS = (("overdue", "已逾期"), ("week", "7 天内到期"), ("month", "30 天内到期"),
            ("new", "新增事项"), ("found", "新发现"), ("recurring", "本期例行事项"))


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

    @property
    def link(self) -> str | None:
        """The source as a link, for documents fetched from the web (never another scheme)."""
        return self.source if self.source.startswith(("http://", "https://")) else None

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


@dataclass
class Digest:
    recipient: str
    period: str
    today: dt.date
    groups: list[OwnerGroup]
    counts: dict[str, int]

    @property
    def empty(self) -> bool:
        return not any(self.counts.values())

    def subject(self) -> str:
        kind = "日报" if len(self.period) == 10 else "周报"
        found = f"，{self.counts['found']} 项新发现" if self.counts.get("found") else ""
        return (f"【里程碑{kind}】{self.period}：{self.counts['overdue']} 项逾期，"
                f"{self.counts['week']} 项 7 天内到期，{self.counts['new']} 项新增{found}")


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
    return Line(ms.id, ms.title, ms.task, row.due, row.days_left, ms.precision,
                ms.owner or "未注明", ms.sentence, doc.source, doc.id, ms.time_text, ms.rrule)


def build(rows, *, recipient: str, schedule: str, today: dt.date,
          since: dt.datetime | None, found=()) -> Digest:
    """Sections per owner. `rows` are store rows (milestone, document, due, days_left);
    `found` are the milestones of fetched documents first seen since the last digest, whatever
    their due date (新发现: listed there instead of 新增事项)."""
    end = period_end(schedule, today)
    groups: dict[str, OwnerGroup] = {}
    counts = {key: 0 for key, _ in SECTIONS}
    discovered = {row.milestone.id for row in found}
    for row in rows:
        ms = row.milestone
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
            group = groups.setdefault(line.owner, OwnerGroup(line.owner))
            group.sections.setdefault(key, []).append(line)
            counts[key] += 1
    for row in found:
        line = _line(row)
        groups.setdefault(line.owner, OwnerGroup(line.owner)).sections.setdefault(
            "found", []).append(line)
        counts["found"] += 1
    ordered = sorted(groups.values(), key=lambda g: (-len(g.sections.get("overdue", [])), g.owner))
    for group in ordered:
        group.sections = {key: sorted(group.sections[key], key=lambda line: (line.due, line.id))
                          for key, _ in SECTIONS if key in group.sections}
    return Digest(recipient, period_key(schedule, today), today, ordered, counts)
