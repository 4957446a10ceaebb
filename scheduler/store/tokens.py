"""Feed tokens: create, list, revoke, resolve.

Only a SHA-256 hash of each token is stored (the token is shown once, at creation), with its
first characters as a name for listing and revoking. A prefix must be at least MIN_PREFIX long.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler.errors import NotFound, UsageError
from scheduler.store.tables import FeedToken

SCOPES = ("all", "owner", "doc")
PREFIX = 12          # characters kept in clear, to name a token
MIN_PREFIX = 8       # the shortest prefix `revoke` accepts


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class NewToken:
    token: str            # the secret: shown once, never stored
    row: FeedToken


def create(engine: Engine, scope: str, value: str | None, label: str, now: dt.datetime) -> NewToken:
    if scope not in SCOPES:
        raise UsageError(f"unknown feed scope {scope!r}")
    if scope != "all" and not value:
        raise UsageError(f"a {scope} feed needs a value")
    secret = secrets.token_hex(20)
    row = FeedToken(token=digest(secret), prefix=secret[:PREFIX], scope=scope, value=value,
                    label=label, created_at=now)
    with Session(engine) as session:
        session.add(row)
        session.commit()
        session.refresh(row)
        return NewToken(secret, row)


def listing(engine: Engine) -> list[FeedToken]:
    with Session(engine) as session:
        return list(session.exec(select(FeedToken).order_by(FeedToken.created_at)))


def revoke(engine: Engine, prefix: str, now: dt.datetime) -> FeedToken:
    """Revoke by the whole token or a prefix of at least MIN_PREFIX characters."""
    prefix = prefix.strip()
    if len(prefix) < MIN_PREFIX:
        raise UsageError(f"give the token or at least its first {MIN_PREFIX} characters")
    with Session(engine) as session:
        rows = session.exec(select(FeedToken).where(FeedToken.token == digest(prefix))).all()
        if not rows and len(prefix) <= PREFIX:
            rows = session.exec(select(FeedToken).where(FeedToken.prefix.startswith(prefix))).all()
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
    if not token:
        return None
    with Session(engine) as session:
        row = session.get(FeedToken, digest(token))
        return row if row is not None and row.revoked_at is None else None
