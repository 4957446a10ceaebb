"""Articles, paragraphs, sentences, clause groups and clauses, as spans of the cleaned text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from scheduler.extract.clean import BYLINE

# a space between two CJK characters is a layout break (a headline run into its paragraph)
SENTENCE_END = re.compile(r"[。！？!?]+[”’」』]?|\n|\|+|\t+|(?<=[\u4e00-\u9fff])[ \u3000]+(?=[\u4e00-\u9fff])")
GROUP_END = re.compile(r"[；;]")
CLAUSE_END = re.compile(r"[，,：:]")
SECTION_HEAD = re.compile(r"^(?P<name>[^\s，,。：:]{2,24})[:：]\s*$")


@dataclass
class Sentence:
    start: int
    end: int
    paragraph: int
    article: int
    groups: list[list[tuple[int, int]]] = field(default_factory=list)


@dataclass
class Layout:
    sentences: list[Sentence]
    paragraphs: list[tuple[int, int]]
    articles: list[tuple[int, int]]
    sections: list[tuple[int, str]]     # (offset, heading) of `名称：` lines
    by_paragraph: dict[int, list[Sentence]] = field(default_factory=dict)
    by_article: dict[int, list[Sentence]] = field(default_factory=dict)
    position: dict[int, int] = field(default_factory=dict)   # sentence start → index

    def sentence_at(self, pos: int) -> Sentence | None:
        import bisect
        starts = [s.start for s in self.sentences]
        i = bisect.bisect_right(starts, pos) - 1
        return self.sentences[i] if i >= 0 and pos < self.sentences[i].end else None


def _split(text: str, start: int, end: int, pattern: re.Pattern) -> list[tuple[int, int]]:
    out, pos = [], start
    for match in pattern.finditer(text, start, end):
        if match.end() > pos:
            out.append((pos, match.end()))
        pos = match.end()
    if pos < end:
        out.append((pos, end))
    return out


def layout(text: str) -> Layout:
    paragraphs, articles, sections = [], [], []
    pos, article_start = 0, 0
    for line in text.split("\n"):
        end = pos + len(line)
        stripped = line.strip()
        if stripped:
            paragraphs.append((pos, end))
            head = SECTION_HEAD.match(stripped)
            if head:
                sections.append((pos, head.group("name")))
            if BYLINE.match(stripped):
                articles.append((article_start, end))
                article_start = end + 1
        pos = end + 1
    articles.append((article_start, len(text)))
    sentences = []
    article_index = 0
    for p_index, (ps, pe) in enumerate(paragraphs):
        while article_index < len(articles) - 1 and ps >= articles[article_index][1]:
            article_index += 1
        for ss, se in _split(text, ps, pe, SENTENCE_END):
            if not text[ss:se].strip():
                continue
            sentence = Sentence(ss, se, p_index, article_index)
            for gs, ge in _split(text, ss, se, GROUP_END):
                sentence.groups.append(_split(text, gs, ge, CLAUSE_END))
            sentences.append(sentence)
    by_paragraph: dict[int, list[Sentence]] = {}
    by_article: dict[int, list[Sentence]] = {}
    for sentence in sentences:
        by_paragraph.setdefault(sentence.paragraph, []).append(sentence)
        by_article.setdefault(sentence.article, []).append(sentence)
    position = {sentence.start: i for i, sentence in enumerate(sentences)}
    return Layout(sentences, paragraphs, articles, sections, by_paragraph, by_article, position)
