"""The dashboard counts in SQL and loads only the rows it lists; its numbers must still be the
numbers of `deadlines status --json` for the same `--today`.

A store of a few hundred milestones (the seeds' extractions cloned under new ids with dates
shifted across every bucket, some done, some cancelled, some accepted), on SQLite and on a real
PostgreSQL; each figure of the page model is compared with the CLI's rows counted in Python.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
from collections import Counter

import pytest

from .conftest import SEEDS, fresh_pg_url, run_cli

TODAY = dt.date(2024, 6, 1)
NOW = dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.timezone.utc)
STALE = 90


def bucket(d: int) -> str:
    return "overdue" if d < 0 else "week" if d <= 7 else "month" if d <= 30 else "later"


def owner(row) -> str:
    return row["owner"] or "未注明"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request, tmp_path_factory):
    import tomllib

    from scheduler.extract import extract
    from scheduler.store import connect, ingest
    from scheduler.store.queries import change_status
    from scheduler.store.review import accept

    url = (f"sqlite:///{tmp_path_factory.mktemp('counts') / 'c.db'}" if request.param == "sqlite"
           else fresh_pg_url())
    engine = connect(url)
    bases = []
    for meta in sorted(SEEDS.glob("*.meta.toml")):
        data = tomllib.loads(meta.read_text(encoding="utf-8"))
        text = meta.with_name(meta.name.replace(".meta.toml", ".txt")).read_bytes()
        result = extract(text, published=data["published"], doc=data["doc"])
        if result.milestones:
            bases.append(result)
    made, i = 0, 0
    while made < 400:        # dates shifted so every bucket, the stale ones and the chart fill
        result = copy.deepcopy(bases[i % len(bases)])
        result.document.doc = f"{result.document.doc}x{i}"
        result.document.content_hash = f"{i:064x}"
        shift = dt.timedelta(days=(i * 37) % 700 - 150)
        for ms in result.milestones:
            ms.doc = result.document.doc
            ms.due = ms.due + shift
            ms.start = ms.start + shift if ms.start else None
        ingest(engine, f"gen/{result.document.doc}.txt", result, NOW)
        made += len(result.milestones)
        i += 1
    # and one-off milestones due exactly on each bucket's edges (7/8, 30/31 days, today, stale)
    once = [b for b in bases if any(not ms.rrule for ms in b.milestones)]
    for n, days in enumerate((-92, -91, -90, -1, 0, 7, 8, 30, 31)):
        result = copy.deepcopy(once[n % len(once)])
        first = next(ms for ms in result.milestones if not ms.rrule)
        shift = TODAY + dt.timedelta(days=days) - first.due
        result.document.doc = f"{result.document.doc}edge{n}"
        result.document.content_hash = f"e{n:063x}"
        for ms in result.milestones:
            ms.doc = result.document.doc
            ms.due = ms.due + shift
            ms.start = ms.start + shift if ms.start else None
        ingest(engine, f"gen/{result.document.doc}.txt", result, NOW)
    env = {**os.environ, "DEADLINES_DB": url}
    rows = json.loads(run_cli("status", "--json", "--today", TODAY.isoformat(), env=env).stdout)
    for n, row in enumerate(rows):
        if n % 7 == 0 and "edge" not in row["doc"]:       # the edge cases stay open
            change_status(engine, row["id"], "done", "", "test", NOW)
        elif n % 11 == 0 and "edge" not in row["doc"]:
            change_status(engine, row["id"], "cancelled", "", "test", NOW)
        if n % 3 == 0 or (0 <= row["days_left"] <= 30 and n % 2):
            accept(engine, row["id"], "test", NOW)
    return engine, env


def status_json(env, *args):
    out = run_cli("status", "--json", "--today", TODAY.isoformat(), *args, env=env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("reviewed", [False, True], ids=["all", "publish-reviewed"])
def test_summary_matrix_and_chart_equal_status_json(store, reviewed):
    from scheduler.web.dashboard import Dashboard

    engine, env = store
    extra = ("--reviewed",) if reviewed else ()
    rows = status_json(env, *extra)
    every = status_json(env, "--status", "all", *extra)
    assert len(every) > (100 if reviewed else 300) and len(rows) > 40
    view = Dashboard(engine, stale_days=STALE, reviewed_only=reviewed).view(TODAY, {})
    if not reviewed:      # each bucket's edge days are in the store (a one-day slip fails)
        assert {-92, -91, -1, 0, 7, 8, 30, 31} <= {r["days_left"] for r in rows}
    left = Counter(bucket(r["days_left"]) for r in rows)
    assert {k: view.summary[k] for k in ("overdue", "week", "month", "later")} == \
        {k: left[k] for k in ("overdue", "week", "month", "later")}
    assert all(left[k] for k in ("overdue", "week", "month", "later"))
    assert view.summary["done"] == sum(r["status"] == "done" for r in every) > 0
    assert view.summary["stale"] == sum(r["days_left"] < -STALE for r in rows) > 0
    cells: dict[str, Counter] = {}
    for r in rows:
        cells.setdefault(owner(r), Counter())[bucket(r["days_left"])] += 1
    for who, shown, total in view.matrix:
        assert shown == {k: v for k, v in cells[who].items() if v} and total == sum(cells[who].values())
    assert len(view.matrix) + view.matrix_more == len(cells)
    bars = {p["key"]: p for p in view.chart}
    assert bars["overdue"]["open"] == sum(r["days_left"] < 0 for r in rows)
    for key, p in bars.items():
        if key == "overdue":
            continue
        for state in ("open", "done", "cancelled"):
            assert p[state] == sum(1 for r in every if r["due"][:7] == key and r["status"] == state
                                   and (r["days_left"] >= 0 or state != "open")), (key, state)
    assert sum(p["done"] + p["cancelled"] for p in view.chart) > 0


def expected(rows, filters):
    """The rows of `status --json` the dashboard lists for `filters`, in its order."""
    out = []
    for r in rows:
        if "owner" in filters and owner(r) != filters["owner"]:
            continue
        if "doc" in filters and r["doc"] != filters["doc"]:
            continue
        if "due" in filters and r["due"] != filters["due"]:
            continue
        if "q" in filters and not any(filters["q"] in (r[k] or "") for k in ("title", "task",
                                                                            "sentence", "owner")):
            continue
        if "bucket" in filters:
            if r["status"] != "open":
                continue
            if filters["bucket"] == "stale":
                if not r["days_left"] < -STALE:
                    continue
            elif bucket(r["days_left"]) != filters["bucket"]:
                continue
        out.append(r)
    return out


def order(rows):
    """`status` order (days left, then id), the first 200 as the page lists them."""
    return sorted(rows, key=lambda r: (r["days_left"], r["id"]))[:200]


def test_filtered_lists_equal_status_json(store):
    from scheduler.web.dashboard import Dashboard

    engine, env = store
    board = Dashboard(engine, stale_days=STALE)
    rows = status_json(env, "--status", "all")
    by_status = {s: [r for r in rows if r["status"] == s] for s in ("open", "done", "cancelled")}
    busiest = Counter(owner(r) for r in by_status["open"]).most_common(2)
    day = Counter(r["due"] for r in by_status["open"]).most_common(1)[0][0]
    cases = [{}, {"owner": busiest[0][0]}, {"owner": busiest[1][0], "bucket": "overdue"},
             {"bucket": "week"}, {"bucket": "month"}, {"bucket": "later"}, {"bucket": "stale"},
             {"status": "done"}, {"status": "cancelled"}, {"status": "all", "bucket": "overdue"},
             {"doc": rows[0]["doc"]}, {"q": "检查"}, {"q": "每月"}, {"due": day},
             {"owner": "未注明"}]
    for filters in cases:
        state = filters.get("status", "open")
        pool = rows if state == "all" else by_status[state]
        want = expected(pool, filters)
        view = board.view(TODAY, filters)
        assert view.total == len(want), filters
        if "bucket" in filters:
            listed, stale = want, []
        else:
            stale = [r for r in want if r["status"] == "open" and r["days_left"] < -STALE]
            listed = [r for r in want if not (r["status"] == "open" and r["days_left"] < -STALE)]
        assert [r.milestone.id for r in view.rows] == [r["id"] for r in order(listed)], filters
        assert [r.milestone.id for r in view.stale_rows] == [r["id"] for r in order(stale)], filters
        month = {(cell["day"].isoformat(), len(cell["rows"])) for week in view.month["weeks"]
                 for cell in week if cell["rows"]}
        grid = want if filters else by_status["open"]
        assert month == set(Counter(r["due"] for r in grid if r["due"][:7] == "2024-06").items()), filters
    assert any(board.view(TODAY, f).total for f in cases[1:])
