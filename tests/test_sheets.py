"""`deadlines import tasks.xlsx|tasks.csv` and `status --format xlsx|csv --sheet`: a realistic
20-row 任务分解表 written here with openpyxl goes in, comes out with the same columns and goes in
again; re-import changes nothing; a bad file is one line, exit 4, and nothing stored."""

import csv
import io
import json
import os
import subprocess
import sys

import openpyxl
import pytest

from . import sheetdata
from .conftest import run_cli

TODAY = "2024-03-01"
COLUMNS = ["序号", "工作任务", "责任单位", "完成时限", "备注", "状态", "文件", "编号"]


def env_for(tmp_path, name="s"):
    return {"DEADLINES_DB": f"sqlite:///{tmp_path / (name + '.db')}"}


def stored(env):
    result = run_cli("--today", TODAY, "status", "--format", "json", "-n", "0", env=env)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout or "[]")


def facts(rows):
    """What a table says about each task, whatever the store's ids."""
    return sorted((r["task"], r["owner"], r["due"] if not r["rrule"] else r["rrule"]) for r in rows)


def one_line_error(result, *words):
    assert result.returncode == 4, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deadlines: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "任务分解表.xlsx"
    sheetdata.write_xlsx(path)
    return path


def test_xlsx_rows_become_milestones_read_by_the_time_rules(tmp_path, table):
    env = env_for(tmp_path)
    first = run_cli("import", str(table), env=env)
    assert first.returncode == 0, first.stderr
    assert "new; 20 rows; milestones: 20 added" in first.stdout
    rows = stored(env)
    assert len(rows) == sheetdata.TASKS
    by_task = {r["task"]: r for r in rows}
    for task, due in sheetdata.EXPECTED_DUE.items():
        assert by_task[task]["due"] == due, task
    assert {r["published"] for r in rows} == {"2024-01-01"}           # 2024年 in the title
    monthly = by_task["每月开展就业援助活动"]
    assert monthly["kind"] == "recurring" and monthly["rrule"] == "FREQ=MONTHLY"
    assert by_task["组织重点项目集中开工"]["rrule"] == "FREQ=MONTHLY;INTERVAL=3"     # 每季度
    assert by_task["启动重庆路高架沿线房屋征收"]["owner"] == "区住建局"     # the lead of 区住建局、区财政局
    assert by_task["完成河西剩余房屋征迁清零"]["owner"] == "市北區"
    evidence = by_task["完成河西剩余房屋征迁清零"]["sentence"].split("\n")
    assert evidence == ["分类：一、城市更新", "工作任务：完成河西剩余房屋征迁清零", "牵头单位：市北區",
                        "配合单位：区财政局", "完成时限：6月底前", "备注：重点项目"]
    assert "section" not in json.dumps(rows) and not any(r["task"].startswith("二、") for r in rows)

    again = run_cli("import", str(table), env=env)
    assert again.returncode == 0 and "unchanged" in again.stdout and "0 added" in again.stdout
    assert stored(env) == rows

    book = openpyxl.load_workbook(table)        # the office moves one deadline
    book.active["E13"] = "12月底前"              # row 13: 新增城镇就业5000人 (was 年底前)
    book.active["B17"] = "新建普惠性幼儿园2所"     # and rewords a task
    book.save(table)
    edited = run_cli("import", str(table), env=env)
    assert edited.returncode == 0, edited.stderr
    assert "updated; 20 rows; milestones: 1 added, 1 updated, 1 cancelled" in edited.stdout
    after = {r["task"]: r for r in stored(env)}
    assert after["新增城镇就业5000人"]["time_text"] == "12月底前"
    assert after["新增城镇就业5000人"]["id"] == by_task["新增城镇就业5000人"]["id"]
    assert "新建幼儿园2所" not in after and "新建普惠性幼儿园2所" in after


def test_xlsx_export_has_the_tables_columns_and_imports_again(tmp_path, table):
    env = env_for(tmp_path)
    assert run_cli("import", str(table), env=env).returncode == 0
    original = stored(env)
    out = tmp_path / "导出.xlsx"
    with out.open("wb") as handle:
        result = subprocess.run([sys.executable, "-m", "scheduler", "--today", TODAY, "status", "--format", "xlsx"],
                                env={**os.environ, **env}, stdout=handle, stderr=subprocess.PIPE)
    assert result.returncode == 0, result.stderr
    sheet = openpyxl.load_workbook(out).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == COLUMNS and len(values) == 1 + sheetdata.TASKS
    assert [r[0] for r in values[1:]] == list(range(1, 21))
    exported = {r[1]: r for r in values[1:]}
    hexi = exported["完成河西剩余房屋征迁清零"]
    assert hexi[2] == "市北區" and hexi[3].date().isoformat() == "2024-06-30" and hexi[4] == "重点项目"
    assert hexi[5] == "进行中" and hexi[7] == next(r["id"] for r in original if r["task"] == hexi[1])
    assert exported["每月开展就业援助活动"][3] == "每月"    # a recurring duty keeps its phrase

    other = env_for(tmp_path, "other")
    back = run_cli("import", str(out), env=other)
    assert back.returncode == 0 and "20 added" in back.stdout, back.stderr
    assert facts(stored(other)) == facts(original)
    assert run_cli("import", str(out), env=other).stdout.count("unchanged") == 1


def test_gb18030_csv_imports_like_the_xlsx_and_csv_export_round_trips(tmp_path, table):
    data = sheetdata.csv_bytes("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")                  # really GB18030, not UTF-8
    path = tmp_path / "任务分解表.csv"
    path.write_bytes(data)
    from_csv, from_xlsx = env_for(tmp_path, "csv"), env_for(tmp_path, "xlsx")
    result = run_cli("import", str(path), env=from_csv)
    assert result.returncode == 0 and "20 added" in result.stdout, result.stderr
    assert run_cli("import", str(table), env=from_xlsx).returncode == 0
    assert facts(stored(from_csv)) == facts(stored(from_xlsx))
    doc = json.loads(run_cli("docs", "show", "任务分解表", "--format", "json", env=from_csv).stdout)
    assert doc["encoding"] == "gb18030" and doc["title"] == sheetdata.TITLE
    assert run_cli("import", str(path), env=from_csv).stdout.count("unchanged") == 1

    sheet = run_cli("--today", TODAY, "status", "--format", "csv", "--sheet", env=from_csv)
    assert sheet.returncode == 0 and sheet.stdout.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(sheet.stdout.lstrip("\ufeff"))))
    assert rows[0] == COLUMNS and len(rows) == 1 + sheetdata.TASKS
    exported = tmp_path / "export.csv"
    exported.write_text(sheet.stdout, encoding="utf-8")
    again = env_for(tmp_path, "again")
    assert run_cli("import", str(exported), env=again).returncode == 0
    assert facts(stored(again)) == facts(stored(from_csv))

    machine = run_cli("--today", TODAY, "status", "--format", "csv", env=from_csv).stdout
    assert machine.startswith("id,doc,source,")       # without --sheet: the json contract's fields


def test_state_column_closes_rows_and_a_sheet_never_reopens_them(tmp_path):
    """A 状态 cell of 已完成 / 已办结 / 已取消 closes the row's milestone on import (history by
    `import`); 进行中 leaves it open; a re-import never reopens what a person reopened."""
    path = tmp_path / "台账.csv"
    path.write_text("工作任务,责任单位,完成时限,状态\n"
                    "完成河道清淤,区水务局,2024年5月31日,已完成\n"
                    "建成社区食堂,区民政局,6月底前,已办结\n"
                    "改造农贸市场,区商务局,8月底前,已取消\n"
                    "新增停车泊位,区城管局,年底前,进行中\n", encoding="utf-8")
    env = env_for(tmp_path)
    assert run_cli("import", str(path), "--published", "2024-02-01", env=env).returncode == 0
    result = run_cli("--today", TODAY, "status", "--status", "all", "--format", "json", env=env)
    state = {r["task"]: r["status"] for r in json.loads(result.stdout)}
    assert state == {"完成河道清淤": "done", "建成社区食堂": "done", "改造农贸市场": "cancelled",
                     "新增停车泊位": "open"}
    rows = {r["task"]: r for r in json.loads(result.stdout)}
    shown = json.loads(run_cli("show", rows["完成河道清淤"]["id"], "--format", "json", env=env).stdout)
    assert [(h["by"], h["to"]) for h in shown["history"]] == [("import", "done")], shown["history"]

    assert run_cli("reopen", rows["建成社区食堂"]["id"], env=env).returncode == 0
    path.write_text(path.read_text(encoding="utf-8") + "开展消防检查,区应急局,每季度,进行中\n",
                    encoding="utf-8")
    again = run_cli("import", str(path), "--published", "2024-02-01", env=env)
    assert again.returncode == 0 and "1 added" in again.stdout, again.stdout
    state = {r["task"]: r["status"] for r in stored(env)}
    assert state["建成社区食堂"] == "open"                  # reopened by a person, still open

    out = tmp_path / "导出.xlsx"                         # done/cancelled go round through a sheet
    with out.open("wb") as handle:
        subprocess.run([sys.executable, "-m", "scheduler", "--today", TODAY, "status", "--status", "all",
                        "--format", "xlsx"], env={**os.environ, **env}, stdout=handle, check=True)
    other = env_for(tmp_path, "other")
    assert run_cli("import", str(out), env=other).returncode == 0
    back = run_cli("--today", TODAY, "status", "--status", "all", "--format", "json", env=other)
    assert {r["task"]: r["status"] for r in json.loads(back.stdout)} == {
        **state, "完成河道清淤": "done", "改造农贸市场": "cancelled"}


