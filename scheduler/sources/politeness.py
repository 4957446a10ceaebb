"""Politeness: requests to one host spaced out, robots.txt obeyed, addresses kept in their zone.

The clock and the sleep are passed in (tests and benchmarks read the spacing from the server's
own request log, not from a stopwatch here).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from protego import Protego

ROBOTS_MAX_BYTES = 512_000       # RFC 9309: parse at least 500 KiB
MAX_CRAWL_DELAY = 60.0


class HostGate:
    """At most one request per `interval` seconds per host (or the host's Crawl-delay)."""

    def __init__(self, interval: float, monotonic: Callable[[], float],
                 sleep: Callable[[float], None]):
        self.interval, self.monotonic, self.sleep = interval, monotonic, sleep
        self.next_at: dict[str, float] = {}
        self.delay: dict[str, float] = {}

    def slow_down(self, host: str, seconds: float | None) -> None:
        if seconds:
            self.delay[host] = min(max(seconds, self.interval), MAX_CRAWL_DELAY)

    def wait(self, host: str) -> None:
        now = self.monotonic()
        at = max(now, self.next_at.get(host, now))
        self.sleep(at - now)
        self.next_at[host] = at + self.delay.get(host, self.interval)


class Robots:
    """robots.txt per host (RFC 9309 semantics): a missing file allows all, an unreachable one
    (server error, network failure) disallows all for this run, 401/403 disallow all."""

    def __init__(self, agent: str):
        self.agent = agent
        self.rules: dict[str, Protego | bool] = {}
        self.unreachable: dict[str, str] = {}    # origin → why nothing there is fetched this run

    def known(self, origin: str) -> bool:
        return origin in self.rules

    def learn(self, origin: str, status: int | None, body: bytes, error: str = "") -> float | None:
        """Record the answer to GET origin/robots.txt; returns the Crawl-delay, if any."""
        if status is None or status >= 500:
            self.rules[origin] = False
            self.unreachable[origin] = (f"robots.txt unreachable ({error or f'HTTP {status}'}); "
                                        "nothing fetched from this site until it answers")
            return None
        if status in (401, 403):
            self.rules[origin] = False
            return None
        if status >= 400:
            self.rules[origin] = True
            return None
        parsed = Protego.parse(body[:ROBOTS_MAX_BYTES].decode("utf-8", "replace"))
        self.rules[origin] = parsed
        return parsed.crawl_delay(self.agent)

    def allowed(self, url: str) -> bool:
        rules = self.rules.get(origin_of(url), True)
        if isinstance(rules, bool):
            return rules
        return rules.can_fetch(url, self.agent)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _is_internal(host: str) -> bool:
    """Loopback, private, link-local or otherwise non-public addresses of `host`."""
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False      # unresolvable: the request itself will fail with a clear error
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            return True
    return False


class Zone:
    """A source on the public internet may lead only to public addresses; a source on this
    machine or an internal network may lead anywhere. So a list page or feed cannot make the
    tool fetch (and publish) pages of the network it runs in."""

    def __init__(self, source_url: str):
        self.internal_ok = _is_internal(urlsplit(source_url).hostname or "")
        self.cache: dict[str, bool] = {}

    def allows(self, url: str) -> bool:
        if self.internal_ok:
            return True
        host = urlsplit(url).hostname or ""
        if host not in self.cache:
            self.cache[host] = not _is_internal(host)
        return self.cache[host]
