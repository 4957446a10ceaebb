"""Documents remember where they came from; every place that shows a source shows that address
or the document's title, never a path on the server's disk."""

import datetime as dt
import json

import icalendar

from .conftest import run_cli

PAGE = """<html><head><title>市北区三月工作安排</title>
<link rel="canonical" href="https://www.example.gov.cn/news/2023/0213.html"></head>
<body><h1>市北区三月工作安排</h1><p>市北区将在3月底前完成河西剩余房屋征迁清零工作。</p></body></html>"""
TEXT = "市南区三月工作安排\n\n市南区将在6月底前完成全区135个居民小区更新改造。\n"


def test_sources_are_addresses_or_titles_never_paths(tmp_path):
    html = tmp_path / "page.html"
    html.write_text(PAGE, encoding="utf-8")
    text = tmp_path / "plan.txt"
    text.write_text(TEXT, encoding="utf-8")
    (tmp_path / "plan.meta.toml").write_text('doc = "plan"\npublished = 2023-02-13\n'
                                             'url = "https://www.example.gov.cn/plan.html"\n',
                                             encoding="utf-8")
    env = {"DEADLINES_DB": f"sqlite:///{tmp_path / 's.db'}"}
    result = run_cli("ingest", "--published", "2023-02-13", str(html), env=env)
    assert result.returncode == 0, result.stderr
    assert run_cli("ingest", str(text), env=env).returncode == 0
    rows = json.loads(run_cli("status", "--json", "--today", "2023-02-13", env=env).stdout)
    assert {r["source"] for r in rows} == {"https://www.example.gov.cn/news/2023/0213.html",
                                           "https://www.example.gov.cn/plan.html"}
    out = tmp_path / "cal"
    assert run_cli("export", "--out", str(out), env=env).returncode == 0
    for path in out.rglob("*.ics"):
        assert str(tmp_path).encode() not in path.read_bytes()
    cal = icalendar.Calendar.from_ical((out / "all.ics").read_bytes())
    urls = {str(ev["URL"]) for ev in cal.walk("VEVENT")}
    assert urls == {r["source"] for r in rows}
    digest = run_cli("digest", "--dry-run", "--to", "a@example.org", "--today", "2023-03-27", env=env)
    assert "https://www.example.gov.cn/news/2023/0213.html" in digest.stdout
    assert str(tmp_path) not in digest.stdout

    from starlette.testclient import TestClient

    from scheduler import config
    from scheduler.store import connect
    from scheduler.web import create_app

    client = TestClient(create_app(connect(env["DEADLINES_DB"]), config.Settings(),
                                   lambda: dt.date(2023, 3, 1)))
    page = client.get(f"/doc/{rows[0]['doc']}").text + client.get(f"/m/{rows[0]['id']}").text
    assert 'href="https://www.example.gov.cn/' in page and str(tmp_path) not in page
    assert str(tmp_path) not in client.get("/").text
