"""The feed server under hostile requests and a broken store, over real HTTP on loopback."""

import asyncio
import datetime as dt
import os
import re
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest

from .conftest import ROOT, SEEDS, run_cli
from .test_feeds import free_port, server  # noqa: F401  (the module's real server)


def start(env):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "scheduler", "--today", "2023-07-01", "serve",
                             "--port", str(port)], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    pytest.fail("server did not start: " + proc.stderr.read().decode())


def test_weak_and_star_if_none_match_answer_304(server):  # noqa: F811
    """`If-None-Match: W/"<etag>"` and `*` answered 200; RFC 9110 says 304."""
    base, _, _ = server
    etag = httpx.get(f"{base}/feeds/all.ics").headers["etag"]
    for header in (f"W/{etag}", "*", f'"other", W/{etag}'):
        answer = httpx.get(f"{base}/feeds/all.ics", headers={"If-None-Match": header})
        assert answer.status_code == 304 and answer.content == b"", header
    assert httpx.get(f"{base}/feeds/all.ics", headers={"If-None-Match": 'W/"x"'}).status_code == 200


def test_host_header_is_not_trusted(server):  # noqa: F811
    """`Host: evil.example` → `Location: http://evil.example/...` and index links to it."""
    base, _, _ = server
    evil = {"Host": "evil.example"}
    page = httpx.get(f"{base}/", headers=evil)
    assert page.status_code == 200 and "evil.example" not in page.text
    assert 'href="/feeds/all.ics"' in page.text and "webcal://127.0.0.1:" in page.text
    slash = httpx.get(f"{base}/feeds/all.ics/", headers=evil)
    assert "evil.example" not in slash.headers.get("location", "") and slash.status_code == 404


