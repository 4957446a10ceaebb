"""Watched sources at scale: documents per minute from a local site of N articles (the bundled
seeds as HTML pages, each made unique) through `deadlines source run` (fetch, robots.txt,
decode, clean, date, extract, ingest), beside a bare httpx loop GETting the same URLs over the
same server. The pace per host is set to 0 here: with the default one request a second the
rate is 60 documents a minute per host whatever the code does.

    python bench/sources.py [--articles 1000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bench._common import machine, peak_rss_mb, seeds  # noqa: E402
from scheduler import sources  # noqa: E402
from scheduler.config import Settings  # noqa: E402
from scheduler.extract import extract  # noqa: E402
from scheduler.sources.discover import article  # noqa: E402
from scheduler.store import connect  # noqa: E402
from tests.site import Site  # noqa: E402
from tests.site_pages import list_html  # noqa: E402

NOW = dt.datetime(2024, 6, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def build(site: Site, count: int) -> list[str]:
    texts = [(doc, data.decode("utf-8"), published) for doc, data, published in seeds()]
    links = []
    for n in range(count):
        doc, text, published = texts[n % len(texts)]
        body = "".join(f"<p>{line}</p>" for line in text.splitlines() if line.strip())
        path = f"/art/{published:%Y%m}/t{published:%Y%m%d}_{n}.html"
        site.page(path, f'<html><head><meta charset="utf-8"><meta name="PubDate" content="{published}">'
                        f"<title>第{n}篇</title></head><body><h1>第{n}篇 · 文件 {doc}</h1>"
                        f'<div class="TRS_Editor">{body}</div></body></html>', etag=f'"{n}"')
        links.append((path, f"第{n}篇：关于印发重点工作任务的通知"))
    site.page("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.page("/list/", list_html(links), etag='"list"')
    return [site.url(path) for path, _ in links]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=1000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    settings = Settings(db=f"sqlite:///{folder / 'sources.db'}", source_host_interval=0.0)
    engine = connect(settings.db)
    with Site() as site:
        urls = build(site, args.articles)
        start = time.perf_counter()
        with httpx.Client() as client:
            for url in urls:
                client.get(url).raise_for_status()
        bare = time.perf_counter() - start

        sources.add(engine, url=site.url("/list/"), name="bench", every="1h", follow="auto",
                    max_new=args.articles, owner=None, now=NOW)
        start = time.perf_counter()
        [first] = sources.run_now(engine, settings, NOW)
        ours = time.perf_counter() - start
        start = time.perf_counter()
        [second] = sources.run_now(engine, settings, NOW + dt.timedelta(hours=1))
        again = time.perf_counter() - start
        with httpx.Client() as client:
            pages = [client.get(url).content for url in urls]
    start = time.perf_counter()
    texts = [article(page, None, url, None) for page, url in zip(pages, urls, strict=True)]
    reading = time.perf_counter() - start
    start = time.perf_counter()
    for found in texts:
        extract(found.text, published=found.published, published_how=found.how)
    extracting = time.perf_counter() - start
    assert first.new == args.articles and not first.failed, first.summary()
    per_min = args.articles / ours * 60
    bare_min = args.articles / bare * 60
    print(f"machine: {machine()}")
    print(f"{args.articles} articles ({sum(len(s[1]) for s in seeds()) // len(seeds()):,} bytes of "
          f"text each on average), one host, pace 0")
    print(f"  bare httpx GET loop          {bare:6.1f} s  {bare_min:9,.0f} pages/min")
    print(f"  source run, first (all new)  {ours:6.1f} s  {per_min:9,.0f} documents/min  "
          f"({first.added:,} milestones)")
    print(f"  source run, again (all 304)  {again:6.1f} s  {args.articles / again * 60:9,.0f} pages/min  "
          f"({second.not_modified} not modified)")
    print(f"  of which, alone: reading the pages (parse, content, date) {reading:.1f} s, "
          f"extraction {extracting:.1f} s")
    print(f"ratio: a new document costs {ours / bare:.1f}× a bare GET; a re-check "
          f"{again / bare:.1f}×")
    print(f"peak memory (RSS): {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
