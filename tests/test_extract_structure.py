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


def test_second_table_row_keeps_its_own_owner():
    """Rows pasted as `|` lines stay rows: the second row's owner cell owns the times in its plan cell
    (it used to take the first row's owner, `教育局`, and its colon-labelled item's topic)."""
    text = ("序号 | 实事项目 | 工作举措及实施计划 | 责任单位 | 配合单位 |\n"
            "1 | 新建幼儿园3所。 | 1.城东幼儿园:9月底前竣工交付。 | 教育局 | 财政局 |\n"
            "2 | 新增托位400个。 | 1.社区托育点:10月底前新建成5家。 2.乡镇卫生院病房楼:8月底前开工;11月底前建成。"
            " | 卫生健康局 | 民政局 |\n")
    got = rows(text)
    assert ("2023-09-30", "deadline", "教育局", "城东幼儿园…竣工交付") in got
    assert ("2023-10-31", "deadline", "卫生健康局", "社区托育点…新建成5家") in got
    assert ("2023-08-31", "start", "卫生健康局", "乡镇卫生院病房楼…开工") in got
    assert ("2023-11-30", "deadline", "卫生健康局", "乡镇卫生院病房楼…建成") in got


def test_two_named_objects_under_one_verb_are_two_deliverables():
    """`启动建设A工程和B公园` in a task cell: one start per named object."""
    text = ("序号 | 工作任务 | 责任单位 | 完成时限 |\n"
            "1 | 启动建设南河综合治理工程和西山森林公园。 | 区水务局 | 12月底前 |\n")
    assert [r[3] for r in rows(text)] == ["启动建设南河综合治理工程", "启动建设…西山森林公园"]
    assert {r[1] for r in rows(text)} == {"start"}


def test_joined_names_share_the_tail_after_the_second():
    """`完成A学校及5处B学校操场建成` → A's item borrows the shared tail."""
    text = ("序号 | 事项 | 2023年度任务目标 | 责任单位 |\n"
            "1 | 操场建设 | 完成城南学校及5处乡村学校操场建成并投入使用。 | 教育局 |\n")
    assert [r[3] for r in rows(text)] == ["完成城南学校…操场建成并投入使用", "5处乡村学校操场建成并投入使用"]


def test_subject_named_in_an_earlier_sentence():
    """The previous sentence names the facility; the dated sentence has only the predicate."""
    text = "新的市妇幼保健中心选址东部新区,总投资5亿元,将设800张床位。预计明年6月建成投用。"
    assert rows(text) == [("2024-06-30", "deadline", None, "新的市妇幼保健中心…建成投用")]


def test_progress_report_and_framing_bind_nothing():
    """A progress report in the same sentence as a year, a plan-making clause and a generic task."""
    for text in ("全区重点项目年度计划投资80亿元,今年1—9月完成投资61亿元,完成年度计划的76%,超序时进度5个百分点。",
                 "各单位要把民生实事列为今年工作重点,制定计划,明确责任,确保年底圆满完成任务。",
                 "该项目是2023年全市十件民生实事之一,计划按24个班规模进行建设。"):
        assert rows(text) == [], text


def test_confidence_orders_table_cells_above_bare_year_clauses():
    """A table's time cell is surer than a bare-year clause in a report sentence."""
    table = extract("序号 | 工作任务 | 责任单位 | 完成时限 |\n1 | 新建社区食堂3处。 | 区民政局 | 10月底前 |\n",
                    published=PUB).milestones
    clause = extract("目前项目进展顺利,今年全区将新建口袋公园12个。", published=PUB).milestones
    assert table and clause
    assert table[0].confidence > clause[0].confidence


def test_dash_lead_binds_the_short_headings_under_it():
    """`…节点提前至10月底，确保做到——` over short headings, each followed by its paragraph: each
    heading with a deliverable takes the lead's time; an effort heading (`全面推进…`) does not."""
    text = ("市容整治行动第三阶段节点提前至10月底,确保做到——\n"
            "全面完成主干道整治\n对沿线立面、店招和绿化进行整体提升,确保全线达标。\n"
            "全面推进背街小巷整治\n各街道抓紧先行实施,同步开展单体设计。\n"
            "基本完成河道整治\n清理沿岸违章建筑,修缮防汛墙立面。\n")
    assert rows(text) == [("2023-10-31", "deadline", None, "完成主干道整治"),
                          ("2023-10-31", "deadline", None, "完成河道整治")]


def test_bare_predicate_takes_the_name_its_clause_chain_opens_with():
    """`A项目主体完工，正在进行配套建设，计划10月竣工`: the project named first is the subject,
    not the object of the clause before the time (`配套设施`)."""
    text = "市第二人民医院迁建项目主体完工,正在进行配套设施建设,计划10月竣工。"
    assert rows(text) == [("2023-10-31", "deadline", None, "市第二人民医院迁建项目…竣工")]


def test_numbered_subhead_run_into_the_body_restates_it():
    """A page flattened to one line: `2.A、B项目五一前全部完工` is the subhead over
    `A、B项目，5月1日前全部完工。`; one milestone per project, not two."""
    text = ("城建工程推进安排\n"
            "重点工程安排如下。  2.东湖广场、滨河路南段项目五一前全部完工  东湖广场、滨河路南段项目,5月1日前全部完工。")
    got = rows(text)
    assert sorted(r[3] for r in got) == ["东湖广场…完工", "滨河路南段项目…完工"]
    assert {r[0] for r in got} == {"2023-05-01"}


