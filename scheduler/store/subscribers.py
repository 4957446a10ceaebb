"""Subscribers: who gets which digest, when."""

from __future__ import annotations

import datetime as dt
import re
import secrets

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler.errors import NotFound, UsageError
from scheduler.store.tables import Subscriber

EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
AT = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def subscribe(engine: Engine, email: str, *, owner: str | None, doc: str | None, schedule: str,
              at: str, now: dt.datetime) -> Subscriber:
    if not EMAIL.match(email):
        raise UsageError(f"not an e-mail address: {email!r}")
    if schedule not in ("daily", "weekly"):
        raise UsageError(f"unknown schedule {schedule!r}: use daily or weekly")
    if not AT.match(at):
        raise UsageError(f"invalid --at {at!r}: expected HH:MM")
    with Session(engine) as session:
        row = session.exec(select(Subscriber).where(Subscriber.email == email)).first()
        if row is None:
            row = Subscriber(email=email, created_at=now, token=secrets.token_hex(16))
        row.owner, row.doc, row.schedule, row.at = owner, doc, schedule, at
        session.add(row)
        session.commit()
        session.refresh(row)
        return row


def listing(engine: Engine) -> list[Subscriber]:
    with Session(engine) as session:
        return list(session.exec(select(Subscriber).order_by(Subscriber.email)))


def unsubscribe(engine: Engine, email: str) -> None:
    with Session(engine) as session:
        row = session.exec(select(Subscriber).where(Subscriber.email == email)).first()
        if row is None:
            raise NotFound(f"no subscriber {email!r}")
        session.delete(row)
        session.commit()


def by_token(engine: Engine, token: str) -> Subscriber | None:
    if not token:
        return None
    with Session(engine) as session:
        return session.exec(select(Subscriber).where(Subscriber.token == token)).first()
