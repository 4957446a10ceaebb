"""Ingest as a hostile user and an operator meet it: every document its own unit, nothing hangs,
no worker outlives its parent, and cron sees failures in the exit code."""

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from sqlmodel import Session, select

from scheduler.store import Document, connect

from .conftest import ROOT, SEEDS, fresh_pg_url, run_cli

PLAN = "发布日期：2023-02-13\n区水务局将在3月底前完成河道清淤。\n"


def write(path: Path, text: str, doc: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if doc is not None:
        path.with_name(path.stem + ".meta.toml").write_text(
            f'doc = "{doc}"\npublished = 2023-02-13\n', encoding="utf-8")
    return path


def documents(url: str) -> list[Document]:
    with Session(connect(url)) as session:
        return list(session.exec(select(Document).order_by(Document.id)))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request, tmp_path):
    return f"sqlite:///{tmp_path / 'u.db'}" if request.param == "sqlite" else fresh_pg_url()


def test_ingest_exits_4_when_any_file_failed(tmp_path, db_url):
    """`ingest` printed "1 new … 1 failed" and exited 0: cron could not see the failure."""
    write(tmp_path / "in" / "good.txt", PLAN)
    (tmp_path / "in" / "bad.txt").write_bytes(b"\x00\x01\x02\xff" * 50)
    result = run_cli("ingest", str(tmp_path / "in"), env={"DEADLINES_DB": db_url})
    assert result.returncode == 4, result.stderr
    assert "1 new" in result.stdout and "1 failed" in result.stdout


def test_copies_whose_sidecars_share_a_doc_id(tmp_path, url):
    """Copies of one plan, each with `doc = "000"` in its sidecar: the bulk ingest died with
    exit 70 (UNIQUE documents.id) and kept only what it stored before."""
    for name in ("a", "b", "c"):
        write(tmp_path / "in" / name / "plan.txt", PLAN, doc="000")
    write(tmp_path / "in" / "d" / "other.txt", PLAN.replace("3月", "5月"), doc="000")
    write(tmp_path / "in" / "e" / "last.txt", PLAN.replace("3月", "6月"), doc="001")
    result = run_cli("ingest", str(tmp_path / "in"), env={"DEADLINES_DB": url})
    assert result.returncode == 0, result.stderr
    assert "3 new" in result.stdout and "2 duplicate" in result.stdout
    lines = result.stderr.splitlines()
    assert sum("same content as doc 000" in line for line in lines) == 2
    assert any("doc 000 already used by" in line and "other.txt" in line for line in lines)
    ids = [d.id for d in documents(url)]
    assert len(ids) == 3 and "000" in ids and "001" in ids
    assert run_cli("ingest", str(tmp_path / "in"), env={"DEADLINES_DB": url}).returncode == 0
    assert len(documents(url)) == 3


def test_concurrent_ingests_store_each_document_once(tmp_path, url):
    """`ingest A & ingest A` → UNIQUE documents.source, exit 70; and two folders that share
    sidecar doc ids ingested at once → the second stored 0 of its documents."""
    seed = next(SEEDS.glob("003_*.txt")).read_text(encoding="utf-8")
    for i in range(12):
        write(tmp_path / "A" / f"a{i:02}.txt", f"{seed}\n第{i}号", doc=f"{i:03}")
        write(tmp_path / "B" / f"b{i:02}.txt", f"{seed}\n乙{i}号", doc=f"{i:03}")
    env = {**os.environ, "DEADLINES_DB": url}
    runs = [["ingest", str(tmp_path / "A")], ["ingest", str(tmp_path / "A")],
            ["ingest", str(tmp_path / "B")]]
    procs = [subprocess.Popen([sys.executable, "-m", "scheduler", *args], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for args in runs]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], "\n".join(out + err for out, err in outs)
    docs = documents(url)
    assert len(docs) == 24 and len({d.source for d in docs}) == 24
    assert sum("-" in d.id for d in docs) == 12          # one folder's ids were taken: derived
    assert sum(err.count("already used by") for _, err in outs) == 12
    assert "12 new" in outs[2][0]


