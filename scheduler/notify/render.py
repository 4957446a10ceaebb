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
    return SandboxedEnvironment(loader=ChoiceLoader(loaders), keep_trailing_newline=True,
                                autoescape=select_autoescape(["html", "htm", "j2"]) if html else False,
                                trim_blocks=not html, lstrip_blocks=not html)


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
           unsubscribe_url: str | None = None, templates_dir: str | None = None) -> EmailMessage:
    mailto = f"mailto:{sender}?subject={quote('unsubscribe ' + digest.recipient)}"
    context = {"digest": digest, "titles": dict(SECTIONS), "unsubscribe": unsubscribe_url or mailto}
    text = _render(templates_dir, "digest.txt.j2", context)
    html = _render(templates_dir, "digest.html.j2", context)
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
