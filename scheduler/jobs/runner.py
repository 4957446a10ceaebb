"""APScheduler 3.11 as the clock only: jobs registered in code, exactly-once from the outbox.

One scheduler process. Jobs have explicit ids, `replace_existing=True`, no misfire grace limit
(a run missed during downtime runs on start), `coalesce=True`, `max_instances=1`, and the
configured time zone. The digest tick runs at start and every minute; whether a digest is due is
decided from the subscriber's schedule and the outbox, so a restart neither skips nor repeats.
The source tick, at start and every minute too, runs each watched source whose next run (kept
in the database with its interval and back-off) has come.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable

from apscheduler.schedulers.blocking import BlockingScheduler

from scheduler.jobs import tasks

log = logging.getLogger("deadlines.jobs")


def build(engine, settings, now: Callable) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone=settings.tz, job_defaults={
        "misfire_grace_time": None, "coalesce": True, "max_instances": 1})

    def run(job: Callable) -> Callable[[], None]:
        def call() -> None:
            try:
                job(engine, settings, now())
            except Exception:   # a failing job is logged and retried at its next run
                log.exception("job %s failed", job.__name__)
        call.__name__ = job.__name__
        return call

    scheduler.add_job(run(tasks.digest_tick), "interval", seconds=settings.tick_seconds,
                      id="digest-tick", replace_existing=True, next_run_time=now())
    scheduler.add_job(run(tasks.source_tick), "interval", seconds=settings.tick_seconds,
                      id="source-tick", replace_existing=True, next_run_time=now())
    scheduler.add_job(run(tasks.overdue_sweep), "cron", hour=7, minute=30, id="overdue-sweep",
                      replace_existing=True)
    scheduler.add_job(run(tasks.calendar_export), "interval", hours=1, id="calendar-export",
                      replace_existing=True, next_run_time=now())
    return scheduler


def run_forever(engine, settings, now: Callable) -> None:
    scheduler = build(engine, settings, now)

    stopping = []

    def stop(signum, _frame) -> None:
        log.info("signal %d: stopping", signum)
        stopping.append(signum)
        if scheduler.running:          # a signal before start() only keeps it from starting
            scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if stopping:
        return
    log.info("scheduler started (tz %s)", settings.tz)
    scheduler.start()
    log.info("scheduler stopped")
