"""Watched sources against a real HTTP server on loopback serving fixture pages (tests/site.py):
list pages in UTF-8 and GB18030, an RSS feed, 304s, a robots.txt that disallows a path, a 500,
a slow page, an oversize page, a redirect to `file:`."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from scheduler import sources
from scheduler.config import Settings
from scheduler.notify import outbox
from scheduler.notify.render import render
from scheduler.store import Document, Milestone, subscribers, watch

from .site import Site
from .site_pages import TASKS, article_html, article_path, build, list_html

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2024, 5, 20, 9, 0, tzinfo=TZ)


@pytest.fixture
def site():
    with Site() as running:
        running.urls = build(running)
        yield running


@pytest.fixture
def settings(db_url):
    return Settings(db=db_url, source_host_interval=0.01, source_timeout=1.0,
                    source_max_bytes=1_000_000, source_contact="office@example.org")


def add_all(engine, site, **kwargs):
    sources.add(engine, url=site.urls["list"], name="tzgg", every="6h", follow="auto",
                max_new=20, owner=None, now=NOW, **kwargs)
    sources.add(engine, url=site.urls["gbk"], name="gbk", every="6h", follow=".list a",
                max_new=20, owner=None, now=NOW)
    sources.add(engine, url=site.urls["rss"], name="rss", every="6h", follow=None, max_new=20,
                owner=None, now=NOW)


def docs(engine) -> dict[str, Document]:
    with Session(engine) as session:
        return {d.source: d for d in session.exec(select(Document))}


def milestones(engine) -> list[Milestone]:
    with Session(engine) as session:
        return list(session.exec(select(Milestone).order_by(Milestone.id)))


def test_first_run_ingests_the_allowed_articles_once_with_dates_and_sources(engine, settings, site):
    add_all(engine, site)
    outcomes = {o.name: o for o in sources.run_now(engine, settings, NOW)}
    assert {o.kind for o in outcomes.values()} == {"list", "feed"}
    stored = docs(engine)
    url = site.url
    expected = {
        url(article_path(1001)): (dt.date(2024, 4, 2), "<meta PubDate>", "utf-8"),
        url(article_path(1002, 3)): (dt.date(2024, 4, 3), "page date line", "utf-8"),
        url("/gbk/202405/t20240511_2001.html"): (dt.date(2024, 5, 11), "page date line", "gb18030"),
        url("/gbk/202405/t20240512_2002.html"): (dt.date(2024, 5, 12), "URL path", "gb18030"),
        url("/news/a3001.html"): (dt.date(2024, 5, 6), "<meta PubDate>", "utf-8"),
        # the feed says 17:30 GMT on the 6th: the 7th in Shanghai
        url("/news/a3002.html"): (dt.date(2024, 5, 7), "feed entry date", "utf-8"),
    }
    assert set(stored) == set(expected)
    for source, (day, how, encoding) in expected.items():
        doc = stored[source]
        assert (doc.published, doc.encoding) == (day, encoding), source
        assert doc.published_how.startswith(how), doc.published_how
    tasks = {m.task: (m.owner, stored_source) for m in milestones(engine)
             for stored_source, d in stored.items() if d.id == m.document_id}
    for n in (1001, 1002, 2001, 2002, 3001, 3002):
        owner, _when, task = TASKS[n]
        assert tasks[task][0] == owner
    assert TASKS[1003][2] not in tasks
    assert not site.requests("/private/t20240404_1003.html")      # robots.txt disallows it
    assert len(site.requests("/robots.txt")) == 1                  # asked once per run and host
    tzgg = outcomes["tzgg"]
    assert (tzgg.new, tzgg.skipped, tzgg.failed) == (2, 2, 4)      # private + pdf; 500, slow, big, file:
    problems = "\n".join(tzgg.problems)
    for needle in ("t20240405_1004.html: HTTP 500", "t20240406_9001.html: no answer within 1 s",
                   "t20240407_9002.html: larger than the limit", "redirect to a non-http(s) URL"):
        assert needle in problems
    assert not any(h.path.startswith(("/index_", "/tzgg/index_", "/files/")) for h in site.requests())
    agent = site.requests("/tzgg/")[0].headers["user-agent"]
    assert agent.startswith("deadlines/") and "office@example.org" in agent


def test_second_run_sends_conditional_requests_and_stores_nothing_new(engine, settings, site):
    add_all(engine, site)
    sources.run_now(engine, settings, NOW)
    before = [(m.id, m.sequence, m.updated_at) for m in milestones(engine)]
    first = len(site.requests())
    outcomes = sources.run_now(engine, settings, NOW + dt.timedelta(hours=6))
    again = site.requests()[first:]
    by_path = {h.path: h for h in again}
    assert by_path["/tzgg/"].headers["if-none-match"] == '"list-1"' and by_path["/tzgg/"].status == 304
    assert by_path["/gbk/"].headers["if-modified-since"] and by_path["/gbk/"].status == 304
    assert by_path["/rss.xml"].status == 304
    assert by_path[article_path(1001)].headers["if-none-match"] == '"a1001"'
    assert by_path[article_path(1001)].status == 304
    assert by_path[article_path(1002, 3)].status == 304
    assert sum(o.new + o.updated for o in outcomes) == 0
    assert [(m.id, m.sequence, m.updated_at) for m in milestones(engine)] == before


def test_new_article_is_ingested_next_run_and_listed_in_the_digest(engine, settings, site):
    add_all(engine, site)
    sources.run_now(engine, settings, NOW)
    person = subscribers.subscribe(engine, "office@example.org", owner=None, doc=None,
                                   schedule="weekly", at="08:00", now=NOW + dt.timedelta(hours=1))
    links = [(article_path(4001, 21), "关于开展背街小巷环境整治的通知"), (article_path(1001), "旧")]
    site.page("/tzgg/", list_html(links), etag='"list-2"')
    site.page(article_path(4001, 21), article_html(4001, meta_date="2024-05-21"))
    later = NOW + dt.timedelta(hours=6)
    [outcome] = sources.run_now(engine, settings, later, "tzgg")
    assert (outcome.new, outcome.added) == (1, 1)
    new_url = site.url(article_path(4001, 21))
    assert docs(engine)[new_url].published == dt.date(2024, 5, 21)
    digest = outbox.build_digest(engine, person, dt.date(2024, 5, 27))
    found = [line for g in digest.groups for line in g.sections.get("found", [])]
    assert [(line.task, line.link) for line in found] == [(TASKS[4001][2], new_url)]
    assert found[0].source in (new_url, docs(engine)[new_url].title)   # its title, or its address
    assert digest.counts["found"] == 1 and digest.counts["new"] == 0
    message = render(digest, sender="d@example.org", domain="example.org", now=later)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "[新发现 1]" in text and new_url in text and "1 项新发现" in message["Subject"]
    assert f'<a href="{new_url}">' in html


def test_changed_page_updates_its_milestones_in_place(engine, settings, site):
    add_all(engine, site)
    sources.run_now(engine, settings, NOW, "tzgg")
    doc = docs(engine)[site.url(article_path(1001))]
    [old] = [m for m in milestones(engine) if m.document_id == doc.id]
    site.page(article_path(1001), article_html(1001, meta_date="2024-04-02 09:30",
                                               extra="<p>区住房城乡建设局将在6月底前完成辽阳路快速路工程主体施工。"
                                                     "区园林局年底前完成沿线绿化。</p>"),
              etag='"a1001-v2"')
    [outcome] = sources.run_now(engine, settings, NOW + dt.timedelta(hours=6), "tzgg")
    assert outcome.updated == 1 and outcome.added == 1
    assert docs(engine)[site.url(article_path(1001))].id == doc.id
    rows = {m.task: m for m in milestones(engine) if m.document_id == doc.id}
    assert rows[old.task].id == old.id
    assert "完成沿线绿化" in rows


def test_same_article_under_another_url_is_stored_once(engine, settings, site):
    page = article_html(1001, meta_date="2024-04-02")
    site.page("/a/t20240402_1.html", page)
    site.page("/b/t20240402_1.html", page)
    site.page("/dup/", list_html([("/a/t20240402_1.html", "甲"), ("/b/t20240402_1.html?utm_source=x", "乙"),
                                  ("/a/t20240402_1.html#top", "甲")]))
    sources.add(engine, url=site.url("/dup/"), name="dup", every="1h", follow=".list a", max_new=20,
                owner=None, now=NOW)
    [outcome] = sources.run_now(engine, settings, NOW, "dup")
    assert (outcome.links, outcome.new, outcome.unchanged) == (2, 1, 1)
    assert len(docs(engine)) == 1


def test_at_most_max_new_a_run_and_the_rest_next_run(engine, settings, site):
    sources.add(engine, url=site.urls["gbk"], name="gbk-one", every="1h", follow="auto",
                max_new=1, owner="市北区", now=NOW)
    [first] = sources.run_now(engine, settings, NOW, "gbk-one")
    [second] = sources.run_now(engine, settings, NOW + dt.timedelta(hours=1), "gbk-one")
    assert (first.new, first.waiting, second.new, second.waiting) == (1, 1, 1, 0)


def test_default_owner_fills_milestones_that_name_none(engine, settings, site):
    page = article_html(1001, meta_date="2024-04-02").replace("区住房城乡建设局将在", "将在")
    site.page("/solo/t20240402_7.html", page)
    sources.add(engine, url=site.url("/solo/t20240402_7.html"), name="solo", every="1d",
                follow=None, max_new=1, owner="市北区住建局", now=NOW)
    [outcome] = sources.run_now(engine, settings, NOW, "solo")
    assert outcome.kind == "page" and outcome.new == 1
    assert {m.owner for m in milestones(engine)} == {"市北区住建局"}


def test_requests_to_one_host_are_a_second_apart_by_default(engine, db_url, site):
    settings = Settings(db=db_url, source_timeout=1.0)      # source_host_interval: 1 s
    sources.add(engine, url=site.urls["rss"], name="rss", every="6h", follow=None, max_new=20,
                owner=None, now=NOW)
    sources.run_now(engine, settings, NOW)
    times = [h.at for h in site.requests()]
    assert len(times) == 4        # robots.txt, the feed, two articles
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.9, gaps


def test_failing_source_backs_off_and_shows_its_error_without_stopping_the_others(engine, settings, site):
    site.page("/down/", "maintenance", status=503, headers={"Retry-After": "7200"},
              content_type="text/plain")
    sources.add(engine, url=site.url("/down/"), name="down", every="1h", follow="auto",
                max_new=5, owner=None, now=NOW)
    add_all(engine, site)
    outcomes = {o.name: o for o in sources.run_due(engine, settings, NOW)}
    assert outcomes["down"].error.endswith("/down/: HTTP 503")
    assert outcomes["rss"].new == 2 and outcomes["gbk"].new == 2
    down = watch.get(engine, "down")
    assert down.failures == 1 and "HTTP 503" in down.last_error
    assert down.next_run == NOW + dt.timedelta(hours=2)          # Retry-After beats the 1h interval
    assert [o.name for o in sources.run_due(engine, settings, NOW + dt.timedelta(hours=1))] == []
    site.page("/down/", "still down", status=500, content_type="text/plain")
    sources.run_due(engine, settings, NOW + dt.timedelta(hours=2))
    down = watch.get(engine, "down")
    assert down.failures == 2 and down.next_run == NOW + dt.timedelta(hours=4)
    assert watch.get(engine, "rss").next_run == NOW + dt.timedelta(hours=6)


def test_unreachable_robots_txt_means_nothing_is_fetched_from_the_site(engine, settings, site):
    site.page("/robots.txt", "oops", status=500, content_type="text/plain")
    sources.add(engine, url=site.urls["rss"], name="rss", every="6h", follow=None, max_new=20,
                owner=None, now=NOW)
    [outcome] = sources.run_now(engine, settings, NOW)
    assert "robots.txt unreachable" in outcome.error
    assert [h.path for h in site.requests()] == ["/robots.txt"]


def test_a_public_source_cannot_lead_to_this_machine():
    from scheduler.sources.politeness import Zone

    public = Zone("http://8.8.8.8/list/")
    assert not public.allows("http://127.0.0.1:8000/admin") and public.allows("http://8.8.4.4/a")
    assert Zone("http://127.0.0.1/list/").allows("http://10.0.0.1/a")


def test_digest_without_fetched_documents_is_unchanged():
    from scheduler.notify.digest import build

    digest = build([], recipient="a@example.org", schedule="weekly", today=NOW.date(),
                   since=None, found=[])
    assert digest.counts["found"] == 0 and "新发现" not in digest.subject()
    from scheduler.store.labels import public_url

    assert public_url("javascript:alert(1)") is None      # a source is linked only when it is a web page
