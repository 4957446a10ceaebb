"""One run of one source: fetch its page or feed, find its articles, store what is new.

Each article is one `ingest` transaction (a killed run leaves whole documents or none); the
fetch state of a page is written after its document, so a run cut in between only re-reads
the page next time. The same URL is one document (canonical URL as its source); the same
article text under another URL is not stored again (content hash).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field

from scheduler.errors import DeadlinesError, InputError
from scheduler.extract import extract
from scheduler.extract.model import Repair
from scheduler.sources import discover
from scheduler.sources.fetch import PAGE_TYPES, Fetcher, FetchError, Response, Skipped
from scheduler.sources.politeness import Zone
from scheduler.store import ingest
from scheduler.store import watch as state
from scheduler.store.watch import Source, SourcePage

log = logging.getLogger("deadlines.sources")
BACKOFF_CAP = dt.timedelta(days=1)


@dataclass
class Outcome:
    name: str
    kind: str = ""
    links: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    not_modified: int = 0
    waiting: int = 0          # new links left for the next run (--max-new)
    skipped: int = 0
    failed: int = 0
    added: int = 0            # milestones
    changed: int = 0
    cancelled: int = 0
    problems: list[str] = field(default_factory=list)
    error: str | None = None  # the source itself failed (its page or feed)
    new_docs: list[str] = field(default_factory=list)
    retry_after: float | None = None
    ran: bool = True

    def summary(self) -> str:
        if self.error:
            return f"failed: {self.error}"
        parts = [f"{self.new} new", f"{self.updated} updated",
                 f"{self.unchanged + self.not_modified} unchanged"]
        parts += [f"{n} {what}" for n, what in ((self.waiting, "waiting (--max-new)"),
                                                (self.skipped, "skipped"),
                                                (self.failed, "failed")) if n]
        return (f"{self.links} links: " if self.kind != "page" else "") + ", ".join(parts) + \
            f"; milestones: {self.added} added, {self.changed} updated, {self.cancelled} cancelled"


def doc_id(url: str) -> str:
    """A short stable document id from the URL (`w3f2a9c1`): short, so that milestone ids
    (document id + task hash) stay distinct in the first characters that listings show."""
    return "w" + hashlib.sha1(url.encode("utf-8")).hexdigest()[:7]


def backoff(every: int, failures: int, retry_after: float | None) -> dt.timedelta:
    """Retry after the interval, then twice, four times that…, at most a day apart (or the
    interval, when it is longer); never sooner than the server's Retry-After."""
    cap = max(BACKOFF_CAP, dt.timedelta(seconds=every))
    delay = min(dt.timedelta(seconds=every) * 2 ** max(failures - 1, 0), cap)
    if retry_after:
        delay = max(delay, dt.timedelta(seconds=min(retry_after, 7 * 86400)))
    return delay


def run(engine, settings, source: Source, fetcher: Fetcher, now: dt.datetime, *,
        force: bool = False) -> Outcome:
    """Run `source` if it is due (or `force`) and no other process holds it."""
    out = Outcome(source.name, source.kind)
    if not state.claim(engine, source.id, now, settings.source_lease_seconds, not force):
        out.ran = False
        return out
    try:
        _run(engine, settings, source, fetcher, now, out)
    except DeadlinesError as err:
        out.error = str(err)
        out.retry_after = getattr(err, "retry_after", None)
    except Exception as err:    # never leave the claim held; the scheduler logs it
        out.error = f"internal error: {type(err).__name__}: {err}"
        log.exception("source %s", source.name)
    finally:
        _record(engine, source, out, now)
    return out


def _record(engine, source: Source, out: Outcome, now: dt.datetime) -> None:
    values = dict(last_run=now, last_summary=out.summary(), kind=out.kind or source.kind)
    if out.error:
        failures = source.failures + 1
        values.update(failures=failures, last_error=out.error,
                      next_run=now + backoff(source.every, failures, out.retry_after))
    else:
        values.update(failures=0, last_error=out.problems[0] if out.problems else None,
                      next_run=now + dt.timedelta(seconds=source.every))
    if out.new_docs:
        values.update(last_new=now, last_new_doc=out.new_docs[-1])
    state.finish(engine, source.id, **values)


