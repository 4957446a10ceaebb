"""Words people read: Chinese labels for stored codes, and how a document is named and linked.

Every page, feed and mail names a document through `doc_title` and links it through
`public_url`; neither ever returns a path on the server's disk.
"""

from __future__ import annotations

import re

PRECISION = {"day": "日", "xun": "旬", "month": "月", "quarter": "季度", "half": "半年", "year": "年"}
KIND = {"deadline": "截止", "start": "启动", "recurring": "例行"}
STATUS = {"open": "未完成", "done": "已完成", "cancelled": "已取消"}
FREQ = {"DAILY": "每天", "WEEKLY": "每周", "MONTHLY": "每月", "YEARLY": "每年"}
NO_OWNER = "未注明"
URL = re.compile(r"^https?://[^\s/]+\S*$", re.IGNORECASE)
HEADLINE_MAX = 40


def precision(code: str | None) -> str:
    return PRECISION.get(code or "", code or "")


def kind(code: str | None) -> str:
    return KIND.get(code or "", code or "")


def frequency(rrule: str | None) -> str:
    """`FREQ=MONTHLY;INTERVAL=3` → 每季度; empty for one-off milestones."""
    if not rrule:
        return ""
    parts = dict(p.split("=", 1) for p in rrule.split(";") if "=" in p)
    freq, step = parts.get("FREQ", ""), int(parts.get("INTERVAL", "1") or 1)
    if freq == "MONTHLY" and step == 3:
        return "每季度"
    if freq == "MONTHLY" and step == 6:
        return "每半年"
    word = FREQ.get(freq, "定期")
    return word if step == 1 else f"每{step}{word[1:]}"


def public_url(source: str | None) -> str | None:
    """The document's source if it is a web address, else None (file paths stay private)."""
    if source and URL.match(source.strip()):
        return source.strip()
    return None


CANONICAL = re.compile(
    rb"""<link\b(?=[^>]*\brel=["']?canonical\b)[^>]*\bhref=["']?([^"'\s>]+)"""
    rb"""|<meta\b(?=[^>]*\bproperty=["']?og:url\b)[^>]*\bcontent=["']?([^"'\s>]+)""",
    re.IGNORECASE)


def canonical_url(html: bytes) -> str | None:
    """An HTML page's own address: `<link rel="canonical">`, else `og:url`; web addresses only."""
    for match in CANONICAL.finditer(html[:200_000]):
        raw = (match.group(1) or match.group(2)).decode("ascii", "ignore")
        if public_url(raw):
            return raw
    return None


def derive_title(text: str) -> str:
    """A document's headline: its first short line; else its lead sentence, shortened."""
    lines = [raw.strip().strip("—-–:：").strip() for raw in (text or "").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return ""
    first = re.split(r"\s*\d{4}-\d{2}-\d{2}", lines[0], maxsplit=1)[0]
    if 6 <= len(first) <= HEADLINE_MAX and not re.search(r"[。;；]", first):
        return first
    lead = re.sub(r"^[（(][^）)]{0,40}[）)]", "", first)         # (记者 某某 报道)
    lead = re.split(r"[。！？!?；;]|\d{4}-\d{2}-\d{2}", lead, maxsplit=1)[0].strip()
    return lead if len(lead) <= 30 else lead[:29] + "…"


def doc_title(doc) -> str:
    """What a person calls the document: its title, else its web address, else 文件 <id>."""
    title = (getattr(doc, "title", "") or "").strip()
    return title or public_url(getattr(doc, "source", None)) or f"文件 {doc.id}"
