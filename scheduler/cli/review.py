"""A person's side of the store: `review` (the queue, interactive or by flags), `edit`, `add`."""

from __future__ import annotations

import datetime as dt
import getpass
import os
import sys

import typer
from rich.text import Text

from scheduler.cli import app, output, views
from scheduler.cli.context import STATE
from scheduler.cli.output import Format, examples, nothing
from scheduler.errors import DeadlinesError, InputError, UsageError

BY_HELP = "Who made the change, kept in the history (default: the OS user)."
FORMAT_HELP = "table | json | jsonl | csv | tsv (with --list)."


def _by(by: str | None) -> str:
    if by and by.strip():
        return by.strip()
    try:
        return getpass.getuser() or "cli"
    except Exception:  # noqa: BLE001  (no user name in this environment)
        return "cli"


def _date(value: str | None, what: str) -> dt.date | None:
    from scheduler.clock import parse_date

    return parse_date(value, what) if value is not None else None


def queue_json(ms, doc, id_len: int | None = None) -> dict:
    return {
        "id": ms.id, "doc": doc.id, "published": doc.published.isoformat() if doc.published else None,
        "due": ms.due.isoformat(), "start": ms.start.isoformat() if ms.start else None,
        "precision": ms.precision, "rrule": ms.rrule, "owner": ms.owner, "task": ms.task,
        "time_text": ms.time_text, "rule": ms.rules[0] if ms.rules else None,
        "confidence": ms.confidence, "flags": list(ms.flags), "review": ms.review,
        "conflict": dict(ms.conflict or {}), "sentence": ms.sentence,
    }


def _queue_table(rows, width) -> None:
    from scheduler.store.queries import abbrev_length

    id_len = abbrev_length(STATE.engine)
    cols = [output.Col("id"), output.Col("conf", right=True), output.Col("due"),
            output.Col("owner", cap=views.owner_cap(width) if width else None),
            output.Col("task", flex=True)]
    lines = []
    for ms, _doc in rows:
        conf = ("冲突", "red") if ms.conflict else (f"{ms.confidence:.2f}",
                                                   "yellow" if ms.confidence < 0.75 else "")
        lines.append([(ms.id[:id_len], "bold"), conf, ms.due.isoformat(), ms.owner or "-", ms.task])
    output.print_lines(output.grid(cols, lines, width))


# -- the interactive screen ------------------------------------------------------------------
KEYS = "[a] accept  [r] reject  [e] edit  [s] skip  [q] quit"
PROMPTS = 4         # due, owner, task, precision


def _getkey() -> str:
    """One key press, without Enter (cbreak mode, so Ctrl-C still interrupts)."""
    import select
    import termios
    import tty

    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd, termios.TCSANOW)      # keep keys typed ahead (TCSAFLUSH drops them)
        first = os.read(fd, 1)                  # one key: the next ones wait for their screen
        rest = b""
        if first == b"\x1b":                    # Esc alone, or an arrow / function key
            while select.select([fd], [], [], 0.03)[0]:
                rest += os.read(fd, 1)
                if rest[-1:].isalpha() or rest[-1:] == b"~":
                    break
        elif first[0] >= 0xC0:                  # the rest of a UTF-8 character
            rest = os.read(fd, (2 if first[0] >= 0xE0 else 1) + (first[0] >= 0xF0))
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)
    if rest and first == b"\x1b":
        return ""
    return (first + rest).decode("utf-8", "replace")[:1].lower()


def _ask(prompt: str) -> str:
    try:
        return input(prompt)
    except EOFError:
        return ""


def _screen_lines(ms, doc, n: int, total: int, message: str, width: int, height: int) -> list[Text]:
    from scheduler.cli import detail
    from scheduler.store.review import shown

    head = Text(f"待复核 {n}/{total}", style="bold")
    head.append(f"  {ms.id}  confidence {ms.confidence:.2f}")
    if ms.flags:
        head.append(f"  {', '.join(ms.flags)}", style="yellow")
    lines = [head, Text("─" * width, style="dim")]
    lines += detail._field("task", Text(ms.task, style="bold"), width)
    due = Text(f"{ms.due.isoformat()} ({ms.precision})")
    if ms.start:
        due.append(f" from {ms.start.isoformat()}")
    if ms.rrule:
        due.append(f" ↻ {ms.rrule}")
    due.append(f"  ← {ms.time_text}", style="cyan")
    due.append(f" · {ms.rules[0] if ms.rules else '-'}", style="dim")
    lines += detail._field("due", due, width)
    lines += detail._field("owner", ms.owner or "-", width)
    published = doc.published.isoformat() if doc.published else "不详"
    lines += detail._field("document", f"{doc.id} · published {published} "
                           f"({views.short_how(doc.published_how)})", width)
    for name, value in (ms.conflict or {}).items():
        text = Text(f"{name}: yours {shown(getattr(ms, name))}, the text now says ", style="red")
        text.append(shown(value), style="bold red")
        lines += detail._field("conflict", text, width)
    footer = [Text("")]
    if message:
        footer.append(Text(output.fit(message, width), style="green"))
    keys = KEYS + ("  [k] keep yours" if ms.conflict else "")
    footer.append(Text(output.fit(keys, width), style="bold"))
    # rows left for the evidence: the cursor's line and the edit prompts stay on the screen
    room = height - len(lines) - len(footer) - 1 - PROMPTS
    evidence = detail._field("evidence", detail.evidence(ms), width)
    if len(evidence) > room:
        evidence = evidence[:max(1, room - 1)] + [Text(" " * (detail.LABEL + 2) + "…")]
    return lines + evidence + footer


