"""Digests against a real SMTP server on loopback (aiosmtpd): exactly once, never lost."""

import datetime as dt
import email
import email.policy
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
from aiosmtpd.controller import Controller

from .conftest import ROOT, SEEDS, fresh_pg_url, run_cli


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    yield inbox
    controller.stop()


def mail_env(db_url, port, **extra):
    return {"DEADLINES_DB": db_url, "DEADLINES_SMTP_HOST": "127.0.0.1",
            "DEADLINES_SMTP_PORT": str(port), "DEADLINES_SMTP_FROM": "digest@deadlines.test",
            "DEADLINES_SMTP_RETRIES": "0", "DEADLINES_SMTP_BACKOFF": "0", "DEADLINES_SMTP_TIMEOUT": "5",
            **extra}


def setup_store(env, *subscribe):
    assert run_cli("ingest", str(SEEDS), env=env).returncode == 0
    result = run_cli("subscribe", "office@example.org", *subscribe, env=env)
    assert result.returncode == 0, result.stderr


def wait_for(predicate, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_one_digest_per_period_with_sections_and_headers(smtp, db_url):
    env = mail_env(db_url, smtp.port, DEADLINES_FEED_BASE_URL="https://feeds.example.org",
                   DEADLINES_DIGEST_REPLY_TO="office-admin@example.org")
    setup_store(env)
    sent = run_cli("digest", "--send", "--today", "2023-07-01", env=env)
    assert sent.returncode == 0, sent.stderr
    assert "1 queued, 1 sent" in sent.stdout
    [msg] = smtp.messages
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    late = json.loads(run_cli("--today", "2023-07-01", "status", "--overdue", "--format", "json", "-n", "0",
                              env=env).stdout)
    overdue = sum("stale" not in row["flags"] for row in late)      # what `status` says that day
    assert msg["Subject"].startswith(f"【里程碑周报】2023-W26：{overdue} 项逾期") and overdue > 20
    assert msg["Auto-Submitted"] == "auto-generated" and msg["Date"]
    assert msg["Message-ID"].startswith("<digest.2023-W26.") and msg["Message-ID"].endswith(">")
    assert "mailto:office-admin@example.org" in msg["List-Unsubscribe"]
    assert msg["Reply-To"] == "office-admin@example.org"
    assert "https://feeds.example.org/unsubscribe/" in msg["List-Unsubscribe"]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = msg.get_body(("plain",)).get_content()
    assert "== 市北区 ==" in text and re.search(r"\[已逾期 \d+\]", text) and "[本期例行事项 1]" in text
    assert "  - 启动重庆路高架沿线300余户居民房屋征收工作（2023-04-30，逾期 62 天，" in text
    assert "https://feeds.example.org/m/003-" in text
    assert "原文：" in text and "来源：" in text
    html = msg.get_body(("html",)).get_content()
    assert 'class="section-overdue"' in html and "已逾期（" in html
    again = run_cli("digest", "--send", "--today", "2023-06-29", env=env)   # same ISO week
    assert "0 queued, 0 sent" in again.stdout
    assert len(smtp.messages) == 1
    outbox = run_cli("outbox", "--format", "tsv", env=env).stdout
    assert "\tsent\toffice@example.org\t2023-W26\t" in outbox


def test_nothing_to_say_sends_no_mail(smtp, db_url):
    env = mail_env(db_url, smtp.port)
    setup_store(env, "--doc", "001")       # a document without milestones
    result = run_cli("digest", "--send", "--today", "2023-07-01", env=env)
    assert "0 queued, 0 sent" in result.stdout and smtp.messages == []
    assert "\tempty\t" in run_cli("outbox", "--format", "tsv", env=env).stdout


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_senders_at_once_send_one_message(smtp, db_url, backend):
    url = db_url if backend == "sqlite" else fresh_pg_url()
    env = {**os.environ, **mail_env(url, smtp.port)}
    setup_store(env)
    procs = [subprocess.Popen([sys.executable, "-m", "scheduler", "digest", "--send", "--today",
                               "2023-07-01"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert len(smtp.messages) == 1
    assert sum("1 sent" in out for out, _ in outs) == 1


def test_smtp_down_keeps_the_digest_and_delivers_it_once_later(db_url):
    port = free_port()                       # nothing listens here yet
    env = mail_env(db_url, port)
    setup_store(env)
    down = run_cli("digest", "--send", "--today", "2023-07-01", env=env)
    assert down.returncode == 8 and "1 failed" in down.stdout
    listed = run_cli("outbox", "--format", "tsv", env=env).stdout
    assert "\tretrying\t" in listed and "ConnectionRefusedError" in listed
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        up = run_cli("digest", "--send", "--today", "2023-07-01", env=env)
        assert up.returncode == 0 and "0 queued, 1 sent" in up.stdout
        run_cli("digest", "--send", "--today", "2023-07-01", env=env)
        assert len(inbox.messages) == 1
    finally:
        controller.stop()


def catches_sigterm(pid: int) -> bool:
    """The process has its own SIGTERM handler now (a loaded machine may still be importing)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            caught = next(line for line in status if line.startswith("SigCgt:"))
    except OSError:
        return True                          # no /proc: nothing to wait on
    return bool(int(caught.split()[1], 16) & (1 << (signal.SIGTERM - 1)))


def test_scheduler_killed_and_restarted_sends_the_missed_digest_once(smtp, db_url):
    env = {**os.environ, **mail_env(db_url, smtp.port, DEADLINES_TICK_SECONDS="1")}
    env.pop("DEADLINES_TODAY", None)
    assert run_cli("ingest", str(SEEDS), env=env).returncode == 0

    def start():
        return subprocess.Popen([sys.executable, "-m", "scheduler", "run"], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    first = start()                           # running, but nobody subscribed yet
    time.sleep(3)
    first.send_signal(signal.SIGKILL)
    first.wait()
    # while it is down, a daily subscriber's 00:00 digest time passes
    assert run_cli("subscribe", "office@example.org", "--schedule", "daily", "--at", "00:00",
                   env=env).returncode == 0
    second = start()
    assert wait_for(lambda: len(smtp.messages) == 1), "the missed digest was not sent on restart"
    second.send_signal(signal.SIGKILL)
    second.wait()
    third = start()
    assert wait_for(lambda: catches_sigterm(third.pid)), "the scheduler never set up its SIGTERM handler"
    time.sleep(3)                             # several ticks
    third.send_signal(signal.SIGTERM)
    assert third.wait(timeout=20) == 0        # stops cleanly on SIGTERM
    assert len(smtp.messages) == 1
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
    assert smtp.messages[0]["Message-ID"].startswith(f"<digest.{today}.")


def test_one_click_unsubscribe_endpoint(db_url):
    """`List-Unsubscribe-Post: List-Unsubscribe=One-Click` → a POST to the URL removes the address."""
    from starlette.testclient import TestClient

    from scheduler import config
    from scheduler.store import connect
    from scheduler.store.subscribers import listing, subscribe
    from scheduler.web import create_app

    engine = connect(db_url)
    person = subscribe(engine, "a@example.org", owner=None, doc=None, schedule="weekly", at="08:00",
                       now=dt.datetime(2023, 7, 1, tzinfo=dt.timezone.utc))
    client = TestClient(create_app(engine, config.Settings(), lambda: dt.date(2023, 7, 1)))
    assert client.post("/unsubscribe/wrong").status_code == 404
    page = client.get(f"/unsubscribe/{person.token}")
    assert page.status_code == 200 and "a@example.org" in page.text and 'method="post"' in page.text
    assert client.post(f"/unsubscribe/{person.token}",
                       data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert listing(engine) == []
