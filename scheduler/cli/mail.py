"""Commands for digests: subscribers, digests, the outbox, the scheduler process."""

from __future__ import annotations

import enum
import sys
from pathlib import Path

import typer

from scheduler.cli import app, output
from scheduler.cli.context import STATE
from scheduler.cli.detail import local
from scheduler.cli.output import FORMAT_HELP, OWNER_HELP, Format, examples, nothing
from scheduler.errors import UsageError


class Schedule(str, enum.Enum):
    daily = "daily"
    weekly = "weekly"


@app.command("subscribe", epilog=examples("deadlines subscribe office@example.org --owner 区水务局",
                                          "deadlines subscribe me@example.org --schedule daily --at 07:30"))
def subscribe_cmd(email: str = typer.Argument(..., metavar="EMAIL", help="The address."),
                  owner: str = typer.Option(None, "--owner", metavar="TEXT",
                                            help="Only " + OWNER_HELP[0].lower() + OWNER_HELP[1:]),
                  doc: str = typer.Option(None, "--doc", metavar="ID", help="Only this document."),
                  schedule: Schedule = typer.Option(Schedule.weekly, "--schedule", metavar="WHEN",
                                                    help="daily | weekly (default weekly)."),
                  at: str = typer.Option("08:00", "--at", metavar="HH:MM",
                                         help="Time of day (weekly: on Mondays).")) -> None:
    """Subscribe an address to digests (again to change its filters or schedule)."""
    from scheduler.store import subscribers

    row = subscribers.subscribe(STATE.engine, email, owner=owner, doc=doc, schedule=schedule.value,
                                at=at, now=STATE.now())
    sys.stdout.write(f"{row.email}: {row.schedule} at {row.at}"
                     f"{' owner ' + row.owner if row.owner else ''}{' doc ' + row.doc if row.doc else ''}\n")
    if owner:
        from scheduler.cli.owners import say_matches

        say_matches(owner)


@app.command("subscribers", epilog=examples("deadlines subscribers", "deadlines subscribers --format csv"))
def subscribers_cmd(fmt: Format = typer.Option(Format.table, "--format", metavar="FORMAT",
                                               help=FORMAT_HELP)) -> None:
    """List subscribers."""
    from scheduler.store import subscribers

    rows = [{"email": r.email, "schedule": r.schedule, "at": r.at, "owner": r.owner,
             "doc": r.doc} for r in subscribers.listing(STATE.engine)]
    if not rows:
        if fmt is not Format.table:
            output.emit(fmt, [])
        nothing("subscribers", {})
    output.emit(fmt, rows)


@app.command("unsubscribe", epilog=examples("deadlines unsubscribe office@example.org",
                                            "deadlines subscribers --format tsv"))
def unsubscribe_cmd(email: str = typer.Argument(..., metavar="EMAIL", help="The address.")) -> None:
    """Remove a subscriber."""
    from scheduler.store import subscribers

    subscribers.unsubscribe(STATE.engine, email)
    sys.stdout.write(f"{email}: unsubscribed\n")


@app.command("digest", epilog=examples("deadlines digest --dry-run --to office@example.org",
                                       "deadlines digest --send"))
def digest_cmd(today: str = typer.Option(None, "--today", metavar="DATE", help="Pretend today is YYYY-MM-DD."),
               to: str = typer.Option(None, "--to", metavar="EMAIL",
                                      help="Only this subscriber (or any address)."),
               dry_run: bool = typer.Option(False, "--dry-run", help="Print the text; send nothing."),
               send: bool = typer.Option(False, "--send", help="Queue and send through the outbox."),
               html: str = typer.Option(None, "--html", metavar="FILE",
                                        help="With --dry-run: write the HTML here.")) -> None:
    """Build this period's digests: print them (--dry-run) or send them once (--send)."""
    from scheduler.notify import outbox
    from scheduler.store import subscribers
    from scheduler.store.tables import Subscriber

    if dry_run == send:
        raise UsageError("give exactly one of --dry-run or --send")
    if to:
        to = subscribers.address(to).normalized
    engine, settings = STATE.engine, STATE.settings
    day, now = STATE.today(today), STATE.now()
    people = subscribers.listing(engine)
    if to:
        people = [p for p in people if p.email == to] or [
            Subscriber(email=to, schedule="weekly", at="08:00", created_at=now)]
    if not people:
        raise UsageError("no subscribers: add one with `deadlines subscribe EMAIL` or use --to")
    if dry_run:
        for person in people:
            digest = outbox.build_digest(engine, person, day, settings.stale_days,
                                         settings.publish == "reviewed")
            msg = outbox.render_message(settings, digest, person, now)
            text = msg.get_body(("plain",)).get_content()
            sys.stdout.write(f"To: {person.email}\nSubject: {msg['Subject']}\n\n{text}\n")
            if html:
                Path(html).write_text(msg.get_body(("html",)).get_content(), encoding="utf-8")
        return
    queued = sum(outbox.prepare(engine, settings, p, day, now) == "queued" for p in people)
    delivery = outbox.deliver(engine, settings, now)
    sys.stdout.write(f"digests: {queued} queued, {delivery.sent} sent, {delivery.failed} failed\n")
    if delivery.failed:
        raise typer.Exit(8)


class OutboxState(str, enum.Enum):
    pending = "pending"
    retrying = "retrying"
    failed = "failed"
    sending = "sending"
    sent = "sent"
    empty = "empty"


@app.command("outbox", epilog=examples("deadlines outbox", "deadlines outbox --state failed --format json"))
def outbox_cmd(state: OutboxState = typer.Option(None, "--state", metavar="STATE",
                                                 help="pending | retrying | failed | sending | sent | empty."),
               fmt: Format = typer.Option(Format.table, "--format", metavar="FORMAT",
                                          help=FORMAT_HELP)) -> None:
    """The digest outbox: pending, retrying (pending after an error), failed (given up), sent."""
    from scheduler.notify import rows

    wanted = {"retrying": "pending"}.get(state.value, state.value) if state else None
    limit = STATE.settings.digest_max_attempts
    records = []
    for row in rows(STATE.engine, [wanted] if wanted else None):
        shown = "retrying" if row.state == "pending" and row.error else row.state
        if state and shown != state.value:
            continue
        records.append({"id": row.id, "state": shown, "recipient": row.recipient,
                        "period": row.period, "sent_at": local(row.sent_at, STATE.settings.tz)
                        if row.sent_at else None, "attempts": row.attempts,
                        "max_attempts": limit, "error": row.error})
    if not records:
        if fmt is not Format.table:
            output.emit(fmt, [])
        nothing("digests", {"state": state.value if state else None})
    output.emit(fmt, records)


@app.command("run", epilog=examples("deadlines run", "DEADLINES_DB=postgresql+psycopg://host/db deadlines run"))
def run_cmd() -> None:
    """Run the scheduler: digests per subscriber schedule, overdue sweep, calendar re-export."""
    import logging

    from scheduler.errors import redact
    from scheduler.jobs import run_forever

    class Redacted(logging.Formatter):
        """Log records (tracebacks included) with credentials hidden."""

        def format(self, record: logging.LogRecord) -> str:
            return redact(super().format(record))

    handler = logging.StreamHandler()
    handler.setFormatter(Redacted("%(asctime)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    engine, settings = STATE.engine, STATE.settings
    run_forever(engine, settings, STATE.now)
