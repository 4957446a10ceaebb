"""Calendar files as an operator meets them: never half-written, one injective safe name each."""

import datetime as dt
import json
import os
import re
import resource
import signal
import subprocess
import sys
import unicodedata
from urllib.parse import quote

import icalendar
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.calendar import safe_name

from .conftest import ROOT, SEEDS, run_cli

WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                    *(f"lpt{i}" for i in range(1, 10))}


def limited(max_bytes: int, kill: bool):
    """A child whose files cannot grow past `max_bytes`: killed by SIGXFSZ at the limit (as by
    a kill mid-write) or, with SIGXFSZ ignored, told EFBIG (as by a full disk)."""
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL if kill else signal.SIG_IGN)
    return apply


def _exported(tmp_path, db_url):
    env = {**os.environ, "DEADLINES_DB": db_url}
    assert run_cli("ingest", str(SEEDS), env=env).returncode == 0
    out = tmp_path / "cal"
    assert run_cli("export", "--out", str(out), env=env).returncode == 0
    row = json.loads(run_cli("status", "--json", "--doc", "003", "--today", "2023-02-13",
                             env=env).stdout)[0]
    assert run_cli("done", row["id"], env=env).returncode == 0     # all.ics must be rewritten
    return out, env


def test_killed_export_leaves_the_previous_calendar_whole(tmp_path, db_url):
    """A kill during `export` left all.ics at 0 bytes (was 3.2 MB) until the next export."""
    out, env = _exported(tmp_path, db_url)
    before = (out / "all.ics").read_bytes()
    # Python ignores SIGXFSZ at start-up; the child restores the default, so the kernel kills
    # it the moment a write crosses the limit, as a kill mid-write would
    code = ("import signal; signal.signal(signal.SIGXFSZ, signal.SIG_DFL); "
            f"from scheduler.cli import main; main(['export', '--out', {str(out)!r}])")
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True,
                          preexec_fn=limited(40_000, True))
    assert proc.returncode == -signal.SIGXFSZ
    assert (out / "all.ics").read_bytes() == before
    events = len(json.loads(run_cli("status", "--json", "--status", "all", env=env).stdout))
    assert len(list(icalendar.Calendar.from_ical(before).walk("VEVENT"))) == events
    again = run_cli("export", "--out", str(out), env=env)
    assert again.returncode == 0 and (out / "all.ics").read_bytes() != before


def test_full_disk_during_export_is_one_line_and_keeps_the_files(tmp_path, db_url):
    """A full disk during `export` truncated the calendars (and the state file)."""
    out, env = _exported(tmp_path, db_url)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    proc = subprocess.run([sys.executable, "-m", "scheduler", "export", "--out", str(out)],
                          env=env, cwd=ROOT, capture_output=True, text=True,
                          preexec_fn=limited(40_000, False))
    assert proc.returncode == 6, proc.stderr
    assert proc.stderr.count("\n") == 1 and "cannot write calendars" in proc.stderr
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before                       # no temporary file left, nothing truncated


TRICKY = ["..", ".", "", "x-9d891e", "市/住建局", "市_住建局", "市_住建局-1fc5a9", "CON", "con",
          "Con", "NUL.txt", "nul", "com1", "LPT9", "a.", "a ", " a", "Abc", "abc", "e\u0301",
          "\u00e9", "../../etc/passwd", "区/../局", "a\\b", "a:b", "a*b", "x" * 300, "x" * 301]


def _check_injective(names):
    files = [safe_name(n) for n in names]
    folded = {unicodedata.normalize("NFC", f).casefold() for f in files}
    assert len(folded) == len(set(names)), "two names share a file on some file system"
    for name, file in zip(names, files, strict=True):
        assert file and len(file.encode("utf-8")) <= 200
        assert not set(file) & set('/\\:*?"<>|') and ".." not in file
        assert not file.startswith((".", " ")) and not file.endswith((".", " "))
        assert file.split(".")[0].casefold() not in WINDOWS_RESERVED, (name, file)
        assert all(ord(c) >= 0x20 for c in file)


def test_one_injective_name_for_files_and_urls():
    """`safe_name('..') == safe_name('x-9d891e')`; `市/住建局` vs `市_住建局-1fc5a9`; CON.ics."""
    _check_injective(TRICKY)
    assert safe_name("市北区") == "市北区" and safe_name("003") == "003"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=12), min_size=2, max_size=8, unique=True))
def test_names_never_collide(names):
    _check_injective(names)


def test_owners_that_clash_on_disk_get_their_own_files_and_feeds(tmp_path):
    """Owners `市/住建局` and `市_住建局-1fc5a9`, `CON` and `con` were merged or unreachable."""
    from scheduler.extract.model import DocumentInfo, Extraction, Milestone
    from scheduler.store import connect, ingest

    url = f"sqlite:///{tmp_path / 'n.db'}"
    engine = connect(url)
    owners = ["市/住建局", "市_住建局-1fc5a9", "CON", "con", "..", "x-9d891e"]
    for i, owner in enumerate(owners):
        ms = Milestone(doc=f"d{i}", due=dt.date(2023, 3, 1 + i), start=None, precision="day",
                       kind="deadline", rrule=None, owner=owner, time_text="3月1日前",
                       task=f"任务{i}", title=f"任务{i}", sentence=f"任务{i}", span=(0, 1),
                       sentence_span=(0, 1), rules=["x"], confidence=1.0, id=f"{i:016x}")
        info = DocumentInfo(f"d{i}", f"d{i}.txt", "utf-8", f"{i:064x}", dt.date(2023, 2, 1), "t")
        ingest(engine, f"d{i}.txt", Extraction(info, [ms]), dt.datetime(2023, 2, 1, tzinfo=dt.timezone.utc))
    out = tmp_path / "cal"
    assert run_cli("export", "--out", str(out), env={"DEADLINES_DB": url}).returncode == 0
    files = sorted((out / "owner").glob("*.ics"))
    assert len(files) == len(owners)
    assert len({f.name.casefold() for f in files}) == len(owners)
    for path in files:
        [event] = icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
        owner = owners[int(re.search(r"任务(\d+)$", str(event["SUMMARY"])).group(1))]
        assert path.name == f"{safe_name(owner)}.ics"
    # the index page's feed links, over real HTTP, each give that owner's one event
    import httpx

    from .test_server_hardening import start

    proc, base = start({**os.environ, "DEADLINES_DB": url})
    try:
        page = httpx.get(f"{base}/").text
        links = re.findall(r'href="(/feeds/owner/[^"]+)"', page)
        assert len(links) == len(owners)
        for link in links:
            answer = httpx.get(base + link)
            assert answer.status_code == 200, link
            [event] = icalendar.Calendar.from_ical(answer.content).walk("VEVENT")
            owner = owners[int(re.search(r"任务(\d+)$", str(event["SUMMARY"])).group(1))]
            assert link == f"/feeds/owner/{quote(safe_name(owner))}.ics"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
