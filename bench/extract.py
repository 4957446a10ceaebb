"""Extraction speed and memory: the whole pipeline on the seeds repeated to ~5 MB, beside
JioNLP's `extract_time` on a slice of the same text in the same run (install the `bench` extra).

    python bench/extract.py [--mb 5] [--jionlp-kb 60]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import tracemalloc

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))

from bench._common import machine, seeds, timed  # noqa: E402
from scheduler.extract import extract  # noqa: E402

PUBLISHED = dt.date(2023, 2, 13)


def corpus(megabytes: float) -> list[tuple[bytes, object]]:
    """The seeds cycled as separate documents until ~`megabytes` of input."""
    docs = [(data, published) for _, data, published in seeds()]
    target = int(megabytes * 1_000_000)
    out, size, i = [], 0, 0
    while size < target:
        out.append(docs[i % len(docs)])
        size += len(docs[i % len(docs)][0])
        i += 1
    return out


def ours_docs(docs) -> int:
    return sum(len(extract(data, published=published).milestones) for data, published in docs)


def ours(text: str) -> int:
    return len(extract(text, published=PUBLISHED, max_bytes=None).milestones)


def jionlp_time(text: str) -> int:
    import jionlp

    base = time.mktime(PUBLISHED.timetuple())
    found = 0
    for line in text.split("\n"):
        if line.strip():
            found += len(jionlp.ner.extract_time(line, time_base=base))
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=5.0)
    parser.add_argument("--jionlp-kb", type=float, default=60.0)
    args = parser.parse_args()
    import logging

    logging.disable(logging.ERROR)   # JioNLP logs a traceback for every phrase it cannot parse
    docs = corpus(args.mb)
    chars = sum(len(data.decode("utf-8")) for data, _ in docs)
    ours_docs(docs[:5])   # warm caches (rules, OpenCC)
    seconds, found = timed(ours_docs, docs)
    rate = chars / seconds
    print(f"machine: {machine()}")
    print(f"ours:   {len(docs)} documents, {chars:,} chars in {seconds:.2f} s = {rate:,.0f} chars/s "
          f"({found} milestones)")

    body = next(data for doc, data, _ in seeds() if doc == "003").decode("utf-8")
    text = "\n\n".join([body] * (int(args.mb * 1_000_000) // len(body.encode("utf-8")) + 1))
    tracemalloc.start()
    ours(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = len(text.encode("utf-8"))
    print(f"memory: peak {peak / 1e6:.1f} MB for {size / 1e6:.1f} MB of input "
          f"= {peak / size:.1f}x the input")

    sample = "\n\n".join(data.decode("utf-8") for data, _ in docs)[: int(args.jionlp_kb * 1000 / 3)]
    try:
        import jionlp  # noqa: F401
    except ImportError:
        print("jionlp not installed (pip install -e '.[bench]'): no baseline ratio")
        return
    ours_s, _ = timed(ours, sample, repeat=3)
    jio_s, jio_found = timed(jionlp_time, sample)
    print(f"sample: {len(sample):,} chars; ours {len(sample) / ours_s:,.0f} chars/s, "
          f"JioNLP extract_time {len(sample) / jio_s:,.0f} chars/s ({jio_found} expressions)")
    print(f"ratio:  ours is {jio_s / ours_s:.1f}x JioNLP's speed on the same text")


if __name__ == "__main__":
    main()
