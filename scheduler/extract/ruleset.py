"""Load, validate and compile the rules in `rules/` (fragments, lexicons, time rules).

A malformed file is a RuleError naming the file and the rule. Nothing here knows Chinese:
all language knowledge is in the data files.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from scheduler.errors import RuleError

RULE_KEYS = {"id", "pattern", "value", "precision", "kind", "priority", "examples", "note"}
REQUIRED_RULE_KEYS = {"id", "pattern", "value", "precision", "examples"}
EXPECT_KEYS = {"time_text", "due", "start", "precision", "kind", "rrule", "task", "owner"}
VALUE_TYPES = {"date", "month", "xun", "quarter", "half", "year", "plan", "range-month",
               "range-date", "from-now", "holiday", "duration", "workdays", "within", "recurring", "recurring-day"}
PRECISIONS = {"day", "xun", "month", "quarter", "half", "year", "derived"}
LEXICON_FILES = {
    "numerals.yaml": {"numerals"},
    "years.yaml": {"relative_years"},
    "holidays.yaml": {"holidays"},
    "frequencies.yaml": {"frequencies"},
    "markers.yaml": {"future", "past", "adverbs", "deliverable", "start", "start_results",
                     "ongoing", "aims", "purpose", "results", "subject_verbs", "subject_tails",
                     "list_tails", "copula_objects", "anaphora_heads", "joiners", "disposal",
                     "time_labels", "nominals", "targets", "reports", "generic_objects",
                     "descriptions"},
    "owners.yaml": {"suffixes", "people", "followers", "not_owners", "openers", "titles", "labels",
                    "duty_words"},
    "furniture.yaml": {"cut_after", "drop_lines", "captions", "spam"},
    "structure.yaml": {"table_columns"},
}
FRAGMENT_REF = re.compile(r"\{(\w+)(?:=(\w+))?\}")


def default_rules_dir() -> Path:
    """`rules/` beside the package (source checkout or editable install), else the installed copy."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "rules", here / "_rules"):
        if (candidate / "fragments.yaml").exists():
            return candidate
    raise RuleError("rules directory not found; set rules_dir in the config")


@dataclass(frozen=True)
class Example:
    text: str
    published: dt.date
    expect: dict


@dataclass
class TimeRule:
    id: str
    source: str
    pattern: str
    regex: re.Pattern
    value: dict
    precision: str
    kind: str | None
    priority: int
    examples: list[Example]


@dataclass
class NegativeExample:
    text: str
    published: dt.date
    why: str


