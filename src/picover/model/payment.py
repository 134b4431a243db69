"""One incident's payment on the grid, and what the grid cannot see of it.

An incident's covered cost X (its categories' costs within their sublimits)
lies on a grid; the policy's per-incident terms turn it into a payment
c min((X - r)+, l) on c times that grid. Beside the payment itself this module
bounds what the grid misses: the payment's stop-loss transform beyond the grid
(for limits and retentions the grid does not reach), the year's variance from
the categories' second moments, and the bias a coarse bucket leaves at the
policy's bends.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from picover.engine import fft
from picover.engine.compound import compound_variance, count_excess_bound
from picover.engine.discretise import GridSeverity
from picover.engine.frequency import Frequency
from picover.engine.terms import apply_incident_terms, incident_terms_error
from picover.model.costs import CostContext
from picover.model.incident import expected_cost, second_moment, stop_loss_bound
from picover.model.policy import Terms

if TYPE_CHECKING:
    from picover.model.breach_model import BreachModel

FloatArray = NDArray[np.float64]
#: A bound t -> E[(P - t)+] on a payment's stop-loss transform (currency units).
StopLoss = Callable[[FloatArray], FloatArray]

#: Largest share of an incident's payment second moment that the grid's
#: discretisation below the retention may leave unknown for the variance under
#: per-incident terms to be reported as known (see :func:`paid_var`).
#: Against grids of 2^18 points the error was a third of that bound or less.
PAID_VAR_TOL = 1e-2


def paid(
    covered: GridSeverity, retention: float, limit: float, share: float, strict: bool
) -> GridSeverity:
    """One incident's payment ``share * min((X - retention)+, limit)`` from its
    covered cost X on a grid, on a bucket ``share`` times X's.

    The payment before the share lies on X's grid when the retention and
    limit are grid points (else it is split between neighbours keeping its
    mean); the share then only rescales the grid, exactly. On X's own bucket a
    share below 1 would split every payment between neighbours: a spread of up
    to h^2 / 4 that does not shrink with the share (45% on the standard
    deviation at a share of 0.01), and, for a tiny share, payments lumped in
    one bucket that an aggregate limit inside it cuts wrongly.

    Examples
    --------
    >>> g = GridSeverity(1.0, np.array([0.5, 0.25, 0.25]), 0.0, math.nan)
    >>> p = paid(g, 1.0, math.inf, 0.1, True)
    >>> p.bucket, p.probs.tolist()  # payments 0, 0.1 (currency units)
    (0.1, [0.75, 0.25, 0.0])
    """
    paid = apply_incident_terms(covered, retention, limit, 1.0, strict)
    if share == 1.0:
        return paid
    return GridSeverity(share * paid.bucket, paid.probs, paid.tail_prob, share * paid.tail_mean)


def payment(covered: GridSeverity, terms: Terms, strict: bool) -> GridSeverity:
    """One incident's payment under ``terms`` from its covered cost on a grid (see :func:`paid`)."""
    return paid(covered, terms.retention, terms.per_incident_limit, terms.coinsurance, strict)


def payment_error(covered: GridSeverity, terms: Terms, excess: StopLoss | None = None) -> float:
    """Bound on the error of a per-incident limit left beyond the grid.

    The tail atom's payment overstates the tail's by at most what the
    limit cuts off, E[c (X - r - l)+] = E[(c (X - r) - c l)+], which
    ``excess`` (a bound on E[(c (X - r)+ - t)+], see :func:`paid_excess`
    with the limit lifted) bounds far more tightly than the tail's mean.
    """
    error = incident_terms_error(
        covered, terms.retention, terms.per_incident_limit, terms.coinsurance
    )
    if error > 0 and excess is not None:
        cut = terms.coinsurance * terms.per_incident_limit
        error = min(error, float(excess(np.array([cut]))[0]))
    return error


def covered_mean(
    model: BreachModel,
    names: tuple[str, ...],
    k: FloatArray,
    w: FloatArray,
    ctx: CostContext,
    terms: Terms,
) -> float:
    """E[one incident's covered cost] over the categories ``names``, each within
    its sublimit (currency units)."""
    return math.fsum(
        float(expected_cost(model.costs[c], model.litigation, k, w, ctx, terms.sublimits[c]))
        for c in names
    )


