"""How big the model's grid must be: how far a year's payments reach, and
what a typical incident costs (which sets the bucket).

The rough bounds are written on arrays (organisations x quadrature nodes), so
that a book of organisations can be sized at once; one organisation is a row
of one. :func:`grid` then chooses one organisation's bucket and length, and
:func:`coarse_reach` tightens a long grid's reach by a coarse pass.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from picover.engine import fft
from picover.engine import grid as _grid
from picover.engine.compound import NEAR
from picover.engine.discretise import GridSeverity
from picover.engine.frequency import Frequency, prob_any
from picover.model import payment
from picover.model.costs import CostContext
from picover.model.incident import IncidentBuilder, expected_cost
from picover.model.policy import Terms

if TYPE_CHECKING:
    from picover.model.breach_model import BreachModel

FloatArray = NDArray[np.float64]

#: Largest grid the model chooses by itself (a user may pass n_buckets).
MODEL_MAX_BUCKETS = 2**14
# A grid extended to reach a far retention or limit keeps its bucket up to this
# many points: a coarser one would spread each incident's cost and overstate
# what lies beyond a retention.
EXTENDED_MAX_BUCKETS = 2**16
#: Grid points per typical incident cost aimed at by the automatic grid.
POINTS_PER_INCIDENT = 16
#: The automatic grid sizes the year's reach by a coarse pass of SIZING_POINTS
#: points when its rough reach would need SIZING_MIN_POINTS or more, and then
#: reaches SIZING_MARGIN times the loss the pass finds at the tail tolerance,
#: unless more than SIZING_MEAN_SHARE of the mean lies beyond that loss (see
#: coarse_reach). Choices: a pass costs about a 1,024-point build, and a
#: margin of 2 left every tail tested below the tolerance at the first try.
SIZING_POINTS = 512
SIZING_MIN_POINTS = 4096
SIZING_MARGIN = 2.0
SIZING_MEAN_SHARE = 1e-2


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
        ppf = getattr(category, "ppf", None)
        if ppf is not None:
            q = np.asarray(ppf(level, k_top, ctx), dtype=np.float64)
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


def year_reach(
    model: BreachModel,
    freq: Frequency,
    terms: Terms,
    k: FloatArray,
    w: FloatArray,
    ctx: CostContext,
    tol: float,
    body: float | None = None,
) -> float:
    """A yearly total of payments exceeded with probability about ``tol`` or less
    (capped at the aggregate retention plus limit, beyond which all years pay
    alike; ``body``: see :func:`reach`)."""
    return float(
        reach(
            model, terms, k[None, :], w[None, :], ctx, freq.mean(),
            freq.ppf(1.0 - tol / 2.0), freq.ppf(1.0 - tol / 4.0), tol, body,
        )[0]
    )  # fmt: skip


def coarse_reach(
    model: BreachModel,
    freq: Frequency,
    terms: Terms,
    k: FloatArray,
    w: FloatArray,
    ctx: CostContext,
    reach: float,
    tol: float,
) -> float | None:
    """A tighter reach for the year's payments before limits and annual terms,
    from a coarse pass, when the grid for ``reach`` would be long (else None).

    The rough reach is often several times the loss it is asked for, and
    every point it adds costs time or, once the grid has its most points,
    a coarser bucket. A pass on ``SIZING_POINTS`` points over the same
    range finds the loss x exceeded with probability ``tol``; the answer
    is ``SIZING_MARGIN`` times x plus a bucket per category (the
    discretisation may move each cost up by less than one). Limits only
    lower the payments, and are left out so that far ones change nothing.
    None too when the pass holds more than ``tol`` beyond its end, or when
    more than ``SIZING_MEAN_SHARE`` of the mean lies beyond x (a far
    retention, whose payments are all in the tail). The caller still
    checks the tail on its own grid and grows it if needed.
    """
    top = terms.retention + reach / terms.coinsurance
    anchors = [terms.retention]
    if grid(model, top, k, w, ctx, terms, None, None, anchors)[1] < SIZING_MIN_POINTS:
        return None
    h, n = grid(model, top, k, w, ctx, terms, None, SIZING_POINTS, anchors)
    builder = IncidentBuilder(model.costs, model.litigation, k, w, ctx, terms.sublimits, h, n)

    def paid(names: tuple[str, ...]) -> GridSeverity:
        covered = builder.grid(names)
        return payment.paid(covered, terms.retention, math.inf, terms.coinsurance, False)

    later = paid(terms.later)
    first = later if terms.first == terms.later else paid(terms.first)
    p_any = prob_any(freq)
    exact = p_any * first.mean() + (freq.mean() - p_any) * later.mean()
    n_year = min(n, later.probs.size, first.probs.size)
    agg = fft.aggregate(freq, later, n_year, exact, first=None if first is later else first)
    if agg.tail_mass > tol:
        return None
    # Beyond each grid point x_i (the tail atom included): the probability,
    # and the share of the mean.
    beyond_p = np.cumsum(agg.probs[::-1])[::-1][1:]
    beyond_m = np.cumsum((agg.support * agg.probs)[::-1])[::-1][1:]
    thin = (beyond_p <= tol) & (beyond_m <= SIZING_MEAN_SHARE * exact)
    if not thin.any():
        return None
    i = int(np.argmax(thin))
    # The year's grid is c times X's; each category's cost may have moved up by
    # less than a bucket of X's.
    return SIZING_MARGIN * agg.bucket * (i + len(terms.first))


def grid(
    model: BreachModel,
    top: float,
    k: FloatArray,
    w: FloatArray,
    ctx: CostContext,
    terms: Terms,
    bucket: float | None,
    n_buckets: int | None,
    anchors: list[float],
    keep: float | None = None,
    coarsest: float = 0.0,
) -> tuple[float, int]:
    """The grid's bucket and length (points) for a grid reaching ``top``.

    Automatic grids give the typical incident ``POINTS_PER_INCIDENT``
    buckets, within ``MODEL_MAX_BUCKETS`` points, but no more points than
    a bucket of ``coarsest`` needs (about ``top / coarsest``, rounded up
    to a power of two): a caller asking only about losses far beyond the
    typical incident says so, and is spared a fine grid. ``keep``, a
    bucket to keep while the grid is stretched, overrides both.
    """
    if bucket is not None:
        # Per-incident terms act on the discretised sum of costs: exact only for
        # retentions and limits on grid points, so a given bucket must divide them.
        off = [a for a in anchors if 0 < a < math.inf and _grid.float_gcd([a, bucket]) != bucket]
        if off:
            raise ValueError(
                f"bucket {bucket:,.6g} does not divide the policy amount(s) "
                f"{', '.join(f'{a:,.6g}' for a in off)}: the per-incident terms would not be "
                "exact; choose a bucket that divides them, or give n_buckets instead"
            )
        return bucket, n_buckets if n_buckets is not None else _grid.length(top, bucket)
    # Amounts beyond the grid's end need no grid point (a far limit must not
    # push the retention off one).
    anchors = [a for a in anchors if a <= top]
    if n_buckets is not None:
        # A target: the bucket shrinks, and the grid grows, until the policy's
        # amounts fall on grid points.
        h = _grid.align(top / (n_buckets - 1), anchors)
        return h, max(n_buckets, _grid.length(top, h))
    cost = float(typical(model, terms, k[None, :], w[None, :], ctx)[0])
    n = grid_points(top, cost, POINTS_PER_INCIDENT, MODEL_MAX_BUCKETS)
    if coarsest > 0.0:
        n = min(n, grid_points(top, coarsest, 1, MODEL_MAX_BUCKETS))
    if keep is not None:
        n = max(n, grid_points(top, keep, 1, EXTENDED_MAX_BUCKETS))
    h = _grid.align(top / (n - 1) * (1.0 + 1e-12), anchors)
    return h, _grid.length(top, h)