def test_noun_holding_a_verb_is_not_the_predicate():
    """`安置小区` holds the verb 安置: the list of named schools before the real predicate stays the subject."""
    text = "8月底前城北小学、滨江中学、东苑安置小区配套幼儿园竣工交付。"
    assert [r[3] for r in rows(text)] == ["城北小学…竣工交付", "滨江中学…竣工交付", "东苑安置小区配套幼儿园…竣工交付"]


def test_long_subject_is_cut_to_the_name_after_its_description():
    """`连接A、B、C等片区的地铁5号线将在今年三季度开工建设`: the line, not the districts it links."""
    text = "连接东部新城、高铁枢纽、滨江商务区、科创园区等重点片区的地铁5号线将在今年三季度全面开工建设。"
    assert rows(text) == [("2023-09-30", "start", None, "地铁5号线…开工建设")]


def test_copula_ends_the_subject_of_an_earlier_sentence():
    """`X铁路是全省首条…。该项目…预计2024年建成通车`: the subject stops at 是."""
    text = "城际铁路南环线是全省首条市域快线,全长86公里。该项目地质条件复杂,桥隧比超过六成,预计2024年建成通车。"
    got = rows(text)
    assert len(got) == 1 and got[0][3].startswith("城际铁路南环线") and got[0][3].endswith("建成通车")


def test_owner_after_a_request_and_a_bare_body_noun():
    """`省政府要求各地、各有关部门要…` — the bodies asked own the task, not the one asking; a body
    named by its bare noun (`督查组每周…`) owns its routine; `请各责任单位于…` too."""
    asked = extract("省政府要求各地、各有关部门要高度重视补助发放工作,确保春节之前足额发放到困难群众手中。",
                    published=dt.date(2024, 1, 5)).milestones
    assert [m.owner for m in asked] == ["各地、各有关部门"]
    team = extract("督查组每周汇总工作落实情况,通报以问题为主。", published=PUB).milestones
    assert [m.owner for m in team] == ["督查组"]
    please = extract("请各责任单位于每季度末月20日前将实事完成情况书面报县政府督查室。", published=PUB).milestones
    assert [m.owner for m in please] == ["各责任单位"]


def test_enumeration_inside_a_preposition_or_closed_by_deng_is_one_task():
    """`为A、B免费体检一次` lists beneficiaries; `完成A的新建、B清淤等工程` is one group of works."""
    text = "年内为全市70岁以上老人、3万名环卫工人免费体检一次。"
    assert [r[3] for r in rows(text)] == ["为全市70岁以上老人、3万名环卫工人免费体检一次"]
    text = "滨河水系工程,10月1日前完成3个连通段及8座桥的新建改建、河道清淤及闸门建设等工程。"
    assert [r[3] for r in rows(text)] == ["滨河水系工程…完成3个连通段及8座桥的新建改建、河道清淤及闸门建设等工程"]


def test_yu_inside_weiyu_is_not_a_marker():
    """`位于X的Y项目预计…投入使用`: 于 in 位于 does not cut the subject short."""
    text = "另外,位于北湖街道的市中医院新建项目预计今年10月投入使用。"
    assert rows(text) == [("2023-10-31", "deadline", None, "位于北湖街道的市中医院新建项目…投入使用")]


def test_giving_a_result_within_days_is_a_deliverable():
    """`N天给出…结果`, `一周之内出结果`: a promised answer counted from the meeting."""
    text = "2月12日召开的接访会上,区长要求有关部门,会上反映的问题五天之内出结果。"
    assert rows(text) == [("2023-02-17", "deadline", "有关部门", "会上反映的问题…出结果")]
    text = "2月12日召开的接访会上,区长责成街道办十天给出答复意见。"
    assert [(r[0], r[3]) for r in rows(text)] == [("2023-02-22", "给出答复意见")]


def test_ji_inside_a_verb_does_not_split_the_subject():
    """`群众提及的问题` is one subject: 及 in 提及/涉及 is not `and`."""
    text = "2月12日召开的接访会上,区长要求有关部门,群众提及的问题一周之内出结果。"
    assert [r[3] for r in rows(text)] == ["群众提及的问题…出结果"]


def test_a_period_stated_after_its_activity_dates_it():
    """`现将结果予以公示,公示期为A至B`: the clause before the period is the task."""
    text = "经评审,现将拟表彰名单予以公示,公示期为2023年3月1日至3月7日。"
    ms = extract(text, published=PUB).milestones
    assert [(m.start.isoformat(), m.due.isoformat(), m.task) for m in ms] == [
        ("2023-03-01", "2023-03-07", "现将拟表彰名单予以公示")]
    assert rows("经评审,名单已予以公布,公示期为2023年3月1日至3月7日。") == []


def test_list_closed_by_deng_and_a_long_noun_is_one_task_and_a_purpose_clause_takes_no_time():
    """`用一个月的时间完成A、B、C等相关报批工作,确保X开工`: one group of works; the 确保 clause is
    its purpose and has no date of its own."""
    text = ("2月10日召开的推进会要求,各乡镇力争用一个月的时间完成土地丈量、房屋评估、协议签订等前期准备工作,"
            "确保环湖路改造工程全面开工建设。")
    assert [(r[0], r[3]) for r in rows(text)] == [
        ("2023-03-10", "完成土地丈量、房屋评估、协议签订等前期准备工作")]
