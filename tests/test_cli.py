"""The CLI as a user runs it: one clear line and a non-zero exit for bad input, never a traceback."""

import json

import pytest

from .conftest import SEEDS, run_cli


@pytest.mark.parametrize("args,code,needle", [
    (["nosuchcommand"], 2, "No such command"),
    (["--db", "notaurl://", "status"], 6, "database URL"),
    (["--db", "nosuchdialect://x/y", "status"], 6, "database URL"),
    (["--today", "2023-13-45", "status"], 2, "invalid --today"),
    (["status", "--today", "yesterday"], 2, "invalid --today"),
    (["extract", "/no/such/file.txt"], 4, "no such file"),
    (["extract", "seeds", "--format", "xml"], 2, "'xml' is not one of"),
    (["status", "--status", "foo"], 2, "'foo' is not one of"),
    (["status", "--format", "xml"], 2, "'xml' is not one of"),
    (["outbox", "--state", "foo"], 2, "'foo' is not one of"),
    (["status", "--limit", "-1"], 2, "--limit"),
    (["show", "ffffffffffff"], 7, "no milestone"),
])
def test_bad_usage_is_one_line_and_nonzero(args, code, needle, db_url):
    result = run_cli(*args, env={"DEADLINES_DB": db_url})
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_commands():
    out = run_cli("--help").stdout
    for command in ("extract", "ingest", "status", "show", "done", "cancel", "reopen", "docs",
                    "export", "rules"):
        assert command in out


def test_extract_jsonl_has_gold_fields_and_evidence():
    seed = next(SEEDS.glob("003_*.txt"))
    result = run_cli("extract", str(seed), "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) >= 30
    for row in rows:
        assert {"doc", "due", "start", "precision", "kind", "rrule", "owner", "time_text", "task",
                "sentence", "span", "rules", "confidence", "id", "title"} <= set(row)
        assert row["doc"] == "003"   # from the sidecar


def test_extract_without_date_warns_on_stderr(tmp_path):
    path = tmp_path / "note.txt"
    path.write_text("区水务局将在3月底前完成河道清淤。", encoding="utf-8")
    result = run_cli("extract", str(path), "--format", "jsonl", env={"DEADLINES_TODAY": "2030-01-01"})
    assert result.returncode == 0
    assert "year uncertain" in result.stderr
    row = json.loads(result.stdout)
    assert row["due"] == "2030-03-31" and row["flags"] == ["year_uncertain"]


def test_rules_check_reports_pass_count():
    result = run_cli("rules", "check")
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().splitlines()[-1].endswith("0 failed")


def test_unreadable_file_is_skipped_and_others_ingested(tmp_path, db_url):
    good = tmp_path / "good.txt"
    good.write_text("发布日期：2023-02-13\n区水务局将在3月底前完成河道清淤。", encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01\x02\xff" * 50)
    result = run_cli("ingest", str(tmp_path), env={"DEADLINES_DB": db_url})
    assert result.returncode == 4, result.stderr      # a failed file is visible to cron
    assert "1 new" in result.stdout and "1 failed" in result.stdout
    assert "skipped" in result.stderr and "Traceback" not in result.stderr
