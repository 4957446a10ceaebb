"""Bulk ingest through the CLI: N documents on disk (the seeds cycled, each made unique),
`deadlines ingest DIR --jobs 1` beside `--jobs 2` in the same run (fresh database each).

    python bench/ingest.py [--documents 1000] [--jobs 1,2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ROOT, machine, seeds  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--jobs", default="1,2", help="process counts to compare, e.g. 1,2")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    docs = folder / "docs"
    docs.mkdir()
    texts = [(data.decode("utf-8"), published) for _, data, published in seeds()]
    size = 0
    for i in range(args.documents):
        text, published = texts[i % len(texts)]
        body = f"发布日期：{published.isoformat()}\n{text}\n（第{i}篇）\n"
        (docs / f"d{i:06}.txt").write_text(body, encoding="utf-8")
        size += len(body.encode("utf-8"))
    print(f"machine: {machine()}")
    print(f"{args.documents:,} documents, {size / 1e6:.1f} MB")
    rates = {}
    for jobs in [int(j) for j in args.jobs.split(",")]:
        env = {**os.environ, "DEADLINES_DB": f"sqlite:///{folder / f'j{jobs}.db'}"}
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "scheduler", "ingest", str(docs), "--jobs",
                              str(jobs)], env=env, cwd=ROOT, capture_output=True, text=True)
        took = time.perf_counter() - start
        rates[jobs] = args.documents / took
        print(f"--jobs {jobs}: {took:.1f} s = {rates[jobs]:,.0f} documents/s — {out.stdout.strip()}")
    if 1 in rates and 2 in rates:
        print(f"scaling: 2 processes run at {rates[2] / rates[1]:.2f}x the speed of 1")


if __name__ == "__main__":
    main()
