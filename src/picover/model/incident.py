"""The covered cost of one incident, on a grid: a mixture over K and over lawsuits.

Given K records exposed, the lawsuit indicator (probability p_suit(K)) and
liability (probability q), the categories are independent, so the transform
of one incident's covered cost is

    sum_i w_i * T_incident(k_i) * [(1 - p_i) + p_i * T_suit(k_i) * ((1 - q) + q * T_liab(k_i))]

where each T is the product of the transforms of the categories with that
trigger, each category capped at its sublimit, and (k_i, w_i) are the breach
size's quadrature nodes. One inverse FFT gives the incident's distribution;
what the grid cannot hold becomes a tail atom at its exact conditional mean,
as in the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from picover.engine import fft
from picover.engine.discretise import GridSeverity
from picover.model.costs import TRIGGERS, CostCategory, CostContext, on_grid
from picover.model.litigation import Litigation

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]


def expected_cost(
    category: CostCategory,
    litigation: Litigation,
    k: FloatArray,
    w: FloatArray,
    ctx: CostContext,
    sublimit: float,
) -> FloatArray:
    """E[min(C, sublimit)] per incident, over K and the category's trigger.

    ``k`` and ``w`` have a last axis of nodes; the result drops it.
    """
    p = litigation.probability(category.trigger, k)
    return np.asarray((w * p * category.limited_mean(k, ctx, sublimit)).sum(axis=-1))


class IncidentBuilder:
    """Grid distributions of one incident's covered cost for one organisation.

    Category transforms are computed once per grid and reused for the first
    incident of a year and for the later ones.
    """

    def __init__(
        self,
        costs: Mapping[str, CostCategory],
        litigation: Litigation,
        k: FloatArray,
        w: FloatArray,
        ctx: CostContext,
        sublimits: Mapping[str, float],
        bucket: float,
        n: int,
    ) -> None:
        self.costs, self.litigation = costs, litigation
        self.k, self.w, self.ctx = k, w, ctx
        self.sublimits = sublimits
        self.bucket, self.n = bucket, n
        self._probs: dict[str, FloatArray] = {}
        self._transforms: dict[tuple[str, int, float], ComplexArray] = {}
        self._products: dict[tuple[frozenset[str], int, float], Any] = {}

    def _transform(self, name: str, plan: Any) -> ComplexArray:
        key = (name, plan.n_fft, getattr(plan, "alpha", 0.0))
        if key not in self._transforms:
            if name not in self._probs:
                self._probs[name] = on_grid(
                    self.costs[name], self.k, self.ctx, self.bucket, self.n, self.sublimits[name]
                )[0]
            self._transforms[key] = plan.forward(self._probs[name])
        return self._transforms[key]

    def expected(self, names: Sequence[str]) -> float:
        """E[covered cost of one incident] for these categories (currency units)."""
        return float(
            sum(
                expected_cost(
                    self.costs[c], self.litigation, self.k, self.w, self.ctx, self.sublimits[c]
                )
                for c in names
            )
        )

    def _product(self, names: frozenset[str], plan: Any) -> Any:
        """Product of the named categories' transforms (1 when none), built on the
        product of all but the last name so that the first incident's set reuses
        the later incidents' one."""
        if not names:
            return 1.0
        key = (names, plan.n_fft, getattr(plan, "alpha", 0.0))
        if key not in self._products:
            last = max(names)
            self._products[key] = self._product(names - {last}, plan) * self._transform(last, plan)
        return self._products[key]

    def grid(self, names: Sequence[str]) -> GridSeverity:
        """The distribution of one incident's covered cost summed over ``names``."""
        p = self.litigation.p_suit(self.k)[:, None]
        q = self.litigation.q_liable
        by_trigger = {
            t: frozenset(c for c in names if self.costs[c].trigger == t) for t in TRIGGERS
        }

        def total_for(plan: Any) -> ComplexArray:
            suit = self._product(by_trigger["suit"], plan) * (
                (1.0 - q) + q * self._product(by_trigger["liability"], plan)
            )
            node = self._product(by_trigger["incident"], plan) * ((1.0 - p) + p * suit)
            node = np.broadcast_to(node, (self.k.size, plan.n_fft // 2 + 1))
            # A plain sum, not BLAS: its order, so its rounding, must not depend on
            # how many threads BLAS has (dask workers run with one).
            return np.asarray((self.w[:, None] * node).sum(axis=0), dtype=np.complex128)

        agg = fft.transform(self.n, total_for, self.bucket, self.expected(names))
        return GridSeverity(
            self.bucket, agg.probs[:-1].copy(), agg.tail_mass, agg.tail_mean, exact=False
        )