def grid_second_moment(g: GridSeverity) -> float:
    """E[X^2] on the grid, the mass beyond it as one atom at its mean (currency
    units squared; without the tail's spread)."""
    x = g.bucket * np.arange(g.probs.size)
    body = float((x * x * g.probs).sum())
    return body + (g.tail_prob * g.tail_mean**2 if g.tail_prob > 0 else 0.0)


def exact_var(
    model: BreachModel,
    freq: Frequency,
    k: FloatArray,
    w: FloatArray,
    ctx: CostContext,
    terms: Terms,
    first_mean: float,
    later_mean: float,
) -> float | None:
    """Var(S) when payments are c times the covered costs: the first incident's
    and the later ones' second moments from the categories (currency units
    squared; None when a category offers no second moment)."""
    later = second_moment(model.costs, model.litigation, k, w, ctx, terms.sublimits, terms.later)
    first = (
        later
        if terms.first == terms.later
        else second_moment(model.costs, model.litigation, k, w, ctx, terms.sublimits, terms.first)
    )
    if later is None or first is None:
        return None
    c2 = terms.coinsurance**2
    return compound_variance(freq, (later_mean, c2 * later), (first_mean, c2 * first))


def paid_var(
    model: BreachModel,
    freq: Frequency,
    k: FloatArray,
    w: FloatArray,
    ctx: CostContext,
    terms: Terms,
    later: tuple[GridSeverity, GridSeverity],
    first: tuple[GridSeverity, GridSeverity],
) -> float | None:
    """Var(S) under per-incident terms alone, from each incident's (covered cost,
    payment) on the grid (currency units squared; None when unknown).

    The year's own grid sees the tail beyond it as one atom, without its
    spread, which for heavy tails is much of the variance. The incidents'
    grids do better: a payment that reaches its limit on the grid has a
    fixed tail; an unlimited one, c (X - r), has the spread of X's tail,
    E[X^2] - E[X^2; X on the grid] - P(tail) E[X | tail]^2, with E[X^2] from
    the categories. Exact but for the grid's discretisation of each
    incident. None when a limit lies beyond the grid, when a category
    offers no second moment, or when the discretisation's spread below the
    retention (which does not cancel) could exceed ``PAID_VAR_TOL`` of the
    payment's second moment: a retention far out in a small firm's costs.
    """
    moments = []
    for (covered, paid), names in ((later, terms.later), (first, terms.first)):
        square = grid_second_moment(paid)
        if paid.tail_prob > 0:
            if math.isfinite(terms.per_incident_limit) or covered.top < terms.retention:
                # The tail pays c min(X - r, l), or (a grid ending short of the
                # retention) nothing over part of it: its spread is unknown.
                return None
            whole = second_moment(model.costs, model.litigation, k, w, ctx, terms.sublimits, names)
            if whole is None:
                return None
            c2, h = terms.coinsurance**2, covered.bucket
            # E[X^2] less the grid's: the tail's spread, less the spread the
            # discretisation adds (each category's cost split between two grid
            # points: at most h^2 / 4 each). Above the retention that spread is
            # in the payment's grid too, and cancels; below it, it is missing.
            square += c2 * max(whole - grid_second_moment(covered), 0.0)
            below = float(covered.probs[: math.ceil(terms.retention / h - 1e-9)].sum())
            if c2 * below * len(names) * h * h / 4.0 > PAID_VAR_TOL * square:
                return None  # a far retention: the grid cannot tell the tail's spread
        moments.append((paid.mean(), square))
    return compound_variance(freq, moments[0], moments[1])


