"""The dashboard as a person sees it: counts that agree with `status --json`, a matrix whose
cells open exactly their milestones, one chart bar per period, item and document pages, and a
real browser at 1280 and 390 px where no date wraps and nothing overflows the screen."""

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import quote

import httpx
import pytest

from .conftest import ROOT, SEEDS, run_cli
from .test_feeds import CHROMIUM, free_port

TODAY = "2023-07-01"


class Page(HTMLParser):
    """Collects what the assertions need: tiles, matrix cells, list rows, chart bars, links."""

    def __init__(self, html: str):
        super().__init__()
        self.tiles, self.cells, self.rows, self.bars, self.links = {}, [], [], [], []
        self._tile = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "a" and "tile" in cls:
            self._tile = a["data-key"]
        if tag == "a" and "data-bucket" in a:
            self.cells.append((a["data-bucket"], int(a["data-count"]), a["href"]))
        if tag == "tr" and "ms-row" in cls:
            self.rows.append(a["data-id"])
        if tag == "g" and "bar" in cls:
            self.bars.append((a["data-period"], int(a["data-total"])))
        if tag == "a" and "href" in a:
            self.links.append(a["href"])

    def handle_data(self, data):
        if self._tile and data.strip().isdigit():
            self.tiles[self._tile] = int(data.strip())
            self._tile = None


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dash")
    env = {**os.environ, "DEADLINES_DB": f"sqlite:///{folder / 'd.db'}"}
    env.pop("DEADLINES_TODAY", None)
    assert run_cli("ingest", str(SEEDS), env=env).returncode == 0
    rows = json.loads(run_cli("status", "--json", "--today", TODAY, env=env).stdout)
    done = [r for r in rows if r["title"] == "弘诚体育场改造工程 实现主体封顶"][0]
    assert run_cli("done", done["id"], "--note", "封顶", env=env).returncode == 0
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "scheduler", "--today", TODAY, "serve", "--port",
                             str(port)], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
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
    yield base, env, folder, done["id"]
    proc.terminate()
    proc.wait(timeout=10)


def status_json(env, *args):
    return json.loads(run_cli("status", "--json", "--today", TODAY, *args, env=env).stdout)


def test_summary_strip_equals_status_json(site):
    base, env, _, _ = site
    page = Page(httpx.get(f"{base}/").text)
    rows = status_json(env)
    left = [r["days_left"] for r in rows]
    assert page.tiles["overdue"] == sum(r["overdue"] for r in rows) > 20
    assert page.tiles["week"] == sum(0 <= d <= 7 for d in left) >= 1
    assert page.tiles["month"] == sum(8 <= d <= 30 for d in left)
    assert page.tiles["later"] == sum(d > 30 for d in left)
    assert page.tiles["done"] == len(status_json(env, "--status", "done")) == 1
    assert page.tiles["stale"] == sum(d < -90 for d in left)
    # the review backlog: open milestones nobody has accepted, edited or rejected yet
    queue = json.loads(run_cli("review", "--list", "--json", env=env).stdout)
    assert page.tiles["review"] == len(queue) == len(rows) > 20


def test_every_matrix_cell_opens_exactly_its_milestones(site):
    base, env, _, _ = site
    page = Page(httpx.get(f"{base}/").text)
    rows = status_json(env)
    bucket = lambda d: "overdue" if d < 0 else "week" if d <= 7 else "month" if d <= 30 else "later"  # noqa: E731
    assert len(page.cells) >= 10
    for key, count, href in page.cells:
        owner = re.search(r"owner=([^&]+)", href).group(1)
        from urllib.parse import unquote_plus

        owner = unquote_plus(owner)
        expected = sorted(r["id"] for r in rows if (r["owner"] or "未注明") == owner
                          and bucket(r["days_left"]) == key)
        listed = Page(httpx.get(f"{base}{href}").text).rows
        assert sorted(listed) == expected and count == len(expected), (owner, key)


def test_chart_has_one_bar_per_period(site):
    base, env, _, _ = site
    bars = Page(httpx.get(f"{base}/").text).bars
    assert [p for p, _ in bars] == ["overdue", "2023-07", "2023-08", "2023-09", "2023-10", "2023-11",
                                    "2023-12"]
    totals = dict(bars)
    assert totals["overdue"] == sum(r["overdue"] for r in status_json(env))
    months = Counter(r["due"][:7] for r in status_json(env, "--status", "all") if r["days_left"] >= 0
                     or r["status"] != "open")
    assert all(totals[p] == months.get(p, 0) for p in totals if p != "overdue")


