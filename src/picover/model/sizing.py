"""How big the model's grid must be: how far a year's payments reach, and
what a typical incident costs (which sets the bucket).

Written on arrays (organisations x quadrature nodes), so that a book of
organisations can be sized at once; one organisation is a row of one.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from picover.engine import grid as _grid
from picover.engine.compound import NEAR
from picover.model.costs import CostContext
from picover.model.incident import expected_cost

if TYPE_CHECKING:
    from picover.model.breach_model import BreachModel, Terms

FloatArray = NDArray[np.float64]


def reach(
    model: BreachModel,
    terms: Terms,
    k: FloatArray,
    w: FloatArray,
    ctx: CostContext,
    n_mean: Any,
    n_high: Any,
    n_higher: Any,
    tol: float,
    body: Any = None,
) -> FloatArray:
    """Yearly totals of payments exceeded with probability about ``tol`` or less.

    One per row of ``k`` (organisations x nodes); ``n_mean``, ``n_high`` and
    ``n_higher`` are each organisation's expected count and its count
    quantiles at 1 - tol / 2 and 1 - tol / 4. Capped at the aggregate
    retention plus limit, beyond which all years pay alike. ``body``, when
    given, is a reach for the payments before any limit or annual term found
    otherwise (a coarse pass over the grid): it replaces the rough bound
    where it is smaller, unless an aggregate retention or an aggregate limit
    within the rough bound sets the reach.
    """
    names = terms.first
    level = 1.0 - tol / (2.0 * len(names) * np.maximum(n_mean, tol))
    k_top = k.max(axis=-1)
    # One incident: a union bound over categories at the largest breach.
    single = np.zeros(k_top.shape)
    for c in names:
        category = model.costs[c]
        quantile = getattr(category, "quantile", None)
        if quantile is not None:
            q = np.asarray(quantile(level, k_top, ctx), dtype=np.float64)
        else:
            q = np.array(
                [
                    float(category.severity(float(kt), _row(ctx, i)).ppf(float(lv)))
                    for i, (kt, lv) in enumerate(
                        zip(np.ravel(k_top), np.ravel(np.broadcast_to(level, k_top.shape)),
                            strict=True)
                    )
                ]
            ).reshape(k_top.shape)  # fmt: skip
        single += np.minimum(q, terms.sublimits[c])
    single = terms.coinsurance * np.minimum(
        np.maximum(single - terms.retention, 0.0), terms.per_incident_limit
    )
    ctx_nodes = _per_node(ctx)
    per_incident = sum(
        expected_cost(model.costs[c], model.litigation, k, w, ctx_nodes, terms.sublimits[c])
        for c in names
    )
    # The count's share: payments are at most c times the covered costs.
    top = np.maximum(1.25 * single, 1.5 * n_high * terms.coinsurance * per_incident)
    annual_end = terms.aggregate_retention + terms.aggregate_limit
    if body is not None and terms.aggregate_retention == 0 and not np.all(annual_end <= top):
        # Annual terms within the rough reach are reached, as they always were:
        # there they act exactly.
        top = np.where(annual_end <= top, top, np.minimum(top, body))
    if math.isfinite(terms.per_incident_limit):
        # Bounded payments: the count gives a hard bound.
        paid_max = terms.coinsurance * terms.per_incident_limit
        top = np.minimum(top, paid_max * np.maximum(n_higher, 1.0))
    if math.isfinite(terms.aggregate_limit):
        top = np.minimum(top, terms.aggregate_retention + terms.aggregate_limit)
    elif terms.aggregate_retention > 0:
        # Beyond the retention an unlimited payment is linear, exact on the tail
        # atom; a retention far beyond the losses is left beyond the grid (its
        # error bounded by the caller), not reached by a grid rounding swamps.
        far = 2.0 * terms.aggregate_retention > NEAR * top
        top = np.where(far, top, np.maximum(top, 2.0 * terms.aggregate_retention))
    return np.asarray(np.maximum(top, 1.0), dtype=np.float64)


def typical(
    model: BreachModel, terms: Terms, k: FloatArray, w: FloatArray, ctx: CostContext
) -> FloatArray:
    """A typical incident's covered cost: the weighted median over K of its expectation."""
    ctx_nodes = _per_node(ctx)
    per_node = np.zeros(k.shape)
    for c in terms.first:
        cat = model.costs[c]
        per_node += model.litigation.probability(cat.trigger, k) * cat.limited_mean(
            k, ctx_nodes, terms.sublimits[c]
        )
    order = np.argsort(per_node, axis=-1)
    cum = np.cumsum(np.take_along_axis(w, order, axis=-1), axis=-1)
    pick = np.minimum((cum < 0.5).sum(axis=-1, keepdims=True), k.shape[-1] - 1)
    return np.asarray(
        np.take_along_axis(np.take_along_axis(per_node, order, axis=-1), pick, axis=-1)[..., 0]
    )


def grid_points(top: float, typical_cost: float, points: int, cap: int) -> int:
    """Grid points so that a typical incident spans ``points`` buckets, within limits."""
    want = 2 ** math.ceil(math.log2(max(top * points / max(typical_cost, 1e-9), 1.0)))
    return int(min(max(want, _grid.MIN_BUCKETS), cap))


def _per_node(ctx: CostContext) -> CostContext:
    """An organisation's context broadcast against its row of nodes."""
    return CostContext(np.asarray(ctx.records)[..., None], np.asarray(ctx.annual_sales)[..., None])


def _row(ctx: CostContext, i: int) -> CostContext:
    return CostContext(float(np.ravel(ctx.records)[i]), float(np.ravel(ctx.annual_sales)[i]))
