"""Reading every record file for `index rebuild`, on several cores.

Decrypting and parsing 100,000 snapshots is CPU work under one interpreter
lock; forked worker processes (which inherit the session's keys, and write
nothing) share it out. Forking is only done from a process with no other
thread (the command line): a fork of a threaded process (the TUI) can
inherit a lock held by another thread, so there the files are read in-process.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

MIN_PARALLEL = 2000  # below this, starting processes costs more than it saves
CHUNK = 250

ReadOne = Callable[[Path], Any]
_reader: ReadOne | None = None  # set in the parent just before the fork; the children inherit it


def _read(path: Path) -> Any:
    assert _reader is not None
    return _reader(path)


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def read_all(paths: Sequence[Path], read_one: ReadOne, workers: int = 1) -> Iterator[Any]:
    """`read_one(path)` for every path, in order; on `workers` processes when
    that is safe and worth it."""
    parallel = (workers > 1 and len(paths) >= MIN_PARALLEL and threading.active_count() == 1
                and "fork" in multiprocessing.get_all_start_methods())
    if not parallel:
        for path in paths:
            yield read_one(path)
        return
    global _reader
    _reader = read_one
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield from pool.imap(_read, paths, chunksize=CHUNK)
    finally:
        _reader = None
