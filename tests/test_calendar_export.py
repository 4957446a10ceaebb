"""`deadlines export` output read back by independent parsers, and our own RFC 5545 checks."""

import hashlib
import json

import icalendar
import ics

from .conftest import SEEDS, run_cli


def _export(tmp_path, db_url):
    env = {"DEADLINES_DB": db_url}
    assert run_cli("ingest", str(SEEDS), env=env).returncode == 0
    out = tmp_path / "cal"
    result = run_cli("export", "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    return out, env


def _check_lines(data: bytes):
    assert data.endswith(b"\r\n")
    for line in data.split(b"\r\n")[:-1]:
        assert len(line) <= 75, line
        line.decode("utf-8")           # a fold never splits a UTF-8 character
        assert b"\n" not in line and b"\r" not in line


def test_export_is_valid_and_stable(tmp_path, db_url):
    out, env = _export(tmp_path, db_url)
    files = sorted(out.rglob("*.ics"))
    assert (out / "all.ics").exists() and len(files) > 5
    digests = {f: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}
    for path in files:
        data = path.read_bytes()
        _check_lines(data)
        cal = icalendar.Calendar.from_ical(data)
        events = list(cal.walk("VEVENT"))
        assert events
        for ev in events:
            assert ev.get("UID") and ev.get("DTSTAMP")
            assert ev.decoded("DTEND") > ev.decoded("DTSTART")
            assert ev.subcomponents == [] or ev.subcomponents[-1].name == "VALARM"
        assert cal.get("X-WR-TIMEZONE") == "Asia/Shanghai"
        assert list(cal.walk("VTIMEZONE"))
        parsed = ics.Calendar(data.decode("utf-8"))
        assert len(parsed.events) == len(events)
    allcal = icalendar.Calendar.from_ical((out / "all.ics").read_bytes())
    stored = json.loads(run_cli("status", "--status", "all", "--format", "json", "-n", "0", env=env).stdout)
    assert len(list(allcal.walk("VEVENT"))) == len(stored) > 40   # every stored milestone, once
    rrules = [ev for ev in allcal.walk("VEVENT") if ev.get("RRULE")]
    assert len(rrules) == 11
    again = run_cli("export", "--out", str(out), env=env)
    assert "0 rewritten" in again.stdout
    assert digests == {f: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def test_changed_milestone_bumps_sequence(tmp_path, db_url):
    out, env = _export(tmp_path, db_url)
    import json

    row = json.loads(run_cli("status", "--json", "--doc", "002", "--today", "2022-05-01",
                             env=env).stdout)[0]
    assert run_cli("done", row["id"], env=env).returncode == 0
    run_cli("export", "--out", str(out), env=env)
    cal = icalendar.Calendar.from_ical((out / "all.ics").read_bytes())
    [ev] = [e for e in cal.walk("VEVENT") if str(e["UID"]).startswith(row["id"])]
    assert int(ev["SEQUENCE"]) == row["sequence"] + 1


def test_owner_names_cannot_escape_the_folder():
    from scheduler.calendar import safe_name

    for name in ["../../etc/passwd", "a/b", "..", "", "区/../局"]:
        safe = safe_name(name)
        assert "/" not in safe and ".." not in safe and safe


def test_recurring_duties_expand_to_period_ends(tmp_path, db_url):
    """`每月召集1次网格座谈会` (published 2023-02-13) recurs at every month end, not on the 28th."""
    import datetime as dt

    import recurring_ical_events

    out, _ = _export(tmp_path, db_url)
    cal = icalendar.Calendar.from_ical((out / "all.ics").read_bytes())
    events = recurring_ical_events.of(cal).between(dt.date(2023, 3, 1), dt.date(2023, 6, 1))
    meetings = sorted(e.decoded("DTSTART") for e in events if "网格座谈会" in str(e["SUMMARY"]))
    assert meetings == [dt.date(2023, 3, 31), dt.date(2023, 4, 30), dt.date(2023, 5, 31)]
    weekly = [e for e in events if "到网格走访" in str(e["SUMMARY"])]
    assert len(weekly) == 13 and all(e.decoded("DTSTART").weekday() == 6 for e in weekly)
    quarterly = sorted(e.decoded("DTSTART") for e in events if "夺旗打擂" in str(e["SUMMARY"]))
    assert quarterly == [dt.date(2023, 3, 31)]


def test_every_exported_file_reads_in_ical_js_and_recurrences_expand(tmp_path, db_url):
    """Mozilla's ical.js reads every exported file; the seeds' duties expand to period ends."""
    from .test_feeds import ical_js

    out, _ = _export(tmp_path, db_url)
    for path in sorted(out.rglob("*.ics")):
        parsed = ical_js(path, "2023-03-01", "2023-06-01")
        cal = icalendar.Calendar.from_ical(path.read_bytes())
        assert len(parsed["events"]) == len(list(cal.walk("VEVENT")))
        assert parsed["timezones"] == ["Asia/Shanghai"]
        tzids = {str(p.params["TZID"]) for c in cal.walk() for p in c.values()
                 if hasattr(p, "params") and "TZID" in p.params}
        assert tzids <= {"Asia/Shanghai"}
    events = ical_js(out / "all.ics", "2023-03-01", "2023-06-01")["events"]
    meetings = [e for e in events if e["summary"].endswith("] 召集1次网格座谈会")][0]
    assert meetings["occurrences"] == ["2023-03-31", "2023-04-30", "2023-05-31"]
    weekly = [e for e in events if e["summary"].endswith("] 到网格走访1次")][0]
    assert weekly["occurrences"][:2] == ["2023-03-05", "2023-03-12"] and len(weekly["occurrences"]) == 13
    assert all(e["isDate"] and e["end"] > e["start"] for e in events)


def test_import_reads_an_exported_calendar_back(tmp_path, db_url):
    """`deadlines import` (ics.py) brings a calendar's events into another store; re-import is a no-op."""
    out, _ = _export(tmp_path, db_url)
    other = {"DEADLINES_DB": f"sqlite:///{tmp_path / 'other.db'}"}
    events = len(icalendar.Calendar.from_ical((out / "doc" / "003.ics").read_bytes()).walk("VEVENT"))
    first = run_cli("import", str(out / "doc" / "003.ics"), env=other)
    assert first.returncode == 0 and f"new; milestones: {events} added" in first.stdout
    again = run_cli("import", str(out / "doc" / "003.ics"), env=other)
    assert "unchanged" in again.stdout
    rows = json.loads(run_cli("status", "--json", "--today", "2023-02-13", env=other).stdout)
    assert len(rows) == events > 20
    hexi = [r for r in rows if r["title"].startswith("完成河西剩余房屋征迁清零")][0]
    assert hexi["due"] == "2023-03-31" and hexi["owner"] == "市北区"
    bad = tmp_path / "bad.ics"
    bad.write_text("not a calendar", encoding="utf-8")
    result = run_cli("import", str(bad), env=other)
    assert result.returncode == 4 and "not a readable iCalendar file" in result.stderr
