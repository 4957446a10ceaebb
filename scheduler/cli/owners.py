"""`deadlines owners`: owners with counts and variants; `owners merge|rename` record aliases."""

from __future__ import annotations

import sys

import typer

from scheduler.cli import app, output
from scheduler.cli.context import STATE
from scheduler.cli.output import FORMAT_HELP, Format, examples, nothing

owners_app = typer.Typer(invoke_without_command=True, rich_markup_mode=None,
                         help="Owners with their open/done/cancelled counts and the spellings stored "
                         "for each (市北區 / 市北区, 我区 under the document's region).")
app.add_typer(owners_app, name="owners", epilog=examples("deadlines owners", "deadlines owners merge 市北區 市北区"))


@owners_app.callback()
def owners_cmd(ctx: typer.Context,
               fmt: Format = typer.Option(Format.table, "--format", metavar="FORMAT", help=FORMAT_HELP)) -> None:
    """Owners with their open, done and cancelled counts and their variants."""
    from scheduler.store.owners import listing

    if ctx.invoked_subcommand:
        return
    groups = listing(STATE.engine)
    if not groups:
        if fmt is not Format.table:
            output.emit(fmt, [])
        nothing("owners", {})
    output.emit(fmt, [{"owner": g.name, "open": g.counts.get("open", 0), "done": g.counts.get("done", 0),
                       "cancelled": g.counts.get("cancelled", 0), "variants": g.variants} for g in groups])


def _rename(old: str, new: str, how: str) -> None:
    from scheduler.store.owners import rename

    done = rename(STATE.engine, old, new, how, STATE.now())
    sys.stdout.write(f"{done.old} → {done.new}: {done.milestones} milestones"
                     + (f"; aliases {', '.join(done.aliases)}" if done.aliases else "") + "\n")


@owners_app.command("merge", epilog=examples("deadlines owners merge 市北區 市北区",
                                             "deadlines owners merge 区水务 区水务局"))
def merge_cmd(old: str = typer.Argument(..., metavar="A", help="The owner (or a spelling of it) to merge."),
              new: str = typer.Argument(..., metavar="B", help="The existing owner it is.")) -> None:
    """A and B are one owner: A's milestones go to B, and A stays an alias of B for later ingests,
    imports and filters."""
    _rename(old, new, "merge")


@owners_app.command("rename", epilog=examples("deadlines owners rename 区水务 区水务局",
                                              "deadlines owners rename 市北区住建局 市北区住房城乡建设局"))
def rename_cmd(old: str = typer.Argument(..., metavar="A", help="The owner (or a spelling of it)."),
               new: str = typer.Argument(..., metavar="B", help="Its new name (no owner has it yet).")) -> None:
    """A is now called B: its milestones are renamed, and A stays an alias of B."""
    _rename(old, new, "rename")


def say_matches(text: str | None) -> None:
    """On stderr, which owners an owner filter means now (it is matched again at every use)."""
    if not text:
        return
    from scheduler.store.owners import model

    groups = model(STATE.engine).select(text)
    if not groups:
        output.warn(f"note: no owner matches {text!r} yet")
        return
    names = [g.name for g in groups]
    output.warn(f"note: owner {text!r} means {', '.join(names[:8])}" + (f" and {len(names) - 8} more"
                                                                        if len(names) > 8 else ""))
