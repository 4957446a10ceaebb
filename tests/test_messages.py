"""Errors as an operator reads them: one line always, names escaped, no secret, the right code."""

import json
import os

import pytest

from .conftest import SEEDS, run_cli

PASSWORD = "PgPassw0rd"


@pytest.mark.parametrize("url", [
    f"postgresql+nosuchdriver://admin:{PASSWORD}@db.example/deadlines",
    f"postgresql+psycopg://admin:{PASSWORD}@127.0.0.1:1/deadlines",
    f"notaurl//admin:{PASSWORD}@x",
])
def test_database_password_is_never_printed(url):
    """`unsupported database URL '…admin:PgPassw0rd@…'` echoed the password."""
    result = run_cli("--db", url, "status")
    assert result.returncode == 6, result.stderr
    assert PASSWORD not in result.stderr + result.stdout
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("deadlines: error: ")


def _seeded(tmp_path):
    db = tmp_path / "s.db"
    env = {"DEADLINES_DB": f"sqlite:///{db}"}
    assert run_cli("ingest", str(SEEDS), env=env).returncode == 0
    row = json.loads(run_cli("status", "--json", "--doc", "002", "--today", "2022-05-01",
                             env=env).stdout)[0]
    return db, row["id"]


def test_read_only_database_is_a_store_error(tmp_path):
    """A read-only database gave "internal error" (exit 70) instead of the store's code (6)."""
    db, mid = _seeded(tmp_path)
    read_only = {"DEADLINES_DB": f"sqlite:///file:{db}?mode=ro&uri=true"}
    assert run_cli("status", env=read_only).returncode == 0
    result = run_cli("done", mid, env=read_only)
    assert result.returncode == 6, result.stderr
    assert result.stderr == "deadlines: error: database error: attempt to write a readonly database\n"


def test_corrupt_database_is_a_store_error(tmp_path):
    """A corrupt database gave "internal error" (exit 70) instead of the store's code (6)."""
    db, mid = _seeded(tmp_path)
    size = db.stat().st_size
    with open(db, "r+b") as handle:                # the tables' pages, not the header
        handle.seek(8192)
        handle.write(b"\xa5" * (size - 8192))
    result = run_cli("show", mid, env={"DEADLINES_DB": f"sqlite:///{db}"})
    assert result.returncode == 6, result.stderr
    assert result.stderr.count("\n") == 1 and "malformed" in result.stderr


def test_stderr_is_one_line_per_message_with_names_escaped(tmp_path, db_url):
    """stderr was wrapped at 80 columns when not a terminal, and a file name with a newline
    was printed raw."""
    folder = tmp_path / ("a-rather-long-folder-name-" * 4)
    folder.mkdir()
    (folder / "bad\nname.txt").write_bytes(b"\x00\x01\x02\xff" * 50)
    (folder / "good.txt").write_text("发布日期：2023-02-13\n区水务局将在3月底前完成河道清淤。",
                                     encoding="utf-8")
    env = {"DEADLINES_DB": db_url, "COLUMNS": "40"}
    result = run_cli("ingest", str(folder), str(tmp_path / "missing"), env=env)
    assert result.returncode == 4
    lines = result.stderr.splitlines()
    assert len(lines) == 2, lines
    assert all(line.startswith("deadlines: ") and len(line) > 80 for line in lines)
    assert any("bad\\nname.txt" in line and "skipped" in line for line in lines)
    assert os.fspath(tmp_path / "missing") in lines[0]
