"""Plain text at a fixed width where a Chinese character takes two columns."""

from __future__ import annotations

import unicodedata

WIDTH = 72
NO_LINE_START = set("，。、；：！？）》」』】”’,.;:!?)")


def cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _tokens(text: str):
    """Words of Latin letters/digits/URLs stay whole; each CJK character is its own token."""
    word = ""
    for char in text:
        if unicodedata.east_asian_width(char) in "WF" or char == " ":
            if word:
                yield word
                word = ""
            yield char
        else:
            word += char
    if word:
        yield word


def wrap(text: str, width: int = WIDTH, indent: str = "", first: str | None = None) -> str:
    """Fill `text` to `width` columns; `first` prefixes the first line, `indent` the others.
    A token wider than the line (a long URL) gets a line of its own rather than being cut."""
    lines, line = [], first if first is not None else indent
    start = len(line)
    for token in _tokens(" ".join(text.split())):
        if cells(line) + cells(token) > width and len(line) > start:
            carry = ""
            if token in NO_LINE_START and len(line) > start + 1:
                line, carry = line[:-1], line[-1]     # punctuation never starts a line
            lines.append(line.rstrip())
            line = indent + carry
            start = len(indent)
            if token == " ":
                continue
        line += token
    lines.append(line.rstrip())
    return "\n".join(lines)
