"""What a fetched page holds (pure functions, tables): URL dates, canonical URLs, article links,
meta dates, decoding, intervals and back-off; and the source shown as a link everywhere."""

import datetime as dt
from types import SimpleNamespace

import pytest

from scheduler.sources import backoff, parse_every
from scheduler.sources.discover import article, canonical, is_feed, page_links, to_text, url_date

D = dt.date


@pytest.mark.parametrize("url,expected", [
    ("http://www.example.gov.cn/tzgg/202404/t20240402_123456.html", (D(2024, 4, 2), "day")),
    ("https://www.gov.cn/zhengce/content/2021-01/05/content_5577245.htm", (D(2021, 1, 5), "day")),
    ("https://example.gov.cn/art/2024/4/2/art_1229_7788.html", (D(2024, 4, 2), "day")),
    ("https://example.gov.cn/news/20240402/a.html", (D(2024, 4, 2), "day")),
    ("https://example.gov.cn/xxgk/202404/abc.html", (D(2024, 4, 1), "month")),
    ("https://example.gov.cn/news/5577245.html", None),
    ("https://example.gov.cn/t20241341_1.html", None),                # no 13th month
])
def test_dates_in_url_paths(url, expected):
    found = url_date(url)
    if expected is None:
        assert found is None
    else:
        assert found[0] == expected[0] and ("month" in found[1]) == (expected[1] == "month")


@pytest.mark.parametrize("raw,expected", [
    ("HTTP://WWW.Example.gov.cn:80/a.html#top", "http://www.example.gov.cn/a.html"),
    ("https://example.gov.cn", "https://example.gov.cn/"),
    ("https://example.gov.cn:8443/a?id=3&utm_source=wx&spm=1", "https://example.gov.cn:8443/a?id=3"),
])
def test_canonical_urls(raw, expected):
    assert canonical(raw) == expected


LIST = """<html><head><base href="http://example.gov.cn/tzgg/"></head><body>
<header><a href="/tzgg/202404/t20240401_1.html">头部推荐：关于做好春季防火工作的通知</a></header>
<nav><a href="/">首页</a></nav>
<ul class="list">
  <li><a href="202404/t20240402_2.html">关于印发2024年重点工作任务的通知</a></li>
  <li><a href="./202404/t20240403_3.html?utm_source=x">短</a></li>
  <li><a href="/xxgk/notice.html">市北区人民政府关于开展安全生产大检查的通告</a></li>
  <li><a href="http://other.gov.cn/202404/t20240404_4.html">外站文章标题足够长的通知公告</a></li>
  <li><a href="files/任务分解表.pdf">任务分解表（附件下载请点击这里）</a></li>
  <li><a href="javascript:void(0)">打开一个很长很长很长的标题链接</a></li>
</ul>
<div class="page"><a href="index_1.html">下一页</a><a href="index.html">首页</a><a href="#">更多</a></div>
</body></html>"""


def test_auto_follows_same_site_article_links_only():
    links = [link.url for link in page_links(LIST, "http://example.gov.cn/tzgg/index.html", "auto")]
    assert links == ["http://example.gov.cn/tzgg/202404/t20240402_2.html",
                     "http://example.gov.cn/tzgg/202404/t20240403_3.html",
                     "http://example.gov.cn/xxgk/notice.html"]


def test_a_selector_follows_what_it_picks_even_on_other_sites():
    links = [link.url for link in page_links(LIST, "http://example.gov.cn/tzgg/", "ul.list li")]
    assert "http://other.gov.cn/202404/t20240404_4.html" in links
    assert not any(u.startswith("javascript") for u in links) and len(links) == 5


@pytest.mark.parametrize("head,expected,how", [
    ('<meta name="PubDate" content="2024-04-02 09:30">', D(2024, 4, 2), "<meta PubDate>"),
    ('<meta name="firstpublishedtime" content="2021-01-05-06:50:00">', D(2021, 1, 5), "<meta first"),
    ('<meta property="article:published_time" content="2024-04-02T23:10:00+08:00">', D(2024, 4, 2),
     "<meta article:published_time>"),
    ("", D(2024, 3, 9), "page date line"),
])
def test_publication_date_from_meta_tags_then_the_page(head, expected, how):
    html = (f"<html><head>{head}</head><body><h1>标题</h1><p>发布日期：2024-03-09</p>"
            "<p>区教育局将在9月底前完成新校区建设。</p></body></html>")
    found = article(html.encode(), None, "http://example.gov.cn/a/5577245.html", None)
    assert found.published == expected and found.how.startswith(how), found.how


