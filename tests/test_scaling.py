"""Past one machine: two feed servers and two digest senders against one real PostgreSQL.

The feed servers are stateless (any of them answers any feed, with the same bytes and ETag);
the digest senders race for the same outbox rows and every subscriber gets exactly one mail.
"""

import datetime
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from aiosmtpd.controller import Controller

from scheduler.store import connect
from scheduler.store.subscribers import subscribe

from .conftest import ROOT, SEEDS, fresh_pg_url, run_cli
from .test_digest import Inbox

pytestmark = pytest.mark.postgres


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_feed_servers_and_two_senders_on_one_postgres():
    url = fresh_pg_url()
    inbox = Inbox()
    smtp_port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    env = {**os.environ, "DEADLINES_DB": url, "DEADLINES_SMTP_HOST": "127.0.0.1",
           "DEADLINES_SMTP_PORT": str(smtp_port), "DEADLINES_SMTP_RETRIES": "0"}
    env.pop("DEADLINES_TODAY", None)
    servers = []
    try:
        assert run_cli("ingest", str(SEEDS), env=env).returncode == 0
        engine = connect(url)
        for i in range(40):
            subscribe(engine, f"user{i}@example.org", owner=None, doc=None, schedule="weekly",
                      at="08:00", now=datetime.datetime.now(datetime.timezone.utc))
        ports = [free_port(), free_port()]
        servers = [subprocess.Popen([sys.executable, "-m", "scheduler", "serve", "--port", str(p)],
                                    env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL) for p in ports]
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if all(httpx.get(f"{b}/healthz").status_code == 200 for b in bases):
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        senders = [subprocess.Popen([sys.executable, "-m", "scheduler", "digest", "--send",
                                     "--today", "2023-07-01"], env=env, cwd=ROOT,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for _ in range(2)]
        feeds = [httpx.get(f"{b}/feeds/all.ics") for b in bases]
        outs = [p.communicate(timeout=300) for p in senders]
        assert all(p.returncode == 0 for p in senders), outs
        assert feeds[0].status_code == feeds[1].status_code == 200
        assert feeds[0].content == feeds[1].content
        assert feeds[0].headers["etag"] == feeds[1].headers["etag"]
        cached = httpx.get(f"{bases[1]}/feeds/all.ics",
                           headers={"If-None-Match": feeds[0].headers["etag"]})
        assert cached.status_code == 304
        recipients = sorted(m["To"] for m in inbox.messages)
        assert recipients == sorted(f"user{i}@example.org" for i in range(40))   # none twice, none lost
        sent = [int(out.split(" sent")[0].split()[-1]) for out, _ in outs]
        assert sum(sent) == 40
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait(timeout=10)
        controller.stop()


def test_only_one_instance_scans_subscribers_at_a_time():
    """While another instance holds the scan lock, a tick queues nothing (PostgreSQL advisory lock)."""
    from sqlalchemy import text

    from scheduler import config
    from scheduler.notify.outbox import SCAN_LOCK, tick

    url = fresh_pg_url()
    engine = connect(url)
    now = datetime.datetime(2023, 7, 3, 9, 0, tzinfo=datetime.timezone.utc)
    subscribe(engine, "a@example.org", owner=None, doc=None, schedule="daily", at="08:00", now=now)
    settings = config.Settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_retries=0,
                               digest_send_empty=True)
    other = connect(url).connect()
    assert other.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": SCAN_LOCK}).scalar()
    try:
        queued, _ = tick(engine, settings, now)
        assert queued == 0
    finally:
        other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SCAN_LOCK})
        other.close()
    queued, delivery = tick(engine, settings, now)
    assert queued == 1 and delivery.failed == 1      # queued once the lock is free (SMTP is down)
