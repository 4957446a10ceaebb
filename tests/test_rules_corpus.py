"""Every rule example and every negative text, as its own test (Duckling-style corpus)."""

import pytest

from scheduler.errors import RuleError
from scheduler.extract import extract, load_ruleset
from scheduler.extract.corpus import check_example
from scheduler.extract.ruleset import load_ruleset as load_fresh

RS = load_ruleset()
EXAMPLES = [(rule.id, ex) for rule in RS.rules for ex in rule.examples]


@pytest.mark.parametrize("rule_id,example", EXAMPLES,
                         ids=[f"{rid}:{ex.text[:12]}" for rid, ex in EXAMPLES])
def test_rule_example(rule_id, example):
    problem = check_example(rule_id, example.text, example.published, example.expect)
    assert problem is None, problem


@pytest.mark.parametrize("negative", RS.negative, ids=[n.text[:14] for n in RS.negative])
def test_negative_corpus_yields_nothing(negative):
    result = extract(negative.text, published=negative.published)
    assert result.milestones == [], negative.why


def _copy_rules(tmp_path):
    import shutil

    target = tmp_path / "rules"
    shutil.copytree(RS.root, target)
    return target


@pytest.mark.parametrize("mutation,message", [
    (lambda s: s.replace("  - id: day-before", "  - id: month-named", 1), "month-named: duplicate id"),
    (lambda s: s.replace("{month}月{day}", "{monthx}月{day}", 1), "unknown fragment"),
    (lambda s: s.replace("    precision: day\n", "    precision: day\n    colour: red\n", 1),
     "unknown key"),
    (lambda s: s.replace("  - id: day-before", "  - id: day-rule-2", 1), "not numbered"),
])
def test_loader_rejects_malformed_rules_naming_file_and_rule(tmp_path, mutation, message):
    root = _copy_rules(tmp_path)
    path = root / "time" / "day.yaml"
    path.write_text(mutation(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(RuleError) as err:
        load_fresh(root)
    assert ".yaml: rule " in str(err.value) and message in str(err.value)


def test_loader_rejects_rule_without_examples(tmp_path):
    root = _copy_rules(tmp_path)
    (root / "time" / "extra.yaml").write_text(
        "rules:\n  - id: lonely-rule\n    pattern: 'x'\n    value: {type: year}\n"
        "    precision: year\n    examples: []\n", encoding="utf-8")
    with pytest.raises(RuleError, match="extra.yaml: rule lonely-rule: needs at least one example"):
        load_fresh(root)


def test_a_user_adds_a_phrasing_without_python(tmp_path):
    """A new rule file in rules/time/ is picked up: `腊月底前` (the 12th lunar month) as Dec 31."""
    root = _copy_rules(tmp_path)
    text = "腊月底前完成全部欠薪清零。"
    assert extract(text, published=load_ruleset and __import__("datetime").date(2023, 2, 13),
                   rules_dir=root).milestones == []
    (root / "time" / "lunar-month.yaml").write_text(
        "rules:\n  - id: lunar-twelfth-month-end\n    pattern: '腊月底(?:{before})?'\n"
        "    value: {type: year}\n    precision: year\n    examples:\n"
        "      - text: 腊月底前完成全部欠薪清零。\n        published: 2023-02-13\n"
        "        expect: {time_text: 腊月底前, due: 2023-12-31}\n", encoding="utf-8")
    import datetime as dt

    load_fresh.cache_clear()
    found = extract(text, published=dt.date(2023, 2, 13), rules_dir=root).milestones
    assert [(m.time_text, m.task) for m in found] == [("腊月底前", "完成全部欠薪清零")]
