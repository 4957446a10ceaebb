"""The store on SQLite and (when available) a real PostgreSQL: ingest, updates in place, status."""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from scheduler.extract import extract
from scheduler.store import connect, ingest, set_status, status

from .conftest import ROOT, SEEDS, fresh_pg_url, run_cli

NOW = dt.datetime(2023, 2, 14, 9, 0, tzinfo=dt.timezone.utc)
PLAN = ("发布日期：2023-02-13\n区水务局将在3月底前完成河道清淤，6月底前启动泵站改造。"
        "区交通局年底前实现公交枢纽竣工交付。")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    if request.param == "sqlite":
        return connect(f"sqlite:///{tmp_path / 's.db'}")
    return connect(fresh_pg_url())


def _ingest(engine, text, source="plan.txt", now=NOW):
    return ingest(engine, source, extract(text.encode("utf-8"), doc="plan"), now)


def test_reingest_same_document_changes_nothing(store):
    first = _ingest(store, PLAN)
    assert (first.state, first.added) == ("new", 3)
    again = _ingest(store, PLAN, now=NOW + dt.timedelta(hours=1))
    assert (again.state, again.added, again.updated, again.cancelled) == ("unchanged", 0, 0, 0)
    rows = status(store, dt.date(2023, 2, 14))
    assert [r.milestone.sequence for r in rows] == [0, 0, 0]


def test_edited_document_updates_in_place(store):
    first = _ingest(store, PLAN)
    by_task = {r.milestone.task: r.milestone for r in status(store, dt.date(2023, 2, 14))}
    done_id = by_task["启动泵站改造"].id
    set_status(store, done_id, "done", "验收完毕", "tester", NOW)
    # the clean-up deadline moves to April, the bus hub disappears, a new item appears
    edited = PLAN.replace("区交通局年底前实现公交枢纽竣工交付。", "区城管局9月底前完成垃圾分类全覆盖。")
    result = _ingest(store, edited, now=NOW + dt.timedelta(days=1))
    assert (result.state, result.added, result.cancelled) == ("updated", 1, 1)
    rows = {r.milestone.task: r.milestone for r in status(store, dt.date(2023, 2, 14), statuses=None)}
    assert rows["启动泵站改造"].status == "done" and rows["启动泵站改造"].id == done_id
    hub = [m for t, m in rows.items() if "公交枢纽" in t][0]
    assert hub.status == "cancelled" and hub.sequence == 1
    assert ids_stable(first.ids, result.ids)


def ids_stable(before, after):
    return len(set(before) & set(after)) == 2


def test_status_orders_overdue_first_and_filters(store):
    _ingest(store, PLAN)
    rows = status(store, dt.date(2023, 7, 1))
    assert [r.overdue for r in rows] == [True, True, False]
    assert rows[0].days_left < rows[1].days_left < 0
    assert [r.milestone.owner for r in status(store, dt.date(2023, 7, 1), owner="交通")] == ["区交通局"]
    assert len(status(store, dt.date(2023, 2, 14), within=60)) == 1
    assert len(status(store, dt.date(2023, 7, 1), overdue=True)) == 2


def test_status_json_contract_and_check_exit_codes(tmp_path, db_url):
    env = {"DEADLINES_DB": db_url}
    assert run_cli("ingest", str(SEEDS), env=env).returncode == 0
    out = run_cli("status", "--json", "--today", "2023-07-01", "--doc", "003", env=env)
    rows = json.loads(out.stdout)
    first = rows[0]
    assert set(first) == {"id", "doc", "source", "published", "due", "start", "days_left", "overdue",
                          "precision", "kind", "rrule", "owner", "time_text", "title", "task",
                          "status", "sequence", "sentence", "confidence", "flags", "review"}
    assert first["doc"] == "003" and first["published"] == "2023-02-13"
    assert first["overdue"] is True and first["days_left"] < 0 and first["status"] == "open"
    assert first["due"] == "2023-03-31" and first["precision"] == "month"
    assert first["time_text"] in first["sentence"]
    assert {r["review"] for r in rows} == {"unreviewed"}
    run_cli("review", "--accept", first["id"], env=env)
    again = json.loads(run_cli("status", "--json", "--today", "2023-07-01", "--doc", "003", env=env).stdout)
    assert {r["id"]: r["review"] for r in again}[first["id"]] == "accepted"
    assert run_cli("status", "--json", "--reviewed", "--doc", "003", env=env).stdout.count('"accepted"') == 1
    assert all(r["days_left"] == (dt.date.fromisoformat(r["due"]) - dt.date(2023, 7, 1)).days
               for r in rows)
    late = run_cli("status", "--check", "--today", "2023-07-01", env=env)
    assert late.returncode == 1 and late.stdout.startswith("OVERDUE")
    fine = run_cli("status", "--check", "--today", "2013-03-16", "--doc", "000", env=env)
    assert fine.returncode == 0 and fine.stdout.startswith("OK: 0 overdue")


