"""Digests at scale: N subscribers over the seeds, prepared and sent through the outbox to a
local SMTP server (aiosmtpd), beside a bare smtplib loop sending the same stored messages over
one connection, in the same run.

    python bench/digests.py [--subscribers 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import smtplib
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.controller import Controller  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from bench._common import machine, peak_rss_mb, seeds  # noqa: E402
from scheduler import config  # noqa: E402
from scheduler.extract import extract  # noqa: E402
from scheduler.notify import deliver, prepare  # noqa: E402
from scheduler.store import connect, ingest  # noqa: E402
from scheduler.store.tables import Outbox, Subscriber  # noqa: E402

NOW = dt.datetime(2023, 7, 3, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


class Count:
    def __init__(self):
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=10_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    engine = connect(f"sqlite:///{folder / 'd.db'}")
    for doc, data, published in seeds():
        ingest(engine, doc, extract(data, published=published, doc=doc), NOW)
    owners = ["市北区", "区人社局", "市南区", None]
    with Session(engine) as session:
        for i in range(args.subscribers):
            session.add(Subscriber(email=f"user{i}@example.org", owner=owners[i % 4],
                                   schedule="weekly", at="08:00", token=f"t{i}", created_at=NOW))
        session.commit()
        people = list(session.exec(select(Subscriber)))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Count()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings = config.Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_retries=0)

    start = time.perf_counter()
    for person in people:
        prepare(engine, settings, person, NOW.date(), NOW)
    prepared = time.perf_counter() - start
    start = time.perf_counter()
    result = deliver(engine, settings, NOW)
    sent_s = time.perf_counter() - start
    ours_total = prepared + sent_s

    with Session(engine) as session:
        bodies = [row.body for row in session.exec(select(Outbox).where(Outbox.state == "sent"))]
    messages = [email.message_from_string(b, policy=email.policy.SMTP) for b in bodies]
    before = inbox.n
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for msg in messages:
            client.send_message(msg)
    bare_s = time.perf_counter() - start
    controller.stop()

    n = result.sent
    print(f"machine: {machine()}")
    print(f"ours:  {args.subscribers:,} subscribers → {n:,} digests; prepare (query + render + "
          f"claim) {prepared:.1f} s = {args.subscribers / prepared:,.0f}/s; deliver {sent_s:.1f} s "
          f"= {n / sent_s:,.0f} msg/s; total {n / ours_total:,.0f} digests/s")
    print(f"bare:  smtplib loop of the same {len(messages):,} messages on one connection "
          f"{bare_s:.1f} s = {len(messages) / bare_s:,.0f} msg/s (server got {inbox.n - before:,})")
    print(f"ratio: our delivery step runs at {bare_s / sent_s:.2f}x the bare loop's rate; "
          f"whole digest pipeline at {bare_s / ours_total:.2f}x")
    print(f"peak memory (RSS): {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
