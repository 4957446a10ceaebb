"""The trust loop: review (a real terminal in tmux, and the flags), corrections that survive
re-ingest (SQLite and PostgreSQL), rejections that stay, milestones by hand, and
`publish = reviewed` over real HTTP and in a digest sent to a real SMTP server."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import icalendar
import pytest
from rich.cells import cell_len
from sqlalchemy import text
from sqlmodel import Session, select

from scheduler.extract import extract
from scheduler.store import connect, ingest
from scheduler.store import review as store
from scheduler.store.tables import Milestone

from .conftest import ROOT, SEEDS, fresh_pg_url, run_cli

NOW = dt.datetime(2024, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
PLAN = ("发布日期：2024-03-01\n"
        "区水务局将在6月底前完成河道清淤工程。"
        "区交通局要在9月底前完成公交站台改造。"
        "区教育局年底前建成3所幼儿园。\n")


def task_id(rows, word: str) -> str:
    return next(r["id"] for r in rows if word in r["task"])


def cli_env(tmp_path: Path, db: str | None = None, **extra) -> dict:
    env = {**os.environ, "DEADLINES_DB": db or f"sqlite:///{tmp_path / 'r.db'}", **extra}
    env.pop("DEADLINES_TODAY", None)
    return env


def queue(env) -> list[dict]:
    out = run_cli("review", "--list", "--json", env=env)
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


def shown(env, mid: str) -> dict:
    out = run_cli("show", mid, "--format", "json", env=env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture
def plan(tmp_path):
    path = tmp_path / "plan.txt"
    path.write_text(PLAN, encoding="utf-8")
    env = cli_env(tmp_path)
    out = run_cli("ingest", str(path), env=env)
    assert out.returncode == 0 and "3 added" in out.stdout, out.stderr
    return path, env


# -- the interactive screen in a real terminal ------------------------------------------------
class Terminal:
    """`deadlines ARGS` running in a tmux window of width×height, driven by keys."""

    def __init__(self, args, env: dict, width: int = 80, height: int = 24):
        if not shutil.which("tmux"):
            pytest.skip("tmux is not installed")
        self.width, self.height = width, height
        self.tmux = ["tmux", "-L", f"deadlines-review-{uuid.uuid4().hex[:8]}", "-f", os.devnull]
        variables = {k: v for k, v in env.items() if k.startswith("DEADLINES_")}
        command = " ".join(["env", "-u", "NO_COLOR", *(shlex.quote(f"{k}={v}") for k, v in variables.items()),
                            shlex.quote(sys.executable), "-m", "scheduler", *map(shlex.quote, args)])
        command += "; echo __exit_$?__; sleep 60"
        base = {k: v for k, v in os.environ.items() if k != "TMUX"}
        base["TERM"] = "xterm-256color"
        subprocess.run([*self.tmux, "new-session", "-d", "-x", str(width), "-y", str(height), "-s", "t",
                        "-c", str(ROOT), command], check=True, env=base)
        subprocess.run([*self.tmux, "set", "-g", "status", "off"], check=True)

    def screen(self, *flags: str) -> list[str]:
        out = subprocess.run([*self.tmux, "capture-pane", "-p", *flags, "-t", "t"], capture_output=True,
                             text=True, check=True).stdout
        return out.rstrip("\n").split("\n")

    def wait_for(self, needle: str, timeout: float = 30) -> list[str]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            lines = self.screen()
            if any(needle in line for line in lines):
                return lines
            time.sleep(0.1)
        raise AssertionError(f"{needle!r} never showed:\n" + "\n".join(self.screen()))

    def keys(self, *keys: str) -> None:
        for key in keys:
            subprocess.run([*self.tmux, "send-keys", "-t", "t", key], check=True)
            time.sleep(0.15)

    def type(self, line: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", "t", "-l", line], check=True)
        self.keys("Enter")

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)


def fits(lines: list[str], width: int) -> None:
    assert all(cell_len(line) <= width for line in lines), "\n".join(lines)


def test_review_screen_accept_reject_edit_at_80x24(plan):
    _, env = plan
    before = queue(env)
    assert [r["confidence"] for r in before] == sorted(r["confidence"] for r in before)
    first, second, third = (r["id"] for r in before)
    term = Terminal(["--today", "2024-03-02", "review", "--by", "王芳"], env)
    try:
        lines = term.wait_for("[a] accept")
        fits(lines, 80)
        screen = "\n".join(lines)
        # what a reviewer needs on one screen: task, date and how, owner, document, evidence
        assert f"待复核 1/3  {first}" in lines[0]
        assert "建成3所幼儿园" in screen and "2024-12-31 (year)  ← 年底前 · year-end-before" in screen
        assert "owner  区教育局" in screen
        assert "document  plan · published 2024-03-01" in screen
        assert "evidence  区教育局年底前建成3所幼儿园。" in screen
        assert lines[-1].startswith(">")
        # in the evidence the time phrase and the task stand out (colour, bold), the rest is plain
        evidence = next(line for line in term.screen("-e") if "evidence" in line)
        assert "区教育局\x1b[" in evidence and "\x1b[" in evidence.split("年底前")[1][:12]

        term.keys("a")
        lines = term.wait_for("待复核 2/3")
        fits(lines, 80)
        assert any(f"✓ {first[:12]} accepted" in line for line in lines)

        term.keys("r")
        term.wait_for("reason:")
        term.type("不是本区任务")
        lines = term.wait_for("待复核 3/3")
        assert any(f"✗ {second[:12]} rejected: 不是本区任务" in line for line in lines)

        term.keys("e")
        term.wait_for("due [")
        term.type("2024-10-15")
        term.wait_for("owner [")
        term.type("区建设局")
        term.wait_for("task [")
        term.keys("Enter")
        term.wait_for("precision [day]:")
        term.keys("Enter")
        lines = term.wait_for("__exit_0__")
        assert any("review: 1 accepted, 1 rejected, 1 edited; 0 still waiting" in line for line in lines)
    finally:
        term.close()

    accepted, rejected, edited = shown(env, first), shown(env, second), shown(env, third)
    assert (accepted["review"], accepted["status"]) == ("accepted", "open")
    assert (rejected["review"], rejected["status"]) == ("rejected", "cancelled")
    assert rejected["history"][-1]["why"] == "rejected: 不是本区任务"
    assert (edited["review"], edited["first_due"], edited["owner"], edited["precision"]) == \
        ("edited", "2024-10-15", "区建设局", "day")
    assert {(e["field"], e["from"], e["to"], e["by"]) for e in edited["edits"]} >= {
        ("due", "2024-09-30", "2024-10-15", "王芳"), ("owner", "区交通局", "区建设局", "王芳"),
        ("precision", "month", "day", "王芳")}
    assert run_cli("review", "--list", env=env).returncode == 1     # nothing waits any more


def test_review_screen_shows_a_conflict_and_keeps_yours(plan, tmp_path):
    path, env = plan
    mid = task_id(queue(env), "河道")
    assert run_cli("edit", mid, "--due", "2024-07-15", env=env).returncode == 0
    path.write_text(PLAN.replace("6月底前完成河道", "8月底前完成河道"), encoding="utf-8")
    assert run_cli("ingest", str(path), env=env).returncode == 0
    listed = list(csv.DictReader(io.StringIO(run_cli("review", "--list", "--format", "csv", env=env).stdout)))
    assert (listed[0]["id"], listed[0]["due"], listed[0]["conflict"]) == (mid, "2024-07-15", "due=2024-08-31")
    term = Terminal(["--today", "2024-03-02", "review"], env)
    try:
        lines = term.wait_for("[k] keep yours")
        fits(lines, 80)
        assert f"待复核 1/3  {mid}" in lines[0]          # conflicts come first
        assert any("conflict  due: yours 2024-07-15, the text now says 2024-08-31" in line
                   for line in lines)
        term.keys("k")
        term.wait_for("待复核 2/3")
        # keys typed ahead are not lost: each one decides one milestone
        subprocess.run([*term.tmux, "send-keys", "-t", "t", "s", "s"], check=True)
        lines = term.wait_for("__exit_0__")
        assert any("review: 1 kept, 2 skipped; 2 still waiting" in line for line in lines)
    finally:
        term.close()
    data = shown(env, mid)
    assert (data["first_due"], data["conflict"], "conflict" in data["flags"]) == ("2024-07-15", {}, False)


def test_review_screen_needs_a_terminal(plan):
    _, env = plan
    out = run_cli("review", env=env)
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "needs a terminal" in out.stderr and "review --list" in out.stderr


# -- the flag forms ---------------------------------------------------------------------------
def test_review_flags_list_accept_reject_and_status_filters(plan):
    _, env = plan
    rows = queue(env)
    assert len(rows) == 3 and {"id", "due", "owner", "task", "time_text", "rule", "confidence",
                               "sentence", "published", "conflict"} <= set(rows[0])
    river, bus, school = (task_id(rows, w) for w in ("河道", "公交", "幼儿园"))
    out = run_cli("review", "--accept", river[:8], bus, "--by", "李明", env=env)
    assert out.returncode == 0 and out.stdout.splitlines() == [f"{river}: accepted", f"{bus}: accepted"]
    again = run_cli("review", "--accept", river, env=env)
    assert again.returncode == 0 and again.stdout == "" and "already accepted" in again.stderr

    refused = run_cli("review", "--reject", school, env=env)
    assert refused.returncode == 2 and "--reason" in refused.stderr
    assert run_cli("review", "--accept", "nope", env=env).returncode == 7
    assert run_cli("review", "--accept", "--reject", school, "--reason", "x", env=env).returncode == 2
    out = run_cli("review", "--reject", school, "--reason", "重复", env=env)
    assert out.returncode == 0 and out.stdout == f"{school}: rejected\n"

    def ids(*flags):
        out = run_cli("status", "--json", "--status", "all", "--today", "2024-03-02", *flags, env=env)
        return {r["id"] for r in json.loads(out.stdout)} if out.returncode == 0 else set()

    assert ids("--reviewed") == {river, bus}
    assert ids("--unreviewed") == set()
    assert ids() == {river, bus, school}
    assert json.loads(run_cli("review", "--list", "--json", env=env).stdout) == []
    history = shown(env, river)["edits"]
    assert [(e["field"], e["from"], e["to"], e["by"]) for e in history] == [
        ("review", "unreviewed", "accepted", "李明")]


def test_edit_checks_its_input_and_keeps_data(plan):
    _, env = plan
    mid = task_id(queue(env), "河道")
    for args, code in ((["--due", "2024-02-30"], 2), (["--precision", "week"], 2), ([], 2),
                       (["--until", "2024-12-31"], 2), (["--every", "FREQ=SOMETIMES"], 4),
                       (["--start", "2024-09-01", "--due", "2024-08-01"], 4)):
        out = run_cli("edit", mid, *args, env=env)
        assert out.returncode == code, (args, out.stderr)
        assert out.stderr.startswith("deadlines: error:") and out.stderr.count("\n") == 1
    assert shown(env, mid)["first_due"] == "2024-06-30" and shown(env, mid)["review"] == "unreviewed"
    out = run_cli("edit", mid, "--every", "每月", "--until", "2024-12-31", "--by", "赵强", env=env)
    assert out.returncode == 0, out.stderr
    data = shown(env, mid)
    assert (data["rrule"], data["kind"], data["series_end"]) == \
        ("FREQ=MONTHLY;UNTIL=20241231", "recurring", "2024-12-31")
    assert run_cli("edit", mid, "--task", "完成河道清淤", env=env).returncode == 0
    assert shown(env, mid)["title"] == "完成河道清淤"


# -- corrections that survive re-ingest (SQLite and PostgreSQL) -------------------------------
@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine_of(request, tmp_path):
    if request.param == "sqlite":
        return connect(f"sqlite:///{tmp_path / 's.db'}")
    return connect(fresh_pg_url())


def _ingest(engine, body: str, source="plan.txt", now=NOW):
    return ingest(engine, source, extract(body.encode(), doc="plan"), now)


def _rows(engine) -> dict[str, Milestone]:
    with Session(engine) as session:
        return {ms.task: ms for ms in session.exec(select(Milestone))}


def test_edited_due_and_owner_survive_reingest_and_a_changed_text_is_a_conflict(engine_of):
    engine = engine_of
    _ingest(engine, PLAN)
    river = _rows(engine)["完成河道清淤工程"]
    store.edit(engine, river.id, {"due": dt.date(2024, 7, 15), "owner": "区水利局"}, "王芳", NOW)
    # the document is edited elsewhere (another sentence changes): the person's values stay
    edited = PLAN.replace("公交站台改造", "公交站台和候车亭改造")
    result = _ingest(engine, edited, now=NOW + dt.timedelta(hours=1))
    assert result.state == "updated"
    kept = _rows(engine)["完成河道清淤工程"]
    assert (kept.id, kept.due, kept.owner, kept.review, kept.conflict) == \
        (river.id, dt.date(2024, 7, 15), "区水利局", "edited", {})
    assert "conflict" not in kept.flags
    # the text now says another date for the same task: the person's value is kept, flagged
    moved = edited.replace("6月底前完成河道", "8月底前完成河道")
    _ingest(engine, moved, now=NOW + dt.timedelta(hours=2))
    row = _rows(engine)["完成河道清淤工程"]
    assert (row.id, row.due, row.owner, row.status) == (river.id, dt.date(2024, 7, 15), "区水利局", "open")
    assert row.conflict == {"due": "2024-08-31"} and "conflict" in row.flags
    assert row.time_text == "8月底前" and "8月底前" in row.sentence     # the evidence follows the text
    assert [ms.id for ms, _ in store.queue(engine)][0] == river.id
    # the same text again: nothing new, still one conflict; the edit history says what happened
    _ingest(engine, moved, now=NOW + dt.timedelta(hours=3))
    assert _rows(engine)["完成河道清淤工程"].conflict == {"due": "2024-08-31"}
    fields = [(e.by, e.field, e.old, e.new) for e in store.edits(engine, river.id)]
    assert fields == [("王芳", "due", "2024-06-30", "2024-07-15"), ("王芳", "owner", "区水务局", "区水利局"),
                      ("王芳", "review", "unreviewed", "edited"), ("ingest", "conflict", "2024-07-15", "2024-08-31")]
    # accepting takes the text's value; the owner the person set stays
    row, what = store.accept(engine, river.id, "王芳", NOW + dt.timedelta(hours=4))
    assert (row.due, row.owner, row.conflict, what) == \
        (dt.date(2024, 8, 31), "区水利局", {}, "accepted the text's values")
    _ingest(engine, moved.replace("区水务局将在", "区水务局要在"), now=NOW + dt.timedelta(hours=5))
    final = _rows(engine)["完成河道清淤工程"]
    assert (final.due, final.owner, final.conflict) == (dt.date(2024, 8, 31), "区水利局", {})


def test_a_text_that_comes_round_to_the_persons_value_ends_the_conflict(engine_of):
    engine = engine_of
    _ingest(engine, PLAN)
    river = _rows(engine)["完成河道清淤工程"]
    store.edit(engine, river.id, {"due": dt.date(2024, 7, 31)}, "王芳", NOW)
    _ingest(engine, PLAN.replace("6月底前完成河道", "8月底前完成河道"), now=NOW + dt.timedelta(hours=1))
    assert _rows(engine)["完成河道清淤工程"].conflict == {"due": "2024-08-31"}
    _ingest(engine, PLAN.replace("6月底前完成河道", "7月底前完成河道"), now=NOW + dt.timedelta(hours=2))
    row = _rows(engine)["完成河道清淤工程"]
    assert (row.id, row.due, row.conflict, "conflict" in row.flags) == (river.id, dt.date(2024, 7, 31), {}, False)
    _ingest(engine, PLAN, now=NOW + dt.timedelta(hours=3))      # and back to what it first said
    assert _rows(engine)["完成河道清淤工程"].conflict == {"due": "2024-06-30"}


def test_a_rejected_milestone_stays_rejected(engine_of):
    engine = engine_of
    _ingest(engine, PLAN)
    school = _rows(engine)["建成3所幼儿园"]
    store.reject(engine, school.id, "不是本区任务", "王芳", NOW)
    # re-ingest of the edited document: still rejected, still cancelled
    edited = PLAN.replace("公交站台改造", "公交站台和候车亭改造")
    _ingest(engine, edited, now=NOW + dt.timedelta(hours=1))
    row = _rows(engine)["建成3所幼儿园"]
    assert (row.review, row.status) == ("rejected", "cancelled")
    # the same evidence stored as another document (a new id): not proposed again
    out = ingest(engine, "plan-v2.txt", extract((edited + "附件：无。\n").encode(), doc="plan-v2"),
                 NOW + dt.timedelta(hours=2))
    with Session(engine) as session:
        tasks = [ms.task for ms in session.exec(select(Milestone).where(Milestone.document_id == out.document))]
    assert out.added == 2 and "建成3所幼儿园" not in tasks and "完成河道清淤工程" in tasks
    # reopening brings it back into the queue and forgets the rejection
    from scheduler.store.queries import change_status

    change_status(engine, school.id, "open", "", "王芳", NOW + dt.timedelta(hours=3))
    assert _rows(engine)["建成3所幼儿园"].review == "unreviewed"
    again = ingest(engine, "plan-v3.txt", extract((edited + "附件：略。\n").encode(), doc="plan-v3"),
                   NOW + dt.timedelta(hours=4))
    assert again.added == 3


def test_schema_upgrade_from_version_3_keeps_milestones(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = connect(url)
    _ingest(engine, PLAN)
    with engine.begin() as conn:     # the version 3 layout: no review columns
        for index in ("ix_milestones_review", "ix_milestones_extract_key"):
            conn.execute(text(f"DROP INDEX {index}"))
        for column in ("review", "pinned", "conflict", "extract_key"):
            conn.execute(text(f"ALTER TABLE milestones DROP COLUMN {column}"))
        conn.execute(text("UPDATE schema_info SET version = 3"))
    engine.dispose()
    engine = connect(url)
    rows = _rows(engine)
    assert len(rows) == 3 and {ms.review for ms in rows.values()} == {"unreviewed"}
    assert all(ms.pinned == {} and ms.conflict == {} for ms in rows.values())
    store.edit(engine, rows["建成3所幼儿园"].id, {"owner": "区教体局"}, "王芳", NOW)
    assert _rows(engine)["建成3所幼儿园"].review == "edited"


# -- by hand ----------------------------------------------------------------------------------
def test_add_by_date_and_by_phrase_and_reingest_keeps_them(plan):
    path, env = plan
    out = run_cli("add", "报送半年工作总结", "--when", "6月底前", "--published", "2024-03-01",
                  "--owner", "区政府办", "--by", "王芳", env=env)
    assert out.returncode == 0, out.stderr
    assert "due 2024-06-30 (6月底前 · month-end-before, from 2024-03-01)" in out.stdout
    by_phrase = out.stdout.split(":")[0]
    data = shown(env, by_phrase)
    assert (data["doc"], data["precision"], data["owner"], data["review"]) == \
        ("manual", "month", "区政府办", "manual")
    assert data["edits"][0]["by"] == "王芳"
    # a phrase with no year is read against today when --published is not given
    out = run_cli("--today", "2025-01-10", "add", "开展防汛检查", "--when", "每月", "--doc", "plan", env=env)
    assert out.returncode == 0 and "↻ FREQ=MONTHLY" in out.stdout, out.stderr
    monthly = out.stdout.split(":")[0]
    assert shown(env, monthly)["first_due"] == "2024-03-31"    # the document's date is the reference
    out = run_cli("add", "完成台账整理", "--due", "2024-05-20", "--doc", "plan", env=env)
    assert out.returncode == 0, out.stderr
    by_date = out.stdout.split(":")[0]
    # re-ingesting the document (edited) does not take hand-entered milestones away
    path.write_text(PLAN.replace("公交站台改造", "公交站台和候车亭改造"), encoding="utf-8")
    assert run_cli("ingest", str(path), env=env).returncode == 0
    for mid in (by_date, monthly):
        assert (shown(env, mid)["status"], shown(env, mid)["review"]) == ("open", "manual")
    for args, code in ((["x", "--when", "尽快"], 4), (["x"], 2), (["x", "--due", "2024-13-01"], 2),
                       (["", "--due", "2024-06-01"], 4), (["x", "--due", "2024-06-01", "--doc", "nope"], 7)):
        out = run_cli("add", *args, env=env)
        assert out.returncode == code and out.stderr.count("\n") == 1, (args, out.stderr)
    assert len(json.loads(run_cli("status", "--json", "--reviewed", "--today", "2024-03-02",
                                  env=env).stdout)) == 3


# -- publish = reviewed: feeds over HTTP, the dashboard, the digest ---------------------------
def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(env):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "scheduler", "--today", "2024-03-02", "serve",
                             "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    pytest.fail("server did not start: " + proc.stderr.read().decode())


def _uids(body: bytes) -> set[str]:
    return {str(e["UID"]).split("@")[0] for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}


def _tile(html: str, key: str) -> int:
    from .test_dashboard import Page

    return Page(html).tiles[key]


@pytest.mark.parametrize("publish", ["all", "reviewed"])
def test_publish_setting_over_http(plan, publish):
    _, env = plan
    river, bus, school = (task_id(queue(env), w) for w in ("河道", "公交", "幼儿园"))
    assert run_cli("review", "--accept", river, env=env).returncode == 0
    assert run_cli("edit", bus, "--owner", "区建设局", env=env).returncode == 0
    manual = run_cli("add", "完成台账整理", "--due", "2024-05-20", "--owner", "区教育局", env=env)
    hand = manual.stdout.split(":")[0]
    proc, base = _serve({**env, "DEADLINES_PUBLISH": publish})
    try:
        feed = httpx.get(f"{base}/feeds/all.ics")
        assert feed.status_code == 200
        expected = {river, bus, hand} | ({school} if publish == "all" else set())
        assert _uids(feed.content) == expected
        owner = httpx.get(f"{base}/feeds/owner/区教育局.ics")
        assert _uids(owner.content) == ({hand, school} if publish == "all" else {hand})
        page = httpx.get(f"{base}/").text
        assert _tile(page, "review") == 1                  # the backlog shows either way
        assert ("建成3所幼儿园" in page) == (publish == "all")
        assert httpx.get(f"{base}/m/{school}").status_code == (200 if publish == "all" else 404)
        assert httpx.get(f"{base}/m/{river}").status_code == 200
        # every feed the page offers answers, even an owner with nothing published yet
        links = re.findall(r'href="(/feeds/(?:owner|doc)/[^"]+)"', page)
        assert links and all(httpx.get(base + link).status_code == 200 for link in links)
        assert httpx.get(f"{base}/feeds/owner/nobody.ics").status_code == 404
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_publish_reviewed_digest_through_smtp(plan):
    from aiosmtpd.controller import Controller

    _, env = plan
    river, bus = (task_id(queue(env), w) for w in ("河道", "公交"))
    assert run_cli("review", "--accept", bus, env=env).returncode == 0
    inbox = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            inbox.append(envelope.content)
            return "250 OK"

    port = _free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        mail = {**env, "DEADLINES_PUBLISH": "reviewed", "DEADLINES_SMTP_HOST": "127.0.0.1",
                "DEADLINES_SMTP_PORT": str(port), "DEADLINES_SMTP_FROM": "digest@deadlines.test",
                "DEADLINES_SMTP_RETRIES": "0"}
        assert run_cli("subscribe", "office@example.org", "--schedule", "daily", env=mail).returncode == 0
        # 2024-09-20: the river work is overdue, the bus stops due in 10 days; only the
        # accepted one may go out
        sent = run_cli("digest", "--today", "2024-09-20", "--send", env=mail)
        assert sent.returncode == 0 and "1 sent" in sent.stdout, sent.stderr
        everything = run_cli("digest", "--today", "2024-09-20", "--to", "office@example.org",
                             "--dry-run", env={**mail, "DEADLINES_PUBLISH": "all"})
    finally:
        controller.stop()
    import email
    import email.policy

    message = email.message_from_bytes(inbox[0], policy=email.policy.default)
    body = message.get_body(("plain",)).get_content()
    assert "完成公交站台改造" in body and "河道" not in body
    assert "完成公交站台改造" in everything.stdout and "完成河道清淤工程" in everything.stdout
    assert river


def test_an_unknown_publish_setting_is_one_line(plan):
    _, env = plan
    out = run_cli("status", env={**env, "DEADLINES_PUBLISH": "approved"})
    assert out.returncode == 3 and out.stdout == ""
    assert out.stderr == "deadlines: error: invalid setting publish: Input should be 'all' or 'reviewed'\n"


def test_done_cancel_reopen_record_who_with_by(tmp_path):
    """`done/cancel/reopen` wrote "cli" as the person in the history; `--by` names them."""
    env = {"DEADLINES_DB": f"sqlite:///{tmp_path / 'by.db'}"}
    assert run_cli("ingest", str(SEEDS), env=env).returncode == 0
    mid = json.loads(run_cli("status", "--format", "json", "-n", "1", env=env).stdout)[0]["id"]
    assert run_cli("done", mid, "--by", "王芳", "--note", "已验收", env=env).returncode == 0
    assert run_cli("reopen", mid, "--by", "李强", env=env).returncode == 0
    assert run_cli("cancel", mid, "--by", "张伟", "--reason", "重复", env=env).returncode == 0
    history = [line for line in run_cli("show", mid, env=env).stdout.splitlines() if "→" in line]
    assert "王芳: open → done  已验收" in history[0] and "李强: done → open" in history[1]
    assert "张伟: open → cancelled  重复" in history[2]
