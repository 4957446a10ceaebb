"""The store (SQLModel): documents, milestones with status history, subscribers, digest outbox,
watched sources."""

from scheduler.store import owners, watch  # noqa: F401  (their tables join the schema)
from scheduler.store.db import connect, migrate
from scheduler.store.ingest import IngestResult, ingest
from scheduler.store.queries import Row, details, documents, find, set_status, status
from scheduler.store.tables import Document, Milestone, StatusChange

__all__ = ["connect", "migrate", "ingest", "IngestResult", "status", "find", "details",
           "set_status", "documents", "Row", "Document", "Milestone", "StatusChange"]
