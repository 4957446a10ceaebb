"""SQLModel tables. Portable column types only (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

SCHEMA_VERSION = 4
ID_LENGTH = 64          # document and milestone ids: VARCHAR(64), the same limit on every back end


class SchemaInfo(SQLModel, table=True):
    __tablename__ = "schema_info"
    id: int = Field(default=1, primary_key=True)
    version: int


class Document(SQLModel, table=True):
    __tablename__ = "documents"
    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    source: str = Field(index=True, unique=True)
    content_hash: str = Field(max_length=64, index=True)
    published: dt.date | None = None
    published_how: str = ""
    title: str = ""                # headline (or lead sentence) of the document, for people
    encoding: str = ""
    repairs: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    warnings: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    ingested_at: dt.datetime
    updated_at: dt.datetime


class Milestone(SQLModel, table=True):
    __tablename__ = "milestones"
    __table_args__ = (Index("ix_milestones_status_due", "status", "due"),)
    id: str = Field(primary_key=True, max_length=64)
    document_id: str = Field(foreign_key="documents.id", index=True, max_length=64)
    due: dt.date = Field(index=True)
    start: dt.date | None = None
    precision: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    rrule: str | None = None
    owner: str | None = Field(default=None, index=True)
    time_text: str
    task: str
    title: str
    sentence: str
    span_start: int
    span_end: int
    rules: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    confidence: float
    flags: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="open", index=True, max_length=16)
    sequence: int = 0
    created_at: dt.datetime
    updated_at: dt.datetime = Field(index=True)    # max() is the change stamp of pages and feeds
    # review: unreviewed | accepted | edited | manual (entered by hand) | rejected
    review: str = Field(default="unreviewed", index=True, max_length=16)
    # fields a person vouches for (accepted or edited), each with what the text said then
    pinned: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, default=dict))
    # pinned fields the text now says differently: field -> the text's new value
    conflict: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, default=dict))
    # the extraction this row follows (its id unless the text changed under a reviewed row)
    extract_key: str | None = Field(default=None, max_length=64, index=True)


class StatusChange(SQLModel, table=True):
    __tablename__ = "status_changes"
    id: int | None = Field(default=None, primary_key=True)
    milestone_id: str = Field(foreign_key="milestones.id", index=True, max_length=64)
    at: dt.datetime
    by: str
    from_status: str
    to_status: str
    why: str = ""


class MilestoneEdit(SQLModel, table=True):
    """A person's change to a milestone's fields or review state, or a conflict found by ingest."""

    __tablename__ = "milestone_edits"
    id: int | None = Field(default=None, primary_key=True)
    milestone_id: str = Field(foreign_key="milestones.id", index=True, max_length=64)
    at: dt.datetime
    by: str
    field: str = Field(max_length=16)
    old: str | None = None
    new: str | None = None
    why: str = ""


class Rejection(SQLModel, table=True):
    """An extraction a person rejected, by a fingerprint of its evidence (sentence, time
    phrase, task), so the same extraction is not proposed again whatever its row id becomes."""

    __tablename__ = "rejections"
    fingerprint: str = Field(primary_key=True, max_length=64)
    milestone_id: str = Field(max_length=64)
    at: dt.datetime
    by: str
    reason: str = ""


class Subscriber(SQLModel, table=True):
    __tablename__ = "subscribers"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True)
    owner: str | None = None
    doc: str | None = None
    schedule: str = "weekly"
    at: str = "08:00"
    token: str = Field(default="", max_length=64)     # for the one-click unsubscribe URL
    created_at: dt.datetime


class Outbox(SQLModel, table=True):
    __tablename__ = "digest_outbox"
    __table_args__ = (UniqueConstraint("recipient", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    recipient: str
    period: str
    message_id: str
    subject: str = ""
    body: str                      # the whole rendered message (RFC 5322), stored before sending
    state: str = Field(default="pending", index=True)   # pending | sending | sent | empty
    created_at: dt.datetime | None = None
    attempts: int = 0
    error: str | None = None
    claimed_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None


class FeedToken(SQLModel, table=True):
    """A secret URL for a private feed: all milestones, one owner's, or one document's."""

    __tablename__ = "feed_tokens"
    token: str = Field(primary_key=True, max_length=64)     # SHA-256 of the token, never the token
    prefix: str = Field(default="", max_length=16, index=True)   # its first characters, to name it
    scope: str = Field(max_length=16)          # all | owner | doc
    value: str | None = None
    label: str = ""
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None


class EventBytes(SQLModel, table=True):
    """A milestone's serialized calendar event, so a new process need not rebuild it.

    `fingerprint` covers everything the bytes depend on (the row's sequence, update time and
    status, its document's update time, the calendar settings and the program version)."""

    __tablename__ = "event_bytes"
    id: str = Field(primary_key=True, max_length=64)
    fingerprint: str = Field(max_length=40)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