def paid_excess(
    model: BreachModel,
    k: FloatArray,
    w: FloatArray,
    ctx: CostContext,
    terms: Terms,
    first: bool,
    h: float,
) -> StopLoss | None:
    """A bound t -> E[(P - t)+] on one incident's payment P when X's grid has bucket ``h``.

    On the grid each of the m categories' costs moves up by less than a
    bucket at most, and the payment, on c times X's grid, by less than
    c h more (their tails beyond the grid are atoms at their means, which
    only lowers what lies above t), so P <= c (X + m h - r)+ + c h in the
    stop-loss order, and E[(P - t)+] <= c E[(X - s)+] with
    s = r - m h + t / c - h. The
    per-incident limit only lowers P. None when a category offers no
    ``stop_loss``. A custom category's ``on_grid`` must keep to the same
    rule (each cost moved up by less than a bucket, the tail beyond the grid
    an atom at its mean) for the bound to hold. The transform's rounding
    (about 1e-16 n^2 h on a grid of n points) is not in it: on very wide
    grids it can exceed the bound far out, where both are negligible.
    """
    names = terms.first if first else terms.later
    if any(getattr(model.costs[c], "stop_loss", None) is None for c in names):
        return None
    c, r, m = terms.coinsurance, terms.retention, len(names)

    def bound(t: FloatArray) -> FloatArray:
        s = r - m * h + np.asarray(t, dtype=np.float64) / c - h
        x = stop_loss_bound(
            model.costs, model.litigation, k, w, ctx, terms.sublimits, names, np.maximum(s, 0.0)
        )
        if x is None:  # not reached: every category has stop_loss
            raise RuntimeError("a category lost its stop_loss")
        # Below 0, E[(X - s)+] = E[X] - s: the bound at 0 plus -s.
        return c * (x + np.maximum(-s, 0.0))

    return bound


def year_excess(
    model: BreachModel,
    freq: Frequency,
    k: FloatArray,
    w: FloatArray,
    ctx: CostContext,
    terms: Terms,
    h: float,
    at: float,
) -> float:
    """A bound on E[(S - at)+] for the year's total S of payments, X's grid
    having bucket ``h`` (inf when a category offers no ``stop_loss``)."""
    later = paid_excess(model, k, w, ctx, terms, False, h)
    first = paid_excess(model, k, w, ctx, terms, True, h)
    if later is None or first is None:
        return math.inf
    if terms.first == terms.later:
        first = later
    cap = terms.coinsurance * (terms.per_incident_limit + h)
    if math.isfinite(cap):
        # No payment on the grid exceeds c times the per-incident limit by a
        # bucket of its own (c h) or more (a limit between grid points is split
        # between the neighbours). The bounds above ignore the limit, which they must
        # elsewhere; here n payments sum to at most n times the cap.
        later, first = capped(later, cap), capped(first, cap)
    # Each payment's mean is at most its bound at 0.
    biggest = max(float(later(np.zeros(1))[0]), float(first(np.zeros(1))[0]))
    return count_excess_bound(freq, later, first, biggest, at)


def capped(excess: StopLoss, cap: float) -> StopLoss:
    """A bound on E[(P - t)+] that knows P <= cap: zero from the cap on."""

    def bound(t: FloatArray) -> FloatArray:
        t = np.asarray(t, dtype=np.float64)
        return np.where(t >= cap, 0.0, excess(t))

    return bound


def bend_density(probs: FloatArray, h: float, a: float) -> float:
    """The density at a bend ``a`` of masses ``probs`` on 0, h, 2h, ... (0
    when a is 0, infinite, or too near the grid's end to tell).

    The smaller of its averages over the two buckets either side (a itself
    left out): rounding moves a payment's mean only where mass lies on both
    sides of its bend. A nearly fixed cost at a (a crisis fee equal to the
    retention), with the other costs above it, pays linearly and has no
    bias, and its spike is no density. The point 0 holds every cost below
    half a bucket, a lump and no density: with fewer than two points between
    it and a, the average over the three buckets around a stands in (too
    high, if anything).
    """
    if not 0.0 < a < math.inf:
        return 0.0
    j = round(a / h)
    if j + 2 >= probs.size:
        return 0.0
    if j >= 3:
        return min(float(probs[j - 2 : j].mean()), float(probs[j + 1 : j + 3].mean())) / h
    return float(probs[max(j - 1, 1) : j + 2].mean()) / h


