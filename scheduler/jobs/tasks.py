"""Job functions: importable, explicit, and given their clock (`now`)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from scheduler.calendar import export
from scheduler.notify import tick
from scheduler.sources import run_due
from scheduler.store import status

log = logging.getLogger("deadlines.jobs")


def digest_tick(engine, settings, now: dt.datetime) -> None:
    queued, delivery = tick(engine, settings, now)
    log.info("digest tick: %d queued, %d sent, %d failed", queued, delivery.sent, delivery.failed)


def overdue_sweep(engine, settings, now: dt.datetime) -> None:
    late = status(engine, now.date(), overdue=True)
    log.info("overdue sweep: %d overdue milestones", len(late))


def calendar_export(engine, settings, now: dt.datetime) -> None:
    stats = export(engine, Path(settings.calendars_dir), uid_domain=settings.uid_domain,
                   alarm_days=settings.alarm_days, tz=settings.tz,
                   refresh_hours=settings.refresh_hours, summary=settings.event_summary,
                   reviewed_only=settings.publish == "reviewed")
    log.info("calendar export: %d files, %d rewritten", stats["files"], stats["written"])


def source_tick(engine, settings, now: dt.datetime) -> None:
    """Run every watched source whose time has come (a failing one backs off, the others run)."""
    for out in run_due(engine, settings, now):
        if out.error:
            log.warning("source %s failed: %s", out.name, out.error)
        else:
            log.info("source %s (%s): %s", out.name, out.kind, out.summary())
        for problem in out.problems:
            log.warning("source %s: %s", out.name, problem)
