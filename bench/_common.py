"""Helpers shared by the benchmark scripts (not a test: figures and ratios, no pass/fail)."""

from __future__ import annotations

import platform
import time
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def seeds() -> list[tuple[str, bytes, object]]:
    """(doc, bytes, published) for every bundled seed."""
    out = []
    for meta in sorted(SEEDS.glob("*.meta.toml")):
        data = tomllib.loads(meta.read_text(encoding="utf-8"))
        text = meta.with_name(meta.name.replace(".meta.toml", ".txt")).read_bytes()
        out.append((data["doc"], text, data["published"]))
    return out


def timed(fn, *args, repeat: int = 1, **kwargs):
    """Best of `repeat` runs: (seconds, result)."""
    best, result = None, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    return best, result


def machine() -> str:
    import os

    return f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
