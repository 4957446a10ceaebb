"""A new process's first export reads unchanged events back from the store instead of rebuilding."""

import datetime as dt
import importlib
import shutil

from scheduler.extract import extract
from scheduler.store import connect, ingest, set_status

from .conftest import SEEDS

export_module = importlib.import_module("scheduler.calendar.export")
NOW = dt.datetime(2023, 2, 13, tzinfo=dt.timezone.utc)
OPTIONS = dict(uid_domain="t.invalid", alarm_days=3, tz="Asia/Shanghai", refresh_hours=12)


def test_stored_events_are_reused_and_changes_rebuilt(tmp_path, monkeypatch):
    engine = connect(f"sqlite:///{tmp_path / 's.db'}")
    data = next(SEEDS.glob("003_*.txt")).read_bytes()
    ingest(engine, "003", extract(data, published=dt.date(2023, 2, 13), doc="003"), NOW)
    built = []
    real = export_module.event_bytes
    monkeypatch.setattr(export_module, "event_bytes", lambda *a, **k: built.append(1) or real(*a, **k))
    out = tmp_path / "cal"
    first = export_module.export(engine, out, **OPTIONS)
    assert len(built) == first["events"] == len(extract(data, published=dt.date(2023, 2, 13), doc="003").milestones)
    before = (out / "all.ics").read_bytes()
    shutil.rmtree(out)                        # a new machine: no files, no export state
    built.clear()
    export_module.export(engine, out, **OPTIONS)
    assert built == [] and (out / "all.ics").read_bytes() == before
    from scheduler.store import status

    row = status(engine, dt.date(2023, 2, 13))[0].milestone
    set_status(engine, row.id, "done", "", "test", NOW + dt.timedelta(days=1))
    shutil.rmtree(out)
    export_module.export(engine, out, **OPTIONS)
    assert len(built) == 1 and b"\xe2\x9c\x93 [" in (out / "all.ics").read_bytes()   # ✓ [owner]
    built.clear()
    shutil.rmtree(out)
    export_module.export(engine, out, **{**OPTIONS, "summary": "{title}"})
    assert len(built) == first["events"]                   # another title pattern: other bytes
