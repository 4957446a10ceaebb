"""The feed server under a crowd: `/healthz` latency while 50 clients load the index page.

A real `deadlines serve` process on a store of N milestones; a separate process keeps C
concurrent clients on `/` for S seconds; this process probes `/healthz` every 20 ms. The
baseline is `/healthz` with no load, in the same run. Bounded, loopback only.

    python bench/server.py [--milestones 3200] [--concurrency 50] [--seconds 15] [--tree=PATH]

`--tree=PATH` builds the store and serves from another checkout (e.g. an older commit unpacked
elsewhere) for a before/after in the same minute.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TREE = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--tree=")),
            str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, TREE)

import httpx  # noqa: E402

from bench._common import machine  # noqa: E402
from bench.store import NOW, documents  # noqa: E402
from scheduler.store import connect, ingest  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def crowd(url: str, concurrency: int, seconds: float, counts) -> None:
    """C clients on `url` until the time is up (runs in its own process)."""
    async def client(stop: float) -> int:
        done = 0
        async with httpx.AsyncClient(timeout=60) as session:
            while time.monotonic() < stop:
                await session.get(url)
                done += 1
        return done

    async def main() -> None:
        stop = time.monotonic() + seconds
        counts.value = sum(await asyncio.gather(*(client(stop) for _ in range(concurrency))))

    asyncio.run(main())


def probe(url: str, seconds: float) -> list[float]:
    took = []
    stop = time.monotonic() + seconds
    with httpx.Client(timeout=60) as session:
        while time.monotonic() < stop:
            start = time.perf_counter()
            session.get(url).raise_for_status()
            took.append((time.perf_counter() - start) * 1000)
            time.sleep(0.02)
    return took


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--milestones", type=int, default=3200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--tree", default=TREE)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    url = f"sqlite:///{folder / 'server.db'}"
    engine = connect(url)
    for source, result in documents(args.milestones):
        ingest(engine, source, result, NOW)
    engine.dispose()
    port = free_port()
    env = {**os.environ, "DEADLINES_DB": url, "PYTHONPATH": args.tree}
    server = subprocess.Popen([sys.executable, "-m", "scheduler", "--today", "2024-06-01", "serve",
                               "--port", str(port)], cwd=args.tree, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(400):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        httpx.get(f"{base}/", timeout=60)                     # warm: first build of the page
        idle = probe(f"{base}/healthz", 5)
        counts = multiprocessing.Value("i", 0)
        load = multiprocessing.Process(target=crowd, args=(f"{base}/", args.concurrency,
                                                           args.seconds, counts))
        load.start()
        time.sleep(1)                                          # let the crowd build up
        busy = probe(f"{base}/healthz", args.seconds - 2)
        load.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"machine: {machine()}; tree: {args.tree}")
    print(f"{args.milestones:,} milestones; {args.concurrency} concurrent clients on / for "
          f"{args.seconds:g} s: {counts.value / args.seconds:.0f} pages/s")
    print(f"/healthz idle:  p50 {p(idle, 50):6.1f} ms  p99 {p(idle, 99):7.1f} ms  ({len(idle)} probes)")
    print(f"/healthz crowd: p50 {p(busy, 50):6.1f} ms  p99 {p(busy, 99):7.1f} ms  ({len(busy)} probes)")
    print(f"ratio p99 crowd/idle: {p(busy, 99) / p(idle, 99):.1f}")


if __name__ == "__main__":
    main()