def test_done_cancel_reopen_by_prefix_and_history(db_url):
    env = {"DEADLINES_DB": db_url}
    run_cli("ingest", str(SEEDS), env=env)
    rows = json.loads(run_cli("status", "--json", "--doc", "002", "--today", "2022-05-01", env=env).stdout)
    prefix = rows[0]["id"][:9]
    assert run_cli("done", prefix, "--note", "已落实", env=env).returncode == 0
    assert run_cli("reopen", prefix, env=env).returncode == 0
    assert run_cli("cancel", prefix, "--reason", "计划取消", env=env).returncode == 0
    shown = run_cli("show", prefix, env=env).stdout
    assert "open → done" in shown and "计划取消" in shown and "evidence" in shown
    again = run_cli("cancel", prefix, "--reason", "x", env=env)   # idempotent: a note, exit 0
    assert again.returncode == 0 and "already cancelled" in again.stderr


def test_kill_during_ingest_leaves_no_half_document(tmp_path):
    """SIGKILL a real ingest of many documents; the database stays consistent and a re-run completes."""
    corpus = tmp_path / "docs"
    corpus.mkdir()
    body = (next(SEEDS.glob("003_*.txt"))).read_text(encoding="utf-8")
    for i in range(60):
        (corpus / f"d{i:03}.txt").write_text(f"发布日期：2023-02-13\n{body}\n第{i}号", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'k.db'}"
    env = {**os.environ, "DEADLINES_DB": url}
    proc = subprocess.Popen([sys.executable, "-m", "scheduler", "ingest", str(corpus)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    engine = connect(url)
    from sqlmodel import Session, func, select

    from scheduler.store.tables import Document, Milestone

    deadline = time.time() + 60
    while time.time() < deadline:
        with Session(engine) as s:
            if s.exec(select(func.count()).select_from(Document)).one() >= 3:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    from scheduler.extract import extract

    whole = len(extract((corpus / "d000.txt").read_bytes(), doc="d000").milestones)
    with Session(engine) as s:
        docs = s.exec(select(Document)).all()
        for doc in docs:
            count = s.exec(select(func.count()).select_from(Milestone)
                           .where(Milestone.document_id == doc.id)).one()
            assert count == whole, f"{doc.id} has {count} of {whole} milestones"
    assert 0 < len(docs) < 60
    rerun = subprocess.run([sys.executable, "-m", "scheduler", "ingest", str(corpus)], env=env,
                           capture_output=True, text=True, cwd=ROOT)
    assert rerun.returncode == 0
    assert f"{60 - len(docs)} new" in rerun.stdout and f"{len(docs)} unchanged" in rerun.stdout


@pytest.mark.parametrize("rrule,due,today,expected", [
    ("FREQ=WEEKLY", "2023-02-19", "2023-03-01", "2023-03-05"),
    ("FREQ=WEEKLY;INTERVAL=2", "2023-02-19", "2023-02-20", "2023-03-05"),
    ("FREQ=MONTHLY", "2023-02-28", "2023-03-01", "2023-03-31"),
    ("FREQ=MONTHLY", "2023-02-28", "2023-04-30", "2023-04-30"),
    ("FREQ=MONTHLY;INTERVAL=3", "2023-03-31", "2023-04-01", "2023-06-30"),
    ("FREQ=YEARLY", "2023-12-31", "2025-02-01", "2025-12-31"),
    ("FREQ=DAILY", "2023-02-13", "2023-02-20", "2023-02-20"),
    ("FREQ=MONTHLY", "2023-02-28", "2023-02-01", "2023-02-28"),
])
def test_next_due_of_recurring_duties(rrule, due, today, expected):
    """Agrees with dateutil's expansion of the same rule (month ends stay month ends)."""
    from dateutil.rrule import rrulestr

    from scheduler.store.queries import next_due, recurrence
    from scheduler.store.tables import Milestone

    row = Milestone(rrule=rrule, due=dt.date.fromisoformat(due))
    got = next_due(row, dt.date.fromisoformat(today))
    assert got.isoformat() == expected
    start = dt.datetime.combine(row.due, dt.time())
    ref = rrulestr(recurrence(rrule, row.due), dtstart=start).after(
        dt.datetime.combine(max(row.due, dt.date.fromisoformat(today)), dt.time()), inc=True)
    assert ref.date() == got


def test_schema_version_is_recorded_and_data_survives_reopening(tmp_path):
    """The version table is written on creation; reopening (as an upgraded program would) keeps
    the data; a database from a newer program is refused with one line, not damaged."""
    from sqlmodel import Session, select

    from scheduler.errors import StoreError
    from scheduler.store.tables import SCHEMA_VERSION, SchemaInfo

    url = f"sqlite:///{tmp_path / 'v.db'}"
    engine = connect(url)
    _ingest(engine, PLAN)
    with Session(engine) as session:
        assert session.exec(select(SchemaInfo)).one().version == SCHEMA_VERSION
    again = connect(url)
    assert len(status(again, dt.date(2023, 2, 14))) == 3
    with Session(again) as session:
        info = session.exec(select(SchemaInfo)).one()
        info.version = SCHEMA_VERSION + 1
        session.add(info)
        session.commit()
    with pytest.raises(StoreError, match="newer than this program"):
        connect(url)
    with Session(again) as session:
        assert len(session.exec(select(SchemaInfo)).all()) == 1