def annual_kink_bias(agg: fft.Aggregate, parts: float, terms: Terms) -> float:
    """A rough estimate, meant to err high, of how far the grid moves the
    year's mean payment at the annual terms' bends (currency units).

    As in :func:`kink_bias`, for the year's total: of the ``parts`` costs a
    year puts on the grid separately on average (incidents times their
    categories) all but one spread it (all, at a bend between grid points),
    each by a variance of at most h^2 / 4 (h the year's bucket), and the
    payment moves by about half the density at each bend (the aggregate
    retention, and it plus the aggregate limit) times that variance, never
    more than the bend's amount.

    Examples
    --------
    >>> probs = np.append(np.full(100, 0.01), 0.0)  # density 0.01, no tail
    >>> agg = fft.Aggregate(1.0, np.arange(101.0), probs, 0.0, math.nan)
    >>> t = Terms((), (), {}, 0.0, math.inf, 1.0, 50.0, math.inf)
    >>> annual_kink_bias(agg, 3.0, t)  # 0.01 * 2 / 8
    0.0025
    """
    h = agg.bucket
    total = 0.0
    d, limit = terms.aggregate_retention, terms.aggregate_limit
    for a in (d, d + limit):
        density = bend_density(agg.probs[:-1], h, a)
        total += min(density * _spread(parts, a, h) * h * h / 8.0, a)
    return total


def kink_bias(covered: GridSeverity, names: int, terms: Terms) -> float:
    """A rough estimate, meant to err high, of how far the grid moves one
    incident's mean payment at the policy's bends (currency units).

    Each of the ``names`` categories is put on the grid keeping its mean,
    which spreads it by a variance of at most h^2 / 4; at a bend on a grid
    point one of them can be spread without effect (a lone cost's layer
    means are exact at grid points), so the sum's spread is at most
    (m - 1) h^2 / 4 there, and m h^2 / 4 at a bend between grid points. A
    payment bending at an amount a (the retention, and the retention plus
    the per-incident limit) then moves by about half its bend's density
    times that variance: c f(a) (m - 1) h^2 / 8 at a grid point, with f(a)
    read from the grid around a, and never
    more than c a: the payment bends by min(X, a), which is in [0, a] on the
    grid and off it. Against
    finer grids it mostly came out 2 to 15 times the actual bias (a lone
    fixed cost near a, which has none, can make it far higher).

    Examples
    --------
    >>> g = GridSeverity(1.0, np.full(100, 0.01), 0.0, math.nan)  # density 0.01
    >>> t = Terms((), (), {}, 50.0, math.inf, 1.0, 0.0, math.inf)
    >>> kink_bias(g, 3, t)  # 0.01 * 2 / 8
    0.0025
    >>> spike = np.zeros(100); spike[50:53] = [0.5, 0.3, 0.2]  # all at 50 and above
    >>> kink_bias(GridSeverity(1.0, spike, 0.0, math.nan), 3, t)
    0.0
    >>> off = Terms((), (), {}, 50.5, math.inf, 1.0, 0.0, math.inf)  # between points
    >>> kink_bias(g, 3, off)  # 0.01 * 3 / 8
    0.00375
    """
    h = covered.bucket
    total = 0.0
    for a in (terms.retention, terms.retention + terms.per_incident_limit):
        density = bend_density(covered.probs, h, a)
        # The payment bends by min(X, a), which lies in [0, a] on and off the
        # grid: a bend can move the mean by a at most.
        total += min(density * _spread(names, a, h) * h * h / 8.0, a)
    return terms.coinsurance * total


def _spread(parts: float, a: float, h: float) -> float:
    """How many of ``parts`` costs, each put on the grid of bucket h, spread a
    payment bending at a: all but one at a grid point (a lone cost's layer
    means are exact there), all of them between grid points."""
    on_point = abs(a / h - round(a / h)) <= 1e-9 * max(1.0, a / h) if math.isfinite(a) else True
    return max(parts - 1.0, 0.0) if on_point else parts
