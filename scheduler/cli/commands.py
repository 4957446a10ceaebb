"""The commands. Each parses its options, calls one layer, and hands rows to `output`."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import typer

from scheduler.cli import app, output, views
from scheduler.cli.context import STATE
from scheduler.cli.output import FORMAT_HELP, Format, examples
from scheduler.cli.sources import expand, make_source
from scheduler.errors import DeadlinesError, InputError, Terminated

rules_app = typer.Typer(help="Check the rules in rules/.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(rules_app, name="rules", epilog=examples("deadlines rules check", "deadlines rules -h"))


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
    name = path if file is not None else result.document.doc      # the file as the user typed it
    for warning in result.document.warnings:
        output.warn(f"warning: {name}: {warning}")
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
    """Worker for ingest: (file, published, settings, today) → (source, result | None, error)."""
    file, published, settings, today = job
    try:
        source = make_source(file, published, None)
        result = _run_extract(source, settings, today)     # reading may find the page's URL
        return source.source, result, None
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
    """Extract documents and store their milestones (idempotent). Exit 4 when any file failed."""
    import os
    import signal

    from scheduler.cli.progress import Warnings, bar
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
    warnings = Warnings()
    with Extractor(_extract_file, workers=min(workers, max(len(files), 1)),
                   budget=settings.doc_timeout, warm=partial(_warm, settings.rules_dir)) as extractor:
        engine = STATE.engine
        with bar(show) as progress:
            task = progress.add_task("ingest", total=len(files), milestones=0)
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
                    warnings.add(str(file), warning)
                progress.update(task, milestones=progress.tasks[0].fields["milestones"]
                                + len(result.milestones))
                totals[outcome.state] += 1
                added, updated, cancelled = (added + outcome.added, updated + outcome.updated,
                                             cancelled + outcome.cancelled)
    warnings.report(verbose)
    docs = [f"{totals['new']} new"] + [f"{totals[k]} {k}" for k in
                                       ("updated", "unchanged", "duplicate", "failed") if totals[k]]
    marks = [f"{added} added"] + [f"{n} {k}" for n, k in ((updated, "updated"), (cancelled, "cancelled")) if n]
    sys.stdout.write(f"documents: {', '.join(docs)}; milestones: {', '.join(marks)}\n")
    if totals["failed"]:
        raise typer.Exit(InputError.exit_code)
