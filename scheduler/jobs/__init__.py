"""The scheduler process (APScheduler): digest ticks, the overdue sweep, calendar re-export."""

from scheduler.jobs.runner import build, run_forever

__all__ = ["build", "run_forever"]
