"""What a calendar client shows: owner in the title, a description without server paths, Chinese
labels, done and cancelled visible, recurring duties on their day of the period and ending."""

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import icalendar
import pytest

from scheduler.calendar import describe
from scheduler.calendar.build import event
from scheduler.store.tables import Document, Milestone

from .conftest import SEEDS, run_cli

NOW = dt.datetime(2023, 2, 13, 8, tzinfo=dt.timezone.utc)
ENGLISH = re.compile(r"\b(day|xun|month|quarter|half|year|deadline|start|recurring)\b")


def row(**changes) -> Milestone:
    values = dict(id="003-abc", document_id="003", due=dt.date(2023, 3, 31), start=None,
                  precision="month", kind="deadline", rrule=None, owner="市北区",
                  time_text="3月底前", task="完成河西剩余房屋征迁清零和安置区土地出让工作",
                  title="完成河西剩余房屋征迁清零和安置区土地出让工作",
                  sentence="3月底前完成河西剩余房屋征迁清零和安置区土地出让工作。",
                  span_start=0, span_end=4, rules=["month-end-before"], confidence=0.9, flags=[],
                  status="open", sequence=0, created_at=NOW, updated_at=NOW)
    values.update(changes)
    return Milestone(**values)


def doc(**changes) -> Document:
    values = dict(id="003", source="/srv/deadlines/seeds/003_x.txt", content_hash="0" * 64,
                  published=dt.date(2023, 2, 13), published_how="sidecar", title="市南:三基工程",
                  ingested_at=NOW, updated_at=NOW)
    values.update(changes)
    return Document(**values)


def test_summary_carries_the_owner_and_the_pattern_is_configurable():
    assert describe.summary(row()) == "[市北区] 完成河西剩余房屋征迁清零和安置区土地出让工作"
    assert describe.summary(row(owner=None)).startswith("[未注明] ")
    assert describe.summary(row(), "{title}（{owner}）").endswith("工作（市北区）")
    assert describe.summary(row(), "{nonsense}").startswith("[市北区] ")


def test_description_has_no_title_repeat_no_server_path_and_chinese_labels():
    ev = event(row(), doc(), uid_domain="t.invalid", alarm_days=3)
    text = str(ev["DESCRIPTION"])
    assert not text.startswith(row().title)          # the title is already the SUMMARY
    assert "/srv" not in text and "seeds" not in text and ".txt" not in text
    assert "来源：市南:三基工程" in text and "时间：3月底前（精确到月）" in text
    assert "原文：3月底前完成" in text
    assert not ENGLISH.search(text)
    assert [str(c) for c in ev["CATEGORIES"].cats] == ["市北区", "截止", "月"]
    assert "URL" not in ev


def test_a_web_source_is_linked_and_a_long_task_is_kept():
    ev = event(row(title="完成河西剩余房屋征迁…"), doc(source="https://example.org/a.html", title=""),
               uid_domain="t.invalid", alarm_days=3)
    text = str(ev["DESCRIPTION"])
    assert text.startswith("完成河西剩余房屋征迁清零和安置区土地出让工作\n")
    assert "来源：https://example.org/a.html" in text and str(ev["URL"]) == "https://example.org/a.html"


def test_done_is_checked_without_alarm_and_cancelled_is_cancelled():
    done = event(row(status="done"), doc(), uid_domain="t.invalid", alarm_days=3)
    assert str(done["SUMMARY"]).startswith("✓ [市北区] ") and not done.subcomponents
    assert "状态：已完成" in str(done["DESCRIPTION"])
    cancelled = event(row(status="cancelled"), doc(), uid_domain="t.invalid", alarm_days=3)
    assert cancelled["STATUS"] == "CANCELLED" and not cancelled.subcomponents
    opened = event(row(), doc(), uid_domain="t.invalid", alarm_days=3)
    assert opened["STATUS"] == "CONFIRMED" and opened.subcomponents[0].name == "VALARM"


