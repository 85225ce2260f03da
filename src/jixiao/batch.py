"""Checking many files: in order, streamed, on every core.

:func:`check_files` yields one report per file in the order given, as soon as it is ready, so a
batch of any size is checked in flat memory.  Large batches are spread over worker processes in
chunks, with a bounded number of chunks in flight.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeVar

from jixiao.catalogue import CATALOGUE
from jixiao.check import check_path
from jixiao.findings import Report, unreadable
from jixiao.layouts import UNKNOWN
from jixiao.profile import Profile

#: Below this many files one process is quicker than starting workers.
PARALLEL_THRESHOLD: Final = 64
CHUNK: Final = 32

Out = TypeVar("Out")


def check_one(path: Path, profile: Profile | None = None) -> Report:
    """:func:`check_path`, except that an unexpected error becomes a report instead of a crash.

    One broken file must not stop a batch of a hundred; ``JIXIAO_DEBUG=1`` re-raises instead.
    """
    try:
        return check_path(path) if profile is None else check_path(path, profile)
    except Exception:
        if os.environ.get("JIXIAO_DEBUG"):
            raise
        return Report(str(path), [unreadable(str(path), "internal").finding], UNKNOWN)


def is_fatal(report: Report) -> bool:
    """True when the source could not be read as a table at all."""
    return any(CATALOGUE[f.code].fatal for f in report.findings)


@dataclass(frozen=True, slots=True)
class Line:
    """A report as ``check --json`` prints it, and whether it passed: what a worker sends back
    instead of the report itself (a line of text crosses processes far quicker)."""

    json: str
    fatal: bool
    valid: bool


def as_line(report: Report) -> Line:
    return Line(report.to_json(), is_fatal(report), report.valid)


def _keep(report: Report) -> Report:
    return report


def _check_chunk(
    paths: Sequence[Path], profile: Profile | None, render: Callable[[Report], Out]
) -> list[Out]:
    return [render(check_one(path, profile)) for path in paths]


def default_workers() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def check_files(
    paths: Sequence[Path], workers: int | None = None, profile: Profile | None = None
) -> Iterator[Report]:
    """One report per path, in order; ``workers`` processes for large batches (default: every core).

    ``profile`` judges the self-evaluations among them (default: :data:`jixiao.profile.DEFAULT`).
    """
    return rendered_files(paths, _keep, workers, profile)


def check_lines(
    paths: Sequence[Path], workers: int | None = None, profile: Profile | None = None
) -> Iterator[Line]:
    """:func:`check_files` as the JSON lines ``check --json`` prints, made in the workers."""
    return rendered_files(paths, as_line, workers, profile)


def rendered_files(
    paths: Sequence[Path],
    render: Callable[[Report], Out],
    workers: int | None = None,
    profile: Profile | None = None,
) -> Iterator[Out]:
    """``render`` of each path's report, in order, rendered where the report was made (``render``
    is a module-level function, so that it reaches the worker processes)."""
    workers = default_workers() if workers is None else max(workers, 1)
    if workers == 1 or len(paths) < PARALLEL_THRESHOLD:
        yield from (render(check_one(path, profile)) for path in paths)
        return
    # fork: the workers start with everything already imported.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        in_flight: deque[Future[list[Out]]] = deque()
        for start in range(0, len(paths), CHUNK):
            in_flight.append(pool.submit(_check_chunk, paths[start : start + CHUNK], profile, render))
            if len(in_flight) > 2 * workers:
                yield from in_flight.popleft().result()
        while in_flight:
            yield from in_flight.popleft().result()
