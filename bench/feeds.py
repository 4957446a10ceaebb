"""Feeds at scale: export time for N milestones, and feed throughput (200 and 304) of our server
beside the same bytes served as a static file by the same HTTP stack (uvicorn + Starlette),
with a bounded loopback load generator.

    python bench/feeds.py [--milestones 100000] [--requests 400] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import datetime as dt
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.staticfiles import StaticFiles  # noqa: E402

from bench._common import machine, peak_rss_mb, timed  # noqa: E402
from bench.store import NOW, documents  # noqa: E402
from scheduler import config  # noqa: E402
from scheduler.calendar import export  # noqa: E402
from scheduler.store import connect, ingest  # noqa: E402
from scheduler.web import create_app  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(app) -> tuple[str, uvicorn.Server]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def load(url: str, requests: int, concurrency: int, headers=None) -> tuple[float, int]:
    """Requests per second over `requests` bounded GETs; returns (rate, status seen)."""
    statuses = []

    def worker(n: int) -> None:
        with httpx.Client(timeout=600) as client:
            for _ in range(n):
                statuses.append(client.get(url, headers=headers or {}).status_code)

    per = requests // concurrency
    start_t = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, [per] * concurrency))
    took = time.perf_counter() - start_t
    return per * concurrency / took, statuses[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--milestones", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    engine = connect(f"sqlite:///{folder / 'feeds.db'}")
    for source, result in documents(args.milestones):
        ingest(engine, source, result, NOW)
    settings = config.Settings()
    export_s, stats = timed(export, engine, folder / "cal", uid_domain="bench.invalid",
                            alarm_days=3, tz="Asia/Shanghai", refresh_hours=12)
    again_s, _ = timed(export, engine, folder / "cal", uid_domain="bench.invalid",
                       alarm_days=3, tz="Asia/Shanghai", refresh_hours=12)
    size = (folder / "cal" / "all.ics").stat().st_size
    print(f"machine: {machine()}")
    print(f"export: {stats['events']:,} milestones → {stats['files']} files in {export_s:.1f} s "
          f"(all.ics {size / 1e6:.1f} MB); unchanged re-export {again_s:.1f} s")

    ours, ours_server = start(create_app(engine, settings, lambda: dt.date(2024, 6, 1)))
    static = Starlette()
    static.mount("/", StaticFiles(directory=str(folder / "cal")))
    plain, plain_server = start(static)
    first_doc = next(iter(documents(1)))[1].document.doc
    feed = f"/feeds/doc/{first_doc}.ics"
    small = folder / "cal" / "doc" / f"{first_doc}.ics"
    first = httpx.get(ours + feed)
    etag = first.headers["etag"]
    plain_etag = httpx.get(f"{plain}/doc/{first_doc}.ics").headers["etag"]
    rows = [
        ("our feed 200 (one document)", ours + feed, None),
        ("static file 200", f"{plain}/doc/{first_doc}.ics", None),
        ("our feed 304", ours + feed, {"If-None-Match": etag}),
        ("static file 304", f"{plain}/doc/{first_doc}.ics", {"If-None-Match": plain_etag}),
    ]
    print(f"feed body {len(first.content):,} bytes (static copy {small.stat().st_size:,} bytes); "
          f"{args.requests} requests, {args.concurrency} concurrent")
    rates = {}
    for label, url, headers in rows:
        rate, code = load(url, args.requests, args.concurrency, headers)
        rates[label] = rate
        print(f"  {label:<28} {rate:8.0f} req/s  (status {code})")
    print(f"ratio 200: ours/static = {rates['our feed 200 (one document)'] / rates['static file 200']:.2f}; "
          f"ratio 304: ours/static = {rates['our feed 304'] / rates['static file 304']:.2f}")
    big_rate, code = load(ours + "/feeds/all.ics", 8, 4)
    print(f"  all.ics ({size / 1e6:.1f} MB) 200: {big_rate:.1f} req/s (status {code})")
    ours_server.should_exit = plain_server.should_exit = True
    print(f"peak memory (RSS): {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
