"""Run the CLI in a real terminal (tmux) of a given size and capture the screen."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.cells import cell_len

from .conftest import ROOT

DONE = "__screen_done__"


@dataclass
class Screen:
    lines: list[str]        # what the terminal shows, one entry per screen row
    joined: list[str]       # the same with wrapped lines joined (tmux -J)
    ansi: str               # with colour escapes (tmux -e)
    width: int
    height: int

    @property
    def output(self) -> list[str]:
        """The screen rows above the end marker, trailing blank rows dropped."""
        end = next(i for i, line in enumerate(self.lines) if DONE in line)
        return self.lines[:end]

    def assert_nothing_wraps(self) -> None:
        assert len(self.lines) == len(self.joined), "a line wrapped:\n" + "\n".join(self.lines)
        assert all(cell_len(line) <= self.width for line in self.lines)


def run(*args: str, width: int, height: int, env: dict | None = None, seen: list | None = None) -> Screen:
    """`deadlines ARGS` in a fresh tmux server at width×height; waits until it has finished."""
    if not shutil.which("tmux"):
        pytest.skip("tmux is not installed")
    socket = f"deadlines-test-{uuid.uuid4().hex[:8]}"
    variables = {k: v for k, v in (env or {}).items()}
    command = " ".join([
        "env", "-u", "NO_COLOR", "-u", "COLUMNS", "-u", "LINES",
        *(shlex.quote(f"{k}={v}") for k, v in variables.items()),
        shlex.quote(sys.executable), "-m", "scheduler", *map(shlex.quote, args),
    ]) + f"; printf '{DONE}'; sleep 30"
    conf = Path(tempfile.gettempdir()) / "deadlines-test-tmux.conf"
    conf.write_text("set -g status off\n")
    tmux = ["tmux", "-L", socket, "-f", str(conf)]
    base_env = {k: v for k, v in os.environ.items() if k != "TMUX"}
    base_env["TERM"] = "xterm-256color"
    subprocess.run([*tmux, "new-session", "-d", "-x", str(width), "-y", str(height), "-s", "t",
                    "-c", str(ROOT), command], check=True, env=base_env)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            plain = _capture(tmux)
            if DONE in plain:
                break
            if seen is not None:      # the screens shown while it runs
                seen.append(plain)
            time.sleep(0.05 if seen is not None else 0.2)
        else:
            raise AssertionError("the command did not finish:\n" + _capture(tmux))
        lines = plain.split("\n")
        joined = _capture(tmux, "-J").split("\n")
        ansi = _capture(tmux, "-e")
        return Screen(lines, joined, ansi, width, height)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


def _capture(tmux, *flags) -> str:
    out = subprocess.run([*tmux, "capture-pane", "-p", *flags, "-t", "t"], capture_output=True,
                         text=True, check=True).stdout
    return out.rstrip("\n")
