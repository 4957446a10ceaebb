"""The commands. Each parses its options, calls one layer, and hands rows to `output`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from scheduler.cli import app, output, views
from scheduler.cli.context import STATE
from scheduler.cli.output import FORMAT_HELP, Format, examples
from scheduler.cli.sources import expand, make_source
from scheduler.errors import DeadlinesError, InputError

rules_app = typer.Typer(help="Check the rules in rules/.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(rules_app, name="rules", epilog=examples("deadlines rules check", "deadlines rules -h"))


def _run_extract(source, settings, today):
    from scheduler.extract import extract

    data = source.read(settings.max_input_bytes)
    return extract(data, published=source.published, published_how=source.how, doc=source.doc,
                   source=source.source, fallback_today=today, rules_dir=settings.rules_dir,
                   max_bytes=settings.max_input_bytes)


@app.command("extract", epilog=examples("deadlines extract plan.txt --published 2023-02-13",
                                        "deadlines extract plan.html --format jsonl > plan.jsonl"))
def extract_cmd(
    path: str = typer.Argument(..., metavar="FILE", help="A text or HTML file, or - for standard input."),
    published: str = typer.Option(None, "--published", metavar="DATE", help="Publication date YYYY-MM-DD."),
    doc: str = typer.Option(None, "--doc", metavar="ID",
                            help="Document id (default: sidecar doc or file stem)."),
    fmt: Format = typer.Option(Format.table, "--format", metavar="FORMAT", help=FORMAT_HELP),
    wide: bool = typer.Option(False, "--wide", help="Add kind and rule columns (always there "
                              "from 120 columns and when piped)."),
) -> None:
    """Print the milestones of one document (no database)."""
    file = None if path == "-" else Path(path)
    if file is not None and not file.is_file():
        raise InputError(f"{path}: no such file")
    settings = STATE.settings
    result = _run_extract(make_source(file, published, doc), settings, STATE.today())
    for warning in result.document.warnings:
        output.err.print(f"deadlines: warning: {result.document.doc}: {warning}", highlight=False)
    width = output.screen()[0] if output.on_terminal() else None
    output.emit(fmt, [views.extracted_json(m) for m in result.milestones],
                lambda: output.print_lines(views.extracted_lines(result.milestones, width, wide)))


@rules_app.command("check", epilog=examples("deadlines rules check",
                                             "DEADLINES_RULES_DIR=my-rules deadlines rules check"))
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
        result = _run_extract(source, settings, today)     # reading may find the page's URL
        return file, source.source, result, None
    except DeadlinesError as err:
        return file, None, None, str(err)


@app.command("ingest", epilog=examples("deadlines ingest seeds/", "deadlines ingest 'plans/**/*.html' --jobs 4"))
def ingest_cmd(
    paths: list[str] = typer.Argument(..., metavar="PATH", help="Files, folders (recursive) or globs."),
    published: str = typer.Option(None, "--published", metavar="DATE",
                                  help="Publication date for all inputs."),
    jobs: int = typer.Option(0, "--jobs", metavar="N", min=0, help="Extraction processes (0 = one per core when "
                             "there are many files)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="List every document warning "
                                 "(default: one summary line per kind)."),
) -> None:
    """Extract documents and store their milestones (idempotent)."""
    import os
    from concurrent.futures import ProcessPoolExecutor

    from scheduler.cli.progress import Warnings, bar
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
    warnings = Warnings()
    try:
        results = pool.map(_extract_file, work, chunksize=8) if pool else map(_extract_file, work)
        with bar(show) as progress:
            task = progress.add_task("ingest", total=len(files), milestones=0)
            for file, source, result, error in results:
                progress.advance(task)
                if error:
                    output.err.print(f"deadlines: skipped {file}: {error}", highlight=False)
                    totals["failed"] += 1
                    continue
                key = str(file.resolve()) if source == str(file) else source
                outcome = ingest(engine, key, result, STATE.now())
                for warning in result.document.warnings:
                    warnings.add(str(file), warning)
                progress.update(task, milestones=progress.tasks[0].fields["milestones"]
                                + len(result.milestones))
                totals[outcome.state] += 1
                added, updated, cancelled = (added + outcome.added, updated + outcome.updated,
                                             cancelled + outcome.cancelled)
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    warnings.report(verbose)
    docs = [f"{totals['new']} new"] + [f"{totals[k]} {k}" for k in ("updated", "unchanged", "failed")
                                       if totals[k]]
    marks = [f"{added} added"] + [f"{n} {k}" for n, k in ((updated, "updated"), (cancelled, "cancelled")) if n]
    sys.stdout.write(f"documents: {', '.join(docs)}; milestones: {', '.join(marks)}\n")
    if totals["failed"] and not (totals["new"] or totals["updated"] or totals["unchanged"]):
        raise typer.Exit(1)
