"""The scheduler process (APScheduler): digest ticks, watched sources, the overdue sweep, calendar re-export."""

from scheduler.jobs.runner import build, run_forever

__all__ = ["build", "run_forever"]
