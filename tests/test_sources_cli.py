"""`deadlines source …` and `deadlines run` as a user runs them, against a loopback site:
one clear line for bad input, no partial document after SIGKILL, no source fetched twice by
two scheduler processes (SQLite and PostgreSQL)."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlmodel import Session, func, select

from scheduler.store import Document, Milestone, connect

from .conftest import ROOT, fresh_pg_url, run_cli
from .site import Site
from .site_pages import build, list_html

OWNERS = ["区住房城乡建设局", "区教育局", "区民政局", "区水务局", "区交通运输局", "区城市管理局"]


def numbered_article(n: int) -> str:
    """An article with exactly one commitment (one milestone)."""
    return (f'<html><head><meta charset="utf-8"><meta name="PubDate" content="2024-04-{n % 28 + 1:02d}">'
            f"</head><body><h1>关于第{n}号道路改造工程的通知</h1><div class=\"TRS_Editor\">"
            f"<p>{OWNERS[n % len(OWNERS)]}将在9月底前完成第{n}号道路改造工程。</p></div></body></html>")


def numbered_site(site: Site, count: int) -> str:
    links = []
    for n in range(1, count + 1):
        path = f"/n/202404/t202404{n % 28 + 1:02d}_{n}.html"
        site.page(path, numbered_article(n))
        links.append((path, f"关于第{n}号道路改造工程的通知"))
    site.page("/robots.txt", "", content_type="text/plain")
    site.page("/n/", list_html(links))
    return site.url("/n/")


def env_for(db_url, **extra):
    return {"DEADLINES_DB": db_url, "DEADLINES_SOURCE_HOST_INTERVAL": "0.01",
            "DEADLINES_SOURCE_TIMEOUT": "1", "DEADLINES_SOURCE_MAX_BYTES": "1000000",
            "COLUMNS": "80", **extra}


@pytest.mark.parametrize("args,code,needle", [
    (["source", "add", "file:///etc/passwd"], 4, "only http and https URLs"),
    (["source", "add", "ftp://example.org/a"], 4, "only http and https URLs"),
    (["source", "add", "not a url"], 4, "only http and https URLs"),
    (["source", "add", "http://"], 4, "without a host"),
    (["source", "add", "https://example.org/", "--every", "5s"], 2, "invalid --every"),
    (["source", "add", "https://example.org/", "--every", "1m"], 2, "out of range"),
    (["source", "add", "https://example.org/", "--follow", "a[[["], 2, "not a CSS selector"),
    (["source", "add", "https://example.org/", "--max-new", "0"], 2, "--max-new"),
    (["source", "run", "nosuch"], 7, "no source named 'nosuch'"),
    (["source", "remove", "nosuch"], 7, "no source named 'nosuch'"),
    (["source", "list", "--format", "xml"], 2, "unknown format"),
])
def test_bad_input_is_one_line_and_nonzero(args, code, needle, db_url):
    result = run_cli(*args, env=env_for(db_url))
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_add_list_run_remove_as_a_user(db_url):
    env = env_for(db_url)
    with Site() as site:
        urls = build(site)
        added = run_cli("source", "add", urls["list"], "--follow", "auto", "--name", "通知公告",
                        "--owner", "市北区", env=env)
        assert added.returncode == 0 and added.stdout.startswith("added 通知公告: "), added.stderr
        assert run_cli("source", "add", urls["rss"], "--every", "30m", env=env).returncode == 0
        twice = run_cli("source", "add", urls["rss"], env=env)
        assert twice.returncode == 2 and "already watched as '127.0.0.1-rss'" in twice.stderr
        listed = run_cli("source", "list", env=env).stdout
        assert "127.0.0.1-rss  not run yet · every 30m" in listed
        ran = run_cli("source", "run", env=env)
        assert ran.returncode == 0, ran.stderr
        assert "通知公告 (list): 8 links: 2 new" in ran.stdout
        assert "127.0.0.1-rss (feed): 2 links: 2 new" in ran.stdout
        assert "t20240405_1004.html: HTTP 500" in ran.stderr and "Traceback" not in ran.stderr
        for out in (ran.stdout, ran.stderr, run_cli("source", "list", env=env).stdout):
            assert all(len(line) <= 80 for line in out.splitlines() if "http" not in line), out
        rows = json.loads(run_cli("source", "list", "--format", "json", env=env).stdout)
        tzgg = next(r for r in rows if r["name"] == "通知公告")
        assert tzgg["kind"] == "list" and tzgg["last_new_doc"] and "HTTP 500" in tzgg["last_error"]
        assert tzgg["failures"] == 0 and tzgg["next_run"] > tzgg["last_run"]
        status = json.loads(run_cli("status", "--json", "--today", "2024-05-20", env=env).stdout)
        assert {r["source"] for r in status} >= {site.url("/news/a3001.html")}
        removed = run_cli("source", "remove", "通知公告", env=env)
        assert removed.returncode == 0 and "2 documents it brought in are kept" in removed.stdout
        assert len(json.loads(run_cli("status", "--json", "--today", "2024-05-20",
                                      env=env).stdout)) == len(status)


def test_a_failing_source_run_is_one_line_and_exit_1(db_url):
    env = env_for(db_url)
    with Site() as site:
        site.page("/gone/", "nope", status=404, content_type="text/plain")
        assert run_cli("source", "add", site.url("/gone/"), "--name", "gone", env=env).returncode == 0
        ran = run_cli("source", "run", "gone", env=env)
    assert ran.returncode == 1
    assert ran.stderr.strip().splitlines() == [f"deadlines: gone: failed: {site.url('/gone/')}: HTTP 404"]
    listed = run_cli("source", "list", env=env).stdout
    assert "backing off (1 failure)" in listed and "HTTP 404" in listed


def counts(db_url):
    engine = connect(db_url)
    with Session(engine) as session:
        docs = session.exec(select(func.count()).select_from(Document)).one()
        per_doc = Counter(session.exec(select(Milestone.document_id)))
    engine.dispose()
    return docs, per_doc


@pytest.mark.slow
def test_sigkill_during_a_source_run_leaves_no_partial_document(db_url):
    env = {**os.environ, **env_for(db_url)}
    with Site() as site:
        url = numbered_site(site, 12)
        assert run_cli("source", "add", url, "--name", "n", "--follow", "auto", env=env).returncode == 0
        site.held.add("/n/202404/t20240406_5.html")       # the fifth article hangs
        proc = subprocess.Popen([sys.executable, "-m", "scheduler", "source", "run", "n"], env=env,
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 60
        while not site.requests("/n/202404/t20240406_5.html") and time.time() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        docs, per_doc = counts(db_url)
        assert docs == 4 and sorted(per_doc.values()) == [1, 1, 1, 1]
        # killed at other moments of a run (fetches, extraction, database writes)
        site.held.clear()
        slow = {**env, "DEADLINES_SOURCE_HOST_INTERVAL": "0.2"}
        for n, delay in ((6, 0.0), (8, 0.015), (10, 0.03)):   # just after article n arrives
            path = f"/n/202404/t202404{n % 28 + 1:02d}_{n}.html"
            seen = len(site.requests(path))
            proc = subprocess.Popen([sys.executable, "-m", "scheduler", "source", "run", "n"],
                                    env=slow, cwd=ROOT, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            deadline = time.time() + 60
            while len(site.requests(path)) == seen and time.time() < deadline:
                time.sleep(0.01)
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            docs, per_doc = counts(db_url)
            assert docs == len(per_doc) and set(per_doc.values()) <= {1}
        # the claim of a killed process does not block the next run
        again = run_cli("source", "run", "n", env=env)
        assert again.returncode == 0, again.stderr
        docs, per_doc = counts(db_url)
        assert docs == 12 and set(per_doc.values()) == {1}


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_schedulers_fetch_each_article_once(db_url, tmp_path, backend):
    url_db = db_url if backend == "sqlite" else fresh_pg_url()
    env = {**os.environ, **env_for(url_db, DEADLINES_TICK_SECONDS="1",
                                   DEADLINES_CALENDARS_DIR=str(tmp_path / "cal"))}
    env.pop("DEADLINES_TODAY", None)
    with Site() as site:
        url = numbered_site(site, 8)
        assert run_cli("source", "add", url, "--name", "n", "--follow", "auto", env=env).returncode == 0
        procs = [subprocess.Popen([sys.executable, "-m", "scheduler", "run"], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for _ in range(2)]
        try:
            deadline = time.time() + 90
            while counts(url_db)[0] < 8 and time.time() < deadline:
                time.sleep(0.2)
            time.sleep(3)                                   # a few more ticks of both
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=30)
        fetched = Counter(h.path for h in site.requests() if h.path.startswith("/n/2024"))
    assert counts(url_db)[0] == 8
    assert set(fetched.values()) == {1} and len(fetched) == 8, fetched
