"""Subscribers: who gets which digest, when."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler.errors import NotFound, UsageError
from scheduler.store.tables import Subscriber

AT = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MAX_ADDRESS = 254      # RFC 5321: the longest path a server must accept


@dataclass
class Address:
    normalized: str         # as stored and shown (an internationalised domain in Unicode)
    envelope: str           # as sent: the domain in ASCII (IDNA) when the local part allows it
    smtputf8: bool          # the local part is not ASCII: only an SMTPUTF8 server can take it


def address(text: str) -> Address:
    """Check an address (syntax, length, IDNA); a bad one is a one-line usage error."""
    if len(text) > MAX_ADDRESS:
        raise UsageError(f"not an e-mail address: {len(text)} characters, the limit is {MAX_ADDRESS}")
    try:
        info = validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as err:
        raise UsageError(f"not an e-mail address: {text!r}: {err}") from None
    if info.ascii_email:
        return Address(info.normalized, info.ascii_email, False)
    return Address(info.normalized, info.normalized, True)


def subscribe(engine: Engine, email: str, *, owner: str | None, doc: str | None, schedule: str,
              at: str, now: dt.datetime) -> Subscriber:
    email = address(email).normalized
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
        if row is None and len(email) <= MAX_ADDRESS:
            try:
                normalized = address(email).normalized
            except UsageError:
                normalized = None
            row = session.exec(select(Subscriber).where(Subscriber.email == normalized)).first()
        if row is None:
            raise NotFound(f"no subscriber {email!r}")
        session.delete(row)
        session.commit()


def by_token(engine: Engine, token: str) -> Subscriber | None:
    if not token:
        return None
    with Session(engine) as session:
        return session.exec(select(Subscriber).where(Subscriber.token == token)).first()
