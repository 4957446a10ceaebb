"""The CLI on a real terminal (tmux at 80×24 and 160×40): one line per milestone, nothing wraps,
the header and the most urgent rows stay on screen, colours only on a terminal, columns aligned by
display width (a CJK character takes two cells)."""

import json
import re

import pytest
from rich.cells import cell_len

from . import tmux
from .conftest import SEEDS, run_cli

TODAY = "2023-06-01"
SIZES = [(80, 24), (160, 40)]
RED, YELLOW = "\x1b[31m", "\x1b[33m"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('screen') / 'screen.db'}"
    env = {"DEADLINES_DB": url}
    assert run_cli("ingest", str(SEEDS), env=env).returncode == 0
    return env


def listed(env, *args):
    """The rows `status` lists, as the program-facing JSON gives them (same order)."""
    out = run_cli("--today", TODAY, "status", "--format", "json", *args, env=env)
    return json.loads(out.stdout) if out.stdout.strip() else []


def columns_of(line: str) -> list[int]:
    """Display-cell offsets where the fields of an aligned line start (fields are separated by
    two or more spaces)."""
    starts, cell, gap = [0], 0, 0
    for ch in line:
        if ch == " ":
            gap += 1
        else:
            if gap >= 2:
                starts.append(cell)
            gap = 0
        cell += cell_len(ch)
    return starts


@pytest.mark.parametrize("width,height", SIZES)
def test_status_fits_the_screen_one_line_per_milestone(env, width, height):
    fresh = [r for r in listed(env, "--include-stale") if r["days_left"] >= -90]
    screen = tmux.run("--today", TODAY, "status", width=width, height=height, env=env)
    screen.assert_nothing_wraps()
    out = screen.output
    header, rows = out[0], [line for line in out[1:] if re.match(r"^\d{3}-[0-9a-f]+ ", line)]
    assert header.split() == ["id", "due", "left", "owner", "task"]
    # the header and the most urgent rows are on screen, in urgency order, with a "more" line
    assert len(out) <= height - 1
    more = len(fresh) > height - 3          # header, stale count, prompt
    assert len(rows) == len(out) - 2 - more
    assert [r.split()[0] for r in rows] == [r["id"][:len(rows[0].split()[0])] for r in fresh[:len(rows)]]
    if more:
        assert f"{len(fresh) - len(rows)} more — --limit 0 shows all" in out
    else:
        assert len(rows) == len(fresh)
    assert re.fullmatch(r"\d+ stale milestones — status --stale", out[-1])
    # aligned by display width: every row's fields start under the header's
    for row in rows:
        assert columns_of(row)[:4] == columns_of(header)[:4], row
    # at 160 columns an owner of up to 24 cells is never cut; at 80 the task still gets 30 cells
    task_at = columns_of(header)[4]
    assert width - task_at >= (30 if width == 80 else 100)
    if width == 160:
        owners = {f["id"]: f["owner"] or "-" for f in fresh}
        for row in rows:
            owner = re.split(r" {2,}", row)[3]
            full = next(o for i, o in owners.items() if i.startswith(row.split()[0]))
            assert owner == full if cell_len(full) <= 24 else owner.endswith("…"), row


def test_colours_on_a_terminal_only(env):
    screen = tmux.run("--today", TODAY, "status", width=160, height=40, env=env)
    coloured = dict(zip(screen.lines, screen.ansi.split("\n"), strict=False))
    overdue = next(coloured[line] for line in screen.output if "逾期" in line)
    soon = next(coloured[line] for line in screen.output if re.search(r"\s[1-7] 天", line))
    assert RED in overdue and YELLOW in soon
    far = next(coloured[line] for line in screen.output if re.search(r"\s(29|30) 天", line))
    assert RED not in far and YELLOW not in far
    plain = tmux.run("--today", TODAY, "status", width=160, height=40, env={**env, "NO_COLOR": "1"})
    assert not re.search(r"\x1b\[[0-9;]*3[0-7]m", plain.ansi)
    piped = run_cli("--today", TODAY, "status", env=env)
    assert "\x1b" not in piped.stdout and "\x1b" not in piped.stderr


def test_piped_status_is_complete_and_never_cut(env):
    fresh = [r for r in listed(env, "--include-stale") if r["days_left"] >= -90]
    out = run_cli("--today", TODAY, "status", env={**env, "COLUMNS": "60", "LINES": "10"})
    lines = out.stdout.splitlines()
    assert len(lines) == 1 + len(fresh) and "more" not in out.stderr
    for line, row in zip(lines[1:], fresh, strict=True):
        assert line.endswith(row["task"]) and row["owner"] in line


def test_limit_and_wide(env):
    screen = tmux.run("--today", TODAY, "status", "--limit", "5", "--wide", width=80, height=24,
                      env=env)
    screen.assert_nothing_wraps()
    header = screen.output[0].split()
    assert header == ["id", "due", "left", "prec", "kind", "doc", "owner", "task"]
    assert sum(bool(re.match(r"^\d{3}-", line)) for line in screen.output) == 5


def test_all_rows_fit_when_few(env):
    screen = tmux.run("--today", TODAY, "status", "--doc", "003", "--within", "40", width=80,
                      height=40, env=env)
    rows = [line for line in screen.output if re.match(r"^\d{3}-", line)]
    assert len(rows) == len(listed(env, "--doc", "003", "--within", "40"))
    assert not any("more —" in line for line in screen.output)


@pytest.mark.parametrize("width,height", SIZES)
def test_extract_rows_do_not_wrap(width, height):
    seed = next(SEEDS.glob("003_*.txt"))
    screen = tmux.run("extract", str(seed), width=width, height=height)
    screen.assert_nothing_wraps()
    rows = [line for line in screen.lines if re.match(r"^\d{4}-\d\d-\d\d ", line)]
    assert len(rows) >= 20
    if width >= 120:   # rule ids are shown whole
        assert all(re.search(r"  [a-z]+(-[a-z]+)+(,[a-z-]+)*$", r) for r in rows)
