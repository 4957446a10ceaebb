"""Bulk ingest: extraction in worker processes, a time budget per document, no orphans.

Every document is extracted in a worker process (pebble's pool), so a document that takes longer
than its budget is stopped — its worker is killed and replaced — and reported failed while the
rest go on. Workers die with their parent: each watches its parent's pid and exits when the
parent is gone (even after SIGKILL, which no handler sees), and ignores Ctrl-C, which the parent
turns into stopping the pool. The parent stores the results, one document per transaction.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout

from pebble import ProcessExpired, ProcessPool

from scheduler.errors import DeadlinesError

WATCH_SECONDS = 0.5


def _start_worker(parent: int, warm: Callable | None) -> None:
    """Worker initializer: exit as soon as the parent process is gone; load what every document
    needs (the rules) before the first budget starts."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl-C: the parent stops the pool
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()
    if warm is not None:
        warm()


class Extractor:
    """`with Extractor(fn, workers=2, budget=60) as ex: for job, value, error in ex.map(jobs)`.

    `fn(job)` runs in a worker; results come back in the order of `jobs`, each either a value
    or a one-line error (over budget, worker died, or an exception `fn` did not handle)."""

    def __init__(self, fn: Callable, *, workers: int, budget: float | None,
                 warm: Callable | None = None):
        self.fn, self.workers, self.budget, self.warm = fn, max(1, workers), budget, warm
        self.pool: ProcessPool | None = None

    def __enter__(self) -> Extractor:
        self.pool = ProcessPool(max_workers=self.workers, initializer=_start_worker,
                                initargs=(os.getpid(), self.warm))
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.stop()          # kills workers still busy (interrupt, error)
            self.pool.join()
            self.pool = None

    def map(self, jobs: Iterable) -> Iterator[tuple[object, object, str | None]]:
        ahead: deque = deque()
        window = self.workers * 4     # scheduled ahead: enough to keep workers busy, not all at once
        pending = iter(jobs)
        for job in pending:
            ahead.append((job, self.pool.schedule(self.fn, args=(job,), timeout=self.budget)))
            if len(ahead) >= window:
                yield self._result(*ahead.popleft())
        while ahead:
            yield self._result(*ahead.popleft())

    def _result(self, job, future) -> tuple[object, object, str | None]:
        try:
            return job, future.result(), None
        except FutureTimeout:
            return job, None, f"stopped after the time budget of {self.budget:g} s per document"
        except ProcessExpired as err:
            return job, None, f"the extraction process died (exit {err.exitcode})"
        except DeadlinesError:        # raised here, in the parent (SIGTERM): stop everything
            raise
        except Exception as err:      # a bug in extraction: this document fails, the rest go on
            return job, None, f"{type(err).__name__}: {err}"
