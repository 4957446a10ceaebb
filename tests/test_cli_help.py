"""Help: printed once, `-h` everywhere, no `<bool>`/`<str>` type noise, every option explained,
every command's help ending with two examples."""

import pytest
import typer

from scheduler.cli import app

from .conftest import run_cli


def commands():
    """(path, click command) for every command and group, the top level included."""
    root = typer.main.get_command(app)
    todo = [((), root)]
    while todo:
        path, cmd = todo.pop()
        yield path, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            todo.append(((*path, name), sub))


ALL = sorted(commands(), key=lambda item: item[0])


def help_text(path, cmd) -> str:
    import click

    root = typer.main.get_command(app)
    ctx = click.Context(root, info_name="deadlines", **root.context_settings)
    for name in path:
        parent = ctx.command
        ctx = click.Context(parent.get_command(ctx, name), info_name=name, parent=ctx)
    return ctx.command.get_help(ctx)


@pytest.mark.parametrize("path,cmd", ALL, ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_command_explains_itself(path, cmd):
    text = help_text(path, cmd)
    assert "<" not in text.split("Examples:")[0], text          # no <bool>, <str>, <int>
    assert "-h, --help" in text
    for param in cmd.params:
        if param.name != "help":
            assert (getattr(param, "help", None) or "").strip(), f"{' '.join(path)} {param.name}"
    examples = text.rstrip().split("Examples:")[-1].strip().splitlines()
    assert "Examples:" in text and len(examples) >= 2, text
    assert all(line.strip().split()[0] in ("deadlines",) or "=" in line.split()[0] for line in examples)
    assert text.rstrip().splitlines()[-1].strip() == examples[-1].strip()


@pytest.mark.parametrize("args", [[], ["rules"], ["feed-token"], ["-h"], ["status", "-h"],
                                  ["docs", "show", "--help"]])
def test_help_is_printed_once(args):
    result = run_cli(*args)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.count("Usage:") == 1 and result.stdout.count("Examples:") == 1


def test_help_does_not_load_the_store_or_the_extractor():
    """`deadlines -h` and the scheduler's start stay quick: commands import the layers they call
    when they run, not when the CLI loads."""
    import subprocess
    import sys

    code = ("import sys, scheduler.cli; "
            "print(sorted(m for m in ('scheduler.store', 'scheduler.extract', 'sqlalchemy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
