"""Stale milestones and recurring duties over time: pure functions with a fixed `today`, then the
CLI that uses them."""

import datetime as dt
import json

import pytest

from scheduler.store.timeline import current_due, is_stale, series_end, upcoming

from .conftest import SEEDS, run_cli

D = dt.date.fromisoformat


@pytest.mark.parametrize("rrule,first,sentence,end", [
    ("FREQ=WEEKLY", "2022-04-24", "每周开展“一线工作日”活动", "2022-12-31"),
    ("FREQ=MONTHLY", "2023-02-28", "每月召集1次网格座谈会", "2023-12-31"),
    ("FREQ=WEEKLY", "2022-04-24", "常态化开展“一线工作日”活动，每周1次", None),
    ("FREQ=MONTHLY", "2023-02-28", "建立长效机制，每月通报", None),
    ("FREQ=YEARLY", "2023-12-31", "每年开展评先树优", None),
    ("FREQ=WEEKLY;UNTIL=20230630", "2023-02-19", "每周走访", "2023-06-30"),
    (None, "2023-03-31", "3月底前完成", None),
])
def test_series_end(rrule, first, sentence, end):
    assert series_end(rrule, D(first), sentence) == (D(end) if end else None)


@pytest.mark.parametrize("rrule,first,today,end,expected", [
    ("FREQ=WEEKLY", "2022-04-24", "2023-07-01", "2022-12-31", "2022-12-25"),   # series over: last one
    ("FREQ=WEEKLY", "2022-04-24", "2023-07-01", None, "2023-07-02"),           # standing: next one
    ("FREQ=WEEKLY", "2022-04-24", "2022-06-01", "2022-12-31", "2022-06-05"),
    ("FREQ=MONTHLY", "2023-02-28", "2023-04-15", "2023-12-31", "2023-04-30"),  # month end kept
    ("FREQ=MONTHLY", "2023-02-28", "2024-03-01", "2023-12-31", "2023-12-31"),
    ("FREQ=MONTHLY;INTERVAL=3", "2023-03-31", "2023-11-02", "2023-12-31", "2023-12-31"),
    ("FREQ=WEEKLY;UNTIL=20230630", "2023-02-19", "2023-07-01", "2023-06-30", "2023-06-25"),
    (None, "2023-03-31", "2024-01-01", None, "2023-03-31"),
])
def test_current_due(rrule, first, today, end, expected):
    assert current_due(rrule, D(first), D(today), D(end) if end else None) == D(expected)


def test_upcoming_lists_every_occurrence_up_to_the_series_end():
    assert upcoming("FREQ=WEEKLY", D("2023-02-19"), D("2023-12-10"), D("2024-01-31"),
                    D("2023-12-31")) == [D("2023-12-10"), D("2023-12-17"), D("2023-12-24"), D("2023-12-31")]
    assert upcoming(None, D("2023-03-31"), D("2023-03-01"), D("2023-03-31")) == [D("2023-03-31")]


@pytest.mark.parametrize("due,today,days,stale", [
    ("2023-03-02", "2023-06-01", 90, True),     # 91 days late
    ("2023-03-03", "2023-06-01", 90, False),    # 90 days late: not yet
    ("2023-05-01", "2023-06-01", 30, True),
    ("2023-06-02", "2023-06-01", 0, False),
])
def test_is_stale(due, today, days, stale):
    assert is_stale(D(due), D(today), days) is stale


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    env = {"DEADLINES_DB": f"sqlite:///{tmp_path_factory.mktemp('timeline') / 't.db'}"}
    assert run_cli("ingest", str(SEEDS), env=env).returncode == 0
    return env


def test_stale_are_counted_not_listed(env):
    every = json.loads(run_cli("--today", "2023-06-01", "status", "--json", env=env).stdout)
    stale = [r for r in every if r["days_left"] < -90]
    default = run_cli("--today", "2023-06-01", "status", env=env)
    assert len(default.stdout.splitlines()) == 1 + len(every) - len(stale)
    assert f"{len(stale)} stale milestones — status --stale" in default.stderr
    listed = run_cli("--today", "2023-06-01", "status", "--stale", "--format", "jsonl", env=env)
    assert [json.loads(x)["id"] for x in listed.stdout.splitlines()] == [r["id"] for r in stale]
    month = run_cli("--today", "2023-06-01", "status", "--stale", "--json",
                    env={**env, "DEADLINES_STALE_DAYS": "30"})
    assert len(json.loads(month.stdout)) == sum(r["days_left"] < -30 for r in every)


def test_a_campaigns_weekly_duty_ends_with_its_year(env):
    """`每周开展“一线工作日”活动` from a 2022 campaign is not due every week forever."""
    rows = json.loads(run_cli("--today", "2023-07-01", "status", "--json", "--doc", "002", env=env).stdout)
    duty = next(r for r in rows if r["rrule"] == "FREQ=WEEKLY")
    assert duty["due"] == "2022-12-25" and duty["overdue"]
    shown = json.loads(run_cli("--today", "2023-07-01", "show", duty["id"], "--format", "json", env=env).stdout)
    assert shown["due"] == duty["due"] and shown["series_end"] == "2022-12-31" and shown["next"] is None


def test_show_and_status_agree_on_the_next_occurrence(env):
    rows = json.loads(run_cli("--today", "2023-06-01", "status", "--json", "--doc", "003", env=env).stdout)
    recurring = [r for r in rows if r["rrule"]]
    assert recurring
    for row in recurring:
        shown = json.loads(run_cli("--today", "2023-06-01", "show", row["id"], "--format", "json",
                                   env=env).stdout)
        assert shown["due"] == shown["next"] == row["due"] >= "2023-06-01"
