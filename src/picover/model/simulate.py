"""Monte Carlo years of the breach model, event by event, for cross-checks.

Each incident draws its breach size K from the breach-size distribution
itself, then whether a lawsuit follows and whether it finds liability, then
each category's cost. The simulated incidents are kept, so that many
policies can be applied to the same incidents (common random numbers): the
terms apply incident by incident (the investigation clause by the incident's
rank in its year) and then per year.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs
import numpy as np
from numpy.typing import NDArray

from picover.model.costs import CostContext

if TYPE_CHECKING:
    from picover.model.breach_model import BreachModel
    from picover.model.exposure import Organisation
    from picover.model.policy import Terms

FloatArray = NDArray[np.float64]


@attrs.frozen(eq=False)
class SimulatedIncidents:
    """Simulated incidents: their year, whether each is its year's first, and costs by category."""

    n_sims: int
    year: NDArray[np.int64]
    is_first: NDArray[np.bool_]
    costs: Mapping[str, FloatArray]

    def yearly(self, amounts: FloatArray) -> FloatArray:
        """Sum per-incident amounts into years."""
        out = np.zeros(self.n_sims)
        if self.year.size:
            # Incidents are stored year by year: sum each year's run.
            starts = np.flatnonzero(self.is_first)
            out[self.year[starts]] = np.add.reduceat(amounts, starts)
        return out

    def payments(self, terms: Terms) -> FloatArray:
        """The insurer's payment for each year under ``terms``."""
        covered = np.zeros(self.year.size)
        for name in terms.first:
            paid = np.minimum(self.costs[name], terms.sublimits[name])
            if name not in terms.later:
                paid = np.where(self.is_first, paid, 0.0)
            covered += paid
        payment = terms.coinsurance * np.minimum(
            np.maximum(covered - terms.retention, 0.0), terms.per_incident_limit
        )
        totals = self.yearly(payment)
        return np.minimum(
            np.maximum(totals - terms.aggregate_retention, 0.0), terms.aggregate_limit
        )


#: Incidents one simulation may hold: each takes about _BYTES_PER_INCIDENT bytes.
MAX_INCIDENTS = 20_000_000
_BYTES_PER_INCIDENT = 100


def simulate_incidents(
    model: BreachModel, org: Organisation, n_sims: int, rng: np.random.Generator
) -> SimulatedIncidents:
    """Simulate ``n_sims`` years of incidents of ``org`` under ``model``."""
    freq = model.frequency(org).counts()
    counts = freq.rvs(n_sims, rng)
    n_inc = int(counts.sum())
    if n_inc > MAX_INCIDENTS:
        raise ValueError(
            f"{n_sims:,} simulated years hold {n_inc:,} incidents ({n_inc / n_sims:,.4g} a "
            f"year), more than the {MAX_INCIDENTS:,} a simulation keeps in memory (about "
            f"{MAX_INCIDENTS * _BYTES_PER_INCIDENT / 2**30:.0f} GiB); simulate fewer years, "
            "or check the frequency"
        )
    year = np.repeat(np.arange(n_sims), counts)
    is_first = np.zeros(n_inc, dtype=bool)
    is_first[(np.cumsum(counts) - counts)[counts > 0]] = True

    k = model.breach_size.rvs(np.full(n_inc, float(org.records)), rng)
    suit = rng.random(n_inc) < model.litigation.p_suit(k)
    liable = suit & (rng.random(n_inc) < model.litigation.q_liable)
    happens = {"incident": np.ones(n_inc, dtype=bool), "suit": suit, "liability": liable}
    ctx = CostContext(float(org.records), float(org.annual_sales))
    costs = {
        name: np.where(happens[category.trigger], category.rvs(k, ctx, rng), 0.0)
        for name, category in model.costs.items()
    }
    return SimulatedIncidents(n_sims, year.astype(np.int64), is_first, costs)
