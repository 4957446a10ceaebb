"""`deadlines`: thin commands over extract / store / calendar. No logic lives here."""

from __future__ import annotations

import os
import sys

import typer

try:   # typer ≥ 0.20 ships its own copy of click
    from typer._click import exceptions as cx
except ImportError:  # pragma: no cover
    from click import exceptions as cx

from scheduler.cli.context import STATE
from scheduler.errors import DeadlinesError, say

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}


def _no_type_noise() -> None:
    """Typer prints an argument's Python type (`EMAIL <str>`) even when it has a metavar; the
    metavar says it better."""
    try:
        from typer.core import TyperArgument
    except ImportError:  # pragma: no cover
        return
    shown = getattr(TyperArgument, "display_type_rich", None)
    if shown is not None:
        TyperArgument.display_type_rich = lambda self, ctx: None if self.metavar else shown(self, ctx)


_no_type_noise()
app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None, context_settings=HELP_OPTIONS,
                  help="Dated commitments in Chinese government texts → milestones, calendars, digests.",
                  epilog="Examples:\n\n\b\n  deadlines ingest seeds/\n  deadlines status --within 14")


@app.callback()
def _global(
    db: str = typer.Option(None, "--db", metavar="URL",
                           help="SQLAlchemy database URL (overrides DEADLINES_DB)."),
    config: str = typer.Option(None, "--config", metavar="FILE",
                               help="TOML settings file (default: user config dir)."),
    today: str = typer.Option(None, "--today", metavar="DATE", help="Pretend today is YYYY-MM-DD."),
) -> None:
    STATE.db, STATE.config_path, STATE.today_flag = db, config, today
    STATE._settings = None
    STATE._engine = None
    if today:
        STATE.today(today)   # validate early: one clear line for a bad date


# Registers the commands, in the order `deadlines --help` lists them.
# isort: off
from scheduler.cli import commands, milestones, owners, agenda  # noqa: E402,F401
from scheduler.cli import mail, publish, watch, search  # noqa: E402,F401
from scheduler.cli import review  # noqa: E402,F401
# isort: on


def main(argv: list[str] | None = None) -> None:
    try:
        _main(argv)
    finally:
        # closing the pool's connections lets SQLite checkpoint its WAL into the database file
        engine, STATE._engine = STATE._engine, None
        if engine is not None:
            try:
                engine.dispose()
            except Exception:  # noqa: BLE001  (the command's own outcome stands)
                pass


def _main(argv: list[str] | None) -> None:
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="deadlines", standalone_mode=False)
    except cx.NoArgsIsHelpError as err:   # the help, once (rich help prints while it is built)
        text = err.format_message()
        if text.strip():
            sys.stdout.write(text + "\n")
        sys.exit(0)
    except cx.NoSuchOption as err:
        _fail(f"no such option: {err.option_name}", 2)
    except cx.UsageError as err:
        _fail(err.format_message().splitlines()[0], 2)
    except cx.ClickException as err:
        _fail(err.format_message().splitlines()[0], err.exit_code)
    except typer.Abort:
        _fail("aborted", 130)
    except DeadlinesError as err:
        _fail(str(err), err.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as err:   # a bug: one line for the user, the traceback on request
        if os.environ.get("DEADLINES_DEBUG"):
            raise
        database = _database_error(err)
        if database:
            _fail(f"database error: {database}", 6)
        _fail(f"internal error: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
              " (set DEADLINES_DEBUG=1 for the traceback)", 70)
    sys.exit(code if isinstance(code, int) else 0)


DRIVERS = ("sqlalchemy", "sqlite3", "psycopg")


def _database_error(err: Exception) -> str | None:
    """The driver's own first line for a failure of the database (read-only, corrupt, gone)."""
    if type(err).__module__.split(".")[0] not in DRIVERS:
        return None
    orig = getattr(err, "orig", None) or err
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def _fail(message: str, code: int) -> None:
    sys.stderr.write(f"deadlines: error: {say(message)}\n")
    sys.exit(code)