def test_healthz_checks_the_store(tmp_path):
    """/healthz answered ok with a corrupt database."""
    db = tmp_path / "h.db"
    env = {**os.environ, "DEADLINES_DB": f"sqlite:///{db}"}
    env.pop("DEADLINES_TODAY", None)
    assert run_cli("ingest", str(SEEDS), env=env).returncode == 0
    proc, base = start(env)
    try:
        assert httpx.get(f"{base}/healthz").text == "ok\n"
        size = db.stat().st_size
        with open(db, "r+b") as handle:          # every page but the first overwritten
            handle.seek(4096)
            handle.write(bytes(range(256)) * ((size - 4096) // 256 + 1))
        answer = httpx.get(f"{base}/healthz")
        assert answer.status_code == 503 and answer.text == "store unavailable\n"
        assert str(db) not in answer.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_index_queries_run_off_the_loop_and_are_cached(tmp_path, monkeypatch):
    """The index page ran ~70 ms of queries on the event loop per request: under 50
    concurrent `/`, `/healthz` p99 went from 19 ms to 3.5 s."""
    from sqlalchemy import event
    from sqlmodel import Session, select
    from starlette.testclient import TestClient

    from scheduler import config
    from scheduler.extract import extract
    from scheduler.store import connect, ingest, set_status
    from scheduler.store.tables import Milestone
    from scheduler.web import app as web

    monkeypatch.setattr(web, "STAMP_SECONDS", 0.0)     # read the stamp on every request
    engine = connect(f"sqlite:///{tmp_path / 'i.db'}")
    seed = next(SEEDS.glob("003_*.txt")).read_bytes()
    ingest(engine, "003", extract(seed, published=dt.date(2023, 2, 13), doc="003"),
           dt.datetime(2023, 2, 13, tzinfo=dt.timezone.utc))
    statements = []

    def record(_conn, _cursor, sql, *_args):
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        statements.append((on_loop, " ".join(sql.split())))

    event.listen(engine, "before_cursor_execute", record)
    client = TestClient(web.create_app(engine, config.Settings(), lambda: dt.date(2023, 7, 1)))
    first = client.get("/")
    assert first.status_code == 200 and statements
    assert not [sql for on_loop, sql in statements if on_loop], "queries ran on the event loop"
    built = len(statements)
    statements.clear()
    assert client.get("/").text == first.text
    assert 0 < len(statements) < built and all("count(" in sql for _, sql in statements)
    with Session(engine) as session:
        row = session.exec(select(Milestone.id)).first()
    set_status(engine, row, "done", "", "t", dt.datetime(2023, 7, 1, tzinfo=dt.timezone.utc))
    statements.clear()
    assert client.get("/").text != first.text and len(statements) >= built


def test_feed_tokens_are_stored_hashed_and_revoked_by_a_real_prefix(tmp_path):
    """`feed-token revoke ""` revoked a token (the empty prefix matched); tokens were stored
    in plain text."""
    db = tmp_path / "t.db"
    env = {"DEADLINES_DB": f"sqlite:///{db}"}
    created = run_cli("feed-token", "create", "--label", "office", env=env)
    token = created.stdout.split()[0]
    assert re.fullmatch(r"[0-9a-f]{40}", token) and "shown only now" in created.stderr
    for prefix in ("", "   ", token[:3], token[:7]):
        refused = run_cli("feed-token", "revoke", prefix, env=env)
        assert refused.returncode == 2 and "at least its first 8 characters" in refused.stderr
    stored = [row for row in sqlite3.connect(db).execute("SELECT token, prefix FROM feed_tokens")]
    assert stored and all(token not in value for row in stored for value in row)
    assert token.encode() not in db.read_bytes()
    assert "active" in run_cli("feed-token", "list", env=env).stdout
    assert run_cli("feed-token", "revoke", token[:8], env=env).returncode == 0
    assert "revoked" in run_cli("feed-token", "list", env=env).stdout


def test_tokens_of_an_older_database_are_hashed_on_upgrade(tmp_path):
    """A database written before hashing keeps working: its tokens are hashed in place."""
    from scheduler.store import connect, tokens

    db = tmp_path / "old.db"
    old = sqlite3.connect(db)
    old.executescript("""
        CREATE TABLE schema_info (id INTEGER PRIMARY KEY, version INTEGER NOT NULL);
        INSERT INTO schema_info VALUES (1, 1);
        CREATE TABLE documents (id VARCHAR(64) PRIMARY KEY, source VARCHAR NOT NULL UNIQUE,
            content_hash VARCHAR(64) NOT NULL, published DATE, published_how VARCHAR NOT NULL,
            encoding VARCHAR NOT NULL, repairs JSON NOT NULL, warnings JSON NOT NULL,
            ingested_at DATETIME NOT NULL, updated_at DATETIME NOT NULL);
        CREATE TABLE milestones (id VARCHAR(64) PRIMARY KEY);
        CREATE TABLE feed_tokens (token VARCHAR(64) PRIMARY KEY, scope VARCHAR(16) NOT NULL,
            value VARCHAR, label VARCHAR NOT NULL, created_at DATETIME NOT NULL,
            revoked_at DATETIME);
        INSERT INTO feed_tokens VALUES ('0123456789abcdef0123456789abcdef01234567', 'all', NULL,
            '', '2023-01-01 00:00:00', NULL);
    """)
    old.commit()
    old.close()
    engine = connect(f"sqlite:///{db}")
    assert tokens.resolve(engine, "0123456789abcdef0123456789abcdef01234567").scope == "all"
    [(stored, prefix)] = sqlite3.connect(db).execute("SELECT token, prefix FROM feed_tokens")
    assert stored != "0123456789abcdef0123456789abcdef01234567" and prefix == "0123456789ab"


@pytest.mark.parametrize("flavour", ["titles", "hashed"])
def test_either_version_2_database_upgrades_with_both_changes(tmp_path, flavour):
    """Two branches each defined a schema 2 (main: document titles; hardening: hashed tokens).
    A database at either one reaches the current version with both."""
    from scheduler.store import connect, documents, tokens
    from scheduler.store.tables import SCHEMA_VERSION

    db = tmp_path / "v2.db"
    connect(f"sqlite:///{db}").dispose()
    token = "0123456789abcdef0123456789abcdef01234567"
    with sqlite3.connect(db) as conn:
        conn.executescript(
            "UPDATE schema_info SET version = 2;"
            "INSERT INTO documents (id, source, content_hash, published_how, encoding, repairs,"
            " warnings, ingested_at, updated_at, title) VALUES ('003', 'a.txt', 'x', '', '', '[]',"
            " '[]', '2023-01-01 00:00:00', '2023-01-01 00:00:00', '');")
        if flavour == "titles":         # main's v2: titles, tokens in plain text
            conn.executescript("DROP INDEX IF EXISTS ix_feed_tokens_prefix;"
                               "ALTER TABLE feed_tokens DROP COLUMN prefix;")
            conn.execute("INSERT INTO feed_tokens (token, scope, value, label, created_at) "
                         "VALUES (?, 'all', NULL, '', '2023-01-01 00:00:00')", (token,))
        else:                           # hardening's v2: hashed tokens, no titles
            conn.execute("ALTER TABLE documents DROP COLUMN title")
    engine = connect(f"sqlite:///{db}")
    [(doc, _)] = documents(engine)
    assert doc.title == ""
    if flavour == "titles":
        assert tokens.resolve(engine, token).scope == "all"
        [(stored, prefix)] = sqlite3.connect(db).execute("SELECT token, prefix FROM feed_tokens")
        assert stored != token and prefix == token[:12]
    assert sqlite3.connect(db).execute("SELECT version FROM schema_info").fetchone() \
        == (SCHEMA_VERSION,)