def test_filters_drive_the_list_and_the_feed_links(site):
    base, env, _, _ = site
    page = httpx.get(f"{base}/", params={"owner": "市北区"}).text
    assert f"/feeds/owner/{quote('市北区')}.ics" in page.split('id="summary"')[0]
    ids = Page(page).rows
    assert sorted(ids) == sorted(r["id"] for r in status_json(env) if r["owner"] == "市北区")
    doc = httpx.get(f"{base}/", params={"doc": "002"}).text
    assert "/feeds/doc/002.ics" in doc.split('id="summary"')[0] and len(Page(doc).rows) == 1
    found = Page(httpx.get(f"{base}/", params={"q": "地铁"}).text).rows
    assert found and len(found) == sum("地铁" in r["title"] + r["task"] + r["sentence"] + (r["owner"] or "")
                                       for r in status_json(env))
    done = Page(httpx.get(f"{base}/", params={"status": "done"}).text).rows
    assert done == [site[3]]
    stale = Page(httpx.get(f"{base}/", params={"bucket": "stale"}).text).rows
    assert len(stale) == sum(r["days_left"] < -90 for r in status_json(env))


def test_milestone_and_document_pages(site):
    base, env, _, done_id = site
    page = httpx.get(f"{base}/m/{done_id}").text
    assert "<mark>年底前</mark>" in page and "✓ 弘诚体育场改造工程" in page
    assert "未完成 → 已完成：封顶" in page
    assert "/srv" not in page and "seeds/" not in page
    assert httpx.get(f"{base}/m/nothing-here").status_code == 404
    doc = httpx.get(f"{base}/doc/003").text
    assert "推进“强基层基础 到基层领干 为基层赋能”工程" in doc and "2023-02-13" in doc
    assert "早报2月13日讯" in doc                       # how the date was found
    assert len(Page(doc).rows) == len(status_json(env, "--doc", "003", "--status", "all"))
    assert "/feeds/doc/003.ics" in doc
    assert httpx.get(f"{base}/doc/nope").status_code == 404


MEASURE = """<script>
addEventListener("load", () => {
  const wrapped = [...document.querySelectorAll(".date")].filter((el) => {
    const style = getComputedStyle(el);
    return el.getClientRects().length > 1 || el.getBoundingClientRect().height > 1.6 * parseFloat(style.fontSize);
  });
  document.body.dataset.wrapped = wrapped.length;
  document.body.dataset.dates = document.querySelectorAll(".date").length;
  document.body.dataset.overflow = document.documentElement.scrollWidth - innerWidth;
  document.body.dataset.chart = document.querySelector("svg.chart").getBoundingClientRect().width;
});
</script>"""


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="chromium not installed")
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("path", ["/", "/?owner=市北区", "/doc/003"])
def test_in_headless_chromium(site, tmp_path, width, path):
    """At 1280 px ISO dates broke inside table cells; at 390 px the page must still fit."""
    assert CHROMIUM, "chromium is required in CI (.ci/run installs Debian's chromium)"
    base, _, folder, _ = site
    html = httpx.get(f"{base}{path}").text
    html = html.replace("<head>", f'<head><base href="{base}/">', 1).replace("</body>", MEASURE + "</body>")
    local = tmp_path / "page.html"
    local.write_text(html, encoding="utf-8")
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={width},2400"]
    dom = subprocess.run(flags + ["--dump-dom", local.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    found = dict(re.findall(r'data-(wrapped|dates|overflow)="(-?\d+)"', dom))
    assert int(found["dates"]) > 10 and found["wrapped"] == "0", found
    assert int(found["overflow"]) <= 0, f"page is wider than {width} px"
    name = re.sub(r"\W+", "_", path).strip("_") or "index"
    shot = folder / f"{name}-{width}.png"
    subprocess.run(flags + [f"--screenshot={shot}", f"{base}{path}"], capture_output=True, timeout=120)
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    assert image.size == (width, 2400)
    red = sum(1 for r, g, b in image.get_flattened_data() if r > 140 and g < 60 and b < 80)
    assert red > 300, f"only {red} dark-red pixels: the page did not render"


def test_page_is_built_once_per_store_change(tmp_path):
    """Queries run off the event loop and are cached by the store's change stamp."""
    import datetime as dt

    from starlette.testclient import TestClient

    from scheduler import config
    from scheduler.extract import extract
    from scheduler.store import connect, ingest, set_status
    from scheduler.web import create_app
    from scheduler.web.dashboard import Dashboard

    engine = connect(f"sqlite:///{tmp_path / 'c.db'}")
    data = next(SEEDS.glob("003_*.txt")).read_bytes()
    now = dt.datetime(2023, 2, 13, tzinfo=dt.timezone.utc)
    ingest(engine, "003", extract(data, published=dt.date(2023, 2, 13), doc="003"), now)
    client = TestClient(create_app(engine, config.Settings(), lambda: dt.date(2023, 7, 1)))
    calls = []
    real = Dashboard.view
    Dashboard.view = lambda self, *a, **k: calls.append(a) or real(self, *a, **k)
    try:
        first = client.get("/").text
        assert client.get("/").text == first and len(calls) == 1
        client.get("/?owner=市北区")
        assert len(calls) == 2
        mid = Page(first).rows[0]
        set_status(engine, mid, "done", "", "test", now + dt.timedelta(days=1))
        after = client.get("/").text
        assert len(calls) == 3 and Page(after).tiles["done"] == Page(first).tiles["done"] + 1
    finally:
        Dashboard.view = real