def test_article_text_is_the_content_container_with_the_title():
    html = ('<html><head><title>站名</title></head><body><div class="menu">网站首页 机构设置 政务公开</div>'
            '<h1>关于道路施工的通告</h1><div id="zoom">'
            '<p>区建设局将在6月底前完成道路施工，施工期间请市民注意绕行，给您带来不便敬请谅解。</p>'
            '</div><div class="related">相关新闻 其他标题</div></body></html>')
    found = article(html.encode(), None, "http://example.gov.cn/a.html", None)
    assert found.text.splitlines()[0] == "关于道路施工的通告"
    assert "区建设局将在6月底前完成道路施工" in found.text and "网站首页" not in found.text


def test_declared_gb2312_is_read_as_gb18030_and_undeclared_is_detected():
    text = "关于印发重点工作任务的通知：区教育局将在9月底前完成新校区建设。" * 3
    page = f'<meta charset="gb2312"><p>{text}</p>'.encode("gb18030")
    assert to_text(page, None) == (f'<meta charset="gb2312"><p>{text}</p>', "gb18030")
    assert to_text(text.encode("big5", "ignore"), None)[1].startswith("big5")
    assert to_text(text.encode("utf-8"), "gbk")[1] == "utf-8"


@pytest.mark.parametrize("content_type,body,expected", [
    ("application/rss+xml", b"", True),
    ("text/xml", b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', True),
    ("application/xml", b'<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom"/>', True),
    ("text/html", b"<html><body>rss</body></html>", False),
])
def test_feed_detection(content_type, body, expected):
    assert is_feed(content_type, body) is expected


@pytest.mark.parametrize("text,seconds", [("30m", 1800), ("6h", 21600), ("1d", 86400), (" 2 H ", 7200)])
def test_intervals(text, seconds):
    assert parse_every(text) == seconds


@pytest.mark.parametrize("every,failures,retry_after,hours", [
    (3600, 1, None, 1), (3600, 2, None, 2), (3600, 3, None, 4), (3600, 9, None, 24),
    (6 * 3600, 4, None, 24), (7 * 86400, 3, None, 7 * 24), (3600, 1, 5 * 3600, 5),
])
def test_backoff_doubles_up_to_a_day(every, failures, retry_after, hours):
    assert backoff(every, failures, retry_after) == dt.timedelta(hours=hours)


def test_fetched_documents_link_to_their_page_in_feeds_page_and_status(db_url):
    from starlette.testclient import TestClient

    from scheduler.calendar.build import event
    from scheduler.cli.output import _doc
    from scheduler.config import Settings
    from scheduler.extract import extract
    from scheduler.store import connect, documents, ingest
    from scheduler.web import create_app

    url = "https://www.example.gov.cn/tzgg/202404/t20240402_1.html"
    result = extract("发布日期：2024-04-02\n区教育局将在9月底前完成第三十九中学新校区竣工交付。", doc="w1234567",
                     source=url)
    engine = connect(db_url)
    now = dt.datetime(2024, 4, 3, tzinfo=dt.timezone.utc)
    ingest(engine, url, result, now)
    ms, doc = result.milestones[0], SimpleNamespace(source=url, published=D(2024, 4, 2), id="w1234567")
    row = SimpleNamespace(**{**vars(ms), "id": "w1234567-x", "updated_at": now, "created_at": now,
                             "status": "open", "sequence": 0})
    assert str(event(row, doc, uid_domain="x", alarm_days=3)["url"]) == url
    client = TestClient(create_app(engine, Settings(db=db_url), lambda: D(2024, 9, 1)))
    [(stored, _)] = documents(engine)
    doc_id = stored.id
    assert f'href="/doc/{doc_id}"' in client.get("/").text      # the list links the document page
    page = client.get(f"/doc/{doc_id}")
    assert f'<a href="{url}" rel="noopener noreferrer nofollow">{url}</a>' in page.text
    assert _doc(doc).style.link == url
    assert _doc(SimpleNamespace(source="seeds/003.txt", id="003")) == "003"
