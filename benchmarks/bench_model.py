"""Speed of the breach model: expected losses for many organisations, distributions for some.

Run: python benchmarks/bench_model.py

Prints, in one process, with the one-organisation call as the baseline:
- expected losses (ground-up, by category) for one organisation;
- the same for 100,000 organisations, vectorised, and the loop it replaces
  (timed on 1,000 organisations and scaled);
- annual loss distributions (FFT) for 100 organisations, ground-up and under
  a policy, against one organisation's time;
- the distributions of a mid-sized organisation ground-up (100,000 records)
  and of a small one under a sublimited, coinsured policy (10,000 records);
- the grid sized by its coarse pass against the rough reach alone (the
  baseline, the pass switched off in the same process), for the 100
  organisations ground-up and under a 10 million KRW retention: time and
  the ratio of the buckets.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

import picover as pc
from picover.model import sizing
from picover.model.vectorised import expected_losses_arrays


def timed(fn: Callable[[], object], repeat: int = 5) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    model = pc.BreachModel.preset("kr")
    rng = np.random.default_rng(2026)
    n = 100_000
    records = np.rint(np.exp(rng.uniform(np.log(1e2), np.log(1e8), n)))
    sales = np.exp(rng.uniform(np.log(1e8), np.log(1e12), n))
    sectors = rng.choice(sorted(model.frequency_model.base_rate), n)
    orgs = [pc.Organisation(int(records[i]), float(sales[i]), str(sectors[i])) for i in range(1000)]
    policy = pc.Policy(limit=1e9, retention=1e7)

    t_one = timed(lambda: model.expected_losses(orgs[0]), repeat=51)
    t_loop = timed(lambda: [model.expected_losses(o) for o in orgs], repeat=3) / len(orgs)
    t_vec = timed(lambda: expected_losses_arrays(model, records, sales, sectors), repeat=3)
    print("expected losses (ground-up, by category)")
    print(f"  one organisation            {1e3 * t_one:9.3f} ms")
    print(f"  loop, per organisation      {1e3 * t_loop:9.3f} ms")
    print(f"  100,000 vectorised          {t_vec:9.3f} s   ({n / t_vec:,.0f} per second)")
    print(f"  speed-up over the loop      {t_loop * n / t_vec:9.1f} x")

    hundred = orgs[:100]
    for label, pol in (("ground-up", None), ("insured (1bn xs 10m)", policy)):
        t1 = timed(lambda pol=pol: model.annual_loss(hundred[0], pol), repeat=11)
        t100 = timed(lambda pol=pol: [model.annual_loss(o, pol) for o in hundred], repeat=1)
        print(f"annual loss distributions, {label}")
        print(f"  one organisation            {1e3 * t1:9.2f} ms")
        print(f"  100 organisations           {t100:9.3f} s   ({1e3 * t100 / 100:.2f} ms each)")

    mid = pc.Organisation(100_000, 1e10, "retail")
    small = pc.Organisation(10_000, 1e9, "retail")
    sublimited = pc.Policy(limit=5e9, sublimits={"investigation": 5e7}, coinsurance=0.9)
    t_mid = timed(lambda: model.annual_loss(mid), repeat=11)
    t_small = timed(lambda: model.annual_loss(small, sublimited), repeat=11)
    print("annual loss distributions, single organisations")
    print(f"  100,000 records, ground-up  {1e3 * t_mid:9.2f} ms")
    print(f"  10,000 records, sublimited  {1e3 * t_small:9.2f} ms")

    print("grid sized by a coarse pass, against the rough reach alone (same 100)")
    sized_body = sizing.coarse_reach
    for label, pol in (("ground-up", None), ("retention 10m", pc.Policy(retention=1e7))):
        runs = {}
        for name, body in (("rough", lambda *args: None), ("sized", sized_body)):
            sizing.coarse_reach = body  # type: ignore[assignment]
            try:
                t0 = time.perf_counter()
                buckets = [model.annual_loss(o, pol).bucket for o in hundred]
                runs[name] = (time.perf_counter() - t0, np.array(buckets, dtype=float))
            finally:
                sizing.coarse_reach = sized_body
        (t_rough, h_rough), (t_sized, h_sized) = runs["rough"], runs["sized"]
        print(
            f"  {label:<14} {1e3 * t_sized / 100:7.2f} ms each vs {1e3 * t_rough / 100:7.2f}"
            f"  ({t_rough / t_sized:.2f}x faster); buckets finer by a median"
            f" {np.median(h_rough / h_sized):.2f}x, up to {np.max(h_rough / h_sized):.1f}x"
        )


if __name__ == "__main__":
    main()
