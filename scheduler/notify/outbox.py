"""The digest outbox: a digest is sent at most once per (recipient, period), and never lost.

1. `prepare` renders the digest and claims the (recipient, period) key with
   INSERT … ON CONFLICT DO NOTHING; the whole message and its deterministic Message-ID are
   stored before any send.
2. `deliver` takes pending rows one at a time with a conditional UPDATE (pending → sending,
   or sending whose lease expired → sending); only the process whose UPDATE changed the row
   sends it. Success marks it sent. A refusal of that one message marks it failed (with the
   error); another failure puts it back to pending with the error, until `digest_max_attempts`
   attempts, then failed. The batch goes on; only a server failure (cannot connect, TLS) stops
   it, and that leaves every row as it was for the next tick, without counting an attempt.
A crash between send and mark can repeat a message after the lease (at-least-once at that one
point), with the same Message-ID so receiving systems can drop the copy.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import or_, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler.errors import DeadlinesError, UsageError
from scheduler.notify import digest as digests
from scheduler.notify import render, smtp
from scheduler.store import status, watch
from scheduler.store.subscribers import address
from scheduler.store.tables import Outbox, Subscriber


def _insert_ignore(engine: Engine):
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif engine.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:   # pragma: no cover - other databases: plain insert, the unique key still holds
        from sqlalchemy import insert

        return insert(Outbox)
    return insert(Outbox).on_conflict_do_nothing(index_elements=["recipient", "period"])


def build_digest(engine: Engine, subscriber, today: dt.date,
                 stale_days: int = digests.STALE_DAYS, reviewed_only: bool = False) -> digests.Digest:
    since = last_sent(engine, subscriber.email) or subscriber.created_at
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=dt.timezone.utc)
    rows = status(engine, today, owner=subscriber.owner, doc=subscriber.doc, within=30,
                  reviewed=True if reviewed_only else None)
    found = watch.found_since(engine, since, today, owner=subscriber.owner, doc=subscriber.doc)
    if reviewed_only:     # publish = reviewed
        from scheduler.store.review import PUBLISHED

        found = [r for r in found if r.milestone.review in PUBLISHED]
    return digests.build(rows, recipient=subscriber.email, schedule=subscriber.schedule,
                         today=today, since=since, found=found, stale_days=stale_days)


def last_sent(engine: Engine, recipient: str) -> dt.datetime | None:
    with Session(engine) as session:
        row = session.exec(select(Outbox).where(Outbox.recipient == recipient,
                                                Outbox.state == "sent")
                           .order_by(Outbox.sent_at.desc())).first()
        return row.sent_at if row else None


def unsubscribe_url(settings, subscriber) -> str | None:
    if settings.feed_base_url and subscriber.token:
        return f"{settings.feed_base_url.rstrip('/')}/unsubscribe/{subscriber.token}"
    return None


def render_message(settings, digest: digests.Digest, subscriber, now: dt.datetime):
    return render.render(digest, sender=settings.smtp_from, domain=settings.uid_domain, now=now,
                         unsubscribe_url=unsubscribe_url(settings, subscriber),
                         templates_dir=settings.templates_dir, reply_to=settings.digest_reply_to,
                         base_url=settings.feed_base_url, top=settings.digest_top)


def prepare(engine: Engine, settings, subscriber, today: dt.date, now: dt.datetime) -> str:
    """Claim this period's digest for the subscriber. Returns queued | exists | empty."""
    period = digests.period_key(subscriber.schedule, today)
    with Session(engine) as session:
        if session.exec(select(Outbox.id).where(Outbox.recipient == subscriber.email,
                                                Outbox.period == period)).first():
            return "exists"
    digest = build_digest(engine, subscriber, today, settings.stale_days,
                          settings.publish == "reviewed")
    empty = digest.empty and not settings.digest_send_empty
    msg = render_message(settings, digest, subscriber, now)
    state, error, policy = "empty" if empty else "pending", None, email.policy.SMTP
    try:
        to = address(subscriber.email)
        del msg["To"]
        msg["To"] = to.envelope
        policy = email.policy.SMTPUTF8 if to.smtputf8 else policy
        body = msg.as_string(policy=policy)
    except (UsageError, ValueError) as err:    # stored before addresses were checked
        state, error, body = "failed", f"cannot address this digest: {err}"[:500], ""
    values = dict(recipient=subscriber.email, period=period, message_id=msg["Message-ID"],
                  subject=str(msg["Subject"]), body=body, state=state, error=error, attempts=0,
                  created_at=now)
    with engine.begin() as conn:
        result = conn.execute(_insert_ignore(engine).values(**values))
    if result.rowcount == 0:
        return "exists"
    return "empty" if empty else "queued"


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0


