"""What a fetched page holds: feed entries, article links (a CSS selector or `auto`), and an
article's text, canonical URL and publication date with how it was found.

Pages are parsed (selectolax), never executed. Dates come, in this order, from a
`<meta name="PubDate">`-style tag, the page's own date line (the extractor's finder), the feed
entry, the URL path (`/202404/t20240402_…`, `/2024/04/02/`, `/2024-04/02/`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from scheduler.errors import InputError, UsageError
from scheduler.extract import clean, refdate
from scheduler.extract.decode import decode

META_DATES = ("pubdate", "publishdate", "firstpublishedtime", "publish_date", "publishtime",
              "article:published_time", "og:article:published_time", "datepublished",
              "dc.date", "dcterms.date", "dc.date.issued", "dcterms.issued", "date")
META_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
URL_DAY = [re.compile(r"/t((?:19|20)\d{2})(\d{2})(\d{2})_\d+"),
           re.compile(r"/((?:19|20)\d{2})[-/_]?(0[1-9]|1[0-2])[-/_]?(0[1-9]|[12]\d|3[01])(?=[/_.]|$)"),
           re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/")]
URL_MONTH = re.compile(r"/((?:19|20)\d{2})-?(0[1-9]|1[0-2])/")
ARTICLE_PATH = re.compile(r"(?:/t\d{8}_\d+|/art_\d+_\d+|/content_\d+|(?<![a-z])\d{4,}[^/]*)"
                          r"\.(?:s?html?|jhtml|php|aspx?|jsp)$|/(?:19|20)\d{2}[-/]?\d{2}/", re.I)
LIST_PATH = re.compile(r"(?:^|/)(?:index|default|list)(?:_\d+)?\.(?:s?html?|jsp|aspx?|php)$|/$", re.I)
ATTACHMENT = re.compile(r"\.(?:pdf|docx?|xlsx?|pptx?|wps|ofd|zip|rar|7z|jpe?g|png|gif|bmp|mp[34]"
                        r"|avi|mov|txt|xml|json|css|js)$", re.I)
CJK = re.compile(r"[\u3400-\u9fff]")
NOT_TITLES = {"首页", "上一页", "下一页", "尾页", "末页", "更多", "返回", "打印", "关闭", "返回顶部"}
CONTENT = ("article", "[itemprop=articleBody]", ".TRS_Editor", "#zoom", ".pages_content",
           "#UCAP-CONTENT", ".article-content", ".article_content", "#content", ".content")
FURNITURE = {"nav", "header", "footer", "aside"}
TRACKING = re.compile(r"^(?:utm_\w+|spm)$", re.I)


@dataclass
class Link:
    url: str
    text: str = ""
    published: dt.date | None = None   # from a feed entry


@dataclass
class Article:
    url: str                 # canonical
    text: str                # the article's text (title first), through the existing cleaning
    encoding: str
    published: dt.date | None
    how: str


def canonical(url: str) -> str:
    """Scheme and host lower-cased, default port, fragment and tracking parameters dropped."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) \
        else f"{host}:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not TRACKING.match(k)])
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def to_text(body: bytes, charset: str | None) -> tuple[str, str]:
    """Bytes → text: strict UTF-8, else the charset the server or page declares (if the bytes
    are valid in it), else the extractor's decoder (GB18030, Big5, UTF-16 detection)."""
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = charset or _meta_charset(body[:4096])
    if declared in ("gb2312", "gbk", "x-gbk"):
        declared = "gb18030"
    if declared:
        try:
            return body.decode(declared), declared
        except (UnicodeDecodeError, LookupError):
            pass
    return decode(body)


