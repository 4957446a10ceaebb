"""The feed server over real HTTP on loopback, read by three independent calendar parsers."""

import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import icalendar
import ics
import pytest

from .conftest import ROOT, SEEDS, run_cli

JS = ROOT / "tests" / "js"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("feeds")
    env = {**os.environ, "DEADLINES_DB": f"sqlite:///{folder / 'f.db'}"}
    env.pop("DEADLINES_TODAY", None)
    assert run_cli("ingest", str(SEEDS), env=env).returncode == 0
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "scheduler", "--today", "2023-07-01", "serve",
                             "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("server did not start: " + proc.stderr.read().decode())
    yield base, env, folder
    proc.terminate()
    proc.wait(timeout=10)


def ical_js(path: Path, start="2023-01-01", end="2023-07-01") -> dict:
    if not (JS / "node_modules" / "ical.js").exists():
        pytest.fail("ical.js is not installed: run `npm ci` in tests/js (as .ci/run does)")
    out = subprocess.run(["node", str(JS / "parse.mjs"), str(path), start, end],
                         capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def three_parsers(data: bytes, tmp_path: Path) -> int:
    cal = icalendar.Calendar.from_ical(data)
    n = len(list(cal.walk("VEVENT")))
    assert len(ics.Calendar(data.decode("utf-8")).events) == n
    path = tmp_path / "feed.ics"
    path.write_bytes(data)
    assert len(ical_js(path)["events"]) == n
    return n


def test_feed_200_then_304_with_etag(server, tmp_path):
    base, _, _ = server
    first = httpx.get(f"{base}/feeds/all.ics")
    assert first.status_code == 200
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "max-age" in first.headers["cache-control"]
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith('W/')
    stored = json.loads(run_cli("status", "--status", "all", "--format", "json", "-n", "0", env=server[1]).stdout)
    assert three_parsers(first.content, tmp_path) == len(stored) > 40    # every milestone, once
    again = httpx.get(f"{base}/feeds/all.ics")
    assert again.content == first.content and again.headers["etag"] == etag
    cached = httpx.get(f"{base}/feeds/all.ics", headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""
    stale = httpx.get(f"{base}/feeds/all.ics", headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200


def test_owner_and_doc_feeds(server, tmp_path):
    base, _, _ = server
    owner = httpx.get(f"{base}/feeds/owner/市北区.ics")
    assert owner.status_code == 200
    cal = icalendar.Calendar.from_ical(owner.content)
    assert all("市北区" in str(ev["CATEGORIES"].to_ical(), "utf-8") for ev in cal.walk("VEVENT"))
    assert three_parsers(owner.content, tmp_path) > 10
    doc = httpx.get(f"{base}/feeds/doc/002.ics")
    assert doc.status_code == 200 and three_parsers(doc.content, tmp_path) == 1
    assert httpx.get(f"{base}/feeds/owner/nobody.ics").status_code == 404
    assert httpx.get(f"{base}/feeds/doc/999.ics").status_code == 404


def test_private_feed_tokens(server, tmp_path):
    base, env, _ = server
    assert httpx.get(f"{base}/feeds/private/not-a-token.ics").status_code == 404
    created = run_cli("feed-token", "create", "--owner", "區人社局", env=env)
    token = created.stdout.split()[0]
    feed = httpx.get(f"{base}/feeds/private/{token}.ics")
    assert feed.status_code == 200 and "private" in feed.headers["cache-control"]
    assert three_parsers(feed.content, tmp_path) == 2
    assert run_cli("feed-token", "revoke", token[:12], env=env).returncode == 0
    assert httpx.get(f"{base}/feeds/private/{token}.ics").status_code == 404
    assert "revoked" in run_cli("feed-token", "list", env=env).stdout


def test_change_gives_new_body_and_sequence(server):
    base, env, _ = server
    first = httpx.get(f"{base}/feeds/doc/002.ics")
    row = json.loads(run_cli("status", "--json", "--doc", "002", env=env).stdout)[0]
    assert run_cli("done", row["id"], env=env).returncode == 0
    second = httpx.get(f"{base}/feeds/doc/002.ics", headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200 and second.headers["etag"] != first.headers["etag"]
    [ev] = icalendar.Calendar.from_ical(second.content).walk("VEVENT")
    assert int(ev["SEQUENCE"]) == row["sequence"] + 1
    run_cli("reopen", row["id"], env=env)


def overdue_count(env) -> int:
    """What `status` says is overdue (and not stale) on the page's day: the page must agree."""
    rows = json.loads(run_cli("--today", "2023-07-01", "status", "--overdue", "--format", "json", "-n", "0",
                              env=env).stdout)
    return sum("stale" not in row["flags"] for row in rows)


def test_index_page_lists_feeds_and_overdue(server):
    base, _, _ = server
    page = httpx.get(f"{base}/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "webcal://" in page.text and "/feeds/all.ics" in page.text
    assert page.text.count(' overdue-row"') == overdue_count(server[1]) > 20   # stale ones folded
    assert "完成河西剩余房屋征迁清零和安置区土地出让工作" in page.text


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="chromium not installed")
def test_index_page_in_headless_chromium(server, tmp_path):
    """The dashboard rendered by a real browser at phone width lists the overdue milestones."""
    assert CHROMIUM, "chromium is required in CI (.ci/run installs Debian's chromium)"
    base, _, _ = server
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=390,2400"]
    dom = subprocess.run(flags + ["--dump-dom", f"{base}/"], capture_output=True, text=True,
                         timeout=120).stdout
    overdue = overdue_count(server[1])
    assert dom.count(' overdue-row"') == overdue
    assert re.search(rf'data-key="overdue"[^>]*><span class="n">{overdue}</span><span class="l">已逾期', dom)
    shot = tmp_path / "index.png"
    subprocess.run(flags + [f"--screenshot={shot}", f"{base}/"], capture_output=True, timeout=120)
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    assert image.size == (390, 2400)
    # the overdue due dates are drawn in the page's dark red (#b00020); an error page has none
    red = sum(1 for r, g, b in image.get_flattened_data() if r > 140 and g < 60 and b < 80)
    assert red > 500, f"only {red} dark-red pixels: the dashboard did not render"


def test_hostile_task_text_gives_valid_calendar_and_escaped_page(tmp_path):
    """A task with CR/LF, `;`, `,`, `\\` and `<script>` stays valid in iCalendar and HTML."""
    from starlette.testclient import TestClient

    from scheduler import config
    from scheduler.extract.model import DocumentInfo, Extraction, Milestone
    from scheduler.store import connect, ingest
    from scheduler.web import create_app

    engine = connect(f"sqlite:///{tmp_path / 'h.db'}")
    task = "完成<script>alert(1)</script>;改造,验收\\第一\r\n第二\n阶段"
    ms = Milestone(doc="h", due=dt.date(2023, 3, 1), start=None, precision="day", kind="deadline",
                   rrule=None, owner="区<b>局</b>", time_text="3月1日前", task=task, title=task[:20],
                   sentence=task, span=(0, 1), sentence_span=(0, 1), rules=["x"], confidence=1.0,
                   id="hostile0000000001")
    info = DocumentInfo("h", "h.txt", "utf-8", "0" * 64, dt.date(2023, 2, 1), "test")
    ingest(engine, "h.txt", Extraction(info, [ms]), dt.datetime(2023, 2, 1, tzinfo=dt.timezone.utc))
    settings = config.Settings()
    client = TestClient(create_app(engine, settings, lambda: dt.date(2023, 3, 5)))
    body = client.get("/feeds/all.ics").content
    for line in body.split(b"\r\n")[:-1]:
        assert len(line) <= 75 and b"\n" not in line
    [ev] = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert str(ev["DESCRIPTION"]).startswith(task.replace("\r\n", "\n"))
    assert three_parsers(body, tmp_path) == 1
    page = client.get("/").text
    assert "<script>alert" not in page and "完成&lt;script&gt;alert(1)&lt;/" in page
    assert "区&lt;b&gt;局&lt;/b&gt;" in page and "<b>局" not in page
    item = client.get("/m/h-hostile0000000001").text
    assert "<script>alert" not in item and "&lt;script&gt;alert(1)&lt;/script&gt;" in item
    assert "区&lt;b&gt;局&lt;/b&gt;" in item


def test_concurrent_requests_for_one_feed_build_it_once(tmp_path):
    """Single flight: four simultaneous misses for the same feed wait for one build."""
    import threading

    from scheduler.calendar import FeedCache
    from scheduler.extract import extract
    from scheduler.store import connect, ingest

    engine = connect(f"sqlite:///{tmp_path / 's.db'}")
    data = next(SEEDS.glob("003_*.txt")).read_bytes()
    ingest(engine, "003", extract(data, published=dt.date(2023, 2, 13), doc="003"),
           dt.datetime(2023, 2, 13, tzinfo=dt.timezone.utc))
    cache = FeedCache(engine, uid_domain="t.invalid", alarm_days=3, tz="Asia/Shanghai",
                      refresh_hours=12)
    builds, real = [], cache._build

    def slow_build(scope, value):
        builds.append(scope)
        time.sleep(0.3)
        return real(scope, value)

    cache._build = slow_build
    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.body("all", None)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert builds == ["all"] and len({r[1] for r in results}) == 1 and len(results) == 4