def test_long_names_have_the_same_limits_on_both_back_ends(tmp_path, url):
    """A 100-character file name aborted the whole ingest on PostgreSQL (varchar(64) →
    DataError, exit 70) while SQLite accepted it."""
    long_stem = "关于" + "x" * 98
    write(tmp_path / "in" / f"{long_stem}.txt", PLAN)
    write(tmp_path / "in" / "explicit.txt", PLAN.replace("3月", "4月"), doc="d" * 100)
    write(tmp_path / "in" / "z.txt", PLAN.replace("3月", "5月"))
    result = run_cli("ingest", str(tmp_path / "in"), env={"DEADLINES_DB": url})
    assert result.returncode == 4, result.stderr
    assert "2 new" in result.stdout and "1 failed" in result.stdout
    [line] = [x for x in result.stderr.splitlines() if "explicit.txt" in x]
    assert "is 100 characters; the limit is 64" in line
    ids = [d.id for d in documents(url)]
    assert "z" in ids and any(i.startswith("关于xx") and len(i) <= 64 for i in ids)


def unprivileged():
    """As root (CI), a child without the capabilities that let root read a mode-000 folder:
    CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH leave the bounding set before exec."""
    if os.geteuid() != 0:
        return None
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2

    def drop():
        for cap in (cap_dac_override, cap_dac_read_search):
            if libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")
    return drop


def test_unreadable_folders_are_reported_and_the_rest_ingested():
    """A mode-000 folder named on the command line aborted the ingest (PermissionError in
    `expand`, exit 70, the good files lost); one inside a folder was skipped silently."""
    base = Path(tempfile.mkdtemp(prefix="deadlines-perm-"))   # world-readable parents
    try:
        base.chmod(0o777)
        write(base / "good" / "a.txt", PLAN)
        write(base / "good" / "locked" / "hidden.txt", PLAN.replace("3月", "4月"))
        write(base / "closed" / "b.txt", PLAN.replace("3月", "5月"))
        for folder in (base / "good", base / "good" / "locked", base / "closed"):
            folder.chmod(0o777)
        for path in base.rglob("*"):
            if path.is_file():
                path.chmod(0o666)
        (base / "good" / "locked").chmod(0)
        (base / "closed").chmod(0)
        env = {**os.environ, "DEADLINES_DB": f"sqlite:///{base / 'p.db'}", "HOME": str(base),
               "PYTHONDONTWRITEBYTECODE": "1"}
        result = subprocess.run([sys.executable, "-m", "scheduler", "ingest", str(base / "closed"),
                                 str(base / "good")], env=env, cwd=ROOT, capture_output=True,
                                text=True, timeout=300, preexec_fn=unprivileged())
        assert result.returncode == 4, result.stderr
        assert "1 new" in result.stdout and "2 failed" in result.stdout
        lines = result.stderr.splitlines()
        assert any("closed" in line and "cannot read folder: permission denied" in line
                   for line in lines), lines
        assert any("locked" in line and "cannot read folder" in line for line in lines), lines
        assert "Traceback" not in result.stderr
    finally:
        for path in (base / "good" / "locked", base / "closed"):
            path.chmod(stat.S_IRWXU)
        shutil.rmtree(base)


@pytest.mark.parametrize("url", ["sqlite:///", "sqlite://"])
def test_sqlite_url_without_a_file_is_refused(url, tmp_path):
    """`--db sqlite:///` silently used an in-memory database and reported success."""
    result = run_cli("--db", url, "ingest", str(SEEDS))
    assert result.returncode == 6
    assert result.stderr.count("\n") == 1 and "names no file" in result.stderr
    assert "sqlite:///:memory:" in result.stderr
    empty = run_cli("--db", "sqlite:///:memory:", "status")     # accepted: an empty store, not an error
    assert empty.returncode == 1 and empty.stderr.strip() == "No milestones"


