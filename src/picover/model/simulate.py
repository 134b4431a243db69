"""Monte Carlo years of the breach model, event by event, for cross-checks.

Each incident draws its breach size K from the breach-size distribution
itself, then whether a lawsuit follows and whether it finds liability, then
each category's cost; the policy's terms apply incident by incident (the
investigation clause by the incident's rank in its year) and then per year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from picover.model.costs import CostContext

if TYPE_CHECKING:
    from picover.model.breach_model import BreachModel, SimulatedYears, Terms
    from picover.model.exposure import Organisation


def simulate_years(
    model: BreachModel, org: Organisation, terms: Terms, n_sims: int, rng: np.random.Generator
) -> SimulatedYears:
    """Simulated years of ``org`` under ``model`` and ``terms`` (see module docstring)."""
    from picover.model.breach_model import SimulatedYears

    freq = model.frequency(org).counts()
    counts = freq.rvs(n_sims, rng)
    n_inc = int(counts.sum())
    year = np.repeat(np.arange(n_sims), counts)
    is_first = np.zeros(n_inc, dtype=bool)
    is_first[(np.cumsum(counts) - counts)[counts > 0]] = True

    k = model.breach_size.rvs(np.full(n_inc, float(org.records)), rng)
    suit = rng.random(n_inc) < model.litigation.p_suit(k)
    liable = suit & (rng.random(n_inc) < model.litigation.q_liable)
    happens = {"incident": np.ones(n_inc, dtype=bool), "suit": suit, "liability": liable}
    ctx = CostContext(float(org.records), float(org.annual_sales))

    by_category = {}
    covered = np.zeros(n_inc)
    for name, category in model.costs.items():
        cost = np.where(happens[category.trigger], category.rvs(k, ctx, rng), 0.0)
        by_category[name] = np.bincount(year, weights=cost, minlength=n_sims).astype(np.float64)
        if name in terms.first:
            paid = np.minimum(cost, terms.sublimits[name])
            if name not in terms.later:
                paid = np.where(is_first, paid, 0.0)
            covered += paid
    payment = terms.coinsurance * np.minimum(
        np.maximum(covered - terms.retention, 0.0), terms.per_incident_limit
    )
    totals = np.bincount(year, weights=payment, minlength=n_sims).astype(np.float64)
    insured = np.minimum(np.maximum(totals - terms.aggregate_retention, 0.0), terms.aggregate_limit)
    return SimulatedYears(by_category=by_category, insured=insured)
