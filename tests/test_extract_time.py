"""Time phrasings that were missed: ranges with words between the ends, spans counted from a
reported meeting, plan periods, seasons, later starts. Each test quotes the sentence that broke."""

import datetime as dt

import pytest

from scheduler.extract import clean as cleaning
from scheduler.extract import extract, load_ruleset, timex
from scheduler.extract.resolve import resolve

RS = load_ruleset()
D = dt.date.fromisoformat


def times(text: str, published: str) -> dict[str, tuple]:
    """time text → (due, start, precision), as the scanner finds and resolves it."""
    mtext = cleaning.matching_copy(text)
    out = {}
    for tm in timex.scan(mtext, RS):
        res = resolve(RS.by_id(tm.rule), tm.groups, D(published), RS)
        out[text[tm.start:tm.end]] = (res.due, res.start, res.precision) if res else None
    return out


def milestones(text: str, published: str):
    return extract(text, published=D(published)).milestones


@pytest.mark.parametrize("text,published,time_text,due,start,precision", [
    # 元月 is January; 起…至 between the ends
    ("春運即將開始,南寧市交通部門開始實施春運客車技術性能檢驗,春檢時間從元月2日起至元月14日。",
     "2006-01-04", "從元月2日起至元月14日", "2006-01-14", "2006-01-02", "day"),
    ("此次檢查從4月15日開始到4月30日結束。", "2011-04-20", "從4月15日開始到4月30日結束",
     "2011-04-30", "2011-04-15", "day"),
    # a full date joined to a month end, and a month end to a month end
    ("(二)集中攻坚(2025年1月11日-2025年10月底)。", "2025-03-03", "2025年1月11日-2025年10月底",
     "2025-10-31", "2025-01-11", "month"),
    ("(三)持续推进(2025年10月底-2025年12月底)。", "2025-03-03", "2025年10月底-2025年12月底",
     "2025-12-31", "2025-10-31", "month"),
    # a range across the year end
    ("现将该项问题整改情况予以公示,公示期为2025年12月29日至2026年1月12日。", "2025-12-29",
     "2025年12月29日至2026年1月12日", "2026-01-12", "2025-12-29", "day"),
    ("其余三個項目則預計于2025年第二季度至2026年第三季度分階段落成。", "2023-11-30",
     "2025年第二季度至2026年第三季度", "2026-09-30", "2025-04-01", "quarter"),
])
def test_ranges_with_words_between_the_ends(text, published, time_text, due, start, precision):
    assert times(text, published)[time_text] == (D(due), D(start), precision)


def test_money_before_a_month_end_is_not_january():
    found = times("补助标准为每人每月300元月底前发放到位。", "2023-03-01")
    assert not any(value and value[0] == D("2023-01-31") for value in found.values())


def test_year_range_before_is_the_later_year():
    [ms] = [m for m in milestones("我們亦會向立法會爭取撥款,以期在2027至2028年前完成興建約30000個簡約公屋單位。",
                                  "2023-11-30") if m.time_text == "2027至2028年前"]
    assert (ms.due, ms.precision) == (D("2028-12-31"), "year")


def test_from_a_month_on_is_a_start():
    found = milestones("第一批簡約公屋有四個項目,四個項目將在2023年12月起陸續動工。", "2023-11-30")
    assert found and {(ms.time_text, ms.due, ms.kind) for ms in found} == {("2023年12月起", D("2023-12-31"), "start")}


MEETING = ("7月26日,石家庄市12345热线应答会在亚太大酒店召开。马宇骏现场应答,责令相关部门十天给出处理结果。"
           "三天时间明确边界,哪些经营合法,哪些违规。马宇骏要求相关部门,应答会上提及的问题一周之内出结果。")


def test_spans_count_from_the_reported_meeting_not_publication():
    found = times(MEETING, "2023-07-27")
    assert found["十天"][0] == D("2023-08-05")
    assert found["三天时间"][0] == D("2023-07-29")
    assert found["一周之内"][0] == D("2023-08-02")


def test_a_bare_span_without_a_meeting_is_not_a_deadline():
    assert times("责令相关部门十天给出处理结果。", "2023-07-27")["十天"] is None


def test_span_from_a_past_meeting_is_past():
    text = ("4月5日,许昌市建安区疫情防控指挥部召开第24次日调度会。高雁要求,要做好节后重点人员和学生的全员"
            "核酸检测工作,确保3天内全部检测完毕。")
    assert times(text, "2022-04-16")["3天内"][0] == D("2022-04-08")
    assert milestones(text, "2022-04-16") == []


def test_use_a_month_counts_from_the_meeting():
    text = ("3月21日,安康市交通运输局与市国土资源局联合召开了用地报批工作会议。要求全市交通及国土部门要紧密配合,"
            "力争用一个月的时间完成建设用地勘测定界、林地使用等相关报批工作。")
    assert times(text, "2014-03-25")["用一个月的时间"][0] == D("2014-04-21")


def test_a_stated_start_day_wins_over_the_meeting():
    text = "5月8日召开全区市容工作会议。各商户须自2023年6月1日起15日内完成店招整改。"
    assert times(text, "2023-05-20")["15日内"][0] == D("2023-06-16")


