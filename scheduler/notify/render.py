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

from scheduler.notify.digest import SECTIONS, Digest

BUILTIN = Path(__file__).parent / "templates"


@lru_cache(maxsize=16)
def _env(templates_dir: str | None, html: bool) -> Environment:
    loaders = [FileSystemLoader(str(BUILTIN))]
    if templates_dir:
        loaders.insert(0, FileSystemLoader(templates_dir))
    return Environment(loader=ChoiceLoader(loaders), keep_trailing_newline=True,
                       autoescape=select_autoescape(["html", "htm", "j2"]) if html else False,
                       trim_blocks=not html, lstrip_blocks=not html)


def message_id(recipient: str, period: str, domain: str) -> str:
    digest = hashlib.sha256(f"{recipient}\x1f{period}".encode()).hexdigest()[:24]
    return f"<digest.{period}.{digest}@{domain}>"


def render(digest: Digest, *, sender: str, domain: str, now: dt.datetime,
           unsubscribe_url: str | None = None, templates_dir: str | None = None) -> EmailMessage:
    mailto = f"mailto:{sender}?subject={quote('unsubscribe ' + digest.recipient)}"
    context = {"digest": digest, "titles": dict(SECTIONS), "unsubscribe": unsubscribe_url or mailto}
    text = _env(templates_dir, False).get_template("digest.txt.j2").render(**context)
    html = _env(templates_dir, True).get_template("digest.html.j2").render(**context)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = digest.recipient
    msg["Subject"] = digest.subject()
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(digest.recipient, digest.period, domain)
    msg["Auto-Submitted"] = "auto-generated"
    unsub = f"<{mailto}>" + (f", <{unsubscribe_url}>" if unsubscribe_url else "")
    msg["List-Unsubscribe"] = unsub
    if unsubscribe_url:
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg
