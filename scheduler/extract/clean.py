"""Text clean-up: HTML → text, encoding damage, page furniture, broken lines.

Every repair has a stable id and a count, recorded on the document. The result is the text
that spans and tasks refer to. `matching_copy` builds a same-length copy for the rules:
simplified characters and ASCII digits, so rules need not know traditional forms.
"""

from __future__ import annotations

import re
from functools import lru_cache

from scheduler.extract.model import Repair

CJK = "\u3400-\u9fff\uf900-\ufaff"
PINYIN = re.compile(
    rf"(?<=[{CJK}])\((?:[a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ][a-zü]*|[a-z]{{1,6}}[1-5]?)\)")
IMAGE_MARK = re.compile(r"!\[[^\]\n]{0,80}\]\([^)\n]{0,300}\)")
# a comma doubled before another stop (`,,` `,、` `,。`), left by pages that annotate every character
STRAY_COMMA = re.compile(r"[,，](?=[,，、。；;])")
LEADING_QMARKS = re.compile(r"^(?:\?{2,}|[ \t\u3000]+)", re.M)
HTML_HINT = re.compile(r"<(?:html|body|div|p|br|article|head|meta|span)\b", re.I)
TERMINAL = set("。！？!?；;：:”’」』）)…—.")
PARAGRAPH_PUNCT = re.compile(r"[，,。]")
BYLINE = re.compile(r"^[（(][^()（）]{0,60}(?:记者|通讯员|报道|撰稿|评论员)[^()（）]{0,60}[)）]$")


TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)[^>]*>")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr"}
BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article",
          "blockquote", "time", "table", "ul", "ol"}
MAX_DEPTH = 256


def _flatten(html: str) -> str:
    """Tags nested deeper than MAX_DEPTH are dropped (a block tag leaves a line break): the HTML
    parser's work grows with depth × tags, so 200,000 nested <div> would take minutes. One pass."""
    depth = 0

    def tag(match: re.Match) -> str:
        nonlocal depth
        name = match.group(2).lower()
        if name in VOID or match.group(0).endswith("/>"):
            return match.group(0)
        if match.group(1):
            deep, depth = depth > MAX_DEPTH, max(depth - 1, 0)
        else:
            depth += 1
            deep = depth > MAX_DEPTH
        return ("\n" if name in BLOCKS else "") if deep else match.group(0)

    return TAG.sub(tag, html) if html.count("<") > MAX_DEPTH else html


def html_to_text(html: str) -> str:
    """Article text of an HTML page: block elements become lines; scripts/styles/nav dropped."""
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    tree = HTMLParser(_flatten(html))
    for tag in ("script", "style", "noscript", "nav", "header", "footer", "aside", "form",
                "iframe", "svg", "button"):
        for node in tree.css(tag):
            node.decompose()
    for node in tree.css("br"):
        node.replace_with("\n")
    for tag in ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section",
                "article", "blockquote", "time"):
        for node in tree.css(tag):
            node.insert_after("\n")
    root = tree.body or tree.root
    text = root.text(separator="") if root else ""
    return re.sub(r"\n[ \t\u3000]*\n(?:[ \t\u3000]*\n)+", "\n\n", text)


@lru_cache(maxsize=4)
def _furniture(cut_after: tuple, drop_lines: tuple, captions: tuple):
    cut = set(cut_after)
    drop = re.compile("|".join(f"(?:{p})" for p in drop_lines))
    cap = re.compile("|".join(f"(?:{p})" for p in captions))
    return cut, drop, cap


def remove_furniture(text: str, lexicon: dict) -> tuple[str, dict[str, int]]:
    cut, drop, cap = _furniture(tuple(lexicon["cut_after"]), tuple(lexicon["drop_lines"]),
                                tuple(lexicon["captions"]))
    spam = tuple(lexicon["spam"])
    counts = {"furniture-block": 0, "furniture-line": 0, "picture-caption": 0}
    out = []
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped in cut:
            counts["furniture-block"] += 1
            break
        if stripped and (len(stripped) <= 40 and drop.fullmatch(stripped) or _spam(stripped, spam)):
            counts["furniture-line"] += 1
            continue
        if stripped and cap.fullmatch(stripped) and not PARAGRAPH_PUNCT.search(stripped[:-1].replace("。", "")):
            counts["picture-caption"] += 1
            continue
        out.append(line)
    return "\n".join(out), counts


def _spam(line: str, words: tuple) -> bool:
    simple = _t2s().convert(line) if len(line) <= 400 else line
    return any(w in simple for w in words)


def _table_row(line: str) -> bool:
    """A row of a table pasted with `|` or tabs: it ends where the line ends."""
    return line.endswith("|") or line.count("|") >= 2 or line.count("\t") >= 2


def join_broken_lines(text: str) -> tuple[str, int]:
    """Join a paragraph line that stops mid-sentence with the next non-empty line."""
    lines = text.split("\n")
    out: list[str] = []
    joined = 0
    pending_blank = 0
    for line in lines:
        if not line.strip():
            pending_blank += 1
            continue
        if out:
            prev = out[-1].rstrip()
            if (prev and prev[-1] not in TERMINAL and len(prev) >= 15
                    and PARAGRAPH_PUNCT.search(prev) and not BYLINE.match(prev.strip())
                    and line.strip()[:1] not in "“\"《【[（(" and not _table_row(prev)):
                out[-1] = prev + line.strip()
                joined += 1
                pending_blank = 0
                continue
            out.extend([""] * min(pending_blank, 1))
        pending_blank = 0
        out.append(line)
    return "\n".join(out), joined


def fullwidth_to_ascii(text: str) -> tuple[str, int]:
    count = 0

    def conv(match: re.Match) -> str:
        nonlocal count
        count += 1
        return chr(ord(match.group()) - 0xFEE0)

    return re.sub(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff05\uff0e]", conv, text), count


def clean(text: str, lexicon: dict) -> tuple[str, list[Repair]]:
    repairs: dict[str, int] = {}
    if HTML_HINT.search(text[:5000]):
        text = html_to_text(text)
        repairs["html-to-text"] = 1
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text, n = IMAGE_MARK.subn("", text)
    repairs["image-placeholder"] = n
    text, n = PINYIN.subn("", text)
    repairs["pinyin-annotation"] = n
    text, n = LEADING_QMARKS.subn("", text)
    repairs["leading-placeholder"] = n
    text, n = fullwidth_to_ascii(text)
    repairs["fullwidth-ascii"] = n
    text, n = STRAY_COMMA.subn("", text)
    repairs["stray-comma"] = n
    text, counts = remove_furniture(text, lexicon)
    repairs.update(counts)
    text, n = join_broken_lines(text)
    repairs["broken-line-join"] = n
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", text).strip("\n")
    return text, [Repair(k, v) for k, v in repairs.items() if v]


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


FOLD = {0x3000: 0x20, **{code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}}


def matching_copy(text: str) -> str:
    """Same length as `text`: simplified characters, full-width ASCII folded to ASCII."""
    conv = _t2s()
    simple = conv.convert(text)
    if len(simple) != len(text):
        simple = "".join(c if len(c) == 1 else o for o, c in ((o, conv.convert(o)) for o in text))
    return simple.translate(FOLD)
