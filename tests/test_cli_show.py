"""`show` and `docs` on a real terminal: due and days left, the next occurrence of a recurring
duty, the evidence wrapped under its label with the time phrase highlighted, no repeated title;
documents with their file, date, how (short) and counts, the long form under `docs show`."""

import json
import re
from itertools import takewhile

import pytest
from rich.cells import cell_len

from . import tmux
from .conftest import SEEDS, run_cli

TODAY = "2023-06-01"
INDENT = " " * 12


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    env = {"DEADLINES_DB": f"sqlite:///{tmp_path_factory.mktemp('show') / 's.db'}"}
    assert run_cli("ingest", str(SEEDS), env=env).returncode == 0
    return env


def weekly(env):
    rows = json.loads(run_cli("--today", TODAY, "status", "--json", "--doc", "003", env=env).stdout)
    return next(r for r in rows if r["rrule"] == "FREQ=WEEKLY")


@pytest.mark.parametrize("width,height", [(80, 24), (160, 40)])
def test_show_a_recurring_duty(env, width, height):
    duty = weekly(env)
    assert run_cli("done", duty["id"], "--note", "已走访", env=env).returncode == 0
    assert run_cli("reopen", duty["id"], env=env).returncode == 0
    screen = tmux.run("--today", TODAY, "show", duty["id"][:8], width=width, height=height, env=env)
    screen.assert_nothing_wraps()
    out = screen.output
    assert out[0] == duty["id"] and out[1] == duty["task"]
    field = {line[:10].strip(): line[12:] for line in out[2:] if line[:10].strip()}
    assert field["due"].startswith(f"{duty['due']} (day)") and field["due"].endswith(f"{duty['days_left']} 天")
    assert field["next"] == duty["due"] and "until 2023-12-31" in field["repeats"]
    assert "title" not in field and "task" not in field          # the task is the heading, once
    # the evidence is wrapped under its label, by display width, and reads back whole
    start = next(i for i, line in enumerate(out) if line.startswith("  evidence  "))
    body = [out[start][12:]] + [line[12:] for line in
                                takewhile(lambda line: line.startswith(INDENT), out[start + 1:])]
    assert "".join(body) == duty["sentence"]
    assert len(body) > 1 if cell_len(duty["sentence"]) > width - 12 else len(body) == 1
    # the time phrase is highlighted on a terminal
    coloured = screen.ansi.split("\n")
    assert any(re.search(r"\x1b\[[0-9;]*36m" + duty["time_text"], coloured[i])
               for i in range(start, start + len(body)))
    history = [line for line in out if "→" in line]
    assert len(history) % 2 == 0 and "open → done  已走访" in history[0] and "CST" in history[0]


def test_show_days_left_when_overdue(env):
    rows = json.loads(run_cli("--today", TODAY, "status", "--json", "--overdue", env=env).stdout)
    shown = run_cli("--today", TODAY, "show", rows[0]["id"], env=env).stdout.splitlines()
    due = next(line for line in shown if line.strip().startswith("due"))
    assert f"逾期 {-rows[0]['days_left']} 天" in due


def test_docs_listing_and_long_form(env):
    screen = tmux.run("docs", width=80, height=24, env=env)
    screen.assert_nothing_wraps()
    header = screen.output[0].split()
    assert header[0] == "doc" and {"published", "open", "done", "warn"} <= set(header)
    files = sorted(p.name for p in SEEDS.glob("*.txt"))
    rows = screen.output[1:]
    assert [r.split()[0] for r in rows] == [name.split("_")[0] for name in files]   # one row a document
    assert all(cell_len(r) <= 80 for r in rows)
    full = run_cli("docs", "show", "003", env=env).stdout
    meta = (SEEDS / "003_011b948d2727d2bd.meta.toml").read_text(encoding="utf-8")
    how = re.search(r'how = "(.*)"', meta).group(1)
    joined = " ".join(line[12:].strip() for line in full.splitlines())
    counts = next(d for d in json.loads(run_cli("docs", "--format", "json", env=env).stdout)
                  if d["doc"] == "003")
    assert how in joined and f"{counts['open']} open, {counts['done']} done" in full
    missing = run_cli("docs", "show", "999", env=env)
    assert missing.returncode == 7 and "no document" in missing.stderr
