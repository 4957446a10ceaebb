"""Store at scale: ingest N milestones (cloned from the seeds' own phrasing, dates spread over
three years) through `ingest()`, beside a plain SQLAlchemy insert loop of the same rows in the
same run; then time `status --within 30` and `status --overdue` (first 50 rows, as the CLI shows).

    python bench/store.py [--milestones 100000] [--db sqlite:///path]
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import machine, peak_rss_mb, seeds, timed  # noqa: E402
from scheduler.extract import extract  # noqa: E402
from scheduler.store import connect, ingest, status  # noqa: E402

NOW = dt.datetime(2023, 2, 14, 9, 0, tzinfo=dt.timezone.utc)


def documents(total: int):
    """Extractions of the seeds, cloned under new ids with shifted dates, until `total` milestones."""
    bases = [extract(data, published=published, doc=doc) for doc, data, published in seeds()]
    bases = [b for b in bases if b.milestones]
    made, i = 0, 0
    while made < total:
        base = bases[i % len(bases)]
        shift = dt.timedelta(days=(i * 7) % 1100)
        result = copy.deepcopy(base)
        result.document.doc = f"{base.document.doc}x{i}"
        result.document.content_hash = f"{i:064x}"
        for ms in result.milestones:
            ms.doc = result.document.doc
            ms.due = ms.due + shift
            ms.start = ms.start + shift if ms.start else None
        result.milestones = result.milestones[: total - made]
        made += len(result.milestones)
        i += 1
        yield f"bench/{result.document.doc}.txt", result


def baseline(url: str, docs) -> int:
    """The same rows with one plain SQLAlchemy Core executemany per document."""
    from sqlalchemy import Column, Date, Integer, MetaData, String, Table, Text, create_engine

    engine = create_engine(url)
    meta = MetaData()
    table = Table("plain", meta, Column("id", String, primary_key=True), Column("doc", String),
                  Column("due", Date, index=True), Column("task", Text), Column("owner", String),
                  Column("seq", Integer))
    meta.create_all(engine)
    n = 0
    for _, result in docs:
        with engine.begin() as conn:
            conn.execute(table.insert(), [
                {"id": f"{result.document.doc}-{m.id}", "doc": result.document.doc, "due": m.due,
                 "task": m.task, "owner": m.owner, "seq": 0} for m in result.milestones])
        n += len(result.milestones)
    return n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--milestones", type=int, default=100_000)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    url = args.db or f"sqlite:///{folder / 'bench.db'}"
    docs = list(documents(args.milestones))
    engine = connect(url)

    def ours():
        return sum(ingest(engine, source, result, NOW).added for source, result in docs)

    ours_s, added = timed(ours)
    base_s, base_n = timed(baseline, f"sqlite:///{folder / 'plain.db'}" if not args.db else url, docs)
    print(f"machine: {machine()}; database: {engine.url.get_backend_name()}")
    print(f"ingest: {added:,} milestones in {len(docs):,} documents, {ours_s:.1f} s = "
          f"{added / ours_s:,.0f} milestones/s")
    print(f"plain:  {base_n:,} rows with a bare SQLAlchemy insert loop, {base_s:.1f} s = "
          f"{base_n / base_s:,.0f} rows/s; ours costs {ours_s / base_s:.1f}x the bare insert")
    again_s, _ = timed(lambda: [ingest(engine, s, r, NOW) for s, r in docs[:500]])
    print(f"re-ingest of 500 unchanged documents: {again_s:.2f} s")
    today = dt.date(2024, 6, 1)
    for label, kwargs in (("status --within 30", {"within": 30, "limit": 50}),
                          ("status --overdue", {"overdue": True, "limit": 50}),
                          ("status (default)", {"limit": 50})):
        seconds, rows = timed(status, engine, today, repeat=5, **kwargs)
        print(f"{label:<20} {seconds * 1000:7.1f} ms  ({len(rows)} rows shown)")
    print(f"peak memory (RSS): {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
