"""`ingest` on a terminal shows a progress bar (files, milestones, rate, ETA) that leaves no
trace; warnings are summarised once per kind, listed with --verbose, and never wrapped."""

import re

import pytest

from . import tmux
from .conftest import SEEDS, run_cli

N = 120


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("undated")
    body = next(SEEDS.glob("003_*.txt")).read_text(encoding="utf-8")
    for i in range(N):   # no sidecar, no date line: every document warns "year uncertain"
        (folder / f"d{i:03}.txt").write_text(body.replace("早报2月13日讯", "") + f"\n第{i}号",
                                             encoding="utf-8")
    return folder


def test_progress_bar_on_a_terminal_then_one_summary_line(corpus, tmp_path):
    env = {"DEADLINES_DB": f"sqlite:///{tmp_path / 'p.db'}", "DEADLINES_TODAY": "2023-06-01"}
    seen = []
    screen = tmux.run("ingest", str(corpus), "--jobs", "1", width=80, height=24, env=env, seen=seen)
    screen.assert_nothing_wraps()
    bars = [line for s in seen for line in s.split("\n")
            if re.search(rf"ingest .* (\d+)/{N} files · [\d,]+ milestones · .*ETA", line)]
    assert bars, "no progress bar was seen:\n" + "\n".join(seen[-1:])
    assert all(len(line) <= 80 for line in bars)
    out = screen.output
    assert not any("files ·" in line for line in out)            # the bar leaves no trace
    assert [line for line in out if "documents:" in line and "-v lists" in line] == [
        f"{N} documents: no publication date found: year uncertain; -v lists them"]
    assert out[-1].startswith(f"documents: {N} new")


def test_piped_ingest_has_no_bar_and_verbose_lists_every_file(corpus, tmp_path):
    env = {"DEADLINES_DB": f"sqlite:///{tmp_path / 'v.db'}", "DEADLINES_TODAY": "2023-06-01"}
    quiet = run_cli("ingest", str(corpus), env=env)
    assert quiet.returncode == 0
    assert quiet.stderr.splitlines() == [f"{N} documents: no publication date found: year uncertain; "
                                         "-v lists them"]
    loud = run_cli("ingest", str(corpus), "--verbose", env={**env, "DEADLINES_DB": env["DEADLINES_DB"] + "2"})
    lines = loud.stderr.splitlines()
    assert len(lines) == N and all(re.fullmatch(r"deadlines: warning: \S+d\d{3}\.txt: no publication "
                                                r"date found: year uncertain", line) for line in lines)
