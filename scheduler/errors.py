"""Expected failures. Each carries the exit code the CLI returns; the message is one line."""

from __future__ import annotations

import re


class DeadlinesError(Exception):
    """Base of every expected failure; `str(err)` is the one line a user sees."""

    exit_code = 1


class UsageError(DeadlinesError):
    """Bad option values (a malformed date, an unknown choice)."""

    exit_code = 2


class ConfigError(DeadlinesError):
    """The configuration file or environment is invalid."""

    exit_code = 3


class InputError(DeadlinesError):
    """A document cannot be read, decoded or is too large."""

    exit_code = 4


class RuleError(DeadlinesError):
    """A rule file is malformed; the message names the file and the rule."""

    exit_code = 5


class StoreError(DeadlinesError):
    """The database cannot be opened or is inconsistent with the request."""

    exit_code = 6


class NotFound(DeadlinesError):
    """An id, owner or document that does not exist (or an ambiguous prefix)."""

    exit_code = 7


class DeliveryError(DeadlinesError):
    """Mail could not be delivered."""

    exit_code = 8


class Terminated(DeadlinesError):
    """The process was asked to stop (SIGTERM); work in progress was rolled back."""

    exit_code = 143


# --- messages: one line, no secrets -------------------------------------------------------------

_URL_CREDENTIALS = re.compile(r"(?P<head>//[^:/@\s]*):\S*@")
_KEY_VALUE = re.compile(r"(?i)\b(?P<key>password|passwd|pwd)\s*=\s*\S+")
_SECRETS: set[str] = set()


def register_secret(value: str | None) -> None:
    """A password from the settings: it is replaced by *** in every message from now on."""
    if value and len(value) >= 3:
        _SECRETS.add(value)


def redact(text: str) -> str:
    """Hide credentials: `scheme://user:***@host`, `password=***` and every registered secret."""
    text = _URL_CREDENTIALS.sub(r"\g<head>:***@", text)
    text = _KEY_VALUE.sub(r"\g<key>=***", text)
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def one_line(text: str) -> str:
    """A message as exactly one printable line: control characters (a newline in a file name)
    and undecodable bytes are escaped, so a log line is one grep-able record."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in _ESCAPES and ch != "\\":
            out.append(_ESCAPES[ch])
        elif code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0 or ch in "\u2028\u2029":
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:      # os.fsdecode's stand-in for an undecodable byte
            out.append(f"\\x{code - 0xDC00:02x}" if code >= 0xDC80 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def say(text: str) -> str:
    """What any user-facing message goes through: secrets hidden, one line."""
    return one_line(redact(text))
