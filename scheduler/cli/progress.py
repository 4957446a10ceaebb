"""Feedback while ingesting: a progress bar on a terminal (files, milestones, rate, ETA) and
warnings gathered per kind, summarised once at the end."""

from __future__ import annotations

from collections import defaultdict

from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.text import Text

from scheduler.cli import output


class Rate(ProgressColumn):
    def render(self, task) -> Text:
        return Text(f"· {task.speed:,.1f} files/s" if task.speed else "", style="dim")


def bar(show: bool) -> Progress:
    """`ingest ━━━━━━  120/200 files · 1,234 milestones · 35.2 files/s · ETA 0:00:03` (stderr)."""
    return Progress(
        TextColumn("ingest"), BarColumn(bar_width=20), MofNCompleteColumn(), TextColumn("files"),
        TextColumn("· {task.fields[milestones]:,} milestones"), Rate(), TextColumn("· ETA"),
        TimeRemainingColumn(), console=output.err, transient=True, disable=not show)


class Warnings:
    """Document warnings by kind; one summary line per kind, the files with --verbose."""

    def __init__(self) -> None:
        self.by_kind: dict[str, list[str]] = defaultdict(list)

    def add(self, source: str, warning: str) -> None:
        self.by_kind[warning].append(source)

    def report(self, verbose: bool) -> None:
        for warning, sources in sorted(self.by_kind.items(), key=lambda kv: -len(kv[1])):
            if verbose:
                for source in sources:
                    output.err.print(f"deadlines: warning: {source}: {warning}", highlight=False)
            else:
                n = len(sources)
                output.err.print(f"{n} documents: {warning}; -v lists them" if n > 1 else
                                 f"deadlines: warning: {sources[0]}: {warning}", highlight=False)