def deliver(engine: Engine, settings, now: dt.datetime) -> Delivery:
    """Send every pending digest (and those whose sending lease expired) once."""
    out = Delivery()
    lease = now - dt.timedelta(seconds=settings.digest_lease_seconds)
    with Session(engine) as session:
        ids = [row for row in session.exec(select(Outbox.id).where(or_(
            Outbox.state == "pending",
            (Outbox.state == "sending") & (Outbox.claimed_at < lease))).order_by(Outbox.id))]
    with smtp.Mailer(settings) as mailer:
        for oid in ids:
            if not _deliver_one(engine, mailer, oid, lease, now, out):
                break     # the server is unreachable: the rest wait for the next tick
    return out


def _mark(engine: Engine, oid: int, **values) -> None:
    with engine.begin() as conn:
        conn.execute(update(Outbox).where(Outbox.id == oid).values(**values))


def _deliver_one(engine: Engine, mailer, oid: int, lease: dt.datetime, now: dt.datetime,
                 out: Delivery) -> bool:
    """Send one claimed row; False when the server failed (stop the batch)."""
    with engine.begin() as conn:
        claimed = conn.execute(update(Outbox).where(Outbox.id == oid).where(or_(
            Outbox.state == "pending",
            (Outbox.state == "sending") & (Outbox.claimed_at < lease))).values(
            state="sending", claimed_at=now, attempts=Outbox.attempts + 1)).rowcount
    if claimed != 1:
        return True   # another process took it
    with Session(engine) as session:
        row = session.get(Outbox, oid)
        recipient, data, attempts = row.recipient, row.body.encode("utf-8"), row.attempts
    limit = mailer.settings.digest_max_attempts
    try:
        to = address(recipient)
        mailer.send_raw(mailer.settings.smtp_from, to.envelope, data, smtputf8=to.smtputf8)
    except smtp.SendError as err:
        out.failed += 1
        if err.server:       # not this message's fault: no attempt counted, the row waits
            _mark(engine, oid, state="pending", error=str(err)[:500], attempts=attempts - 1)
            return False
        final = err.permanent or attempts >= limit
        _mark(engine, oid, state="failed" if final else "pending", error=str(err)[:500])
        return True
    except (DeadlinesError, UnicodeError, ValueError) as err:   # an address no server can take
        out.failed += 1
        _mark(engine, oid, state="failed", error=f"{type(err).__name__}: {err}"[:500])
        return True
    _mark(engine, oid, state="sent", sent_at=now, error=None)
    out.sent += 1
    return True


def subscribers(engine: Engine) -> list[Subscriber]:
    with Session(engine) as session:
        return list(session.exec(select(Subscriber).order_by(Subscriber.email)))


def rows(engine: Engine, states=None) -> list[Outbox]:
    with Session(engine) as session:
        query = select(Outbox).order_by(Outbox.id)
        if states:
            query = query.where(Outbox.state.in_(list(states)))
        return list(session.exec(query))


def due_now(subscriber, now: dt.datetime) -> bool:
    """Has this subscriber's digest time for the current period passed?"""
    hour, minute = map(int, subscriber.at.split(":"))
    local = now.replace(second=0, microsecond=0)
    at_today = local.replace(hour=hour, minute=minute)
    if subscriber.schedule == "daily":
        return local >= at_today
    monday = at_today - dt.timedelta(days=local.weekday())
    return local >= monday


SCAN_LOCK = 0x646C_6E73   # PostgreSQL advisory lock key for the subscriber scan ("dlns")


@contextmanager
def scan_lock(engine: Engine):
    """On PostgreSQL, yield True to one process at a time (others skip the scan); elsewhere True.

    Only the scan is serialised: the outbox's unique key and conditional claim keep sends unique
    without it, the lock just spares every other instance the per-subscriber queries."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as conn:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": SCAN_LOCK}).scalar()
        try:
            yield bool(got)
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCAN_LOCK})


def tick(engine: Engine, settings, now: dt.datetime) -> tuple[int, Delivery]:
    """One scheduler tick: queue every digest whose time has come, then deliver the outbox."""
    queued = 0
    with scan_lock(engine) as mine:
        if mine:
            for subscriber in subscribers(engine):
                if due_now(subscriber, now) and \
                        prepare(engine, settings, subscriber, now.date(), now) == "queued":
                    queued += 1
    return queued, deliver(engine, settings, now)
