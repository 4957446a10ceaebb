"""Export writes many files at once (one flush to disk for all, each folder flushed once): after a
change exactly the files holding the changed event are replaced, whole, and no temporary file is
left behind."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import SEEDS, fresh_pg_url

OPTIONS = dict(uid_domain="test.invalid", alarm_days=3, tz="Asia/Shanghai", refresh_hours=12)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_change_rewrites_exactly_its_files(tmp_path, db_url, backend):
    from scheduler.calendar import export
    from scheduler.extract import extract
    from scheduler.store import connect, ingest, set_status, status

    engine = connect(db_url if backend == "sqlite" else fresh_pg_url())

    now = dt.datetime(2023, 2, 13, tzinfo=dt.timezone.utc)
    for doc in ("003", "002"):
        data = next(SEEDS.glob(f"{doc}_*.txt")).read_bytes()
        ingest(engine, doc, extract(data, published=dt.date(2023, 2, 13), doc=doc), now)
    out = tmp_path / "cal"
    first = export(engine, out, **OPTIONS)
    files = sorted(out.rglob("*.ics"))
    assert first["written"] == first["files"] == len(files) > 3
    before = {f: (f.stat().st_ino, f.read_bytes()) for f in files}
    row = status(engine, dt.date(2023, 3, 1), doc="003", limit=1)[0]
    set_status(engine, row.milestone.id, "done", "", "test", now + dt.timedelta(days=1))
    again = export(engine, out, **OPTIONS)
    changed = {f for f in files if f.read_bytes() != before[f][1]}
    owner_file = out / "owner" / next(f.name for f in changed if f.parent.name == "owner")
    assert changed == {out / "all.ics", out / "doc" / "003.ics", owner_file}
    assert again["written"] == 3
    assert all(row.milestone.id.encode() in f.read_bytes() for f in changed)
    assert all(f.stat().st_ino == before[f][0] for f in files if f not in changed)   # untouched
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert export(engine, out, **OPTIONS)["written"] == 0
