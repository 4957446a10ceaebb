"""The commands. Each parses its options, calls one layer, and hands rows to `output`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from scheduler.cli import app, output
from scheduler.cli.context import STATE
from scheduler.cli.sources import expand, make_source
from scheduler.errors import DeadlinesError, InputError, UsageError

rules_app = typer.Typer(help="Check the rules in rules/.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


def _run_extract(source, settings, today):
    from scheduler.extract import extract

    data = source.read(settings.max_input_bytes)
    return extract(data, published=source.published, published_how=source.how, doc=source.doc,
                   source=source.source, fallback_today=today, rules_dir=settings.rules_dir,
                   max_bytes=settings.max_input_bytes)


@app.command("extract")
def extract_cmd(
    path: str = typer.Argument(..., help="A text or HTML file, or - for standard input."),
    published: str = typer.Option(None, "--published", help="Publication date YYYY-MM-DD."),
    doc: str = typer.Option(None, "--doc", help="Document id (default: sidecar doc or file stem)."),
    fmt: str = typer.Option("table", "--format", help="table | jsonl"),
) -> None:
    """Print the milestones of one document (no database)."""
    if fmt not in ("table", "jsonl"):
        raise UsageError(f"unknown format {fmt!r}: use table or jsonl")
    file = None if path == "-" else Path(path)
    if file is not None and not file.is_file():
        raise InputError(f"{path}: no such file")
    settings = STATE.settings
    result = _run_extract(make_source(file, published, doc), settings, STATE.today())
    for warning in result.document.warnings:
        output.err.print(f"deadlines: warning: {result.document.doc}: {warning}", highlight=False)
    if fmt == "jsonl":
        output.print_jsonl(m.to_json() for m in result.milestones)
    else:
        output.extracted_table(result.milestones)


@rules_app.command("check")
def rules_check() -> None:
    """Run every rule example and the negative corpus; one failure a line."""
    from scheduler.extract import corpus, load_ruleset

    checked, failures = corpus.run(load_ruleset(STATE.settings.rules_dir))
    for failure in failures:
        sys.stdout.write(f"FAIL {failure}\n")
    sys.stdout.write(f"{checked - len(failures)} passed, {len(failures)} failed\n")
    if failures:
        raise typer.Exit(1)


def _extract_file(job):
    """Worker for parallel ingest: (file, published, settings, today) → (file, source, result|error)."""
    file, published, settings, today = job
    try:
        source = make_source(file, published, None)
        return file, source.source, _run_extract(source, settings, today), None
    except DeadlinesError as err:
        return file, None, None, str(err)


@app.command("ingest")
def ingest_cmd(
    paths: list[str] = typer.Argument(..., help="Files, folders (recursive) or globs."),
    published: str = typer.Option(None, "--published", help="Publication date for all inputs."),
    jobs: int = typer.Option(0, "--jobs", help="Extraction processes (0 = one per core when "
                             "there are many files)."),
) -> None:
    """Extract documents and store their milestones (idempotent)."""
    import os
    from concurrent.futures import ProcessPoolExecutor

    from rich.progress import Progress

    from scheduler.store import ingest

    files, problems = expand(paths)
    for problem in problems:
        output.err.print(f"deadlines: {problem}", highlight=False)
    if published:
        from scheduler.clock import parse_date

        parse_date(published, "--published")
    settings, engine = STATE.settings, STATE.engine
    today = STATE.today()
    totals = {"new": 0, "updated": 0, "unchanged": 0, "failed": len(problems)}
    added = updated = cancelled = 0
    workers = jobs if jobs > 0 else ((os.cpu_count() or 1) if len(files) >= 16 else 1)
    work = [(file, published, settings, today) for file in files]
    show = len(files) > 3 and sys.stderr.isatty()
    pool = ProcessPoolExecutor(workers) if workers > 1 else None
    try:
        results = pool.map(_extract_file, work, chunksize=8) if pool else map(_extract_file, work)
        with Progress(transient=True, disable=not show) as progress:
            task = progress.add_task("ingest", total=len(files))
            for file, source, result, error in results:
                progress.advance(task)
                if error:
                    output.err.print(f"deadlines: skipped {file}: {error}", highlight=False)
                    totals["failed"] += 1
                    continue
                key = str(file.resolve()) if source == str(file) else source
                outcome = ingest(engine, key, result, STATE.now())
                for warning in result.document.warnings:
                    output.err.print(f"deadlines: warning: {file}: {warning}", highlight=False)
                totals[outcome.state] += 1
                added, updated, cancelled = (added + outcome.added, updated + outcome.updated,
                                             cancelled + outcome.cancelled)
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    sys.stdout.write(
        f"documents: {totals['new']} new, {totals['updated']} updated, {totals['unchanged']} "
        f"unchanged, {totals['failed']} failed; milestones: {added} added, {updated} updated, "
        f"{cancelled} cancelled\n")
    if totals["failed"] and not (totals["new"] or totals["updated"] or totals["unchanged"]):
        raise typer.Exit(1)


@app.command("status")
def status_cmd(
    owner: str = typer.Option(None, "--owner", help="Owner contains this text."),
    doc: str = typer.Option(None, "--doc", help="Document id (or prefix)."),
    within: int = typer.Option(None, "--within", help="Due within DAYS (overdue included)."),
    overdue: bool = typer.Option(False, "--overdue", help="Only overdue milestones."),
    state: str = typer.Option("open", "--status", help="open | done | cancelled | all"),
    today: str = typer.Option(None, "--today", help="Pretend today is YYYY-MM-DD."),
    as_json: bool = typer.Option(False, "--json", help="JSON array (see README for the fields)."),
    check: bool = typer.Option(False, "--check", help="Exit 1 when anything is overdue."),
    limit: int = typer.Option(None, "--limit",
                              help="At most N rows (table default 50, JSON default all; 0 = all)."),
) -> None:
    """What is due and what is late, most urgent first."""
    from scheduler.store import status

    if state not in ("open", "done", "cancelled", "all"):
        raise UsageError(f"unknown status {state!r}: use open, done, cancelled or all")
    if within is not None and within < 0:
        raise UsageError("--within must be 0 or more days")
    day = STATE.today(today)
    statuses = None if state == "all" else (state,)
    if check:
        rows = status(STATE.engine, day, owner=owner, doc=doc, statuses=("open",))
        late = [r for r in rows if r.overdue]
        soon = [r for r in rows if 0 <= r.days_left <= 7]
        sys.stdout.write(f"{'OVERDUE' if late else 'OK'}: {len(late)} overdue, {len(soon)} due "
                         f"within 7 days (as of {day.isoformat()})\n")
        raise typer.Exit(1 if late else 0)
    if limit is not None and limit < 0:
        raise UsageError("--limit must be 0 or more")
    shown = limit if limit is not None else (None if as_json else 50)
    rows = status(STATE.engine, day, owner=owner, doc=doc, within=within, overdue=overdue,
                  statuses=statuses, limit=(shown or None) and shown + 1)
    more = bool(shown) and len(rows) > shown
    rows = rows[:shown] if shown else rows
    if as_json:
        output.print_json([output.status_json(r) for r in rows])
    else:
        output.status_table(rows, day)
        if more:
            output.err.print(f"(first {shown} rows; --limit 0 shows all)", highlight=False)


@app.command("show")
def show_cmd(milestone_id: str = typer.Argument(..., metavar="ID")) -> None:
    """Everything about one milestone, with its evidence and history."""
    from scheduler.store import details

    output.show(*details(STATE.engine, milestone_id))


def _set(milestone_id: str, to: str, why: str) -> None:
    from scheduler.store import set_status

    row = set_status(STATE.engine, milestone_id, to, why, "cli", STATE.now())
    sys.stdout.write(f"{row.id}: {to}\n")


@app.command("done")
def done_cmd(milestone_id: str = typer.Argument(..., metavar="ID"),
             note: str = typer.Option("", "--note")) -> None:
    """Mark a milestone done."""
    _set(milestone_id, "done", note)


@app.command("cancel")
def cancel_cmd(milestone_id: str = typer.Argument(..., metavar="ID"),
               reason: str = typer.Option(..., "--reason")) -> None:
    """Cancel a milestone, with a reason."""
    _set(milestone_id, "cancelled", reason)


@app.command("reopen")
def reopen_cmd(milestone_id: str = typer.Argument(..., metavar="ID"),
               note: str = typer.Option("", "--note")) -> None:
    """Reopen a done or cancelled milestone."""
    _set(milestone_id, "open", note)


@app.command("docs")
def docs_cmd() -> None:
    """Documents with their publication date, how it was found, counts and warnings."""
    from scheduler.store import documents

    output.docs_table(documents(STATE.engine))


@app.command("export")
def export_cmd(out: str = typer.Option(None, "--out", help="Folder (default: calendars/).")) -> None:
    """Write all.ics, one calendar per owner and one per document."""
    from scheduler.calendar import export

    settings = STATE.settings
    folder = Path(out or settings.calendars_dir)
    stats = export(STATE.engine, folder, uid_domain=settings.uid_domain,
                   alarm_days=settings.alarm_days, tz=settings.tz,
                   refresh_hours=settings.refresh_hours)
    sys.stdout.write(f"{stats['files']} calendars ({stats['events']} events) in {folder}, "
                     f"{stats['written']} rewritten\n")


@app.command("import")
def import_cmd(path: str = typer.Argument(..., help="An .ics file."),
               doc: str = typer.Option(None, "--doc", help="Document id (default: file stem).")) -> None:
    """Bring the events of an existing calendar into the store as milestones."""
    from scheduler.calendar import read_ics
    from scheduler.store import ingest

    file = Path(path)
    if not file.is_file():
        raise InputError(f"{path}: no such file")
    result = read_ics(file, doc or file.stem)
    outcome = ingest(STATE.engine, str(file.resolve()), result, STATE.now())
    sys.stdout.write(f"{file.name}: {outcome.state}; milestones: {outcome.added} added, "
                     f"{outcome.updated} updated, {outcome.cancelled} cancelled\n")


tokens_app = typer.Typer(help="Secret URLs for private feeds.", no_args_is_help=True)
app.add_typer(tokens_app, name="feed-token")


@tokens_app.command("create")
def token_create(owner: str = typer.Option(None, "--owner"), doc: str = typer.Option(None, "--doc"),
                 label: str = typer.Option("", "--label")) -> None:
    """A new private feed URL for everything, one owner (--owner) or one document (--doc)."""
    from scheduler.store import tokens

    if owner and doc:
        raise UsageError("give --owner or --doc, not both")
    scope, value = ("owner", owner) if owner else ("doc", doc) if doc else ("all", None)
    row = tokens.create(STATE.engine, scope, value, label, STATE.now())
    base = (STATE.settings.feed_base_url or "http://127.0.0.1:8000").rstrip("/")
    sys.stdout.write(f"{row.token}\n{base}/feeds/private/{row.token}.ics\n")


@tokens_app.command("list")
def token_list() -> None:
    """Feed tokens with their scope and state."""
    from scheduler.store import tokens

    for row in tokens.listing(STATE.engine):
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        sys.stdout.write(f"{row.token[:10]}…  {row.scope:<5} {row.value or '-'}  {state}  {row.label}\n")


@tokens_app.command("revoke")
def token_revoke(token: str = typer.Argument(..., help="The token or a unique prefix.")) -> None:
    """Revoke a token: its URL answers 404 from now on."""
    from scheduler.store import tokens

    row = tokens.revoke(STATE.engine, token, STATE.now())
    sys.stdout.write(f"{row.token[:10]}… revoked\n")


@app.command("serve")
def serve_cmd(host: str = typer.Option("127.0.0.1", "--host"),
              port: int = typer.Option(8000, "--port")) -> None:
    """Serve the feeds and the index page over HTTP (uvicorn)."""
    import uvicorn

    from scheduler.web import create_app

    settings = STATE.settings
    engine = STATE.engine
    application = create_app(engine, settings, STATE.today)
    sys.stderr.write(f"deadlines: serving http://{host}:{port}/ (Ctrl-C stops)\n")
    uvicorn.run(application, host=host, port=port, log_level="warning")


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
def outbox_cmd(state: str = typer.Option(None, "--state", help="pending | sending | sent | empty")) -> None:
    """The digest outbox: what is pending, failed (pending with an error) and sent."""
    from scheduler.notify import rows

    for row in rows(STATE.engine, [state] if state else None):
        shown = "failed" if row.state == "pending" and row.error else row.state
        when = f"{row.sent_at:%Y-%m-%d %H:%M}" if row.sent_at else "-"
        sys.stdout.write(f"{row.id}\t{shown}\t{row.recipient}\t{row.period}\t{when}\t"
                         f"attempts={row.attempts}\t{row.error or ''}\n")


@app.command("run")
def run_cmd() -> None:
    """Run the scheduler: digests per subscriber schedule, overdue sweep, calendar re-export."""
    import logging

    from scheduler.jobs import run_forever

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    engine, settings = STATE.engine, STATE.settings
    run_forever(engine, settings, STATE.now)