def _edit_prompts(ms) -> dict:
    """Ask for each field; Enter keeps the value. A bad value is said and asked again."""
    from scheduler.store.review import PRECISIONS

    changes: dict = {}
    for name, label in (("due", "due"), ("owner", "owner"), ("task", "task")):
        current = getattr(ms, name)
        shown = current.isoformat() if isinstance(current, dt.date) else (current or "")
        while True:
            answer = _ask(f"{label} [{shown}]: ").strip()
            if not answer:
                break
            try:
                value = _date(answer, label) if name == "due" else answer
            except DeadlinesError as err:
                output.warn(str(err))
                continue
            if value != current:
                changes[name] = value
            break
    if "due" in changes:      # a date typed in is a day unless said otherwise
        while True:
            answer = _ask("precision [day]: ").strip() or "day"
            if answer in PRECISIONS:
                break
            output.warn(f"precision is one of {', '.join(PRECISIONS)}")
        if answer != ms.precision:
            changes["precision"] = answer
    return changes


def interactive(by: str) -> None:
    from scheduler.store import review as store

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("the review screen needs a terminal; in scripts use review --list, "
                         "--accept ID… or --reject ID… --reason R")
    engine = STATE.engine
    rows = store.queue(engine)
    if not rows:
        output.note("Nothing to review")
        raise typer.Exit(0)
    tally = {"accepted": 0, "rejected": 0, "edited": 0, "kept": 0, "skipped": 0}
    message = ""
    quit_early = False
    for n, (ms, doc) in enumerate(rows, 1):
        while True:
            width, height = output.screen()
            output.console.clear()
            output.print_lines(_screen_lines(ms, doc, n, len(rows), message, width, height))
            sys.stdout.write("> ")
            sys.stdout.flush()
            key = _getkey()
            sys.stdout.write(key + "\n")
            short = ms.id[:12]
            if key == "a":
                ms, what = store.accept(engine, ms.id, by, STATE.now())
                tally["accepted"] += 1
                message = f"✓ {short} {what}"
            elif key == "r":
                reason = _ask("reason: ").strip()
                if not reason:
                    message = "not rejected: a reason is needed"
                    continue
                store.reject(engine, ms.id, reason, by, STATE.now())
                tally["rejected"] += 1
                message = f"✗ {short} rejected: {reason}"
            elif key == "e":
                changes = _edit_prompts(ms)
                if not changes:
                    message = "nothing changed"
                    continue
                try:
                    ms, done = store.edit(engine, ms.id, changes, by, STATE.now())
                except DeadlinesError as err:
                    message = f"not saved: {err}"
                    continue
                tally["edited"] += 1
                message = f"✎ {short} edited: {', '.join(done) or 'no change'}"
            elif key == "k" and ms.conflict:
                store.keep(engine, ms.id, by, STATE.now())
                tally["kept"] += 1
                message = f"✓ {short} kept your values"
            elif key == "s":
                tally["skipped"] += 1
                message = f"→ {short} skipped"
            elif key in ("q", "\x1b", "\x04"):
                quit_early = True
            else:
                message = f"unknown key{' ' + repr(key) if key.isprintable() else ''}: " \
                    f"press a, r, e, s{', k' if ms.conflict else ''} or q"
                continue
            break
        if quit_early:
            break
    output.console.clear()
    left = len(store.queue(engine))
    done = ", ".join(f"{v} {k}" for k, v in tally.items() if v) or "nothing decided"
    sys.stdout.write(f"review: {done}; {left} still waiting\n")


# -- commands --------------------------------------------------------------------------------
@app.command("review", epilog=examples("deadlines review", "deadlines review --list",
                                       "deadlines review --accept 003-53d3 003-f8a3",
                                       "deadlines review --reject 003-9a1c --reason 不是任务"))
