"""Plain data produced by extraction. No database, no I/O."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass, field


@dataclass
class Repair:
    id: str          # stable repair id, e.g. "pinyin-annotation"
    count: int


@dataclass
class DocumentInfo:
    doc: str
    source: str | None
    encoding: str
    content_hash: str
    published: dt.date | None
    published_how: str
    repairs: list[Repair] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    text: str = ""   # the cleaned text; spans refer to it

    @property
    def year_uncertain(self) -> bool:
        return self.published is None


@dataclass
class Resolved:
    due: dt.date
    start: dt.date | None
    precision: str
    kind: str | None = None      # forced kind (recurring, start for ranges)
    rrule: str | None = None


@dataclass
class TimeMatch:
    start: int
    end: int
    text: str
    rule: str
    groups: dict
    resolved: Resolved | None = None


@dataclass
class Milestone:
    doc: str
    due: dt.date
    start: dt.date | None
    precision: str
    kind: str
    rrule: str | None
    owner: str | None
    time_text: str
    task: str
    title: str
    sentence: str
    span: tuple[int, int]          # the time expression's span in the cleaned text
    sentence_span: tuple[int, int]
    rules: list[str]
    confidence: float
    flags: list[str] = field(default_factory=list)
    id: str = ""

    def key(self) -> str:
        """Stable identity: document + task + time expression (not the position)."""
        raw = f"{self.doc}\x1f{self.task}\x1f{self.time_text}"
        return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]

    def to_json(self) -> dict:
        data = asdict(self)
        data["due"] = self.due.isoformat()
        data["start"] = self.start.isoformat() if self.start else None
        data["span"] = list(self.span)
        data["sentence_span"] = list(self.sentence_span)
        return data


@dataclass
class Extraction:
    document: DocumentInfo
    milestones: list[Milestone]
    # what the source says of some milestones' state (a task table's 状态 column): id → done | cancelled
    states: dict[str, str] = field(default_factory=dict)
