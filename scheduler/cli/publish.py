"""Commands that publish: calendar export and import, feed tokens, the feed server."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from scheduler.cli import app, output
from scheduler.cli.context import STATE
from scheduler.cli.output import examples
from scheduler.errors import InputError, UsageError


@app.command("export", epilog=examples("deadlines export", "deadlines export --out /srv/calendars"))
def export_cmd(out: str = typer.Option(None, "--out", metavar="DIR",
                                       help="Folder (default: calendars/).")) -> None:
    """Write all.ics, one calendar per owner and one per document."""
    from scheduler.calendar import export

    settings = STATE.settings
    folder = Path(out or settings.calendars_dir)
    stats = export(STATE.engine, folder, uid_domain=settings.uid_domain,
                   alarm_days=settings.alarm_days, tz=settings.tz,
                   refresh_hours=settings.refresh_hours, summary=settings.event_summary,
                   reviewed_only=settings.publish == "reviewed")
    sys.stdout.write(f"{stats['files']} calendars ({stats['events']} events) in {folder}, "
                     f"{stats['written']} rewritten\n")


@app.command("import", epilog=examples("deadlines import 任务分解表.xlsx --published 2024-02-20",
                                       "deadlines import plan.ics --doc 2023-plan"))
def import_cmd(path: str = typer.Argument(..., metavar="FILE", help="A task table (.xlsx, .csv in UTF-8 "
                                          "or GB18030) or a calendar (.ics)."),
               doc: str = typer.Option(None, "--doc", metavar="ID",
                                       help="Document id (default: file stem)."),
               published: str = typer.Option(None, "--published", metavar="DATE",
                                             help="A table's reference date for 6月底前 and the like "
                                             "(default: a date or year in its title rows).")) -> None:
    """Bring a task table's rows (one milestone each, 完成时限 read by the time rules) or a
    calendar's events into the store. Re-importing the same file changes nothing."""
    from scheduler.calendar import read_ics
    from scheduler.cli import sheets
    from scheduler.store import ingest

    file = Path(path)
    if not file.is_file():
        raise InputError(f"{path}: no such file")
    if sheets.kind_of(file) == "sheet":
        sheets.import_sheet(file, doc, published)
        return
    result = read_ics(file, doc or file.stem)
    outcome = ingest(STATE.engine, str(file.resolve()), result, STATE.now())
    if outcome.note:
        output.warn(f"{outcome.state if outcome.state == 'duplicate' else 'warning'}: {path}: "
                    f"{outcome.note}")
    sys.stdout.write(f"{file.name}: {outcome.state}; milestones: {outcome.added} added, "
                     f"{outcome.updated} updated, {outcome.cancelled} cancelled\n")


tokens_app = typer.Typer(help="Secret URLs for private feeds.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(tokens_app, name="feed-token", epilog=examples("deadlines feed-token create --owner 区水务局",
                                                               "deadlines feed-token list"))


@tokens_app.command("create", epilog=examples("deadlines feed-token create --owner 区水务局",
                                              "deadlines feed-token create --doc 003 --label 记者"))
def token_create(owner: str = typer.Option(None, "--owner", metavar="OWNER", help="One owner's feed."),
                 doc: str = typer.Option(None, "--doc", metavar="ID", help="One document's feed."),
                 label: str = typer.Option("", "--label", metavar="TEXT",
                                           help="A note to remember whom it is for.")) -> None:
    """A new private feed URL for everything, one owner (--owner) or one document (--doc)."""
    from scheduler.store import tokens

    if owner and doc:
        raise UsageError("give --owner or --doc, not both")
    scope, value = ("owner", owner) if owner else ("doc", doc) if doc else ("all", None)
    new = tokens.create(STATE.engine, scope, value, label, STATE.now())
    if owner:
        from scheduler.cli.owners import say_matches

        say_matches(owner)
    base = (STATE.settings.feed_base_url or "http://127.0.0.1:8000").rstrip("/")
    sys.stdout.write(f"{new.token}\n{base}/feeds/private/{new.token}.ics\n")
    output.warn("the token is shown only now: keep the URL (only a hash of it is stored)")


@tokens_app.command("list", epilog=examples("deadlines feed-token list", "deadlines feed-token revoke 3f9a0c"))
def token_list() -> None:
    """Feed tokens with their scope and state."""
    from scheduler.store import tokens

    for row in tokens.listing(STATE.engine):
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        sys.stdout.write(f"{row.prefix or '?'}…  {row.scope:<5} {row.value or '-'}  {state}  {row.label}\n")


@tokens_app.command("revoke", epilog=examples("deadlines feed-token revoke 3f9a0c1d", "deadlines feed-token list"))
def token_revoke(token: str = typer.Argument(..., metavar="TOKEN",
                                             help="The token or a unique prefix (8 characters or more).")) -> None:
    """Revoke a token: its URL answers 404 from now on."""
    from scheduler.store import tokens

    row = tokens.revoke(STATE.engine, token, STATE.now())
    sys.stdout.write(f"{row.prefix or '?'}… revoked\n")


@app.command("serve", epilog=examples("deadlines serve", "deadlines serve --host 0.0.0.0 --port 8080"))
def serve_cmd(host: str = typer.Option("127.0.0.1", "--host", metavar="ADDR", help="Address to listen on."),
              port: int = typer.Option(8000, "--port", metavar="PORT", help="Port to listen on.")) -> None:
    """Serve the feeds and the index page over HTTP (uvicorn)."""
    import uvicorn

    from scheduler.web import create_app

    settings = STATE.settings
    engine = STATE.engine
    application = create_app(engine, settings, STATE.today)
    sys.stderr.write(f"deadlines: serving http://{host}:{port}/ (Ctrl-C stops)\n")
    uvicorn.run(application, host=host, port=port, log_level="warning")
