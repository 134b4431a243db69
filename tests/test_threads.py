"""Work in threads: results in the work's order, failures raised, counts checked."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from picover.analysis.threads import ordered_map, thread_count, usable_cpus


def test_results_keep_the_order_of_the_work():
    # Later items finish first; each result still lands in its item's place, and
    # two threads really ran (their names differ).
    names = set()

    def slow_first(x: int) -> int:
        names.add(threading.current_thread().name)
        time.sleep(0.02 * (5 - x))
        return 10 * x

    assert ordered_map(slow_first, range(6), 2, "test", progress=False) == [0, 10, 20, 30, 40, 50]
    assert len(names) == 2


def test_the_first_failure_is_raised_and_the_rest_cancelled():
    started = []

    def fail_on_one(x: int) -> int:
        started.append(x)
        if x == 1:
            raise KeyError("item one")
        time.sleep(0.05)
        return x

    with pytest.raises(KeyError, match="item one"):
        ordered_map(fail_on_one, list(range(40)), 2, "test", progress=False)
    assert len(started) < 40  # the queue was cancelled, not run to its end


def test_the_failure_raised_is_the_first_in_order_not_in_time():
    # Item 0 fails late, item 20 (another thread's run) at once: one thread would
    # raise item 0's error, and so must two.
    def late_and_early(x: int) -> int:
        if x == 0:
            time.sleep(0.2)
            raise ValueError("item 0")
        if x == 20:
            raise ValueError("item 20")
        return x

    for _ in range(3):
        with pytest.raises(ValueError, match="item 0"):
            ordered_map(late_and_early, list(range(32)), 2, "test", progress=False)


def test_the_callers_numpy_error_settings_hold_in_the_threads():
    def divide(x: float) -> float:
        return float(np.float64(x) / 0.0)

    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        ordered_map(divide, [1.0, 2.0, 3.0], 2, "test", progress=False)
    with np.errstate(divide="ignore"):
        assert ordered_map(divide, [1.0, 2.0], 2, "test", progress=False) == [np.inf, np.inf]


def test_many_cheap_items_keep_their_order():
    items = list(range(100_000))
    assert ordered_map(lambda x: x + 1, items, 2, "test", progress=False) == [x + 1 for x in items]


def test_thread_counts():
    cpus = usable_cpus()
    assert thread_count(None) == 1
    assert thread_count(-1) == cpus
    assert thread_count(-cpus) == 1
    for bad in (0, -cpus - 1):
        with pytest.raises(ValueError, match=rf"or from -1 to -{cpus} to count back .* got {bad}"):
            thread_count(bad)
