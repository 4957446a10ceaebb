"""The commands. Each parses its options, calls one layer, and hands rows to `output`."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import typer

from scheduler.cli import app, output
from scheduler.cli.context import STATE
from scheduler.cli.sources import expand, make_source
from scheduler.errors import DeadlinesError, InputError, Terminated, UsageError

rules_app = typer.Typer(help="Check the rules in rules/.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


def _run_extract(source, settings, today):
    """Extract one source; its input errors name it. A document decoded line by line (mixed
    encodings) gets a warning with the count of lines that were not UTF-8."""
    from scheduler.extract import extract
    from scheduler.extract.decode import MIXED

    data = source.read(settings.max_input_bytes)
    try:
        result = extract(data, published=source.published, published_how=source.how,
                         doc=source.doc, source=source.source, fallback_today=today,
                         rules_dir=settings.rules_dir, max_bytes=settings.max_input_bytes)
    except InputError as err:
        if str(err).startswith(source.source):
            raise
        raise InputError(f"{source.source}: {err}") from None
    encoding = result.document.encoding
    if f"({MIXED}: " in encoding:
        detail = encoding.split(f"({MIXED}: ", 1)[1].rstrip(")")
        result.document.warnings.append(f"mixed encodings, decoded line by line: {detail}")
    return result


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
        output.warn(f"warning: {path}: {warning}")
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
    """Worker for ingest: (file, published, settings, today) → (source, result | None, error)."""
    file, published, settings, today = job
    try:
        source = make_source(file, published, None)
        return source.source, _run_extract(source, settings, today), None
    except DeadlinesError as err:
        return None, None, str(err)


WARM_UP = "发布日期：2023-02-13\n区水务局将在3月底前完成河道清淤。".encode()


def _warm(rules_dir):
    """Before a worker's first budget starts: load the rules and whatever extraction loads on
    first use (dictionaries), by extracting one sentence."""
    from scheduler.extract import extract

    extract(WARM_UP, doc="warm-up", rules_dir=rules_dir)


def _terminate(_signum, _frame):
    raise Terminated("terminated; the document being stored was rolled back")


@app.command("ingest")
def ingest_cmd(
    paths: list[str] = typer.Argument(..., help="Files, folders (recursive) or globs."),
    published: str = typer.Option(None, "--published", help="Publication date for all inputs."),
    jobs: int = typer.Option(0, "--jobs", help="Extraction processes (0 = one per core when "
                             "there are many files)."),
) -> None:
    """Extract documents and store their milestones (idempotent). Exit 4 when any file failed."""
    import os
    import signal

    from rich.progress import Progress

    from scheduler.store import ingest
    from scheduler.store.bulk import Extractor

    if published:
        from scheduler.clock import parse_date

        parse_date(published, "--published")
    files, problems = expand(paths)
    for problem in problems:
        output.warn(problem)
    settings, today = STATE.settings, STATE.today()
    totals = {"new": 0, "updated": 0, "unchanged": 0, "duplicate": 0, "failed": len(problems)}
    added = updated = cancelled = 0
    workers = jobs if jobs > 0 else ((os.cpu_count() or 1) if len(files) >= 16 else 1)
    work = [(file, published, settings, today) for file in files]
    show = len(files) > 3 and sys.stderr.isatty()
    signal.signal(signal.SIGTERM, _terminate)
    with Extractor(_extract_file, workers=min(workers, max(len(files), 1)),
                   budget=settings.doc_timeout, warm=partial(_warm, settings.rules_dir)) as extractor:
        engine = STATE.engine
        with Progress(transient=True, disable=not show) as progress:
            task = progress.add_task("ingest", total=len(files))
            for (file, *_), found, error in extractor.map(work):
                progress.advance(task)
                source, result, error = found if error is None else (None, None, error)
                if error is None:
                    key = str(file.resolve()) if source == str(file) else source
                    try:
                        outcome = ingest(engine, key, result, STATE.now())
                    except Terminated:
                        raise
                    except DeadlinesError as err:
                        error = str(err)
                if error:
                    output.warn(f"skipped {file}: {error}")
                    totals["failed"] += 1
                    continue
                if outcome.note:
                    output.warn(f"{'duplicate' if outcome.state == 'duplicate' else 'warning'}: "
                                f"{file}: {outcome.note}")
                for warning in result.document.warnings:
                    output.warn(f"warning: {file}: {warning}")
                totals[outcome.state] += 1
                added, updated, cancelled = (added + outcome.added, updated + outcome.updated,
                                             cancelled + outcome.cancelled)
    sys.stdout.write(
        f"documents: {totals['new']} new, {totals['updated']} updated, {totals['unchanged']} "
        f"unchanged, {totals['duplicate']} duplicate, {totals['failed']} failed; milestones: "
        f"{added} added, {updated} updated, {cancelled} cancelled\n")
    if totals["failed"]:
        raise typer.Exit(InputError.exit_code)


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
            output.warn(f"(first {shown} rows; --limit 0 shows all)")


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
