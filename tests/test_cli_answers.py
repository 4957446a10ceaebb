"""Honest answers: an empty result says so and exits 1 (as grep and Taskwarrior do), unknown
choices are usage errors, status changes take several ids and are idempotent, an ambiguous
prefix names its candidates, times are shown in the configured zone."""

import json
import re

import pytest

from .conftest import SEEDS, run_cli

TODAY = "2023-06-01"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    env = {"DEADLINES_DB": f"sqlite:///{tmp_path_factory.mktemp('answers') / 'a.db'}"}
    assert run_cli("ingest", str(SEEDS), env=env).returncode == 0
    return env


@pytest.mark.parametrize("args,message", [
    (["status", "--owner", "不存在"], "No milestones match: owner=不存在"),
    (["status", "--doc", "999"], "No milestones match: doc=999"),
    (["status", "--doc", "003", "--status", "done"], "No milestones match: doc=003, status=done"),
    (["outbox"], "No digests"),
    (["subscribers"], "No subscribers"),
])
def test_empty_result_says_so_on_stderr_and_exits_1(env, args, message):
    result = run_cli("--today", TODAY, *args, env=env)
    assert result.returncode == 1
    assert result.stdout == "" and result.stderr.strip() == message


def test_empty_json_is_an_empty_array_and_exit_1(env):
    result = run_cli("--today", TODAY, "status", "--owner", "不存在", "--format", "json", env=env)
    assert result.returncode == 1 and json.loads(result.stdout) == []


def test_only_stale_left_points_at_them(env):
    every = json.loads(run_cli("--today", TODAY, "status", "--doc", "000", "--json", env=env).stdout)
    assert every and all(r["days_left"] < -90 for r in every)
    result = run_cli("--today", TODAY, "status", "--doc", "000", env=env)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"{len(every)} stale milestones — status --stale",
                                          "No milestones match: doc=000"]
    stale = run_cli("--today", TODAY, "status", "--doc", "000", "--stale", env=env)
    assert stale.returncode == 0 and len(stale.stdout.splitlines()) == 1 + len(every)


def test_done_takes_several_ids_and_is_idempotent(tmp_path):
    env = {"DEADLINES_DB": f"sqlite:///{tmp_path / 'd.db'}"}
    run_cli("ingest", str(SEEDS), env=env)
    rows = json.loads(run_cli("--today", TODAY, "status", "--json", "--doc", "003", env=env).stdout)
    a, b = rows[0]["id"], rows[1]["id"]
    first = run_cli("done", a[:8], b, "--note", "已验收", env=env)
    assert first.returncode == 0 and first.stdout.splitlines() == [f"{a}: done", f"{b}: done"]
    again = run_cli("done", a, b, env=env)
    assert again.returncode == 0 and again.stdout == ""
    assert again.stderr.splitlines() == [f"{a}: already done", f"{b}: already done"]
    shown = json.loads(run_cli("show", a, "--format", "json", env=env).stdout)
    assert [(h["from"], h["to"], h["why"]) for h in shown["history"]] == [("open", "done", "已验收")]


def test_ambiguous_prefix_lists_the_candidates(env):
    result = run_cli("show", "003-", env=env)
    assert result.returncode == 7
    line = result.stderr.strip()
    assert len(result.stderr.splitlines()) == 1 and "ambiguous" in line
    assert len(re.findall(r"003-[0-9a-f]{16}", line)) == 5 and line.endswith(", …")


@pytest.mark.parametrize("tz,suffix", [("Asia/Shanghai", "CST"), ("UTC", "UTC")])
def test_history_times_in_the_configured_zone(tmp_path, tz, suffix):
    env = {"DEADLINES_DB": f"sqlite:///{tmp_path / 'z.db'}", "DEADLINES_TZ": tz}
    run_cli("ingest", str(SEEDS / "003_011b948d2727d2bd.txt"), env=env)
    mid = json.loads(run_cli("status", "--json", env=env).stdout)[0]["id"]
    run_cli("done", mid, env=env)
    at = json.loads(run_cli("show", mid, "--format", "json", env=env).stdout)["history"][0]["at"]
    assert at.endswith(suffix)
    other = "UTC" if tz != "UTC" else "Asia/Shanghai"
    again = json.loads(run_cli("show", mid, "--format", "json",
                               env={**env, "DEADLINES_TZ": other}).stdout)["history"][0]["at"]
    hours = (int(at[11:13]) - int(again[11:13])) % 24
    assert hours == (8 if tz == "Asia/Shanghai" else 16)
