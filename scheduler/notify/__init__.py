"""Digests: sections (pure), rendering (Jinja2), the outbox (never twice), SMTP."""

from scheduler.notify.digest import Digest, build, period_key
from scheduler.notify.outbox import build_digest, deliver, prepare, rows, tick
from scheduler.notify.render import render

__all__ = ["Digest", "build", "period_key", "build_digest", "deliver", "prepare", "rows", "tick",
           "render"]