@pytest.mark.parametrize("rrule,due,published,expected", [
    ("FREQ=WEEKLY", dt.date(2023, 2, 19), dt.date(2023, 2, 13), "FREQ=WEEKLY;UNTIL=20231231;BYDAY=SU"),
    ("FREQ=WEEKLY", dt.date(2022, 4, 24), dt.date(2022, 4, 21), "FREQ=WEEKLY;UNTIL=20221231;BYDAY=SU"),
    ("FREQ=MONTHLY", dt.date(2023, 2, 28), dt.date(2023, 2, 13), "FREQ=MONTHLY;UNTIL=20231231;BYMONTHDAY=-1"),
    ("FREQ=MONTHLY", dt.date(2023, 3, 10), dt.date(2023, 2, 13), "FREQ=MONTHLY;UNTIL=20231231;BYMONTHDAY=10"),
    ("FREQ=MONTHLY;INTERVAL=3", dt.date(2023, 3, 31), dt.date(2023, 2, 13),
     "FREQ=MONTHLY;INTERVAL=3;UNTIL=20231231;BYMONTHDAY=-1"),
    ("FREQ=YEARLY", dt.date(2023, 12, 31), None, "FREQ=YEARLY;UNTIL=20231231;BYMONTH=12;BYMONTHDAY=-1"),
    ("FREQ=WEEKLY;UNTIL=20250630", dt.date(2023, 2, 19), dt.date(2023, 2, 13),
     "FREQ=WEEKLY;UNTIL=20250630;BYDAY=SU"),
])
def test_recurring_duties_have_their_day_and_their_end(rrule, due, published, expected):
    ms = row(rrule=rrule, due=due, kind="recurring", precision="day", time_text="每周")
    assert describe.recurrence(ms, doc(published=published)) == expected


def test_recurring_description_and_categories_say_how_often():
    ms = row(rrule="FREQ=MONTHLY;INTERVAL=3", kind="recurring", precision="quarter", time_text="季度")
    ev = event(ms, doc(), uid_domain="t.invalid", alarm_days=3)
    assert "时间：季度（例行，每季度）" in str(ev["DESCRIPTION"])
    assert [str(c) for c in ev["CATEGORIES"].cats] == ["市北区", "例行", "每季度"]


KHAL = shutil.which("khal", path=str(Path(sys.executable).parent)) or shutil.which("khal")


@pytest.fixture(scope="module")
def seed_export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("khal")
    env = {"DEADLINES_DB": f"sqlite:///{folder / 'k.db'}"}
    assert run_cli("ingest", str(SEEDS), env=env).returncode == 0
    assert run_cli("export", "--out", str(folder / "cal"), env=env).returncode == 0
    return folder


def khal(folder: Path, *args) -> str:
    config = folder / "khal.conf"
    if not config.exists():
        (folder / "vdir").mkdir()
        config.write_text(f"[calendars]\n[[seed]]\npath = {folder / 'vdir'}\ntype = calendar\n"
                          "[locale]\ndateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\n"
                          "timeformat = %H:%M\ndatetimeformat = %Y-%m-%d %H:%M\n"
                          "longdatetimeformat = %Y-%m-%d %H:%M\nlocal_timezone = Asia/Shanghai\n"
                          "default_timezone = Asia/Shanghai\n", encoding="utf-8")
    env = {**os.environ, "HOME": str(folder), "XDG_DATA_HOME": str(folder / "data")}
    out = subprocess.run([KHAL, "-c", str(config), *args], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_khal_lists_2023_with_each_duty_once_per_period_and_ending_with_its_year(seed_export):
    """khal over 2023 listed `每周…` duties of a 2022 campaign in every week of every year."""
    assert KHAL, "khal is installed with the test extra"
    khal(seed_export, "import", "--batch", "-a", "seed", str(seed_export / "cal" / "all.ics"))
    listed = khal(seed_export, "list", "--format", "{start-date}|{uid}|{title}", "--day-format", "",
                  "2023-01-01", "365d")
    rows = [line.split("|", 2) for line in listed.splitlines() if line.count("|") >= 2]
    assert rows and all(title.startswith(("[", "✓ [")) for _, _, title in rows)
    all_ics = icalendar.Calendar.from_ical((seed_export / "cal" / "all.ics").read_bytes())
    duties = {str(ev["UID"]): ev for ev in all_ics.walk("VEVENT") if ev.get("RRULE")}
    assert len(duties) == 11
    period = {"WEEKLY": lambda d: d.isocalendar()[:2], "MONTHLY": lambda d: (d.year, d.month),
              "YEARLY": lambda d: d.year}
    for uid, ev in duties.items():
        days = [dt.date.fromisoformat(d) for d, u, _ in rows if u == uid]
        rule = ev["RRULE"]
        until = rule["UNTIL"][0]
        assert all(d <= until for d in days), uid
        counts = Counter(period[rule["FREQ"][0]](d) for d in days)
        assert all(n == 1 for n in counts.values()), (uid, counts.most_common(1))
        if until.year < 2023:
            assert days == []         # the 2022 campaign's weekly duty is over
    weekly = [uid for uid, ev in duties.items() if "到网格走访" in str(ev["SUMMARY"])][0]
    visits = [dt.date.fromisoformat(d) for d, u, _ in rows if u == weekly]
    assert len(visits) == 46 and visits[-1] == dt.date(2023, 12, 31)
    assert all(d.weekday() == 6 for d in visits)