def test_years_within_count_only_inside_a_stated_plan_period():
    text = ("9月17日發布的《湖北省疫後重振補短板強功能新基建工程三年行動實施方案(2020—2022年)》稱,"
            "3年內估算總投資7731億元、實施595個項目。")
    assert times(text, "2020-09-21")["3年內"] == (D("2022-12-31"), None, "year")
    vague = "兩年內,中心城區將實現污水“全收集、全處理”。"
    assert times(vague, "2009-09-08")["兩年內"] is None
    assert milestones(vague, "2009-09-08") == []


def test_five_year_plan_period_end():
    found = times("到“十四五”期末,力争基本完成2000年底前建成的城镇老旧小区改造任务。", "2020-11-21")
    assert found["“十四五”期末"] == (D("2025-12-31"), None, "year")


def test_flood_season_short_form():
    [ms] = milestones("我们要求各地按照时间节点要求倒排工期,汛前务必全面完成水毁水利工程修复任务。", "2021-03-18")
    assert (ms.time_text, ms.due) == ("汛前", D("2021-05-31"))


def test_season_takes_the_node_the_paragraph_states():
    text = ("会议要求各区供热管理部门要认真组织所有供热单位进行采暖季前的供热矛盾纠纷排查化解。"
            "以10月底为最后时间节点,所有供热准备工作要全部就绪。")
    assert times(text, "2018-09-16")["采暖季前"][0] == D("2018-10-31")
    # without a node the season's usual start is used
    assert times("采暖季前完成供热管网检修。", "2018-09-16")["采暖季前"][0] == D("2018-11-14")


def test_recurring_duty_with_a_later_start():
    text = ("从2022年3月起,务于每月25日前将本单位主要领导审阅同意后的《重点任务落实推进情况表》(电子版)"
            "报旗政府督查室。")
    [ms] = [m for m in milestones(text, "2022-02-21") if m.kind == "recurring"]
    assert (ms.due, ms.start, ms.rrule) == (D("2022-03-25"), D("2022-03-01"), "FREQ=MONTHLY")


def test_works_period_from_the_groundbreaking_day():
    text = "9月28日,梧州市第二污水處理廠二期工程項目破土動工。該項目施工期預計為一個月,將建設錢鑒片污水收集系統。"
    [ms] = milestones(text, "2011-10-08")
    assert (ms.due, ms.start, ms.precision) == (D("2011-10-27"), D("2011-09-28"), "day")


def test_weekday_and_time_of_day_belong_to_the_date():
    found = times("请各单位结合部门职能职责,于6月18日(星期二)上午下班前,将修改意见反馈至市防汛办。", "2019-06-14")
    assert found["6月18日(星期二)上午下班前"] == (D("2019-06-18"), None, "day")
    weekly = times("相关责任单位每周五上午下班前将上周进度报局建管科。", "2022-02-15")
    assert weekly["每周五上午下班前"][0] == D("2022-02-18")


def test_this_year_before_central_is_not_mid_year():
    found = times("會議對我省今年中央環保督察反饋問題整改工作作出部署。", "2020-05-10")
    assert "今年中" not in found and found["今年"][0] == D("2020-12-31")


def test_mid_year_already_past_is_not_a_deadline():
    # 年初公布、年中检查: mid-year is past at an August publication
    found = times("坚持“年初公布、年中检查、年底兑现、接受监督”的原则。", "2018-08-16")
    assert found["年中"] == (D("2018-06-30"), None, "half")


@pytest.mark.parametrize("text,published,time_text,due", [
    ("各社区本月底前完成独居老人走访。", "2023-05-08", "本月底前", "2023-05-31"),
    ("区城管局下月底前完成占道经营整治。", "2023-12-08", "下月底前", "2024-01-31"),
    ("各学校下月10日前完成校舍安全排查。", "2023-12-20", "下月10日前", "2024-01-10"),
    ("即日起至12月底，在全区开展冬季消防安全大检查。", "2023-11-10", "即日起至12月底", "2023-12-31"),
])
def test_months_relative_to_publication(text, published, time_text, due):
    assert times(text, published)[time_text][0] == D(due)


def test_every_month_end_is_not_this_month():
    assert "月底前" not in times("各镇每月底前报送统计数据。", "2023-05-08")


def test_a_year_word_naming_a_season_is_not_a_deadline():
    text = "轄區內從事今年春運的9座以上的客運車輛都必須進行檢驗。"
    assert "今年" not in times(text, "2006-01-04")


def test_five_years_within_a_named_five_year_plan():
    text = "《规划》是“十四五”时期全市交通发展的行动纲领。五年内,全市新建城市快速路120公里。"
    assert times(text, "2021-06-01")["五年内"] == (D("2025-12-31"), None, "year")
    assert times("五年内,全市新建城市快速路120公里。", "2021-06-01")["五年内"] is None


def test_a_meeting_reported_as_yesterday_anchors_the_span():
    text = "昨天,本市召开2018—2019年采暖季供热工作部署大会。会议要求各区十天内完成供热管网隐患排查。"
    assert times(text, "2018-09-16")["十天内"][0] == D("2018-09-25")
