"""Digest sections (pure, fixed clock) and rendering checked against golden files."""

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from scheduler.notify.digest import build, period_key
from scheduler.notify.render import message_id, render

GOLDEN = Path(__file__).parent / "golden"
TODAY = dt.date(2023, 2, 13)
NOW = dt.datetime(2023, 2, 13, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
CHROMIUM = shutil.which("chromium")


def row(mid, due, *, owner="市北区", rrule=None, created=None, task=None):
    task = task or f"完成第{mid}项工程竣工验收"
    ms = SimpleNamespace(id=mid, title=task[:24], task=task, precision="month", owner=owner,
                         sentence=f"{owner}将在{due:%m}月底前{task}。", time_text="每月" if rrule else "3月底前",
                         rrule=rrule, created_at=created or dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc))
    doc = SimpleNamespace(id="003", source="seeds/003.txt")
    return SimpleNamespace(milestone=ms, document=doc, due=due, days_left=(due - TODAY).days)


ROWS = [
    row("a1", dt.date(2023, 1, 31)),
    row("a2", dt.date(2023, 2, 17), owner="区人社局"),
    row("a3", dt.date(2023, 3, 10), created=dt.datetime(2023, 2, 12, tzinfo=dt.timezone.utc)),
    row("a4", dt.date(2023, 2, 19), rrule="FREQ=WEEKLY", task="到网格走访1次"),
    row("a5", dt.date(2023, 2, 28), rrule="FREQ=MONTHLY", task="召集1次网格座谈会"),
    row("a6", dt.date(2023, 2, 20), owner="区<b>局</b>", task="完成<script>alert(1)</script>整改"),
]
SINCE = dt.datetime(2023, 2, 6, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("schedule,day,expected", [
    ("daily", dt.date(2023, 2, 13), "2023-02-13"), ("weekly", dt.date(2023, 2, 13), "2023-W07"),
    ("weekly", dt.date(2023, 2, 19), "2023-W07"), ("weekly", dt.date(2024, 12, 30), "2025-W01"),
])
def test_period_keys(schedule, day, expected):
    assert period_key(schedule, day) == expected


def test_sections_by_owner():
    digest = build(ROWS, recipient="a@example.org", schedule="weekly", today=TODAY, since=SINCE)
    assert digest.counts == {"overdue": 1, "week": 2, "month": 1, "new": 1, "found": 0, "recurring": 1}
    groups = {g.owner: {k: [line.id for line in v] for k, v in g.sections.items()} for g in digest.groups}
    assert groups["市北区"] == {"overdue": ["a1"], "month": ["a3"], "new": ["a3"], "recurring": ["a4"]}
    assert groups["区人社局"] == {"week": ["a2"]}
    assert digest.groups[0].owner == "市北区"      # owners with overdue items first
    daily = build(ROWS, recipient="a@example.org", schedule="daily", today=TODAY, since=SINCE)
    assert daily.counts["recurring"] == 0          # the weekly duty falls due on Sunday


def rendered():
    digest = build(ROWS, recipient="a@example.org", schedule="weekly", today=TODAY, since=SINCE)
    return render(digest, sender="digest@deadlines.test", domain="deadlines.test", now=NOW,
                  unsubscribe_url="https://feeds.example.org/unsubscribe/tok")


@pytest.mark.parametrize("part,name", [("plain", "digest.txt"), ("html", "digest.html")])
def test_render_matches_golden_file(part, name):
    body = rendered().get_body((part,)).get_content()
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(body, encoding="utf-8")
    assert body == golden.read_text(encoding="utf-8")


def test_headers_are_deterministic_and_html_escaped():
    first, second = rendered(), rendered()
    assert first["Message-ID"] == second["Message-ID"] == message_id("a@example.org", "2023-W07",
                                                                     "deadlines.test")
    html = first.get_body(("html",)).get_content()
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "区&lt;b&gt;局&lt;/b&gt;" in html


def test_user_template_folder_overrides_the_builtin(tmp_path):
    (tmp_path / "digest.txt.j2").write_text("自定义：{{ digest.counts.overdue }} 项逾期\n",
                                            encoding="utf-8")
    digest = build(ROWS, recipient="a@example.org", schedule="weekly", today=TODAY, since=SINCE)
    msg = render(digest, sender="d@x.test", domain="x.test", now=NOW, templates_dir=str(tmp_path))
    assert msg.get_body(("plain",)).get_content() == "自定义：1 项逾期\n"


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="chromium not installed")
def test_html_digest_in_headless_chromium(tmp_path):
    """Opened in a real browser at phone width, the HTML digest shows its sections."""
    assert CHROMIUM, "chromium is required in CI"
    page = tmp_path / "digest.html"
    page.write_text(rendered().get_body(("html",)).get_content(), encoding="utf-8")
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'p'}", "--window-size=390,1400"]
    dom = subprocess.run(flags + ["--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    for title in ("已逾期（1）", "7 天内到期（1）", "30 天内到期（1）", "新增事项（1）", "本期例行事项（1）"):
        assert title in dom
    shot = tmp_path / "digest.png"
    subprocess.run(flags + [f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120)
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    red = sum(1 for r, g, b in image.get_flattened_data() if r > 140 and g < 60 and b < 80)
    assert image.size == (390, 1400) and red > 200
