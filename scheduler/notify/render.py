"""Digest → e-mail message (multipart text + HTML) with deterministic headers (Jinja2)."""

from __future__ import annotations

import datetime as dt
import hashlib
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from scheduler.notify.columns import WIDTH, cells, wrap
from scheduler.notify.digest import SECTIONS, Digest

BUILTIN = Path(__file__).parent / "templates"


@lru_cache(maxsize=16)
def _env(templates_dir: str | None, html: bool) -> Environment:
    loaders = [FileSystemLoader(str(BUILTIN))]
    if templates_dir:
        loaders.insert(0, FileSystemLoader(templates_dir))
    env = Environment(loader=ChoiceLoader(loaders), keep_trailing_newline=True,
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
    text = _env(templates_dir, False).get_template("digest.txt.j2").render(**context)
    html = _env(templates_dir, True).get_template("digest.html.j2").render(**context)
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
