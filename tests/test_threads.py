"""Work in threads: results in the work's order, failures raised, counts checked."""

from __future__ import annotations

import threading
import time

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


def test_thread_counts():
    cpus = usable_cpus()
    assert thread_count(None) == 1
    assert thread_count(-1) == cpus
    assert thread_count(-cpus) == 1
    with pytest.raises(ValueError, match=rf"workers must be a whole number in \[-{cpus}, inf\]"):
        thread_count(-cpus - 1)
