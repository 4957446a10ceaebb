"""Digest → e-mail message (multipart text + HTML) with deterministic headers (Jinja2)."""

from __future__ import annotations

import datetime as dt
import hashlib
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from jinja2 import ChoiceLoader, FileSystemLoader, TemplateError, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from scheduler.errors import ConfigError
from scheduler.notify.columns import WIDTH, cells, wrap
from scheduler.notify.digest import SECTIONS, Digest

BUILTIN = Path(__file__).parent / "templates"


@lru_cache(maxsize=16)
def _env(templates_dir: str | None, html: bool) -> SandboxedEnvironment:
    """User templates run sandboxed: no attribute of Python's internals is reachable."""
    loaders = [FileSystemLoader(str(BUILTIN))]
    if templates_dir:
        if not Path(templates_dir).is_dir():
            raise ConfigError(f"templates_dir {templates_dir!r} is not a folder")
        loaders.insert(0, FileSystemLoader(templates_dir))
    env = SandboxedEnvironment(loader=ChoiceLoader(loaders), keep_trailing_newline=True,
                               autoescape=select_autoescape(["html", "htm", "j2"]) if html else False,
                               trim_blocks=not html, lstrip_blocks=not html)
    env.filters["wrap"] = wrap
    env.filters["cells"] = cells
    return env


def links(base_url: str | None):
    """Item and list links into the dashboard, or None without a public base URL."""
    base = (base_url or "").rstrip("/")

    def item(line) -> str | None:
        return f"{base}/m/{quote(line.id)}" if base else None

    def listing(owner: str, key: str) -> str | None:
        if not base:
            return None
        where = f"&bucket={key}" if key in ("overdue", "week", "month") else ""
        return f"{base}/?owner={quote(owner)}{where}"

    return item, listing


def unsubscribe_link(recipient: str, url: str | None, reply_to: str | None) -> str | None:
    """One-click URL when there is one, else a mail to the reply-to address; never localhost."""
    if url:
        return url
    if reply_to and not reply_to.lower().endswith(("@localhost", ".localdomain")):
        return f"mailto:{reply_to}?subject={quote('unsubscribe ' + recipient)}"
    return None


def _render(templates_dir: str | None, name: str, context: dict) -> str:
    """One template; any failure in it is a configuration error that names the file."""
    env = _env(templates_dir, name.endswith(".html.j2"))
    try:
        template = env.get_template(name)
        return template.render(**context)
    except TemplateError as err:
        where = getattr(err, "filename", None) or _source(env, name)
        line = f" line {err.lineno}" if getattr(err, "lineno", None) else ""
        raise ConfigError(f"digest template {where}{line}: {type(err).__name__}: {err}") from None
    except Exception as err:     # the template raised (a filter, a division by zero …)
        raise ConfigError(f"digest template {_source(env, name)}: {type(err).__name__}: {err}") \
            from None


def _source(env, name: str) -> str:
    try:
        return env.loader.get_source(env, name)[1] or name
    except TemplateError:
        return name


def message_id(recipient: str, period: str, domain: str) -> str:
    digest = hashlib.sha256(f"{recipient}\x1f{period}".encode()).hexdigest()[:24]
    return f"<digest.{period}.{digest}@{domain}>"


def render(digest: Digest, *, sender: str, domain: str, now: dt.datetime,
           unsubscribe_url: str | None = None, templates_dir: str | None = None,
           reply_to: str | None = None, base_url: str | None = None, top: int = 5) -> EmailMessage:
    mailto = unsubscribe_link(digest.recipient, None, reply_to)
    unsubscribe = unsubscribe_url or mailto
    item, listing = links(base_url)
    context = {"digest": digest, "titles": dict(SECTIONS), "unsubscribe": unsubscribe,
               "reply_to": reply_to, "item_link": item, "list_link": listing,
               "dashboard": (base_url or "").rstrip("/") or None, "top": max(1, top),
               "width": WIDTH}
    text = _render(templates_dir, "digest.txt.j2", context)
    html = _render(templates_dir, "digest.html.j2", context)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = digest.recipient
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = digest.subject()
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(digest.recipient, digest.period, domain)
    msg["Auto-Submitted"] = "auto-generated"
    unsub = [f"<{link}>" for link in (mailto, unsubscribe_url) if link]
    if unsub:
        msg["List-Unsubscribe"] = ", ".join(unsub)
    if unsubscribe_url:
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg
