"""Extraction behaviour on whole documents: decoding, repairs, reference dates, the seeds floor."""

import datetime as dt
import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.errors import InputError
from scheduler.extract import extract
from scheduler.extract.clean import matching_copy

from .conftest import ROOT, SEEDS

SCORE = ROOT.parent / "shared" / "eval" / "score.py"
GOLD = ROOT.parent / "shared" / "eval" / "seeds" / "gold.jsonl"
F1_FLOOR = 0.95   # the seeds alone; only moves up
DEV = ROOT.parent / "shared" / "eval" / "dev"
DEV_F1_FLOOR = 0.80      # development corpus + seeds; only moves up
DEV_OWNER_FLOOR = 0.85


def seed_predictions():
    import tomllib

    rows = []
    for meta in sorted(SEEDS.glob("*.meta.toml")):
        data = tomllib.loads(meta.read_text(encoding="utf-8"))
        text = meta.with_name(meta.name.replace(".meta.toml", ".txt")).read_bytes()
        result = extract(text, published=data["published"], doc=data["doc"])
        rows.extend(m.to_json() for m in result.milestones)
    return rows


@pytest.mark.skipif(not SCORE.exists(), reason="shared evaluation set not present")
def test_seed_f1_does_not_fall(tmp_path):
    pred = tmp_path / "pred.jsonl"
    pred.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in seed_predictions()),
                    encoding="utf-8")
    out = subprocess.run([sys.executable, str(SCORE), str(GOLD), str(pred), "--json"],
                         capture_output=True, text=True, check=True).stdout
    data = json.loads(out)
    f1 = data["all"]["f1"] if "all" in data else data["f1"]
    assert f1 >= F1_FLOOR


@pytest.mark.skipif(not (DEV / "gold.jsonl").exists(), reason="development corpus not present")
def test_development_corpus_does_not_fall(tmp_path):
    """The 75 real documents of the development corpus and the seeds, scored by score.py."""
    rows = seed_predictions()
    for line in (DEV / "meta.jsonl").read_text(encoding="utf-8").splitlines():
        meta = json.loads(line)
        data = (DEV / "docs" / meta["file"]).read_bytes()
        result = extract(data, published=dt.date.fromisoformat(meta["published"]), doc=meta["doc"])
        rows.extend(m.to_json() for m in result.milestones)
    pred, gold = tmp_path / "pred.jsonl", tmp_path / "gold.jsonl"
    pred.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    gold.write_text(GOLD.read_text(encoding="utf-8") + (DEV / "gold.jsonl").read_text(encoding="utf-8"),
                    encoding="utf-8")
    out = subprocess.run([sys.executable, str(SCORE), str(gold), str(pred), "--json"],
                         capture_output=True, text=True, check=True).stdout
    data = json.loads(out)
    assert data["all"]["f1"] >= DEV_F1_FLOOR
    assert data["owner_accuracy"] >= DEV_OWNER_FLOOR


def test_every_seed_milestone_keeps_its_evidence():
    for row in seed_predictions():
        assert row["sentence"] and row["rules"] and row["span"][1] > row["span"][0]
        assert row["time_text"] in row["sentence"]
        assert 0 < row["confidence"] <= 1


def test_traditional_text_is_matched_but_kept_as_written():
    """`確保10月份完成區辦實事——大學生創業孵化基地建設任務` (a seed's traditional sentence)."""
    text = "區人社局緊緊圍繞民生工作。確保10月份完成區辦實事——大學生創業孵化基地建設任務。"
    [ms] = extract(text, published=dt.date(2013, 3, 15)).milestones
    assert ms.task == "完成區辦實事——大學生創業孵化基地建設任務"
    assert ms.owner == "區人社局" and ms.due == dt.date(2013, 10, 31)


def test_pinyin_annotations_are_removed_and_recorded():
    text = "區(qū)人社局緊緊圍繞。確保10月份完成區(qū)辦實事——創業基地建設任務(wù)。"
    result = extract(text, published=dt.date(2013, 3, 15))
    assert "(qū)" not in result.document.text
    assert {r.id for r in result.document.repairs} >= {"pinyin-annotation"}
    assert result.milestones[0].task == "完成區辦實事——創業基地建設任務"


def test_comma_doubled_before_a_stop_is_dropped_and_recorded():
    """`3年內,,我省將建設…`: a page that adds a comma before every stop must not cut the clause off."""
    text = "《物流提升三年行動方案(2020—2022年)》稱,,3年內,,全省將建成智慧物流園區5個,,新增充電樁2000個,。"
    result = extract(text, published=dt.date(2020, 9, 18))
    assert ",," not in result.document.text and ",。" not in result.document.text
    assert {r.id for r in result.document.repairs} >= {"stray-comma"}
    assert [ms.due for ms in result.milestones] == [dt.date(2022, 12, 31)] * 2


def test_line_broken_mid_word_is_joined():
    """`辽阳路快速\\n\\n路工程`: a paragraph line that stops mid-sentence."""
    text = "市北区列出年度目标，将在3月底前完成河西\n\n剩余房屋征迁清零和安置区土地出让工作。\n"
    [ms] = extract(text, published=dt.date(2023, 2, 13)).milestones
    assert ms.task == "完成河西剩余房屋征迁清零和安置区土地出让工作"


def test_furniture_after_related_articles_is_ignored():
    text = ("区交通局将在6月底前建成公交枢纽。\n\n精彩推荐\n\n"
            "最新!平度至青岛北站市域列车力争春运前开通\n\n2021-01-05    大众网\n")
    result = extract(text, published=dt.date(2021, 1, 5))
    assert [m.time_text for m in result.milestones] == ["6月底前"]


@pytest.mark.parametrize("encoding", ["gb18030", "big5", "utf-16", "utf-8-sig", "utf-16-le"])
def test_encodings(encoding):
    text = "區教育局將於9月底前完成全部校舍加固工程，確保學生安全。" * 3
    if encoding in ("gb18030",):
        text = "区教育局将于9月底前完成全部校舍加固工程，确保学生安全。" * 3
    result = extract(text.encode(encoding), published=dt.date(2023, 2, 13))
    assert result.milestones and result.milestones[0].due == dt.date(2023, 9, 30)
    assert result.document.encoding


def test_html_page_text_is_extracted():
    html = ("<html><head><title>x</title><script>var a='3月底前完成';</script></head><body>"
            "<div class='nav'>首页</div><p>发布日期：2024-04-02</p>"
            "<p>区住建局将在6月底前完成老旧小区改造。</p></body></html>")
    result = extract(html.encode("utf-8"))
    assert result.document.published == dt.date(2024, 4, 2)
    assert [(m.due, m.task) for m in result.milestones] == [(dt.date(2024, 6, 30), "完成老旧小区改造")]


def test_dateline_with_inferred_year():
    text = "早报2月13日讯 市北区将确保2024年6月底前竣工验收辽阳路工程，3月底前完成河道清淤。"
    result = extract(text)
    assert result.document.published == dt.date(2023, 2, 13)
    assert "dateline" in result.document.published_how
    assert result.document.warnings


def test_no_reference_date_flags_year_uncertain():
    result = extract("3月底前完成河道清淤。", fallback_today=dt.date(2025, 1, 1))
    assert result.document.published is None
    assert result.milestones[0].flags == ["year_uncertain"]
    assert result.milestones[0].due == dt.date(2025, 3, 31)


def test_matching_copy_keeps_length():
    for text in ["區(qū)人社局３月底", "乾隆皇帝𠀀發展", "ａｂｃ１２３。"]:
        assert len(matching_copy(text)) == len(text)


def test_input_above_the_limit_is_a_clear_error():
    with pytest.raises(InputError, match="above the limit"):
        extract(b"x" * 101, max_bytes=100)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=400),
                 st.binary(max_size=400),
                 st.text(alphabet="月日年底前内今明每周季度上下半旬初中末0123456789一二三十，。；、“”"
                                  "将完成启动实现该项目", max_size=300)))
def test_extract_never_raises_on_hostile_input(data):
    try:
        result = extract(data, published=dt.date(2023, 2, 13))
    except InputError:
        return
    for ms in result.milestones:
        assert ms.time_text and ms.task


def test_huge_line_does_not_raise():
    text = ("年底前完成" + "很" * 200_000 + "。") * 2
    extract(text, published=dt.date(2023, 2, 13))
