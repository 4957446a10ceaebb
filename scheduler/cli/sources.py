"""Input files for `extract`/`ingest`: paths, folders, globs, and metadata sidecars."""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import tomllib

from scheduler.clock import parse_date
from scheduler.errors import InputError

TEXT_SUFFIXES = {".txt", ".html", ".htm", ".md", ".text"}
SIDECAR = ".meta.toml"
STEM_ID = 64          # a document id taken from a file name is shortened to fit the store


def stem_id(stem: str) -> str:
    """The document id a file name gives: the stem, or a shortened stem and a hash if too long."""
    if len(stem) <= STEM_ID:
        return stem
    return f"{stem[:STEM_ID - 11]}-{hashlib.sha1(stem.encode('utf-8', 'surrogatepass')).hexdigest()[:10]}"


@dataclass
class Source:
    path: Path | None        # None for stdin
    doc: str
    published: dt.date | None
    how: str | None
    source: str

    def read(self, limit: int) -> bytes:
        try:
            if self.path is None:
                data = sys.stdin.buffer.read(limit + 1)
            else:
                with open(self.path, "rb") as handle:
                    data = handle.read(limit + 1)
        except OSError as err:
            raise InputError(f"{self.source}: cannot read: {err.strerror}") from None
        if len(data) > limit:
            raise InputError(f"{self.source}: larger than the input limit of {limit:,} bytes")
        if self.path is not None and self.source == str(self.path) and \
                self.path.suffix.lower() in (".html", ".htm"):
            from scheduler.store.labels import canonical_url  # not at import: `--help` stays light

            self.source = canonical_url(data) or self.source    # the page's own address
        return data


def sidecar(path: Path) -> dict:
    """`NAME.meta.toml` beside `NAME.txt`: doc, published, how, source."""
    meta = path.with_name(path.stem + SIDECAR)
    if not meta.exists():
        return {}
    try:
        return tomllib.loads(meta.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{meta}: bad metadata sidecar: {err}") from None


def make_source(path: Path | None, published: str | None, doc: str | None) -> Source:
    if path is None:
        return Source(None, doc or "stdin", parse_date(published, "--published") if published
                      else None, "--published" if published else None, "-")
    meta = sidecar(path)
    when, how = None, None
    if published:
        when, how = parse_date(published, "--published"), "--published"
    elif meta.get("published"):
        value = meta["published"]
        when = value if isinstance(value, dt.date) else parse_date(str(value), f"{path} published")
        how = f"sidecar: {meta.get('how', 'metadata file')}"
    return Source(path, doc or str(meta.get("doc") or stem_id(path.stem)), when, how,
                  str(meta.get("source") or meta.get("url") or path))


def _walk(folder: Path, problems: list[str]) -> list[Path]:
    """Text files under a folder; a folder that cannot be read is a problem, not a silent gap."""
    found = []

    def refused(err: OSError) -> None:
        problems.append(f"{err.filename}: cannot read folder: {err.strerror.lower()}")

    for top, dirs, names in os.walk(folder, onerror=refused):
        dirs.sort()
        for name in sorted(names):
            path = Path(top) / name
            if path.suffix.lower() in TEXT_SUFFIXES and path.is_file():
                found.append(path)
    return sorted(found)


def expand(paths: list[str]) -> tuple[list[Path], list[str]]:
    """Files from paths, folders (recursive) and globs; returns (files, problems), each problem
    one path that was not read (missing, or a folder without permission)."""
    files, problems = [], []
    for raw in paths:
        matches = [Path(p) for p in sorted(glob.glob(raw, recursive=True))] if any(
            c in raw for c in "*?[") else [Path(raw)]
        if not matches:
            problems.append(f"{raw}: no file matches")
        for path in matches:
            if path.is_dir():
                files.extend(_walk(path, problems))
            elif path.exists():
                if not path.name.endswith(SIDECAR):
                    files.append(path)
            else:
                problems.append(f"{raw}: no such file or folder")
    seen, unique = set(), []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, problems