def _run(engine, settings, source: Source, fetcher: Fetcher, now, out: Outcome) -> None:
    zone = Zone(source.url)
    pages = state.pages(engine, source.id)
    home_url = discover.canonical(source.url)
    home = pages.get(home_url) or SourcePage(source_id=source.id, url=home_url, listed=False,
                                             first_seen=now)
    response = fetcher.get(source.url, zone=zone, etag=home.etag, last_modified=home.last_modified)
    if response.status == 200 and discover.is_feed(response.content_type, response.body):
        out.kind = "feed"
        links = discover.feed_links(response.body, response.url, settings.tz)
    elif response.status == 200 and source.follow:
        out.kind = "list"
        text, _encoding = discover.to_text(response.body, response.charset)
        links = discover.page_links(text, response.url, source.follow)
    elif response.status == 200:
        if response.content_type not in PAGE_TYPES:
            raise InputError(f"{source.url}: not a page (content type {response.content_type})")
        out.kind = "page"
        _article(engine, settings, source, home, response, None, now, out)
        return
    else:                                   # 304: the list is as it was
        out.kind = source.kind or ("list" if source.follow else "page")
        links = None
    if links is not None:
        state.relist(engine, source.id, [link.url for link in links],
                     {link.url: link.published for link in links if link.published}, now)
        pages = state.pages(engine, source.id)
    _save(engine, home, response, now)
    if out.kind == "page":                  # an article page that did not change
        out.not_modified += 1
        return
    listed = [page for url, page in pages.items() if page.listed and url != home_url]
    out.links = len(listed)
    budget = source.max_new
    for page in sorted(listed, key=lambda p: p.id or 0):
        fresh = page.document_id is None and page.content_hash is None
        if fresh:
            if budget <= 0:
                out.waiting += 1
                continue
            budget -= 1
        try:
            response = fetcher.get(page.url, zone=zone, etag=page.etag,
                                   last_modified=page.last_modified, accept=PAGE_TYPES)
        except Skipped as err:
            out.skipped += 1
            _note(engine, page, None, str(err), now)
            continue
        except FetchError as err:
            out.failed += 1
            out.problems.append(str(err))
            _note(engine, page, None, str(err), now)
            continue
        if response.status == 304:
            out.not_modified += 1
            _save(engine, page, response, now)
            continue
        try:
            _article(engine, settings, source, page, response, page.published, now, out)
        except InputError as err:
            out.failed += 1
            out.problems.append(f"{page.url}: {err}")
            _note(engine, page, 200, str(err), now)


def _article(engine, settings, source: Source, page: SourcePage, response: Response,
             entry_date, now, out: Outcome) -> None:
    found = discover.article(response.body, response.charset, response.url, entry_date)
    digest = hashlib.sha256(found.text.encode("utf-8")).hexdigest()
    if page.content_hash == digest and page.document_id:
        out.unchanged += 1
        _save(engine, page, response, now)
        return
    twin = state.document_with_hash(engine, digest)
    if twin is not None:
        out.unchanged += 1          # the same article under another URL: stored once
        page.content_hash, page.document_id = digest, twin
        _save(engine, page, response, now)
        return
    result = extract(found.text, published=found.published, published_how=found.how,
                     doc=doc_id(found.url), source=found.url, fallback_today=now.date(),
                     rules_dir=settings.rules_dir, max_bytes=settings.max_input_bytes)
    info = result.document
    info.encoding = found.encoding
    info.repairs.insert(0, Repair("html-to-text", 1))
    if info.published is None:
        info.warnings = ["no publication date found on the page, in the feed or in the URL: "
                         "year uncertain"]
    if source.owner:
        for milestone in result.milestones:
            milestone.owner = milestone.owner or source.owner
    stored = ingest(engine, found.url, result, now)
    out.added, out.changed, out.cancelled = (out.added + stored.added, out.changed + stored.updated,
                                             out.cancelled + stored.cancelled)
    if stored.state == "new":
        out.new += 1
        out.new_docs.append(stored.document)
    elif stored.state == "updated":
        out.updated += 1
    else:
        out.unchanged += 1
    page.content_hash, page.document_id = digest, stored.document
    _save(engine, page, response, now)


def _save(engine, page: SourcePage, response: Response, now) -> None:
    if response.status == 200:
        page.etag, page.last_modified = response.etag, response.last_modified
    page.last_fetched, page.last_status, page.error = now, response.status, None
    state.save_page(engine, page)


def _note(engine, page: SourcePage, status: int | None, error: str, now) -> None:
    page.last_fetched, page.last_status, page.error = now, status, error[:500]
    state.save_page(engine, page)
