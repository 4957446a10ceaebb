"""Commands for digests: subscribers, digests, the outbox, the scheduler process."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from scheduler.cli import app
from scheduler.cli.context import STATE
from scheduler.errors import UsageError


@app.command("subscribe")
def subscribe_cmd(email: str = typer.Argument(...), owner: str = typer.Option(None, "--owner"),
                  doc: str = typer.Option(None, "--doc"),
                  schedule: str = typer.Option("weekly", "--schedule", help="daily | weekly"),
                  at: str = typer.Option("08:00", "--at", help="HH:MM (weekly: on Mondays)")) -> None:
    """Subscribe an address to digests (again to change its filters or schedule)."""
    from scheduler.store import subscribers

    row = subscribers.subscribe(STATE.engine, email, owner=owner, doc=doc, schedule=schedule,
                                at=at, now=STATE.now())
    sys.stdout.write(f"{row.email}: {row.schedule} at {row.at}"
                     f"{' owner ' + row.owner if row.owner else ''}{' doc ' + row.doc if row.doc else ''}\n")


@app.command("subscribers")
def subscribers_cmd() -> None:
    """List subscribers."""
    from scheduler.store import subscribers

    for row in subscribers.listing(STATE.engine):
        sys.stdout.write(f"{row.email}\t{row.schedule}\t{row.at}\towner={row.owner or '*'}\t"
                         f"doc={row.doc or '*'}\n")


@app.command("unsubscribe")
def unsubscribe_cmd(email: str = typer.Argument(...)) -> None:
    """Remove a subscriber."""
    from scheduler.store import subscribers

    subscribers.unsubscribe(STATE.engine, email)
    sys.stdout.write(f"{email}: unsubscribed\n")


@app.command("digest")
def digest_cmd(today: str = typer.Option(None, "--today"),
               to: str = typer.Option(None, "--to", help="Only this subscriber (or any address)."),
               dry_run: bool = typer.Option(False, "--dry-run", help="Print the text; send nothing."),
               send: bool = typer.Option(False, "--send", help="Queue and send through the outbox."),
               html: str = typer.Option(None, "--html", help="With --dry-run: write the HTML here.")) -> None:
    """Build this period's digests: print them (--dry-run) or send them once (--send)."""
    from scheduler.notify import outbox
    from scheduler.notify.render import render as render_message
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
            digest = outbox.build_digest(engine, person, day)
            msg = render_message(digest, sender=settings.smtp_from, domain=settings.uid_domain,
                                now=now, unsubscribe_url=outbox.unsubscribe_url(settings, person),
                                templates_dir=settings.templates_dir)
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


@app.command("outbox")
def outbox_cmd(state: str = typer.Option(None, "--state",
                                         help="pending | sending | sent | empty | failed")) -> None:
    """The digest outbox: pending, retrying (pending after an error), failed (given up), sent."""
    from scheduler.errors import one_line
    from scheduler.notify import rows

    if state and state not in ("pending", "sending", "sent", "empty", "failed"):
        raise UsageError(f"unknown state {state!r}: use pending, sending, sent, empty or failed")
    limit = STATE.settings.digest_max_attempts
    for row in rows(STATE.engine, [state] if state else None):
        shown = "retrying" if row.state == "pending" and row.error else row.state
        when = f"{row.sent_at:%Y-%m-%d %H:%M}" if row.sent_at else "-"
        sys.stdout.write(f"{row.id}\t{shown}\t{one_line(row.recipient)}\t{row.period}\t{when}\t"
                         f"attempts={row.attempts}/{limit}\t{one_line(row.error or '')}\n")


@app.command("run")
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
