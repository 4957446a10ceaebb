"""A digest read in ten seconds: its summary agrees with `status --check`, owners are sections,
a shared sentence is quoted once, long sections are cut with a link, lines fit 72 columns."""

import datetime as dt
import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from scheduler.notify.columns import cells
from scheduler.notify.digest import build
from scheduler.notify.render import render

from .conftest import SEEDS, run_cli

CHECK = re.compile(r"(\d+) overdue(?: \(\d+ stale\))?, (\d+) due within 7 days")


class Summary(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("class") == "summary":
            self.found = {k[5:]: int(v) for k, v in attrs.items() if k.startswith("data-")}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("digest")
    env = {"DEADLINES_DB": f"sqlite:///{folder / 'd.db'}", "DEADLINES_SMTP_FROM": "deadlines@localhost"}
    assert run_cli("ingest", str(SEEDS), env=env).returncode == 0
    return folder, env


@pytest.mark.parametrize("today", ["2023-02-13", "2023-06-27", "2023-07-01", "2023-12-26"])
def test_html_summary_equals_status_check(store, today):
    """The subject said `0 项 7 天内到期` while `status --check` said 2 for the same day."""
    folder, env = store
    html = folder / f"{today}.html"
    out = run_cli("digest", "--dry-run", "--to", "a@example.org", "--today", today, "--html",
                  str(html), env=env)
    assert out.returncode == 0, out.stderr
    check = run_cli("status", "--check", "--today", today, env=env).stdout
    overdue, week = map(int, CHECK.search(check).groups())
    parser = Summary()
    parser.feed(html.read_text(encoding="utf-8"))
    assert parser.found["overdue"] == overdue and parser.found["week"] == week
    subject = out.stdout.splitlines()[1]
    assert f"{overdue} 项逾期，{week} 项 7 天内到期" in subject


def test_seed_digest_text_reads_well(store):
    folder, env = store
    out = run_cli("digest", "--dry-run", "--to", "a@example.org", "--today", "2023-07-01", env=env)
    text = out.stdout
    body = text.split("\n\n", 1)[1]
    for line in body.splitlines():
        assert cells(line) <= 72 or " " not in line.strip(), line
    assert str(SEEDS) not in text and "seeds/" not in text and ".txt" not in text
    assert not re.search(r"\b(month|year|day|quarter|half|xun)\b", text)
    assert "localhost" not in text and "退订：请联系本提醒的管理员。" in text
    # the owners' counts add up to the summary
    owners = re.findall(r"· .+?：逾期 (\d+)", body)
    quiet = re.search(r"其他 \d+ 个责任主体：只有长期逾期事项，共 (\d+) 项", body)
    assert sum(map(int, owners)) + int(quiet.group(1)) == int(re.search(r"概况：(\d+) 项逾期", body).group(1))
    # two milestones of one sentence: the sentence is quoted once
    sentence = "原文：加大市政交通基础设施项目征迁保障力度"
    assert body.count(sentence) == 1
    assert "来源：推进“强基层基础 到基层领干 为基层赋能”工程" in body


TODAY = dt.date(2023, 2, 13)


def row(n, days, owner="市北区", sentence=None):
    due = TODAY + dt.timedelta(days=days)
    ms = SimpleNamespace(id=f"m{n:02d}", title=f"完成第{n}项工程", task=f"完成第{n}项工程",
                         precision="month", owner=owner, sentence=sentence or f"句子{n}。",
                         time_text="3月底前", rrule=None, status="open",
                         created_at=dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc))
    doc = SimpleNamespace(id="003", source="/srv/data/003.txt", title="三基工程")
    return SimpleNamespace(milestone=ms, document=doc, due=due, days_left=days)


def message(rows, **options):
    digest = build(rows, recipient="a@example.org", schedule="weekly", today=TODAY, since=None)
    return render(digest, sender="deadlines@localhost", domain="t.test",
                  now=dt.datetime(2023, 2, 13, tzinfo=dt.timezone.utc), **options)


def test_top_n_with_a_link_to_the_filtered_dashboard():
    rows = [row(n, -n) for n in range(1, 9)] + [row(20, -30, owner="区人社局")]
    msg = message(rows, base_url="https://d.example.org/", top=3)
    text = msg.get_body(("plain",)).get_content()
    assert "[已逾期 8]" in text and text.count("  - 完成第") == 4
    assert "…… 还有 5 项：https://d.example.org/?owner=%E5%B8%82%E5%8C%97%E5%8C%BA&bucket=overdue" in text
    assert "https://d.example.org/m/m08" in text and "/m/m01" not in text   # most overdue first
    assert text.index("== 市北区 ==") < text.index("== 区人社局 ==")   # most urgent first
    html = msg.get_body(("html",)).get_content()
    assert 'href="https://d.example.org/m/m08"' in html and "还有 5 项" in html
    bare = message(rows, top=3).get_body(("plain",)).get_content()
    assert "…… 还有 5 项\n" in bare and "http" not in bare


def test_stale_items_are_one_count_line():
    rows = [row(1, -200), row(2, -100), row(3, -5)]
    text = message(rows).get_body(("plain",)).get_content()
    assert "逾期超过 90 天的 2 项长期逾期事项只计数，不逐条列出。" in text
    assert "完成第1项工程" not in text and "完成第3项工程" in text
    assert "3 项逾期（其中 2 项逾期超过 90 天）" in text


@pytest.mark.parametrize("options,header,link", [
    ({}, None, "请联系本提醒的管理员"),
    ({"reply_to": "office@example.org"}, "<mailto:office@example.org?subject=unsubscribe%20a%40example.org>",
     "mailto:office@example.org"),
    ({"reply_to": "root@localhost"}, None, "请联系本提醒的管理员"),
    ({"unsubscribe_url": "https://d.example.org/unsubscribe/t"}, "<https://d.example.org/unsubscribe/t>",
     "https://d.example.org/unsubscribe/t"),
])
def test_unsubscribe_is_real_and_never_localhost(options, header, link):
    msg = message([row(1, -3)], **options)
    assert msg["List-Unsubscribe"] == header
    text = msg.get_body(("plain",)).get_content()
    assert link in text and "localhost" not in text.replace("deadlines@localhost", "")
    assert "localhost" not in msg.get_body(("html",)).get_content()
