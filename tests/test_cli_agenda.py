"""`agenda` and `calendar` on a real terminal: a heading per day with its milestones (recurring
duties on each due date), and a month grid whose day numbers sit under their weekday by display
width, today highlighted, days with overdue milestones in red."""

import datetime as dt
import json
import re

import pytest
from rich.cells import cell_len

from . import tmux
from .conftest import SEEDS, run_cli


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    env = {"DEADLINES_DB": f"sqlite:///{tmp_path_factory.mktemp('agenda') / 'a.db'}"}
    assert run_cli("ingest", str(SEEDS), env=env).returncode == 0
    return env


def offsets(line: str) -> list[int]:
    """Display-cell offsets where each non-blank run starts."""
    found, cell, prev = [], 0, " "
    for ch in line:
        if ch != " " and prev == " ":
            found.append(cell)
        cell += cell_len(ch)
        prev = ch
    return found


@pytest.mark.parametrize("width,height", [(80, 24), (160, 40)])
def test_agenda_headings_and_items(env, width, height):
    records = json.loads(run_cli("--today", "2023-06-01", "agenda", "--days", "30", "--format",
                                 "json", env=env).stdout)
    screen = tmux.run("--today", "2023-06-01", "agenda", "--days", "20", width=width, height=height,
                      env=env)
    screen.assert_nothing_wraps()
    out = screen.output
    headings = [line for line in out if re.match(r"^\d{4}-\d\d-\d\d 周", line)]
    # the weekly duty shows on each of its Sundays, not once
    sundays = [h[:10] for h in headings if "周日" in h]
    assert sundays == ["2023-06-04", "2023-06-11", "2023-06-18"]
    assert headings == sorted(headings)
    items = [line for line in out if line.startswith("  ")]
    assert len(items) == sum(r["date"] <= "2023-06-20" for r in records)
    starts = {tuple(offsets(i)[:2]) for i in items}
    assert len(starts) == 1                       # id and owner columns line up on every item
    assert out[-1] == "3 overdue — status --overdue"


def test_agenda_empty_is_exit_1(env):
    result = run_cli("--today", "2030-01-01", "agenda", "--doc", "003", env=env)
    assert result.returncode == 1 and result.stderr.strip() == "No milestones match: days=14, doc=003"


@pytest.mark.parametrize("month,today", [("2023-06", "2023-06-14"), ("2023-12", "2023-06-14"),
                                         ("2024-02", "2024-02-29")])
def test_calendar_grid_lines_up(env, month, today):
    screen = tmux.run("--today", today, "calendar", month, width=80, height=24, env=env)
    screen.assert_nothing_wraps()
    out = screen.output
    year, number = map(int, month.split("-"))
    assert out[0].strip() == f"{year}年{number}月"
    header = offsets(out[1])
    assert out[1].split() == list("一二三四五六日") and len(header) == 7
    weeks = out[2:-1]
    days = []
    for week in weeks:
        for match in re.finditer(r"(\d+)(\((\d+|\*\*)\))?", week):
            col = cell_len(week[:match.start()]) - (2 - len(match.group(1)))
            day = dt.date(year, number, int(match.group(1)))
            assert col == header[day.weekday()], week      # under its weekday, by display width
            days.append((day, int(match.group(3) or 0)))
    assert [d.day for d, _ in days] == list(range(1, len(days) + 1))
    data = json.loads(run_cli("--today", today, "calendar", month, "--format", "json", env=env).stdout)
    assert {d.isoformat(): n for d, n in days if n} == {r["date"]: r["count"] for r in data}
    assert out[-1] == f"{sum(r['count'] for r in data)} milestones on {len(data)} days"
    # today reversed; days with overdue milestones red
    ansi = screen.ansi.split("\n")
    if today[:7] == month:
        assert any(re.search(r"\x1b\[[0-9;]*7m\s?" + str(int(today[8:])), line) for line in ansi)
    late = [r for r in data if r["date"] < today]
    for row in late:
        assert any(re.search(r"\x1b\[[0-9;]*31m\s?" + str(int(row["date"][8:])) + r"\b", line)
                   for line in ansi), row