def test_bad_files_are_one_line_and_store_nothing(tmp_path, table):
    env = env_for(tmp_path)
    fake = tmp_path / "tasks.xlsx"
    fake.write_text("序号,工作任务,完成时限\n1,完成征迁,6月底前\n", encoding="utf-8")
    one_line_error(run_cli("import", str(fake), env=env), "tasks.xlsx", "not a readable .xlsx")
    notes = tmp_path / "notes.txt"
    notes.write_text("这不是表格", encoding="utf-8")
    one_line_error(run_cli("import", str(notes), env=env), "not a spreadsheet or calendar")
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    one_line_error(run_cli("import", str(old), env=env), ".xls", "save it as .xlsx")
    headless = tmp_path / "no-header.xlsx"
    sheetdata.write_xlsx(headless, header=False)
    one_line_error(run_cli("import", str(headless), env=env), "no header row found", "完成时限")
    binary = tmp_path / "image.csv"
    binary.write_bytes(bytes(range(256)) * 8)
    one_line_error(run_cli("import", str(binary), env=env), "image.csv")
    assert stored(env) == []

    # a deadline the rules cannot read stops the whole table, before anything is stored
    rows = list(sheetdata.ROWS)
    rows[10] = (9, "每月开展就业援助活动", "区人社局", None, "尽快", None)
    broken = tmp_path / "broken.xlsx"
    sheetdata.write_xlsx(broken, rows)
    line = one_line_error(run_cli("import", str(broken), env=env), "row 14", "'尽快'", "完成时限")
    assert "not a date" in line
    assert stored(env) == [] and run_cli("docs", env=env).returncode == 1

    # …and a bad edit of a table already imported keeps what was stored
    assert run_cli("import", str(table), env=env).returncode == 0
    before = stored(env)
    book = openpyxl.load_workbook(table)
    book.active["E8"] = "待定"
    book.save(table)
    one_line_error(run_cli("import", str(table), env=env), "row 8", "'待定'")
    assert stored(env) == before


def test_published_option_sets_the_reference_year(tmp_path, table):
    env = env_for(tmp_path)
    plain = tmp_path / "plain.xlsx"
    sheetdata.write_xlsx(plain, title="重点工作任务分解表")     # no year in the title
    assert run_cli("import", str(plain), "--published", "2025-02-20", env=env).returncode == 0
    by_task = {r["task"]: r for r in stored(env)}
    assert by_task["完成河西剩余房屋征迁清零"]["due"] == "2025-06-30"
    assert by_task["完成政务服务中心改造"]["due"] == "2024-12-20"    # a full date stays itself
    bad = run_cli("import", str(plain), "--published", "2025-13-01", env=env_for(tmp_path, "x"))
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_search_finds_traditional_script_from_a_simplified_query(tmp_path, table):
    env = env_for(tmp_path)
    assert run_cli("import", str(table), env=env).returncode == 0
    found = run_cli("--today", TODAY, "search", "滨海步道", "--format", "json", env=env)
    assert found.returncode == 0, found.stderr
    assert [r["task"] for r in json.loads(found.stdout)] == ["推進濱海步道貫通工程"]
    # owner, evidence (备注) and document title are searched too, in either script
    assert {r["owner"] for r in json.loads(run_cli("search", "區人社局", "--format", "json", env=env).stdout)} \
        == {"区人社局"}
    noted = json.loads(run_cli("search", "補償安置", "--format", "json", env=env).stdout)
    assert [r["task"] for r in noted] == ["完成山东路立交西南象限房屋征收"]
    assert len(json.loads(run_cli("search", "重點工作任務分解表", "--format", "json", env=env).stdout)) == 20
    table_view = run_cli("--today", TODAY, "search", "濱海", env=env)
    assert table_view.returncode == 0 and "推進濱海步道貫通工程" in table_view.stdout
    none = run_cli("search", "不存在的任务", env=env)
    assert none.returncode == 1 and none.stdout == "" and "No milestones match: text=不存在的任务" in none.stderr


@pytest.mark.parametrize("header,role", [("工作任务", "task"), ("具 体 任 务", "task"), ("責任單位", "owner"),
                                         ("牵头单位（部门）", "owner"), ("完成时限（年月）", "due"),
                                         ("时间节点", "due"), ("配合单位", "helpers"), ("备 注", "note"),
                                         ("序号", "seq"), ("完成情况", None), ("2024年", None)])
def test_header_names_and_their_variants(header, role):
    from scheduler.extract.sheets import role_of

    assert role_of(header) == role


@pytest.mark.parametrize("cell,due,precision", [
    ("2024-06-30", "2024-06-30", "day"), ("2024/6/30", "2024-06-30", "day"), ("2024.6.30", "2024-06-30", "day"),
    ("2024.6", "2024-06-30", "month"), ("2024年6月30日前", "2024-06-30", "day"), ("6月底前", "2024-06-30", "month"),
    ("３月底前", "2024-03-31", "month"), ("3月底前启动，9月底前完成", "2024-09-30", "month"),
    ("三季度末", "2024-09-30", "quarter"), ("明年3月", "2025-03-31", "month")])
def test_deadline_cells_read_like_sentences(cell, due, precision):
    import datetime as dt

    from scheduler.extract.sheets import read_deadline

    found = read_deadline(cell, dt.date(2024, 1, 1))
    assert (found.due.isoformat(), found.precision) == (due, precision)
    assert read_deadline("尽快", dt.date(2024, 1, 1)) is None
