"""Throughput of books and sensitivity runs, against a loop of single quotes.

Run: python benchmarks/bench_portfolio.py [--quotes N]

Prints organisations per second for expected losses (a million organisations),
for full quotes (premium with a risk load, insured expectation, recommended
limit and the statutory check), and the time of a 20-parameter tornado, each
beside the per-organisation loop of ``pc.quote`` run in the same process, and
the peak memory traced by Python (numpy arrays included). Books and the
tornado run in one thread and then on every CPU (``workers=-1``), with the ratio.
Targets on a 2-core machine: 10^6 organisations' expected losses under 2 s;
10,000 full quotes under 10 s; a 20-parameter tornado under 1 s.
"""

from __future__ import annotations

import argparse
import datetime
import time
import tracemalloc

import numpy as np

import picover as pc
from picover.analysis.threads import thread_count

DAY = datetime.date(2025, 3, 1)


def book(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    sectors = sorted(pc.BreachModel.preset("kr").frequency_model.base_rate)
    return {
        "records": np.rint(np.exp(rng.uniform(np.log(1e3), np.log(3e7), n))).astype(np.int64),
        "annual_sales": np.exp(rng.uniform(np.log(1e8), np.log(1e12), n)),
        "sector": rng.choice(sectors, n),
    }


def measure(fn):  # type: ignore[no-untyped-def]
    """Time one run, then trace the peak memory of a second: tracing every
    allocation slows numpy code down, so it must stay out of the timed run."""
    t0 = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - t0
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, elapsed, peak


def by_threads(run):  # type: ignore[no-untyped-def]
    """Time ``run(workers)`` in one thread, then on every CPU: yields each run's
    seconds, peak memory, speed against one thread, and thread count."""
    t_one = 0.0
    for workers in (1, -1):
        _, elapsed, peak = measure(lambda w=workers: run(w))
        t_one = t_one or elapsed
        yield elapsed, peak, t_one / elapsed, thread_count(workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quotes", type=int, default=1_000, help="organisations to quote (10,000 is the target)"
    )
    args = parser.parse_args()
    model = pc.BreachModel.preset("kr")
    policy = pc.Policy(limit=1e9, retention=1e7)

    # The baseline loops over the first organisations of the same book that the
    # batch prices, so the two rates compare like with like.
    quotes = book(args.quotes, seed=2)
    loop_n = min(20, args.quotes)
    orgs = [
        pc.Organisation(int(quotes["records"][i]), float(quotes["annual_sales"][i]),
                        str(quotes["sector"][i]))
        for i in range(loop_n)
    ]  # fmt: skip
    t0 = time.perf_counter()
    for o in orgs:
        pc.quote(o, policy, model=model, as_of=DAY)
        pc.recommend_coverage(o, model=model, as_of=DAY)
    per_quote = (time.perf_counter() - t0) / loop_n
    print(f"baseline: loop of pc.quote + recommend_coverage   {1e3 * per_quote:9.2f} ms per org")
    head = {k: v[:loop_n] for k, v in quotes.items()}
    t0 = time.perf_counter()
    pc.price_portfolio(head, policy, model=model, as_of=DAY, progress=False)
    per_batch = (time.perf_counter() - t0) / loop_n
    print(
        f"price_portfolio on those {loop_n} organisations   {1e3 * per_batch:9.2f} ms per org "
        f"({per_quote / per_batch:.2f}x the loop)"
    )

    cpus = thread_count(-1)
    million = book(1_000_000)
    outputs = ("expected_ground_up", "statutory_minimum", "obligation")
    for t_exp, peak, gain, threads in by_threads(
        lambda w: pc.price_portfolio(
            million, policy, model=model, outputs=outputs, as_of=DAY, workers=w
        )
    ):
        print(
            f"expected losses + statutory, 10^6 orgs, {threads} thread(s) "
            f"{t_exp:6.2f} s  ({1e6 / t_exp:,.0f} org/s, peak {peak / 2**20:,.0f} MiB; "
            f"{gain:.2f}x one thread; target < 2 s)"
        )
    # Per-row policies built row by row are equal but distinct objects: grouped by
    # value, they take one vectorised pass, as a single shared object does.
    part = {k: v[:100_000] for k, v in million.items()}
    terms = {"sublimits": {"investigation": 5e7}, "coinsurance": 0.9}
    for label, per_row in (
        ("one shared policy", pc.Policy(**terms)),
        ("a copy per row", [pc.Policy(**terms) for _ in range(100_000)]),
    ):
        t0 = time.perf_counter()
        pc.price_portfolio(part, per_row, model=model, outputs=("expected_insured",), as_of=DAY)
        print(f"expected insured, 10^5 orgs, {label:<18} {time.perf_counter() - t0:8.2f} s")
    for t_q, peak, gain, threads in by_threads(
        lambda w: pc.price_portfolio(
            quotes, policy, model=model, as_of=DAY, progress=False, workers=w
        )
    ):
        print(
            f"full quotes, {args.quotes:,} orgs, {threads} thread(s)    "
            f"{t_q:8.2f} s  ({args.quotes / t_q:,.0f} org/s, peak {peak / 2**20:,.0f} MiB; "
            f"{gain:.2f}x one thread)\n"
            f"  10,000 at this rate                    {t_q * 10_000 / args.quotes:8.1f} s  "
            "(target < 10 s)"
        )

    org = pc.Organisation(records=2_000_000, annual_sales=80e9, sector="online_platform")
    # Twenty parameters moved by -20% and +10% (probabilities stay within [0, 1]), each
    # one the organisation's pricing reads: other sectors' base rates would cost the
    # tornado nothing (it prices alike settings once), so all 41 settings are priced.
    chosen = [
        p
        for p, v in model.parameters().items()
        if v > 0
        and p != "litigation.p_suit_large"
        and not (p.startswith("frequency.base_rate.") and p != f"frequency.base_rate.{org.sector}")
    ]
    params = {p: (0.8 * model.parameters()[p], 1.1 * model.parameters()[p]) for p in chosen[:20]}
    for t_t, _, gain, threads in by_threads(
        lambda w: pc.sensitivity.tornado(
            org, policy, model=model, params=params, as_of=DAY, workers=w
        )
    ):
        print(
            f"tornado, 20 parameters on the premium, {threads} thread(s) "
            f"{t_t:6.2f} s  ({t_t / (41 * per_quote):.2f}x the time of 41 loop quotes; "
            f"{gain:.2f}x one thread; target < 1 s)"
        )

    # A sweep of an expected loss over the record count is vectorised; the
    # baseline prices the same points one by one, as the sweep does elsewhere.
    sizes = np.rint(np.geomspace(1e3, 3e7, 1_000))
    grid = {"organisation.records": sizes}
    t0 = time.perf_counter()
    pc.sensitivity.sweep(org, policy, model=model, grid=grid, output="expected_ground_up",
                         as_of=DAY)  # fmt: skip
    t_vec = time.perf_counter() - t0
    setting = pc.sensitivity.Setting(org, policy, model, pc.PremiumBasis(), DAY)
    t0 = time.perf_counter()
    for r in sizes[:100]:
        changed = pc.sensitivity.apply(setting, {"organisation.records": r})
        pc.sensitivity.evaluate(changed, "expected_ground_up")
    t_pointwise = (time.perf_counter() - t0) / 100 * sizes.size
    print(
        f"sweep of expected ground-up loss over 1,000 record counts {t_vec:6.3f} s  "
        f"(point by point {t_pointwise:.2f} s: {t_pointwise / t_vec:.1f}x)"
    )
    if cpus == 1:
        print("(one CPU here: the runs on every CPU are one-thread runs)")


if __name__ == "__main__":
    main()
