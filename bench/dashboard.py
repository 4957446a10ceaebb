"""The dashboard and the first export at scale.

- `/` and a filtered `/?owner=…` under 8 concurrent clients: p50 and p99 latency, beside the same
  page bytes served as a static file by the same stack (uvicorn + Starlette `StaticFiles`).
- `/` right after a change to the store (one milestone's status flipped, the change stamp moves):
  8 clients ask at once, `--rounds` times; p50 and p99. Baseline in the same process: loading
  every open, done and cancelled row through `status()`, which is what the page did before it
  counted in SQL.
- the first export of all calendars in a new process, without and with the serialized events
  kept in the store (table `event_bytes`).

    python bench/dashboard.py [--milestones 100000] [--requests 400] [--concurrency 8] [--rounds 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from sqlalchemy import delete  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.staticfiles import StaticFiles  # noqa: E402

from bench._common import machine, peak_rss_mb, timed  # noqa: E402
from bench.feeds import start  # noqa: E402
from bench.store import NOW, documents  # noqa: E402
from scheduler import config  # noqa: E402
from scheduler.calendar import export  # noqa: E402
from scheduler.store import connect, ingest, set_status, status  # noqa: E402
from scheduler.store.tables import EventBytes  # noqa: E402
from scheduler.web import create_app  # noqa: E402
from scheduler.web.app import STAMP_SECONDS  # noqa: E402

TODAY = dt.date(2024, 6, 1)
OPTIONS = dict(uid_domain="bench.invalid", alarm_days=3, tz="Asia/Shanghai", refresh_hours=12)


def latencies(url: str, requests: int, concurrency: int) -> list[float]:
    out: list[float] = []

    def worker(n: int) -> None:
        with httpx.Client(timeout=600) as client:
            for _ in range(n):
                t = time.perf_counter()
                assert client.get(url).status_code == 200
                out.append(time.perf_counter() - t)

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, [requests // concurrency] * concurrency))
    return sorted(out)


def pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--milestones", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--db", help="reuse this SQLite file (ingested when it does not exist)")
    parser.add_argument("--no-export", action="store_true", help="only the page figures")
    parser.add_argument("--rounds", type=int, default=5, help="changes, each followed by 8 requests")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    path = Path(args.db) if args.db else folder / "dash.db"
    fresh = not path.exists()
    url = f"sqlite:///{path}"
    engine = connect(url)
    print(f"machine: {machine()}")
    if fresh:
        took, _ = timed(lambda: [ingest(engine, s, r, NOW) for s, r in documents(args.milestones)])
        print(f"ingest: {args.milestones:,} milestones in {took:.1f} s")
    if not args.no_export:
        export_figures(engine, url, folder)
    pages(engine, folder, args)


def export_figures(engine, url: str, folder: Path) -> None:
    cold, stats = timed(export, engine, folder / "cal", **OPTIONS)
    shutil.rmtree(folder / "cal")
    warm, _ = timed(export, connect(url), folder / "cal", **OPTIONS)    # a new process's engine
    print(f"first export, nothing stored: {cold:.1f} s; first export of a new process with the "
          f"events stored: {warm:.1f} s (ratio {warm / cold:.2f}); {stats['files']:,} files")
    with engine.begin() as conn:
        conn.execute(delete(EventBytes))


def pages(engine, folder: Path, args) -> None:
    app = create_app(engine, config.Settings(), lambda: TODAY)
    ours, server = start(app)
    first, page = timed(httpx.get, ours + "/", timeout=600)
    owner = "市北区"
    filtered = f"{ours}/?owner={quote(owner)}"
    static_dir = folder / "static"
    static_dir.mkdir()
    (static_dir / "index.html").write_bytes(page.content)
    plain = Starlette()
    plain.mount("/", StaticFiles(directory=str(static_dir), html=True))
    base, plain_server = start(plain)
    print(f"/ first request of a new process: {first:.2f} s, {len(page.content) / 1e3:.0f} kB; "
          f"{args.requests} requests, {args.concurrency} concurrent:")
    results = {}
    for label, target in (("/", ours + "/"), (f"/?owner={owner}", filtered),
                          ("static copy of /", base + "/index.html")):
        values = latencies(target, args.requests, args.concurrency)
        results[label] = values
        print(f"  {label:<22} p50 {pct(values, 50):7.1f} ms   p99 {pct(values, 99):7.1f} ms   "
              f"mean {statistics.mean(values) * 1000:7.1f} ms")
    ratio = pct(results["/"], 50) / pct(results["static copy of /"], 50)
    print(f"ratio p50 /: ours/static = {ratio:.1f}")
    after_change(engine, ours, args)
    server.should_exit = plain_server.should_exit = True
    print(f"peak memory (RSS): {peak_rss_mb():,.0f} MB")


def after_change(engine, ours: str, args) -> None:
    """`/` right after a change: flip one milestone's status, wait for the change stamp to be
    read again (at most once a second), then `concurrency` clients ask at once."""
    ids = [r.milestone.id for r in status(engine, TODAY, limit=args.rounds)]
    values: list[float] = []
    for n, mid in enumerate(ids):
        set_status(engine, mid, "done", "bench", "bench", NOW + dt.timedelta(minutes=n + 1))
        time.sleep(STAMP_SECONDS + 0.2)
        values += latencies(ours + "/", args.concurrency, args.concurrency)
    values.sort()
    took, _ = timed(lambda: [status(engine, TODAY, statuses=(s,)) for s in ("open", "done", "cancelled")])
    print(f"/ after a change, {len(ids)} changes x {args.concurrency} clients at once: "
          f"p50 {pct(values, 50):.0f} ms, p99 {pct(values, 99):.0f} ms; baseline (every row loaded "
          f"through status(), as the page did before): {took * 1000:.0f} ms; "
          f"ratio p99/baseline {pct(values, 99) / (took * 1000):.2f}")


if __name__ == "__main__":
    main()
