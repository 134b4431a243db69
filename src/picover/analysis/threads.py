"""Running independent pieces of work in threads of this process.

numpy's arithmetic and transforms run outside Python's global lock, so two
threads pricing different organisations (or different settings of one) use
two cores for the part of the work that is numpy's. Results come back in the
order of the work given, so a threaded run returns what one thread would.
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from picover import _checks
from picover.analysis.progress import track

T = TypeVar("T")
R = TypeVar("R")


def thread_count(workers: Any) -> int:
    """The number of threads ``workers`` asks for (None: 1; -1: every CPU this
    process may use, -2: all but one, and so on, as in ``scipy.fft``).

    Examples
    --------
    >>> thread_count(None), thread_count(3)
    (1, 3)
    >>> thread_count(-1) >= 1
    True
    """
    if workers is None:
        return 1
    cpus = usable_cpus()
    k = _checks.integer("workers", workers, low=-cpus)
    if k == 0:
        raise ValueError(
            f"workers must be a positive count of threads, or negative to count back from "
            f"the {cpus} CPUs (-1: all); got 0"
        )
    return k if k > 0 else cpus + 1 + k


def usable_cpus() -> int:
    """The CPUs this process may run on (a container's share, not the machine's).

    Examples
    --------
    >>> usable_cpus() >= 1
    True
    """
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover - platforms without affinity


def ordered_map(
    fn: Callable[[T], R],
    items: Sequence[T],
    threads: int,
    label: str,
    progress: bool | None = None,
) -> list[R]:
    """``[fn(x) for x in items]``, ``threads`` at a time, with a progress bar.

    The first exception raised by ``fn`` (or an interrupt) cancels the items
    not yet started and is raised here.

    Examples
    --------
    >>> ordered_map(lambda x: x * x, [1, 2, 3], threads=2, label="squares", progress=False)
    [1, 4, 9]
    """
    if threads <= 1 or len(items) <= 1:
        return [fn(x) for x in track(items, label, progress)]
    results: list[Any] = [None] * len(items)
    with concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="picover") as pool:
        order = {pool.submit(fn, x): i for i, x in enumerate(items)}
        try:
            done = concurrent.futures.as_completed(order)
            for future in track(done, label, progress, total=len(order)):
                results[order[future]] = future.result()
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return results
