"""`deadlines search TEXT`."""

from __future__ import annotations

import typer

from scheduler.cli import app, output, views
from scheduler.cli.context import STATE
from scheduler.cli.output import FORMAT_HELP, Format, examples, nothing


@app.command("search", epilog=examples("deadlines search 征迁", "deadlines search 濱海新區 --status open"))
def search_cmd(
    text: str = typer.Argument(..., metavar="TEXT", help="Words to find (simplified or traditional)."),
    state: str = typer.Option("all", "--status", metavar="STATE",
                              help="open | done | cancelled | all (default all)."),
    today: str = typer.Option(None, "--today", metavar="DATE", help="Pretend today is YYYY-MM-DD."),
    fmt: Format = typer.Option(Format.table, "--format", metavar="FORMAT", help=FORMAT_HELP),
    wide: bool = typer.Option(False, "--wide", help="Add precision, kind and document columns."),
) -> None:
    """Milestones whose task, owner, evidence or document title contain TEXT, in simplified and
    traditional script alike; open ones first, most urgent first."""
    from scheduler.errors import UsageError
    from scheduler.store.queries import abbrev_length
    from scheduler.store.search import search

    if state not in ("open", "done", "cancelled", "all"):
        raise UsageError(f"invalid --status {state!r}: open | done | cancelled | all")
    day, engine = STATE.today(today), STATE.engine
    rows = search(engine, text, day, None if state == "all" else (state,))
    if not rows:
        if fmt is not Format.table:
            output.emit(fmt, [])
        nothing("milestones", {"text": text, "status": None if state == "all" else state})
    if fmt is not Format.table:
        output.emit(fmt, [views.status_json(r) for r in rows])
        return
    terminal = output.on_terminal()
    output.print_lines(views.status_lines(rows, abbrev_length(engine),
                                          output.screen()[0] if terminal else None, wide))
