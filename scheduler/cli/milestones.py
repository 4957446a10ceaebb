"""Commands over stored milestones: status, show, done / cancel / reopen, documents."""

from __future__ import annotations

import enum
import sys

import typer

from scheduler.cli import app, output, views
from scheduler.cli.context import STATE
from scheduler.cli.output import FORMAT_HELP, OWNER_HELP, Format, examples, nothing


class Status(str, enum.Enum):
    open = "open"
    done = "done"
    cancelled = "cancelled"
    all = "all"


@app.command("status", epilog=examples("deadlines status --within 14 --owner 区水务局",
                                       "deadlines status --stale --format csv > stale.csv"))
def status_cmd(
    owner: str = typer.Option(None, "--owner", metavar="TEXT", help=OWNER_HELP),
    doc: str = typer.Option(None, "--doc", metavar="ID", help="Document id (or prefix)."),
    within: int = typer.Option(None, "--within", metavar="DAYS", min=0,
                               help="Due within DAYS (overdue included)."),
    overdue: bool = typer.Option(False, "--overdue", help="Only overdue milestones."),
    state: Status = typer.Option(Status.open, "--status", metavar="STATE",
                                 help="open | done | cancelled | all (default open)."),
    stale: bool = typer.Option(False, "--stale", help="Only stale milestones (overdue longer "
                               "than stale_days)."),
    include_stale: bool = typer.Option(False, "--include-stale", help="Stale milestones too "
                                       "(json/jsonl/csv/tsv include them unless --stale)."),
    today: str = typer.Option(None, "--today", metavar="DATE", help="Pretend today is YYYY-MM-DD."),
    fmt: Format = typer.Option(Format.table, "--format", metavar="FORMAT", help=FORMAT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
    wide: bool = typer.Option(False, "--wide", help="Add precision, kind and document columns."),
    check: bool = typer.Option(False, "--check", help="One summary line; exit 1 when anything "
                               "is overdue."),
    limit: int = typer.Option(None, "--limit", "-n", metavar="N", min=0,
                              help="At most N rows (0 = all; default: the screen on a terminal, "
                              "all otherwise)."),
    reviewed: bool = typer.Option(None, "--reviewed/--unreviewed", show_default=False,
                                  help="Only accepted, edited and hand-entered milestones / only "
                                  "those not yet reviewed."),
    sheet: bool = typer.Option(False, "--sheet", help="The task table's columns (序号 工作任务 责任单位 "
                               "完成时限 备注 …) as csv; --format xlsx always has them."),
) -> None:
    """What is due and what is late, most urgent first; one line per milestone."""
    from scheduler.store import queries

    fmt = Format.json if as_json else fmt
    if sheet:      # the task table's columns: csv unless xlsx is asked for
        from scheduler.cli.sheets import sheet_format

        fmt = sheet_format(fmt)
    day, engine, stale_days = STATE.today(today), STATE.engine, STATE.settings.stale_days
    statuses = None if state is Status.all else (state.value,)
    if check:
        rows = queries.status(engine, day, owner=owner, doc=doc, statuses=("open",), reviewed=reviewed)
        late = [r for r in rows if r.overdue]
        soon = [r for r in rows if 0 <= r.days_left <= 7]
        old = sum(r.days_left < -stale_days for r in late)
        sys.stdout.write(f"{'OVERDUE' if late else 'OK'}: {len(late)} overdue ({old} stale), "
                         f"{len(soon)} due within 7 days (as of {day.isoformat()})\n")
        raise typer.Exit(1 if late else 0)
    hide = not (stale or include_stale or fmt is not Format.table)
    filters = dict(owner=owner, doc=doc, within=within, overdue=overdue, statuses=statuses,
                   stale_days=stale_days if (hide or stale) else None, stale=stale, reviewed=reviewed)
    table = fmt is Format.table
    width, height = output.screen()
    terminal = table and output.on_terminal()
    total = queries.count(engine, day, **filters)
    hidden = queries.count(engine, day, **{**filters, "stale": True}) if hide else 0
    notes = int(bool(hidden))
    if limit is None and terminal:
        shown = max(3, height - 2 - notes)      # header, prompt
        shown = total if total <= shown else shown - 1     # the "N more" line
    else:
        shown = limit or total
    rows = queries.status(engine, day, **filters, limit=shown or None) if total else []
    if not rows:
        if not table:
            output.emit(fmt, [])
        if hidden:
            output.note(f"{hidden} stale milestones — status --stale")
        nothing("milestones", {"owner": owner, "doc": doc, "within": within, "overdue": overdue,
                               "status": state.value if state is not Status.open else None,
                               "stale": stale,
                               "review": {True: "reviewed", False: "unreviewed"}.get(reviewed)})
    if fmt is Format.xlsx or sheet:    # the office's spreadsheet, round trip
        from scheduler.cli.sheets import export

        export(rows, fmt)
        return
    if not table:
        output.emit(fmt, [views.status_json(r) for r in rows])
        return
    output.print_lines(views.status_lines(rows, queries.abbrev_length(engine),
                                          width if terminal else None, wide))
    if total > len(rows):
        output.note(f"{total - len(rows)} more — --limit 0 shows all")
    if hidden:
        output.note(f"{hidden} stale milestones — status --stale")


@app.command("show", epilog=examples("deadlines show 003-53d3", "deadlines show 003-53d3 --format json"))
def show_cmd(milestone_id: str = typer.Argument(..., metavar="ID", help="Id or unique id prefix."),
             today: str = typer.Option(None, "--today", metavar="DATE", help="Pretend today is YYYY-MM-DD."),
             fmt: Format = typer.Option(Format.table, "--format", metavar="FORMAT", help="table | json")) -> None:
    """Everything about one milestone: due, days left, next occurrence, evidence, history."""
    from scheduler.cli import detail
    from scheduler.store import details
    from scheduler.store.review import edits

    ms, doc, history = details(STATE.engine, milestone_id)
    detail.show(ms, doc, history, STATE.today(today), STATE.settings, fmt,
                edits=edits(STATE.engine, ms.id))


def _set(ids: list[str], to: str, why: str, by: str | None) -> None:
    from scheduler.cli.review import _by
    from scheduler.store.queries import change_status

    who = _by(by)
    for milestone_id in ids:
        row, changed = change_status(STATE.engine, milestone_id, to, why, who, STATE.now())
        if changed:
            sys.stdout.write(f"{row.id}: {to}\n")
        else:
            output.note(f"{row.id}: already {to}")


IDS_HELP = "Ids or unique id prefixes."
BY_HELP = "Who made the change, kept in the history (default: the login name)."


@app.command("done", epilog=examples("deadlines done 003-53d3", "deadlines done 003-53d3 004-e1f0 --note 已验收"))
def done_cmd(milestone_ids: list[str] = typer.Argument(..., metavar="ID", help=IDS_HELP),
             note: str = typer.Option("", "--note", metavar="TEXT", help="Kept in the history."),
             by: str = typer.Option(None, "--by", metavar="WHO", help=BY_HELP)) -> None:
    """Mark milestones done (already done: a note, nothing changes)."""
    _set(milestone_ids, "done", note, by)


@app.command("cancel", epilog=examples("deadlines cancel 003-53d3 --reason 计划调整",
                                       "deadlines cancel 003-53d3 003-9a1c --reason 重复"))
def cancel_cmd(milestone_ids: list[str] = typer.Argument(..., metavar="ID", help=IDS_HELP),
               reason: str = typer.Option(..., "--reason", metavar="TEXT", help="Why (kept in the history)."),
               by: str = typer.Option(None, "--by", metavar="WHO", help=BY_HELP)) -> None:
    """Cancel milestones, with a reason."""
    _set(milestone_ids, "cancelled", reason, by)


@app.command("reopen", epilog=examples("deadlines reopen 003-53d3", "deadlines reopen 003-53d3 --note 未完成"))
def reopen_cmd(milestone_ids: list[str] = typer.Argument(..., metavar="ID", help=IDS_HELP),
               note: str = typer.Option("", "--note", metavar="TEXT", help="Kept in the history."),
               by: str = typer.Option(None, "--by", metavar="WHO", help=BY_HELP)) -> None:
    """Reopen done or cancelled milestones."""
    _set(milestone_ids, "open", note, by)


docs_app = typer.Typer(invoke_without_command=True, rich_markup_mode=None, help="Documents: title, file, publication "
                       "date and how it was found, counts, warnings.")
app.add_typer(docs_app, name="docs", epilog=examples("deadlines docs", "deadlines docs show 003"))


@docs_app.callback()
def docs_cmd(ctx: typer.Context,
             fmt: Format = typer.Option(Format.table, "--format", metavar="FORMAT", help=FORMAT_HELP)) -> None:
    """Documents: title, file, publication date and how it was found, counts, warnings."""
    from scheduler.cli import detail
    from scheduler.store import documents

    if ctx.invoked_subcommand:
        return
    docs = documents(STATE.engine)
    if not docs:
        if fmt is not Format.table:
            output.emit(fmt, [])
        nothing("documents", {})
    output.emit(fmt, [views.doc_json(d, c) for d, c in docs], lambda: detail.docs_table(docs))


@docs_app.command("show", epilog=examples("deadlines docs show 003", "deadlines docs show 003 --format json"))
def docs_show(doc_id: str = typer.Argument(..., metavar="ID", help="Document id or unique prefix."),
              fmt: Format = typer.Option(Format.table, "--format", metavar="FORMAT", help="table | json")) -> None:
    """One document in full: source, publication date and how it was found, repairs, warnings."""
    from scheduler.cli import detail
    from scheduler.store.queries import document

    doc, counts = document(STATE.engine, doc_id)
    detail.doc_show(doc, counts, fmt)