def review_cmd(
    milestone_ids: list[str] = typer.Argument(None, metavar="ID",
                                              help="With --accept, --reject or --keep: ids or unique prefixes."),
    accept: bool = typer.Option(False, "--accept", help="Accept the milestones (on a conflict: the "
                                "text's new values)."),
    reject: bool = typer.Option(False, "--reject", help="Reject them (needs --reason); they do "
                                "not come back on re-ingest."),
    keep: bool = typer.Option(False, "--keep", help="Resolve a conflict by keeping the person's values."),
    reason: str = typer.Option(None, "--reason", metavar="TEXT", help="Why, for --reject."),
    listing: bool = typer.Option(False, "--list", help="List the queue instead of walking it."),
    fmt: Format = typer.Option(Format.table, "--format", metavar="FORMAT", help=FORMAT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
    by: str = typer.Option(None, "--by", metavar="WHO", help=BY_HELP),
) -> None:
    """Walk the milestones waiting for review (conflicts, then lowest confidence first):
    accept, reject, edit, skip. Usable at 80×24; flags for scripts."""
    from scheduler.store import review as store

    actions = [name for name, on in (("--accept", accept), ("--reject", reject), ("--keep", keep),
                                     ("--list", listing)) if on]
    if len(actions) > 1:
        raise UsageError(f"choose one of {', '.join(actions)}")
    fmt = Format.json if as_json else fmt
    ids = milestone_ids or []
    if ids and not actions:
        raise UsageError("ids need --accept, --reject or --keep")
    if reason is not None and not reject:
        raise UsageError("--reason goes with --reject")
    who = _by(by)
    engine = STATE.engine
    if listing or (fmt is not Format.table and not actions):
        rows = store.queue(engine)
        if not rows:
            if fmt is not Format.table:
                output.emit(fmt, [])
            nothing("milestones waiting for review", {})
        width = output.screen()[0] if output.on_terminal() else None
        records = [queue_json(ms, doc) for ms, doc in rows]
        if fmt in (Format.csv, Format.tsv):       # field=value;… in a cell
            for record in records:
                record["conflict"] = ";".join(f"{k}={'' if v is None else v}"
                                              for k, v in record["conflict"].items())
        output.emit(fmt, records, lambda: _queue_table(rows, width))
        if fmt is Format.table:
            output.note(f"{len(rows)} waiting for review")
        return
    if not actions:
        interactive(who)
        return
    if not ids:
        raise UsageError(f"{actions[0]} needs at least one milestone id")
    if reject and not (reason or "").strip():
        raise UsageError("--reject needs --reason")
    for mid in ids:
        now = STATE.now()
        if accept:
            row, what = store.accept(engine, mid, who, now)
            (output.note if what.startswith("already") else _say)(f"{row.id}: {what}")
        elif reject:
            row, changed = store.reject(engine, mid, reason, who, now)
            (_say if changed else output.note)(f"{row.id}: {'rejected' if changed else 'already rejected'}")
        else:
            row = store.keep(engine, mid, who, now)
            _say(f"{row.id}: kept the person's values")


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")


def _every(value: str | None, reference: dt.date) -> str | None:
    """--every: an RRULE (FREQ=MONTHLY), or a phrase the rules know (每月, 每季度); `none` stops."""
    from scheduler.store.review import check_rrule

    if value is None:
        return None
    if value.strip().lower() in ("none", "-", ""):
        return ""
    if "FREQ=" in value.upper():
        return check_rrule(value)
    found = _phrase(value, reference)
    if found is None or not found.resolved.rrule:
        raise InputError(f"--every {value!r}: neither an RRULE (FREQ=…) nor a recurring phrase (每月)")
    return found.resolved.rrule


def _phrase(text: str, reference: dt.date):
    from scheduler.extract.phrase import resolve_phrase

    return resolve_phrase(text, reference, STATE.settings.rules_dir)


@app.command("edit", epilog=examples("deadlines edit 003-53d3 --due 2023-04-15 --owner 区住建局",
                                     "deadlines edit 003-274 --every FREQ=MONTHLY --until 2023-12-31 --by 王芳"))
def edit_cmd(
    milestone_id: str = typer.Argument(..., metavar="ID", help="Id or unique id prefix."),
    due: str = typer.Option(None, "--due", metavar="DATE", help="Due date YYYY-MM-DD."),
    start: str = typer.Option(None, "--start", metavar="DATE", help="Start date YYYY-MM-DD (- to clear)."),
    task: str = typer.Option(None, "--task", metavar="TEXT", help="The task."),
    owner: str = typer.Option(None, "--owner", metavar="TEXT", help="The owner (- to clear)."),
    precision: str = typer.Option(None, "--precision", metavar="P",
                                  help="day | xun | month | quarter | half | year."),
    every: str = typer.Option(None, "--every", metavar="RRULE",
                              help="Repeat: an RRULE (FREQ=MONTHLY) or 每月 / 每周 …; none to stop."),
    until: str = typer.Option(None, "--until", metavar="DATE", help="Last day of a repeating duty."),
    by: str = typer.Option(None, "--by", metavar="WHO", help=BY_HELP),
) -> None:
    """Correct a milestone. Each change is kept in the history, and a re-ingest keeps the
    person's values (a text that now says otherwise flags a conflict)."""
    from scheduler.store import review as store

    changes: dict = {}
    if due is not None:
        changes["due"] = _date(due, "--due")
    if start is not None:
        changes["start"] = None if start.strip() in ("-", "") else _date(start, "--start")
    if task is not None:
        if not task.strip():
            raise InputError("--task is empty")
        changes["task"] = task.strip()
    if owner is not None:
        changes["owner"] = None if owner.strip() in ("-", "") else owner.strip()
    if precision is not None:
        changes["precision"] = store.require(precision, store.PRECISIONS, "--precision")
    if every is not None:
        changes["rrule"] = _every(every, STATE.today()) or None
    last = _date(until, "--until")
    if not changes and last is None:
        raise UsageError("nothing to change: give --due, --start, --task, --owner, --precision, "
                         "--every or --until")
    row, done = store.edit(STATE.engine, milestone_id, changes, _by(by), STATE.now(), until=last)
    if not done:
        output.note(f"{row.id}: no change")
        return
    _say(f"{row.id}: edited {', '.join(done)}")


@app.command("add", epilog=examples("deadlines add \"完成老旧小区改造\" --due 2024-06-30 --owner 区住建局",
                                    "deadlines add \"报送半年工作总结\" --when 6月底前 --published 2024-03-01"))
def add_cmd(
    task: str = typer.Argument(..., metavar="TASK", help="What is to be done."),
    due: str = typer.Option(None, "--due", metavar="DATE", help="Due date YYYY-MM-DD."),
    when: str = typer.Option(None, "--when", metavar="PHRASE",
                             help="A time phrase (6月底前, 三季度末, 每月) resolved by the rules."),
    published: str = typer.Option(None, "--published", metavar="DATE",
                                  help="Reference date for --when (default: the --doc's "
                                  "publication date, else today)."),
    start: str = typer.Option(None, "--start", metavar="DATE", help="Start date YYYY-MM-DD."),
    owner: str = typer.Option(None, "--owner", metavar="TEXT", help="Who is responsible."),
    doc: str = typer.Option(None, "--doc", metavar="ID", help="Attach to this document "
                            "(default: the store's 手工录入 document)."),
    precision: str = typer.Option(None, "--precision", metavar="P",
                                  help="day | xun | month | quarter | half | year (default day)."),
    every: str = typer.Option(None, "--every", metavar="RRULE",
                              help="Repeat: an RRULE (FREQ=MONTHLY) or 每月 / 每周 …"),
    by: str = typer.Option(None, "--by", metavar="WHO", help=BY_HELP),
) -> None:
    """Enter a milestone by hand (it counts as reviewed; re-ingest never removes it)."""
    from scheduler.store import review as store

    if (due is None) == (when is None):
        raise UsageError("give exactly one of --due DATE or --when PHRASE")
    if published is not None and when is None:
        raise UsageError("--published goes with --when")
    reference = _date(published, "--published")
    if reference is None and doc:
        from scheduler.store.queries import document

        reference = document(STATE.engine, doc)[0].published
    reference = reference or STATE.today()
    values = {"precision": "day", "rrule": None, "start": None, "time_text": "", "rules": ["manual"]}
    if when is not None:
        found = _phrase(when, reference)
        if found is None:
            raise InputError(f"--when {when!r}: no time phrase the rules know (e.g. 6月底前, 三季度末)")
        res = found.resolved
        values.update(due=res.due, start=res.start, precision=res.precision, rrule=res.rrule,
                      time_text=found.text, rules=[found.rule, "manual"])
    else:
        values["due"] = _date(due, "--due")
    if start is not None:
        values["start"] = _date(start, "--start")
    if precision is not None:
        values["precision"] = store.require(precision, store.PRECISIONS, "--precision")
    if every is not None:
        values["rrule"] = _every(every, reference) or None
    row = store.add(STATE.engine, task=task, owner=(owner or "").strip() or None, doc=doc,
                    by=_by(by), now=STATE.now(), **values)
    extra = f" ↻ {row.rrule}" if row.rrule else ""
    how = f" ({row.time_text} · {row.rules[0]}, from {reference.isoformat()})" if when else ""
    _say(f"{row.id}: due {row.due.isoformat()}{how}{extra}")
