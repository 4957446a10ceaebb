"""The time rules run only over the lines that can hold a match (scheduler.extract.prefilter):
they must find exactly what a scan of the whole text finds."""

import re

import pytest

from scheduler.extract import load_ruleset, prefilter

from .conftest import SEEDS

RS = load_ruleset()


def texts():
    """The seeds, every rule example and negative text, glued in ways that move line and
    sentence ends around: with newlines, with 。 only, with nothing between."""
    seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    examples = [ex.text for rule in RS.rules for ex in rule.examples] + [n.text for n in RS.negative]
    yield from seeds
    yield "\n".join(examples)
    yield "。".join(examples)
    yield "".join(examples)
    yield "\n".join(s.replace("\n", "；") for s in seeds)


@pytest.mark.parametrize("index", range(5))
def test_every_rule_finds_the_same_matches_as_a_whole_text_scan(index):
    text = list(texts())[index]
    lines = prefilter.Lines(text, prefilter.wanted(rule.regex for rule in RS.rules))
    for rule in RS.rules:
        whole = [(m.span(), m.groupdict()) for m in rule.regex.finditer(text)]
        filtered = [(m.span(), m.groupdict()) for m in prefilter.finditer(rule.regex, lines)]
        assert filtered == whole, rule.id


def test_most_rules_get_a_filter():
    """A rule with no filter scans the whole text; most rules must have one or nothing is saved."""
    filtered = [rule.id for rule in RS.rules if prefilter.needs(rule.regex)]
    assert len(filtered) >= 0.8 * len(RS.rules)


@pytest.mark.parametrize("pattern,chars", [
    (r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})月底前", {"月"}),          # the smallest required set
    (r"(?:每|逐)(?:年|季度|月)", {"每", "逐"}),
    (r"[上下]半年", {"半"}),
    (r"(?:第[一二三四]|[一二三四])季度", {"季"}),
    (r"第[一二]季度|[上下]半年", {"第", "半"}),                   # the smallest set of each alternative
    (r"(?:月底)?\d+日", {"日"}),                                         # the optional part is no filter
    (r"(?<=[。\n])年内", {"年"}),                                        # a look-behind may read a line end
    (r"年(?![。\n])", {"年"}),                                          # a one-character look-ahead too
])
def test_needs_reads_the_required_characters(pattern, chars):
    assert prefilter.needs(re.compile(pattern)) == frozenset(chars)


@pytest.mark.parametrize("pattern", [
    r"\d+",                      # a wide class: no filter
    r"(?i)q[1-4]",               # case-insensitive
    r"年.{0,20}月",               # `.` can take in a sentence end: a match could span lines
    r"年[^，]*月",                # so can a negated class that does not exclude them
    r"年\s*月",                   # \s takes a newline
    r"年(?=[^，]{0,9}会)",         # a look-ahead that reads across a sentence end
    r"(?:年|\d)",                # an alternative without a required character
])
def test_patterns_that_lines_cannot_bound_scan_the_whole_text(pattern):
    assert prefilter.needs(re.compile(pattern)) is None


def test_a_match_near_a_sentence_end_is_found_as_in_the_whole_text():
    regex = re.compile(r"(?<![0-9])(?P<m>\d{1,2})月(?![日号])")
    text = "一、总体要求。\n\n二、6月\n完成。10月。x\n第三条11月底前"
    lines = prefilter.Lines(text, prefilter.wanted([regex]))
    assert [m.span() for m in prefilter.finditer(regex, lines)] == [m.span() for m in regex.finditer(text)]
    assert len(list(regex.finditer(text))) == 3
