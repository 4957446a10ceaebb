"""Bounded, polite HTTP GETs (httpx): conditional requests, robots.txt, a per-host pace,
redirects followed by hand and only to http(s), size, time and content type checked."""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from scheduler import __version__, clock
from scheduler.errors import InputError
from scheduler.sources.politeness import HostGate, Robots, Zone, origin_of

MAX_REDIRECTS = 5
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml",
              "application/xml", "text/xml", "application/feed+json")


class FetchError(InputError):
    """A URL could not be fetched; the message is one line. `retry_after` in seconds, if the
    server said when to come back (429/503)."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Skipped(FetchError):
    """Not to be fetched or not an article: robots.txt or the zone rule forbids the URL, or
    it answers with another content type (a PDF, an image). Skipped, not a failure."""


@dataclass
class Response:
    url: str                 # after redirects
    status: int              # 200 or 304
    body: bytes = b""
    content_type: str = ""
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None


def check_url(url: str) -> str:
    """An absolute http(s) URL with a host, or a one-line error."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise InputError(f"not a valid URL: {url!r}") from None
    if parts.scheme.lower() not in ("http", "https"):
        shown = f"{parts.scheme}:" if parts.scheme else "no scheme"
        raise InputError(f"only http and https URLs can be followed ({shown}): {url!r}")
    if not parts.hostname:
        raise InputError(f"URL without a host: {url!r}")
    return url.strip()


def user_agent(contact: str) -> str:
    return f"deadlines/{__version__} (+{contact}; milestone tracker)"


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - clock.now("UTC")).total_seconds())


class Fetcher:
    """One per run (or scheduler tick): the per-host pace and robots.txt answers are shared by
    every source fetched with it."""

    def __init__(self, settings, *, transport: httpx.BaseTransport | None = None,
                 monotonic=clock.monotonic, sleep=clock.sleep):
        contact = settings.source_contact or settings.smtp_from
        self.agent = user_agent(contact)
        self.timeout = settings.source_timeout
        self.max_bytes = settings.source_max_bytes
        self.gate = HostGate(settings.source_host_interval, monotonic, sleep)
        self.robots = Robots("deadlines")
        self.monotonic = monotonic
        self.client = httpx.Client(headers={"User-Agent": self.agent}, timeout=self.timeout,
                                   follow_redirects=False, transport=transport)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def get(self, url: str, *, zone: Zone, etag: str | None = None,
            last_modified: str | None = None, accept=PAGE_TYPES + FEED_TYPES) -> Response:
        headers = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.5"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = check_url(url)
        for _ in range(MAX_REDIRECTS + 1):
            if not zone.allows(current):
                raise Skipped(f"{current}: internal address reached from a public source")
            self._robots(current)
            if self.robots.unreachable.get(origin_of(current)):
                raise FetchError(f"{current}: {self.robots.unreachable[origin_of(current)]}")
            if not self.robots.allowed(current):
                raise Skipped(f"{current}: disallowed by robots.txt")
            status, response_headers, body = self._request(current, headers, accept)
            if status in (301, 302, 303, 307, 308):
                location = response_headers.get("location")
                if not location:
                    raise FetchError(f"{current}: HTTP {status} without a Location")
                target = urljoin(current, location.strip())
                try:
                    current = check_url(target)
                except InputError:
                    raise FetchError(f"{current}: redirect to a non-http(s) URL refused") from None
                continue
            return Response(current, status, body, *_content_type(response_headers),
                            response_headers.get("etag"), response_headers.get("last-modified"))
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")

    def _robots(self, url: str) -> None:
        origin = origin_of(url)
        if self.robots.known(origin):
            return
        try:
            status, _headers, body = self._request(f"{origin}/robots.txt", {}, None, limit=512_000)
        except FetchError as err:
            self.robots.learn(origin, None, b"", str(err).split(": ", 1)[-1])
            return
        if status in (301, 302, 303, 307, 308):
            status, body = 404, b""     # a moved robots.txt is treated as none (allow)
        self.gate.slow_down(urlsplit(url).hostname or "", self.robots.learn(origin, status, body))

    def _request(self, url: str, headers: dict, accept, limit: int | None = None):
        """One GET: (status, headers, body). Errors and non-success answers raise FetchError."""
        host = urlsplit(url).hostname or ""
        self.gate.wait(host)
        limit = limit or self.max_bytes
        started = self.monotonic()
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                status = response.status_code
                if status in (301, 302, 303, 307, 308, 304) or (accept is None and status >= 400):
                    return status, response.headers, b""
                if status >= 400:
                    raise FetchError(f"{url}: HTTP {status}",
                                     _retry_after(response.headers.get("retry-after")))
                if status != 200:
                    raise FetchError(f"{url}: unexpected HTTP {status}")
                kind, _charset = _content_type(response.headers)
                if accept is not None and kind not in accept:
                    raise Skipped(f"{url}: not a page or feed (content type {kind or 'none'})")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise FetchError(f"{url}: larger than the limit of {limit:,} bytes")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise FetchError(f"{url}: larger than the limit of {limit:,} bytes")
                    if self.monotonic() - started > self.timeout:
                        raise FetchError(f"{url}: took longer than {self.timeout:g} s")
                    chunks.append(chunk)
                return status, response.headers, b"".join(chunks)
        except httpx.TimeoutException:
            raise FetchError(f"{url}: no answer within {self.timeout:g} s") from None
        except httpx.HTTPError as err:
            reason = type(err).__name__
            raise FetchError(f"{url}: {reason}: {str(err).splitlines()[0] if str(err) else ''}"
                             .rstrip(": ")) from None


def _content_type(headers) -> tuple[str, str | None]:
    raw = headers.get("content-type", "")
    kind, _, params = raw.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip("\"' ").lower()
    return kind.strip().lower(), charset
