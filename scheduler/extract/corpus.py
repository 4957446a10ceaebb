"""Run the rule examples and the negative corpus (used by the tests and `deadlines rules check`)."""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.extract.pipeline import extract
from scheduler.extract.ruleset import Ruleset, load_ruleset

FIELDS = ("due", "start", "precision", "kind", "rrule", "task", "owner")


@dataclass
class Failure:
    rule: str
    text: str
    problem: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.text} — {self.problem}"


def check_example(rule_id: str, text: str, published, expect: dict, rules_dir=None) -> str | None:
    """None when the example holds; otherwise what went wrong, in one line."""
    result = extract(text, published=published, doc="example", rules_dir=rules_dir)
    found = [m for m in result.milestones if m.time_text == expect["time_text"]]
    if not found:
        got = ", ".join(f"{m.time_text}→{m.due}" for m in result.milestones) or "nothing"
        return f"no milestone for {expect['time_text']!r} (got {got})"
    ms = found[0]
    if rule_id not in ms.rules:
        return f"matched by {', '.join(ms.rules)}, not by this rule"
    for name in FIELDS:
        if name not in expect:
            continue
        want = expect[name]
        got = getattr(ms, name)
        got = got.isoformat() if hasattr(got, "isoformat") else got
        if str(got) != str(want):
            return f"{name}: expected {want!r}, got {got!r}"
    return None


def run(ruleset: Ruleset | None = None) -> tuple[int, list[Failure]]:
    """Check every example of every rule and every negative text. Returns (checked, failures)."""
    rs = ruleset or load_ruleset()
    failures, checked = [], 0
    for rule in rs.rules:
        for example in rule.examples:
            checked += 1
            problem = check_example(rule.id, example.text, example.published, example.expect, rs.root)
            if problem:
                failures.append(Failure(rule.id, example.text, problem))
    for negative in rs.negative:
        checked += 1
        result = extract(negative.text, published=negative.published, doc="negative", rules_dir=rs.root)
        if result.milestones:
            got = "; ".join(f"{m.time_text}→{m.task}" for m in result.milestones)
            failures.append(Failure("negative", negative.text, f"expected nothing, got {got}"))
    return checked, failures
