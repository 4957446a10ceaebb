"""Bytes → text. BOMs first, then strict UTF-8, then charset-normalizer's detection."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from scheduler.errors import InputError

BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
# Encodings a Chinese page is written in; detection is limited to these plus UTF-16 without BOM.
CANDIDATES = ["utf_8", "gb18030", "big5", "big5hkscs", "utf_16_le", "utf_16_be"]


def _looks_utf16(data: bytes) -> str | None:
    """UTF-16 without BOM: every other byte of ASCII text is zero."""
    if len(data) < 4:
        return None
    even, odd = data[0::2], data[1::2]
    if odd.count(0) > len(odd) * 0.3 and even.count(0) < len(even) * 0.05:
        return "utf-16-le"
    if even.count(0) > len(even) * 0.3 and odd.count(0) < len(odd) * 0.05:
        return "utf-16-be"
    return None


CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


def _binary(text: str) -> bool:
    head = text[:20000]
    return len(CONTROL.findall(head)) > max(2, len(head) * 0.01)


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name). Raises InputError for binary or undecodable input."""
    text, name = _decode(data)
    if _binary(text):
        raise InputError("cannot decode: looks like a binary file")
    return text, name


MIXED = "mixed"     # in the encoding name of a document decoded line by line


def _mixed(data: bytes) -> tuple[str, str] | None:
    """UTF-8 with some lines in GB18030/GBK (pages pasted together): decoded line by line, lines
    neither can read with replacement characters. The name says how many lines were not UTF-8."""
    out, foreign, replaced, utf8 = [], 0, 0, 0
    lines = data.split(b"\n")
    for line in lines:
        try:
            out.append(line.decode("utf-8"))
            utf8 += not line.isascii()
            continue
        except UnicodeDecodeError:
            pass
        try:
            out.append(line.decode("gb18030"))
            foreign += 1
        except UnicodeDecodeError:
            out.append(line.decode("utf-8", "replace"))
            replaced += 1
    if not utf8:
        return None     # no UTF-8 line at all: a file in one other encoding, detected below
    return "\n".join(out), (f"utf-8 ({MIXED}: {foreign + replaced} of {len(lines)} lines not UTF-8, "
                            f"{foreign} read as gb18030, {replaced} with replacement characters)")


def _decode(data: bytes) -> tuple[str, str]:
    for bom, name in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    utf16 = _looks_utf16(data)
    if utf16:
        try:
            return data.decode(utf16), utf16
        except UnicodeDecodeError:
            pass
    mixed = _mixed(data)
    if mixed:
        return mixed
    best = from_bytes(data, cp_isolation=CANDIDATES).best()
    if best is None or best.encoding is None:
        raise InputError("cannot decode: not text in a known encoding")
    text = str(best)
    if text.count("\x00") > len(text) * 0.01:
        raise InputError("cannot decode: looks like a binary file")
    return text, best.encoding