def test_sqlite_path_in_a_missing_folder_is_refused(tmp_path):
    """A database path whose folder does not exist was created (somewhere) instead of refused."""
    missing = tmp_path / "no" / "such"
    result = run_cli("--db", f"sqlite:///{missing / 'x.db'}", "status")
    assert result.returncode == 6 and "does not exist" in result.stderr
    assert not missing.exists()


def test_deeply_nested_html_is_read_in_one_pass(tmp_path):
    """200,000 nested <div> in 2.2 MB: no result after 300 s (quadratic HTML walk)."""
    page = tmp_path / "nested.html"
    page.write_text("<html><body>" + "<div>" * 200_000 + PLAN + "</div>" * 200_000 +
                    "</body></html>", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "scheduler", "extract", str(page), "--format",
                             "jsonl"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert '"due": "2023-03-31"' in result.stdout


def test_a_document_over_its_time_budget_fails_alone(tmp_path, db_url):
    """One slow document stalled the whole run: now it is stopped at its budget and reported,
    and the rest are stored."""
    seed = next(SEEDS.glob("003_*.txt")).read_text(encoding="utf-8")
    write(tmp_path / "in" / "big.txt", "发布日期：2023-02-13\n" + seed * 400)   # ≈ 6 MB
    write(tmp_path / "in" / "small.txt", PLAN)
    result = run_cli("ingest", str(tmp_path / "in"),
                     env={"DEADLINES_DB": db_url, "DEADLINES_DOC_TIMEOUT": "3"})
    assert result.returncode == 4, result.stderr
    assert "1 new" in result.stdout and "1 failed" in result.stdout
    [line] = result.stderr.splitlines()
    assert "big.txt" in line and "time budget of 3 s" in line


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_killed_ingest_leaves_no_worker_behind(tmp_path, how):
    """Killing `ingest --jobs N` (SIGKILL or SIGTERM) left N workers running forever."""
    seed = next(SEEDS.glob("003_*.txt")).read_text(encoding="utf-8")
    for i in range(40):
        write(tmp_path / "in" / f"d{i:03}.txt", f"发布日期：2023-02-13\n{seed * 20}\n第{i}号")
    env = {**os.environ, "DEADLINES_DB": f"sqlite:///{tmp_path / 'k.db'}"}
    proc = subprocess.Popen([sys.executable, "-m", "scheduler", "ingest", str(tmp_path / "in"),
                             "--jobs", "2"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    workers: set[int] = set()
    deadline = time.time() + 60
    while time.time() < deadline and len(workers) < 2:
        workers = children(proc.pid)
        time.sleep(0.1)
    assert len(workers) >= 2, "the workers did not start"
    proc.send_signal(how)
    _, err = proc.communicate(timeout=60)
    if how == signal.SIGTERM:
        assert proc.returncode == 143 and err.strip().endswith("terminated; the document being "
                                                               "stored was rolled back"), err
    deadline = time.time() + 30
    while time.time() < deadline and any(alive(pid) for pid in workers):
        time.sleep(0.2)
    assert not [pid for pid in workers if alive(pid)], "workers outlived their parent"
    rerun = run_cli("ingest", str(tmp_path / "in"), env={"DEADLINES_DB": env["DEADLINES_DB"]})
    assert rerun.returncode == 0, rerun.stderr


def test_mixed_utf8_and_gbk_is_decoded_line_by_line(tmp_path):
    """UTF-8 with a GBK line pasted in was refused whole, and `extract` did not name the file."""
    path = tmp_path / "mixed.txt"
    path.write_bytes(PLAN.encode("utf-8") + "区交通局年底前实现公交枢纽竣工交付。\n".encode("gbk")
                     + b"\xff\xfe broken\n")
    result = run_cli("extract", str(path), "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    assert '"due": "2023-03-31"' in result.stdout and '"due": "2023-12-31"' in result.stdout
    [line] = result.stderr.splitlines()
    assert str(path) in line and "2 of 5 lines not UTF-8" in line
    binary = tmp_path / "photo.txt"
    binary.write_bytes(bytes(range(256)) * 8)
    refused = run_cli("extract", str(binary))
    assert refused.returncode == 4 and str(binary) in refused.stderr
