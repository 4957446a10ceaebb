"""Feed tokens: create, list, revoke, resolve."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler.errors import NotFound, UsageError
from scheduler.store.tables import FeedToken

SCOPES = ("all", "owner", "doc")


def create(engine: Engine, scope: str, value: str | None, label: str, now: dt.datetime) -> FeedToken:
    if scope not in SCOPES:
        raise UsageError(f"unknown feed scope {scope!r}")
    if scope != "all" and not value:
        raise UsageError(f"a {scope} feed needs a value")
    token = FeedToken(token=secrets.token_hex(20), scope=scope, value=value, label=label,
                      created_at=now)
    with Session(engine) as session:
        session.add(token)
        session.commit()
        session.refresh(token)
        return token


def listing(engine: Engine) -> list[FeedToken]:
    with Session(engine) as session:
        return list(session.exec(select(FeedToken).order_by(FeedToken.created_at)))


def revoke(engine: Engine, prefix: str, now: dt.datetime) -> FeedToken:
    with Session(engine) as session:
        rows = session.exec(select(FeedToken).where(FeedToken.token.startswith(prefix))).all()
        if len(rows) != 1:
            raise NotFound(f"no single feed token starts with {prefix!r}")
        row = rows[0]
        if row.revoked_at is None:
            row.revoked_at = now
            session.add(row)
            session.commit()
            session.refresh(row)
        return row


def resolve(engine: Engine, token: str) -> FeedToken | None:
    """The live token, or None for unknown and revoked ones."""
    with Session(engine) as session:
        row = session.get(FeedToken, token)
        return row if row is not None and row.revoked_at is None else None