def _meta_charset(head: bytes) -> str | None:
    match = re.search(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", head, re.I)
    return match.group(1).decode("ascii").lower() if match else None


def is_feed(content_type: str, body: bytes) -> bool:
    if content_type in ("application/rss+xml", "application/atom+xml", "application/rdf+xml"):
        return True
    head = body[:1024].lstrip().lower()
    return head.startswith(b"<?xml") and any(t in body[:4096].lower() for t in
                                             (b"<rss", b"<feed", b"<rdf:rdf"))


def feed_links(body: bytes, base: str, tz: str) -> list[Link]:
    import feedparser

    parsed = feedparser.parse(body)
    if parsed.bozo and not parsed.entries:
        raise InputError(f"{base}: not a readable RSS/Atom feed")
    links = []
    for entry in parsed.entries:
        href = entry.get("link")
        if not href:
            continue
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        day = None
        if when:
            stamp = dt.datetime.fromtimestamp(calendar.timegm(when), dt.timezone.utc)
            day = stamp.astimezone(ZoneInfo(tz)).date()
        links.append(Link(urljoin(base, href), entry.get("title", ""), day))
    return links


def check_selector(selector: str) -> None:
    try:
        LexborHTMLParser("<p></p>").css(selector)
    except (SelectolaxError, ValueError):
        raise UsageError(f"not a CSS selector: {selector!r}") from None


def page_links(html: str, base: str, follow: str) -> list[Link]:
    """Article links of a list page: those the selector picks (`a` elements or the links
    inside the picked elements), or with `auto` the same-site links that look like articles."""
    tree = LexborHTMLParser(html)
    base_tag = tree.css_first("base[href]")
    if base_tag is not None:
        base = urljoin(base, base_tag.attributes.get("href") or "")
    if follow == "auto":
        anchors = [a for a in tree.css("a[href]") if not _in_furniture(a)]
    else:
        anchors = []
        for node in tree.css(follow):
            anchors.extend([node] if node.tag == "a" else node.css("a[href]"))
    own, seen, out = canonical(base), set(), []
    for anchor in anchors:
        href = (anchor.attributes.get("href") or "").strip()
        if not href or href.startswith("#"):
            continue
        url = urljoin(base, href)
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            continue
        key = canonical(url)
        text = " ".join(anchor.text(separator=" ").split())
        if key == own or key in seen:
            continue
        if follow == "auto" and not _looks_like_article(key, text, base):
            continue
        seen.add(key)
        out.append(Link(key, text))
    return out


def _in_furniture(node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in FURNITURE:
            return True
        parent = parent.parent
    return False


def _same_site(a: str, b: str) -> bool:
    def host(u: str) -> str:
        name = (urlsplit(u).hostname or "").lower()
        return name[4:] if name.startswith("www.") else name
    return host(a) == host(b)


def _looks_like_article(url: str, text: str, base: str) -> bool:
    path = urlsplit(url).path
    if not _same_site(url, base) or ATTACHMENT.search(path) or text in NOT_TITLES:
        return False
    if LIST_PATH.search(path):
        return False
    return bool(ARTICLE_PATH.search(path)) or len(CJK.findall(text)) >= 8


def url_date(url: str) -> tuple[dt.date, str] | None:
    path = urlsplit(url).path
    for pattern in URL_DAY:
        for match in pattern.finditer(path):
            try:
                day = dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                continue
            return day, f"URL path {match.group(0).strip('/')!r}"
    match = URL_MONTH.search(path)
    if match:
        day = dt.date(int(match.group(1)), int(match.group(2)), 1)
        return day, f"URL path {match.group(0).strip('/')!r} (month; day taken as the 1st)"
    return None


def _meta_date(tree) -> tuple[dt.date, str] | None:
    for node in tree.css("meta[content]"):
        attrs = node.attributes
        named = attrs.get("name") or attrs.get("property") or attrs.get("itemprop") or ""
        if named.lower() not in META_DATES:
            continue
        match = META_DATE.search(attrs.get("content") or "")
        if match:
            try:
                day = dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                continue
            return day, f"<meta {named}> {attrs.get('content', '').strip()!r}"
    time_tag = tree.css_first("time[datetime]")
    if time_tag is not None:
        match = META_DATE.search(time_tag.attributes.get("datetime") or "")
        if match:
            try:
                return (dt.date(*(int(g) for g in match.groups())),
                        f"<time datetime> {match.group(0)!r}")
            except ValueError:
                pass
    return None


def article(body: bytes, charset: str | None, url: str, entry_date: dt.date | None) -> Article:
    """The article in a fetched page: text through the existing HTML cleaning, the canonical
    URL (same-site `<link rel=canonical>`, else the fetched URL), the publication date."""
    text, encoding = to_text(body, charset)
    if "<" not in text[:5000]:      # a plain-text page
        page = text
        tree = None
    else:
        tree = LexborHTMLParser(text)
        page = clean.html_to_text(text)
    source = canonical(url)
    if tree is not None:
        link = tree.css_first('link[rel="canonical"][href]')
        if link is not None:
            target = urljoin(url, link.attributes.get("href") or "")
            if urlsplit(target).scheme in ("http", "https") and _same_site(target, url):
                source = canonical(target)
        body_text = _content(tree)
        if body_text:
            title = _title(tree)
            lead = title + "\n\n" if title and not body_text.lstrip().startswith(title) else ""
            text = lead + body_text
        else:
            text = page
    else:
        text = page
    found = _meta_date(tree) if tree is not None else None
    if found is None:
        day, how, _warnings = refdate.find(page)
        found = (day, f"page {how}") if day else None
    if found is None and entry_date:
        found = entry_date, "feed entry date"
    if found is None:
        found = url_date(source) or url_date(url)
    day, how = found if found else (None, "not found")
    return Article(source, text.strip(), encoding, day, how)


def _title(tree) -> str:
    meta = tree.css_first('meta[name="ArticleTitle"][content]')
    if meta is not None and (meta.attributes.get("content") or "").strip():
        return meta.attributes["content"].strip()
    for selector in ("h1", "title"):
        node = tree.css_first(selector)
        if node is not None and node.text(strip=True):
            return " ".join(node.text().split())
    return ""


def _content(tree) -> str:
    """Text of the page's main article container, if it has a known one."""
    for selector in CONTENT:
        nodes = tree.css(selector)
        if not nodes:
            continue
        best = max(nodes, key=lambda n: len(n.text(strip=True)))
        if len(best.text(strip=True)) >= 20:
            return clean.html_to_text(best.html or "")
    return ""