@dataclass(eq=False)
class Ruleset:
    root: Path
    fragments: dict[str, tuple[str, bool]]
    rules: list[TimeRule]
    lexicon: dict
    negative: list[NegativeExample]
    words: dict[str, re.Pattern] = field(default_factory=dict)

    def word_regex(self, name: str) -> re.Pattern:
        """An alternation of a lexicon word list, longest first."""
        if name not in self.words:
            items = sorted(self.lexicon[name], key=len, reverse=True)
            self.words[name] = re.compile("|".join(re.escape(w) for w in items))
        return self.words[name]

    def by_id(self, rule_id: str) -> TimeRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise RuleError(f"{path}: cannot read: {err}") from None
    except yaml.YAMLError as err:
        raise RuleError(f"{path}: not valid YAML: {str(err).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise RuleError(f"{path}: expected a mapping at the top level")
    return data


def _date(value, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise RuleError(f"{where}: bad date {value!r}") from None


def _load_fragments(path: Path) -> dict[str, tuple[str, bool]]:
    data = _read(path).get("fragments")
    if not isinstance(data, dict):
        raise RuleError(f"{path}: missing 'fragments' mapping")
    out = {}
    for name, spec in data.items():
        if isinstance(spec, str):
            spec = {"regex": spec}
        if not isinstance(spec, dict) or set(spec) - {"regex", "group"} or "regex" not in spec:
            raise RuleError(f"{path}: fragment {name!r}: expected regex and optional group")
        try:
            re.compile(spec["regex"])
        except re.error as err:
            raise RuleError(f"{path}: fragment {name!r}: bad regex: {err}") from None
        out[name] = (spec["regex"], bool(spec.get("group", True)))
    return out


def expand(pattern: str, fragments: dict[str, tuple[str, bool]], where: str) -> str:
    def sub(match: re.Match) -> str:
        name, alias = match.group(1), match.group(2)
        if name not in fragments:
            raise RuleError(f"{where}: unknown fragment {{{name}}}")
        regex, group = fragments[name]
        if not group:
            return f"(?:{regex})"
        return f"(?P<{alias or name}>{regex})"

    return FRAGMENT_REF.sub(sub, pattern)


def _load_rules(path: Path, fragments, seen: set[str]) -> list[TimeRule]:
    data = _read(path)
    if set(data) != {"rules"} or not isinstance(data["rules"], list):
        raise RuleError(f"{path}: expected a single 'rules' list")
    out = []
    for index, raw in enumerate(data["rules"]):
        rid = raw.get("id") if isinstance(raw, dict) else None
        where = f"{path.name}: rule {rid or f'#{index + 1}'}"
        if not isinstance(raw, dict):
            raise RuleError(f"{where}: expected a mapping")
        unknown = set(raw) - RULE_KEYS
        if unknown:
            raise RuleError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        missing = REQUIRED_RULE_KEYS - set(raw)
        if missing:
            raise RuleError(f"{where}: missing key(s) {', '.join(sorted(missing))}")
        if not re.fullmatch(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*", str(rid)) or re.search(r"\d$", rid):
            raise RuleError(f"{where}: id must be descriptive kebab-case, not numbered")
        if rid in seen:
            raise RuleError(f"{where}: duplicate id")
        seen.add(rid)
        value = raw["value"]
        if not isinstance(value, dict) or value.get("type") not in VALUE_TYPES:
            raise RuleError(f"{where}: value.type must be one of {', '.join(sorted(VALUE_TYPES))}")
        if raw["precision"] not in PRECISIONS:
            raise RuleError(f"{where}: unknown precision {raw['precision']!r}")
        pattern = expand(str(raw["pattern"]), fragments, where)
        try:
            regex = re.compile(pattern)
        except re.error as err:
            raise RuleError(f"{where}: bad pattern: {err}") from None
        examples = raw["examples"]
        if not isinstance(examples, list) or not examples:
            raise RuleError(f"{where}: needs at least one example")
        parsed = []
        for ex in examples:
            if not isinstance(ex, dict) or set(ex) != {"text", "published", "expect"}:
                raise RuleError(f"{where}: each example needs exactly text, published, expect")
            expect = ex["expect"]
            if not isinstance(expect, dict) or "time_text" not in expect or set(expect) - EXPECT_KEYS:
                raise RuleError(f"{where}: example expect needs time_text and known keys only")
            expect = {k: (str(v) if isinstance(v, dt.date) else v) for k, v in expect.items()}
            parsed.append(Example(str(ex["text"]), _date(ex["published"], where), expect))
        out.append(TimeRule(rid, path.name, str(raw["pattern"]), regex, value, raw["precision"],
                            raw.get("kind"), int(raw.get("priority", 0)), parsed))
    return out


def _load_lexicon(root: Path) -> dict:
    lexicon: dict = {}
    for name, keys in LEXICON_FILES.items():
        path = root / "lexicon" / name
        if not path.exists():
            raise RuleError(f"{path}: missing lexicon file")
        data = _read(path)
        if set(data) != keys:
            extra, missing = set(data) - keys, keys - set(data)
            raise RuleError(f"{path}: unexpected keys {sorted(extra)} / missing {sorted(missing)}")
        lexicon.update(data)
    for name in ("drop_lines", "captions"):
        for item in lexicon[name]:
            try:
                re.compile(item)
            except re.error as err:
                raise RuleError(f"furniture.yaml: {name}: bad regex {item!r}: {err}") from None
    return lexicon


def _load_negative(path: Path) -> list[NegativeExample]:
    data = _read(path)
    items = data.get("negative")
    if not isinstance(items, list):
        raise RuleError(f"{path}: expected a 'negative' list")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or set(item) != {"text", "published", "why"}:
            raise RuleError(f"{path}: entry #{i + 1}: needs exactly text, published, why")
        out.append(NegativeExample(str(item["text"]), _date(item["published"], str(path)),
                                   str(item["why"])))
    return out


@functools.lru_cache(maxsize=8)
def load_ruleset(root: str | Path | None = None) -> Ruleset:
    root = Path(root) if root else default_rules_dir()
    if not (root / "fragments.yaml").exists():
        raise RuleError(f"{root}: not a rules directory (no fragments.yaml)")
    fragments = _load_fragments(root / "fragments.yaml")
    seen: set[str] = set()
    rules = []
    for path in sorted((root / "time").glob("*.yaml")):
        rules.extend(_load_rules(path, fragments, seen))
    if not rules:
        raise RuleError(f"{root / 'time'}: no time rules")
    return Ruleset(root, fragments, rules, _load_lexicon(root), _load_negative(root / "negative.yaml"))
