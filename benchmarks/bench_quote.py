"""Speed of a full quote and of comparing five offers, beside the engine's single build.

Run: python benchmarks/bench_quote.py

A full quote builds the insured annual loss distribution of a 3-million-record
retailer under a 1 billion KRW policy, prices it, computes the expected
losses by category, the retained loss (100,000 simulated years for its TVaR)
and the statutory check. Target on a 2-core machine: under 20 ms.
"""

from __future__ import annotations

import datetime
import math
import statistics
import time
from collections.abc import Callable

from scipy import stats

import picover as pc

DAY = datetime.date(2025, 3, 1)


def median_time(fn: Callable[[], object], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    model = pc.BreachModel.preset("kr")
    shop = pc.Organisation(records=3_000_000, annual_sales=120e9, sector="retail")
    policy = pc.Policy(limit=1e9, retention=1e7)
    offers = [
        pc.Offer(f"insurer {i}", pc.Policy(limit=lim, retention=ret), premium=2e7)
        for i, (lim, ret) in enumerate([(5e8, 0.0), (1e9, 1e7), (1e9, 5e7), (2e9, 1e7), (5e9, 1e8)])
    ]
    severity = stats.lognorm(2.0, scale=2e6 * math.exp(-2.0))

    t_engine = median_time(lambda: pc.compound(stats.poisson(0.3), severity), 31)
    t_loss = median_time(lambda: model.annual_loss(shop, policy), 31)
    t_quote = median_time(lambda: pc.quote(shop, policy, model=model, as_of=DAY), 31)
    t_compare = median_time(lambda: pc.compare(shop, offers, model=model, as_of=DAY), 5)
    print(f"engine: one compound build (default grid)   {1e3 * t_engine:8.2f} ms")
    print(f"model: insured annual loss distribution     {1e3 * t_loss:8.2f} ms")
    print(f"full quote                                  {1e3 * t_quote:8.2f} ms  (target < 20)")
    print(f"  quote / engine build                      {t_quote / t_engine:8.2f} x")
    print(f"compare 5 offers                            {1e3 * t_compare:8.2f} ms")
    print(f"  per offer / quote                         {t_compare / 5 / t_quote:8.2f} x")


if __name__ == "__main__":
    main()
