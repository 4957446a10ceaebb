"""Fixture pages for the source tests: a government site as it looks from outside.

`/tzgg/` a UTF-8 list page (通知公告), `/gbk/` a GB18030 one, `/rss.xml` a feed, a robots.txt
that disallows `/private/`, and articles that answer 304, 500, slowly, too large, or by
redirecting to `file:`.
"""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime

from tests.site import Site

LAST_MODIFIED = format_datetime(dt.datetime(2024, 4, 2, 1, 0, tzinfo=dt.timezone.utc), usegmt=True)

TASKS = {
    1001: ("区住房城乡建设局", "6月底前", "完成辽阳路快速路工程主体施工"),
    1002: ("区教育局", "9月底前", "实现第三十九中学新校区竣工交付"),
    1003: ("区卫生健康局", "年底前", "建成社区卫生服务中心3处"),
    1004: ("区交通运输局", "8月底前", "完成重庆路大修工程"),
    2001: ("区民政局", "7月底前", "建成社区养老服务站5处"),
    2002: ("区水务局", "10月底前", "完成河道综合整治工程"),
    3001: ("区文化和旅游局", "11月底前", "建成城市书房3处"),
    3002: ("区市场监管局", "12月底前", "完成农贸市场改造提升"),
    4001: ("区城市管理局", "5月底前", "完成背街小巷整治20条"),
}
TITLES = {n: f"关于{task[:8]}的工作安排通知" for n, (_o, _w, task) in TASKS.items()}


def article_html(n: int, *, meta_date: str | None = None, date_line: str | None = None,
                 charset: str = "utf-8", extra: str = "") -> str:
    owner, when, task = TASKS[n]
    head = f'<meta charset="{charset}">'
    if meta_date:
        head += f'<meta name="PubDate" content="{meta_date}">'
    line = f'<div class="info">发布日期：{date_line}</div>' if date_line else ""
    return (f"<!doctype html><html><head>{head}<title>{TITLES[n]}_市北区人民政府</title></head>"
            f'<body><div class="top"><a href="/">首页</a> <a href="/tzgg/">通知公告</a></div>'
            f"<h1>{TITLES[n]}</h1>{line}"
            f'<div class="TRS_Editor"><p>为加快推进重点项目建设，现将有关工作安排如下。</p>'
            f"<p>{owner}将在{when}{task}。</p>{extra}</div>"
            f'<div class="foot">主办单位：市北区人民政府办公室</div></body></html>')


def list_html(links: list[tuple[str, str]], charset: str = "utf-8") -> str:
    items = "".join(f'<li><a href="{href}">{text}</a><span>2024-04-02</span></li>'
                    for href, text in links)
    return (f'<!doctype html><html><head><meta charset="{charset}"><title>通知公告</title></head>'
            f'<body><nav><a href="/">首页</a><a href="/xxgk/">政务公开</a></nav>'
            f'<div class="list"><ul>{items}</ul></div>'
            f'<div class="page"><a href="index_1.html">下一页</a><a href="index_5.html">尾页</a>'
            f'<a href="/files/plan.pdf">附件：任务分解表</a></div></body></html>')


def article_path(n: int, day: int = 2) -> str:
    return f"/tzgg/202404/t202404{day:02d}_{n}.html"


def build(site: Site) -> dict[str, str]:
    """Write the whole site; returns the source URLs by kind."""
    site.page("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    links = [(article_path(1001), TITLES[1001]), (article_path(1002, 3), TITLES[1002]),
             ("/private/t20240404_1003.html", TITLES[1003]),
             (article_path(1004, 5), TITLES[1004]),
             ("/tzgg/202404/t20240406_9001.html", "关于延长办事大厅服务时间的通知公告"),
             ("/tzgg/202404/t20240407_9002.html", "关于公布重点项目建设情况的通知公告"),
             ("/tzgg/202404/t20240408_9003.html", "关于调整窗口办事指南有关事项的通知"),
             ("/tzgg/202404/t20240409_9004.html", "关于发布政务服务事项清单的通知公告")]
    site.page("/tzgg/", list_html(links), etag='"list-1"')
    site.page(article_path(1001), article_html(1001, meta_date="2024-04-02 09:30"), etag='"a1001"')
    site.page(article_path(1002, 3), article_html(1002, date_line="2024-04-03 10:00"),
              last_modified=LAST_MODIFIED)
    site.page("/private/t20240404_1003.html", article_html(1003, meta_date="2024-04-04"))
    site.page(article_path(1004, 5), "server error", status=500, content_type="text/plain")
    site.page("/tzgg/202404/t20240406_9001.html", article_html(1001), delay=3.0)
    site.page("/tzgg/202404/t20240407_9002.html", "<p>" + "很长" * 400_000 + "</p>")
    site.page("/tzgg/202404/t20240408_9003.html", "", status=302,
              headers={"Location": "file:///etc/passwd"})
    site.page("/tzgg/202404/t20240409_9004.html", b"%PDF-1.4 ...", content_type="application/pdf")
    # GB18030 list page and articles (the meta tag says gb2312, as such sites do)
    gbk = [(f"/gbk/202405/t2024051{i}_{n}.html", TITLES[n]) for i, n in ((1, 2001), (2, 2002))]
    site.page("/gbk/", list_html(gbk, "gb2312").encode("gb18030"),
              content_type="text/html", last_modified=LAST_MODIFIED)
    site.page(gbk[0][0], article_html(2001, date_line="2024年5月11日", charset="gb2312")
              .encode("gb18030"), content_type="text/html")
    site.page(gbk[1][0], article_html(2002, charset="gb2312").encode("gb18030"),
              content_type="text/html")       # no date on the page: the URL path gives it
    # an RSS feed whose second entry's page has no date: the feed entry gives it
    site.page("/rss.xml", rss([(site.url("/news/a3001.html"), TITLES[3001],
                                "Mon, 06 May 2024 02:00:00 GMT"),
                               (site.url("/news/a3002.html"), TITLES[3002],
                                "Mon, 06 May 2024 17:30:00 GMT")]),
              content_type="application/rss+xml", etag='"rss-1"')
    site.page("/news/a3001.html", article_html(3001, meta_date="2024-05-06"))
    site.page("/news/a3002.html", article_html(3002))
    return {"list": site.url("/tzgg/"), "gbk": site.url("/gbk/"), "rss": site.url("/rss.xml")}


def rss(items: list[tuple[str, str, str]]) -> str:
    entries = "".join(f"<item><title>{t}</title><link>{href}</link><pubDate>{d}</pubDate></item>"
                      for href, t, d in items)
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>市北区新闻</title><link>/</link>{entries}</channel></rss>")
