"""Running independent pieces of work in threads of this process.

numpy's arithmetic and transforms run outside Python's global lock, so two
threads pricing different organisations (or different settings of one) use
two cores for the part of the work that is numpy's. Results come back in the
order of the work given, so a threaded run returns what one thread would.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import itertools
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

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
    k = _checks.integer("workers", workers)
    if k == 0 or k < -cpus:
        raise ValueError(
            f"workers must be a positive count of threads, or from -1 to -{cpus} to count "
            f"back from the {cpus} CPUs this process may use (-1: all); got {k}"
        )
    return k if k > 0 else cpus + 1 + k


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, as a cpuset limits it;
    a CPU quota such as ``docker --cpus`` is not seen).

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

    The items go to the threads in about eight runs of consecutive items a
    thread (a task per item would cost more than a cheap ``fn``), each run
    under a copy of the caller's context variables, so settings such as
    ``np.errstate`` hold in the threads too. An exception is the one a
    single thread would raise: that of the first failing item in order.
    After a failure or an interrupt, runs not yet started are cancelled and
    those running are waited for.

    Examples
    --------
    >>> ordered_map(lambda x: x * x, [1, 2, 3], threads=2, label="squares", progress=False)
    [1, 4, 9]
    """
    if threads <= 1 or len(items) <= 1:
        return [fn(x) for x in track(items, label, progress)]
    bounds = np.linspace(0, len(items), min(len(items), 8 * threads) + 1).astype(int)
    runs = [items[lo:hi] for lo, hi in itertools.pairwise(bounds)]

    def run(chunk: Sequence[T]) -> list[R]:
        return [fn(x) for x in chunk]

    with concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="picover") as pool:
        # The pool starts runs in the order given: every run before a failed one
        # has started, and is waited for, so its own failure is not missed.
        futures = [pool.submit(contextvars.copy_context().run, run, chunk) for chunk in runs]
        try:
            done = concurrent.futures.as_completed(futures)
            for future in track(done, label, progress, total=len(futures)):
                if future.exception() is not None:
                    break
        finally:
            for future in futures:
                future.cancel()
    results: list[R] = []
    for future in futures:
        results.extend(future.result())  # raises the first failure in order
    return results
