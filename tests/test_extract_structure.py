"""Structure before sentences: tables, labelled items, lead-ins, topics, owners (fixed clock)."""

import datetime as dt

from scheduler.extract import extract

PUB = dt.date(2023, 2, 13)


def rows(text, published=PUB):
    return [(m.due.isoformat(), m.kind, m.owner, m.task) for m in extract(text, published=published).milestones]


def test_table_pasted_one_cell_per_line():
    """A task table copied out of a word processor: `序号 / 民生实事 / 责任单位 / 完成时限`, then one cell a line."""
    text = "\n".join(["序号", "民生实事", "责任单位", "完成时限",
                      "1", "新建社区食堂3处。", "区民政局", "区财政局", "10月底前",
                      "2", "改造背街小巷12条。", "区城管局", "6月底前开工"])
    assert rows(text) == [("2023-10-31", "deadline", "区民政局", "新建社区食堂3处"),
                          ("2023-06-30", "start", "区城管局", "改造背街小巷12条")]


def test_pipe_table_row_task_is_the_cell_even_without_a_verb():
    """`专项整治行业名称 | 时间安排 | 责任单位` rows: the task is the named trade, the owner cell verbatim."""
    text = "整治行业名称 | 时间安排 | 责任单位 |\n燃气经营 | 5月份 | 安监站 市场所 |\n"
    assert rows(text) == [("2023-05-31", "deadline", "安监站 市场所", "燃气经营")]


def test_column_header_names_the_year_of_its_cells():
    """`2023年度任务目标` in the header binds each cell below it; the owner column names the body."""
    text = ("序号 | 事项 | 2023年度任务目标 | 责任单位 |\n"
            "1 | 学校建设 | 完成实验中学综合楼建设,新建塑胶跑道4条。 | 教育局 |\n")
    assert rows(text) == [("2023-12-31", "deadline", "教育局", "完成实验中学综合楼建设"),
                          ("2023-12-31", "deadline", "教育局", "新建塑胶跑道4条")]


def test_numbered_item_with_label_lines():
    """`二、…` followed by `牵头单位：` and `完成时限：` lines: every deliverable of the item gets the time."""
    text = ("二、提升养老服务。新增养老床位300张,建成社区助餐点15个。\n"
            "牵头单位:市民政局\n责任单位:各区人民政府\n完成时限:2023年11月30日前\n")
    assert rows(text) == [("2023-11-30", "deadline", "市民政局", "新增养老床位300张"),
                          ("2023-11-30", "deadline", "市民政局", "建成社区助餐点15个")]


def test_colon_lead_binds_targets_across_semicolons():
    """`2023年全区主要预期目标是：A；B；` — each target is a year milestone, growth figures included."""
    text = "2023年全区主要预期目标是:地区生产总值增长6%左右;城镇调查失业率控制在5.5%以内;"
    assert [r[3] for r in rows(text)] == ["地区生产总值增长6%左右", "城镇调查失业率控制在5.5%以内"]
    assert {r[0] for r in rows(text)} == {"2023-12-31"}


def test_announced_list_takes_the_lead_year_and_owner():
    """`XX将在2023年办好以下实事` + numbered items: the place named before 将 owns every item."""
    text = "会上宣布,郑州将在2023年着力办好以下八件实事。\n(1)新建公办幼儿园20所。\n(2)改造农村公路500公里。\n"
    assert rows(text) == [("2023-12-31", "deadline", "郑州", "新建公办幼儿园20所"),
                          ("2023-12-31", "deadline", "郑州", "改造农村公路500公里")]


def test_past_year_lead_binds_nothing():
    """A target list of a year already over at publication is a report."""
    assert rows("2022年主要预期目标是:地区生产总值增长6%左右。", dt.date(2024, 2, 1)) == []


def test_topic_carries_to_every_deadline_and_splits_named_items():
    """`A、B项目，1月底前完成征迁，7月1日前全部完工` → one milestone per project per deadline."""
    text = "滨河路、朝阳路项目,3月底前完成管线迁改,9月1日前全部完工。"
    assert rows(text) == [("2023-03-31", "deadline", None, "滨河路…完成管线迁改"),
                          ("2023-03-31", "deadline", None, "朝阳路项目…完成管线迁改"),
                          ("2023-09-01", "deadline", None, "滨河路…完工"),
                          ("2023-09-01", "deadline", None, "朝阳路项目…完工")]


def test_group_with_deng_stays_one():
    """`供水、供气等配套工程5月1日前全部开工` is one group, not one milestone per utility."""
    assert [r[3] for r in rows("供水、供气等配套工程5月1日前全部开工。")] == ["供水、供气等配套工程…开工"]


def test_time_heading_a_clause_chain_binds_measurable_targets():
    """`到2024年底，X缩小至…，Y达到…` — targets without a deliverable verb still count; aims do not."""
    text = "到2024年底,营商环境明显改善,审批时限缩小至5个工作日以内,网办率达到95%以上。"
    assert [r[3] for r in rows(text)] == ["审批时限缩小至5个工作日以内", "网办率达到95%以上"]


def test_year_inside_a_title_is_not_a_time():
    """`根据《2023年政府工作报告》安排` names a document."""
    assert rows("根据《2023年政府工作报告》安排部署,现将任务分解下达。") == []


def test_headline_restating_the_body_is_one_milestone():
    """A headline then the body saying the same thing (`…五一前完工` / `…5月1日前全部完工`)."""
    text = "滨江公园五一前完工\n记者获悉,滨江公园项目5月1日前全部完工。"
    found = rows(text)
    assert len(found) == 1 and found[0][0] == "2023-05-01"


def test_owner_never_starts_with_a_verb_or_numeral():
    """`推开招商处办公室的门…` and `创建80个示范村` are clauses, not bodies: null beats junk."""
    for text in ("推开招商处办公室的门,今年组织一次招商推介会。", "今年创建80个示范村。"):
        for _, _, owner, _ in rows(text):
            assert owner is None or not owner.startswith(("推开", "创建"))


def test_spam_line_is_dropped():
    """Mirror sites put spam above the article; it must never become an owner or a task."""
    text = "国产一区二区在线播放\n今年,区住建局将完成老旧小区改造30个。"
    assert rows(text) == [("2023-12-31", "deadline", "区住建局", "完成老旧小区改造30个")]
