"""`deadlines source …`: watch pages and feeds (add, list, run now, remove)."""

from __future__ import annotations

import sys

import typer

from scheduler.cli import app, output
from scheduler.cli.context import STATE
from scheduler.cli.output import examples
from scheduler.errors import UsageError

source_app = typer.Typer(help="Watch government pages and feeds; ingest what is new.",
                         no_args_is_help=True, rich_markup_mode=None)
app.add_typer(source_app, name="source", epilog=examples(
    "deadlines source add https://www.example.gov.cn/tzgg/ --follow auto", "deadlines source list"))

FOLLOW_HELP = ("A list page: follow the links a CSS selector picks, or `auto` (same-site links "
               "that look like articles). Without it: one article page, or an RSS/Atom feed.")


@source_app.command("add", epilog=examples("deadlines source add https://www.example.gov.cn/tzgg/ --follow auto",
                                           "deadlines source add https://www.example.gov.cn/rss.xml --every 1d"))
def add_cmd(url: str = typer.Argument(..., metavar="URL", help="http(s) URL of a page, list page or feed."),
            name: str = typer.Option(None, "--name", metavar="NAME", help="Short name (default: from the URL)."),
            every: str = typer.Option("6h", "--every", metavar="INTERVAL",
                                      help="Interval: 30m, 6h, 1d (10m to 30d)."),
            follow: str = typer.Option(None, "--follow", metavar="SELECTOR", help=FOLLOW_HELP),
            max_new: int = typer.Option(20, "--max-new", metavar="N", help="New articles ingested per run at most."),
            owner: str = typer.Option(None, "--owner", metavar="OWNER",
                                      help="Owner for milestones whose text names none.")) -> None:
    """Watch a page, a list page or a feed."""
    from scheduler import sources

    row = sources.add(STATE.engine, url=url, name=name, every=every, follow=follow,
                      max_new=max_new, owner=owner, now=STATE.now())
    what = f"a list page (links: {row.follow})" if row.follow else "a page or a feed"
    owner = f", default owner {row.owner}" if row.owner else ""
    sys.stdout.write(f"added {row.name}: {row.url}\n"
                     f"  {what}, every {sources.show_every(row.every)}, at most {row.max_new} "
                     f"new a run{owner}\n"
                     f"  first run: now, by `deadlines run` or `deadlines source run {row.name}`\n")


@source_app.command("list", epilog=examples("deadlines source list", "deadlines source list --format json"))
def list_cmd(fmt: str = typer.Option("table", "--format", metavar="FORMAT", help="table | json")) -> None:
    """Sources with their last run, last new document, last error and next run."""
    from scheduler.store import watch

    if fmt not in ("table", "json"):
        raise UsageError(f"unknown format {fmt!r}: use table or json")
    rows = watch.listing(STATE.engine)
    if fmt == "json":
        output.print_json([output.source_json(row) for row in rows])
    elif not rows:
        sys.stdout.write("no sources: add one with `deadlines source add URL`\n")
    else:
        from scheduler.clock import zone

        output.sources_table(rows, zone(STATE.settings.tz))


@source_app.command("run", epilog=examples("deadlines source run", "deadlines source run tzgg"))
def run_cmd(name: str = typer.Argument(None, metavar="[NAME]", help="One source (default: all).")) -> None:
    """Run sources now, whatever their schedule; print what each brought in."""
    from scheduler import sources

    outcomes = sources.run_now(STATE.engine, STATE.settings, STATE.now(), name)
    if not outcomes:
        sys.stdout.write("no sources: add one with `deadlines source add URL`\n")
    failed = 0
    for out in outcomes:
        if not out.ran:
            sys.stderr.write(f"deadlines: {out.name}: already running in another process\n")
            failed += 1
            continue
        for problem in out.problems:
            sys.stderr.write(f"deadlines: {out.name}: {problem}\n")
        if out.error:
            failed += 1
            sys.stderr.write(f"deadlines: {out.name}: failed: {out.error}\n")
            continue
        sys.stdout.write(f"{out.name} ({out.kind}): {out.summary().replace('; ', chr(10) + '  ')}\n")
    if failed:
        raise typer.Exit(1)


@source_app.command("remove", epilog=examples("deadlines source remove tzgg", "deadlines source list"))
def remove_cmd(name: str = typer.Argument(..., metavar="NAME", help="The source's name.")) -> None:
    """Stop watching a source. The documents it brought in are kept."""
    from scheduler.store import watch

    kept = watch.remove(STATE.engine, name)
    sys.stdout.write(f"{name}: removed ({kept} documents it brought in are kept)\n")
