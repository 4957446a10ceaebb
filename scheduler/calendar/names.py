"""One mapping from an owner or document name to a file name and a URL path segment.

Injective and safe on every OS. A name is kept as it is only when it is plain: word characters
and `-` (no dot, no separator, no space), at most 60 characters, already in NFC and lower case
(so case-insensitive and normalising file systems cannot merge two names), not a Windows device
name (CON, NUL, COM1…), and not ending like a hashed name. Any other name becomes a cleaned
stem plus a hash of the exact name, `-` and 12 hex digits, which no plain name ends with.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

PLAIN = re.compile(r"[^\W_][\w-]{0,59}")
HASHED = re.compile(r"-[0-9a-f]{12}$")
UNSAFE = re.compile(r"[^\w-]+")
RESERVED = {"con", "prn", "aux", "nul", "clock$", "conin$", "conout$",
            *(f"com{i}" for i in "0123456789¹²³"), *(f"lpt{i}" for i in "0123456789¹²³")}


def _plain(name: str) -> bool:
    return bool(PLAIN.fullmatch(name)) and name == name.lower() == name.casefold() \
        and unicodedata.is_normalized("NFC", name) and name not in RESERVED \
        and not HASHED.search(name)


def safe_name(name: str) -> str:
    """The file stem and URL segment of an owner or document (without `.ics`)."""
    if _plain(name):
        return name
    cleaned = UNSAFE.sub("_", unicodedata.normalize("NFC", name)).strip("_-")[:40] or "x"
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{cleaned}-{digest}"


def reverse(names) -> dict[str, str]:
    """safe name → name, for a server that gets the safe name back in a URL."""
    return {safe_name(name): name for name in names}
