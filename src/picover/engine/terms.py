"""Insurance terms applied to distributions on a grid.

Per-occurrence terms map each atom of one event's loss; annual terms map each
atom of the year's total. Both are exact on the atoms; the only care needed
is the tail atom beyond the grid, which stands for a spread of values with a
known mean: a map that is linear (or constant) beyond the grid keeps it exact,
anything else is bounded and reported.
"""

from __future__ import annotations

import math

import numpy as np

from picover.engine.discretise import GridSeverity, place_atoms
from picover.engine.fft import Aggregate
from picover.engine.lossdist import LossDistribution


def reaches(top: float, amount: float) -> bool:
    """Whether a grid ending at ``top`` reaches ``amount``, rounding aside: a grid
    built to end at an amount may end one unit in the last place short of it
    (its bucket times its points), and the tail beyond then differs from the
    amount by far less than the figures' own accuracy.

    Examples
    --------
    >>> reaches(119999999.99999999, 1.2e8), reaches(1.1999e8, 1.2e8)
    (True, False)
    """
    return top >= amount * (1.0 - 1e-12)


def apply_incident_terms(
    sev: GridSeverity, deductible: float, limit: float, share: float, strict: bool = True
) -> GridSeverity:
    """The payment ``share * min((X - deductible)+, limit)`` of a loss X on a grid.

    The result stays on the same bucket: payments that fall between grid
    points (a deductible or limit off the grid, or a share below 1) are split
    between neighbours keeping their mean. (A share below 1 adds spread that
    does not shrink with it: the breach model passes 1 and rescales the
    bucket by the share instead, exactly.) The tail beyond the grid maps
    exactly when the grid reaches ``deductible + limit`` (it then pays the
    limit) or, with an infinite limit, the deductible (the map is linear
    beyond).

    With ``strict=False`` a grid ending inside the layer is allowed: the tail
    atom then pays ``share * min(mean - deductible, limit)``, too much by at
    most :func:`incident_terms_error`.

    Raises
    ------
    ValueError
        If ``strict`` and the grid ends inside the layer (or, without a limit,
        short of the deductible) while probability lies beyond it.

    Examples
    --------
    >>> g = GridSeverity(1.0, np.array([0.5, 0.25, 0.25]), 0.0, math.nan)
    >>> apply_incident_terms(g, 1.0, math.inf, 1.0).probs
    array([0.75, 0.25, 0.  ])
    """
    if deductible == 0.0 and math.isinf(limit) and share == 1.0:
        return sev
    h = sev.bucket
    n = sev.probs.size
    top = h * (n - 1)
    x = h * np.arange(n, dtype=np.float64)
    paid = share * np.minimum(np.maximum(x - deductible, 0.0), limit)
    tail_p, tail_m = sev.tail_prob, sev.tail_mean
    if (
        strict
        and tail_p > 0
        and (top < deductible or math.isfinite(limit))
        and (top < deductible + limit)
    ):
        # Beyond the grid only the tail's mean is known: the payment maps it
        # exactly where it is linear there (from the deductible on, without a
        # limit) or constant (beyond deductible plus limit), not otherwise.
        where = (
            f"short of the deductible {deductible:,.6g}"
            if top < deductible
            else f"inside the layer {limit:,.6g} xs {deductible:,.6g}"
        )
        raise ValueError(
            f"the grid ends at {top:,.6g}, {where}, with probability {tail_p:.3g} beyond "
            "it: extend the grid"
        )
    if tail_p == 0:
        return place_atoms(paid, sev.probs, h, n)
    values = np.append(paid, share * min(max(tail_m - deductible, 0.0), limit))
    probs = np.append(sev.probs, tail_p)
    if math.isfinite(limit) and top >= deductible + limit:
        return place_atoms(values, probs, h, n)  # the whole tail pays the limit
    # Beyond the grid the payment is linear (or, with a limit beyond the grid,
    # concave: see incident_terms_error), so the tail's mean maps (nearly)
    # exactly, but it now starts at share * (top - deductible): shorten the grid
    # to there so that it still holds everything below its end, and the tail
    # stays a tail that later terms can see (not an atom inside the grid).
    n_out = max(2, math.floor(share * (top - deductible) / h + 1e-9) + 1)
    return place_atoms(values, probs, h, min(n, n_out))


def incident_terms_error(sev: GridSeverity, deductible: float, limit: float, share: float) -> float:
    """Bound on the error in the mean payment when the grid ends inside the layer.

    Beyond the grid's end the payment ``share * min((x - deductible)+, limit)``
    is concave, so the tail atom's payment at the tail's mean exceeds the
    true mean payment over the tail by at most its rise from the grid's end.

    Examples
    --------
    >>> g = GridSeverity(1.0, np.array([0.5, 0.25, 0.25]), 0.01, 10.0)  # tail mean 10
    >>> incident_terms_error(g, 1.0, 100.0, 1.0)  # 0.01 * (min(9, 100) - (2 - 1))
    0.08
    >>> incident_terms_error(g, 1.0, math.inf, 1.0)  # linear beyond: exact
    0.0
    """
    top = sev.top
    if sev.tail_prob == 0 or math.isinf(limit) or top >= deductible + limit:
        return 0.0
    rise = min(max(sev.tail_mean - deductible, 0.0), limit) - max(top - deductible, 0.0)
    return sev.tail_prob * share * max(rise, 0.0)


def unresolved_tail(agg: Aggregate, agg_d: float, agg_l: float) -> float:
    """Probability still beyond the grid after the annual terms (0 when the limit caps it).

    Examples
    --------
    >>> agg = Aggregate(1.0, np.array([0.0, 1.0, 2.0, 3.0, 5.0]),  # grid 0..3, tail atom at 5
    ...                 np.array([0.5, 0.25, 0.125, 0.0625, 0.0625]), 0.0625, 5.0)
    >>> unresolved_tail(agg, 1.0, 1.0)  # the grid reaches 1 + 1: the tail pays the limit
    0.0
    >>> unresolved_tail(agg, 1.0, math.inf)
    0.0625
    """
    if math.isfinite(agg_l) and reaches(agg.top, agg_d + agg_l):
        return 0.0
    return agg.tail_mass


def annual_terms_error(agg: Aggregate, agg_d: float, agg_l: float) -> float:
    """Bound on the error in the mean from applying the annual terms to the tail atom.

    Inside the tail the payment g(s) = min((s - d)+, l) is linear when the grid
    reaches d and l is unlimited, constant when it reaches d + l. Between d
    and d + l it is concave, and the atom's payment g(mean) exceeds the true
    E[g(S) | tail] by at most g(mean) - g(grid end). When the grid ends below
    d the payment is convex there (or neither, with a limit): both the atom's
    payment and the true one lie in [0, min(l, mean - grid end)], which bounds
    the error.

    Examples
    --------
    >>> agg = Aggregate(1.0, np.array([0.0, 1.0, 2.0, 3.0, 5.0]),  # grid 0..3, tail atom at 5
    ...                 np.array([0.5, 0.25, 0.125, 0.0625, 0.0625]), 0.0625, 5.0)
    >>> annual_terms_error(agg, 1.0, math.inf)  # linear beyond the grid: exact
    0.0
    >>> annual_terms_error(agg, 0.0, 4.0)  # the limit 4 lies beyond the grid's end 3
    0.0625
    >>> annual_terms_error(agg, 4.0, math.inf)  # the retention 4 lies beyond it
    0.125
    """
    if agg.tail_mass == 0.0 or reaches(agg.top, agg_d + agg_l):
        return 0.0
    if not reaches(agg.top, agg_d):
        return agg.tail_mass * min(agg_l, agg.tail_mean - agg.top)
    if math.isinf(agg_l):
        return 0.0

    def pay(s: float) -> float:
        return min(max(s - agg_d, 0.0), agg_l)

    return agg.tail_mass * (pay(agg.tail_mean) - pay(agg.top))


def apply_annual_terms(
    agg: Aggregate, agg_d: float, agg_l: float, currency: str, exact_var: float = math.nan
) -> LossDistribution:
    """The insurer's annual payment ``min((S - agg_d)+, agg_l)`` of a total S on a grid.

    Each atom of the year's total is mapped exactly and atoms paying the same
    amount are merged. The tail atom beyond the grid becomes an atom at the
    limit when the grid reaches ``agg_d + agg_l``; otherwise it stays a tail,
    beyond ``agg.top - agg_d`` (see :func:`annual_terms_error` for the error
    in its mean), and no payment exceeds ``agg_l`` (the result's ``upper``).
    A tail of mass 0 is dropped.

    Parameters
    ----------
    agg : Aggregate
        The year's total loss on the grid, with its tail atom.
    agg_d : float
        Aggregate retention (currency units; 0 for none).
    agg_l : float
        Aggregate limit (currency units; ``inf`` for none).
    currency : str
        Unit of the amounts, carried to the result.
    exact_var : float, optional
        The total's variance in closed form, carried to the result (only
        without annual terms: they change it).

    Returns
    -------
    LossDistribution
        The annual payment, with ``method="fft"`` and the grid's bucket.

    Examples
    --------
    >>> agg = Aggregate(1.0, np.array([0.0, 1.0, 2.0, 3.0, 5.0]),  # grid 0..3, tail atom at 5
    ...                 np.array([0.5, 0.25, 0.125, 0.0625, 0.0625]), 0.0625, 5.0)
    >>> d = apply_annual_terms(agg, 1.0, 1.0, "KRW")  # 1 KRW xs 1 KRW a year
    >>> d.support.tolist(), d.probs.tolist(), d.tail_mass
    ([0.0, 1.0], [0.75, 0.25], 0.0)
    >>> d = apply_annual_terms(agg, 1.0, math.inf, "KRW")  # unlimited: the tail remains
    >>> d.mean(), d.tail_mass, d.tail_from
    (0.5, 0.0625, 2.0)
    """
    tail, tail_from = agg.tail_mass, agg.top
    if tail > 0:
        x, p = agg.support, agg.probs
    else:
        x, p = agg.support[:-1].copy(), agg.probs[:-1].copy()
    if agg_d > 0 or math.isfinite(agg_l):
        y = np.minimum(np.maximum(x - agg_d, 0.0), agg_l)
        # y is non-decreasing: merge the runs of equal payments into single atoms.
        new = np.concatenate(([True], np.diff(y) > 0))
        x = y[new]
        p = np.bincount(np.cumsum(new) - 1, weights=p).astype(np.float64, copy=False)
        if tail > 0:
            if reaches(agg.top, agg_d + agg_l):
                tail, tail_from = 0.0, math.inf  # the whole tail pays the limit
            else:
                # A grid ending below the retention leaves every payment unknown
                # but for its mean (accurate within annual_terms_error).
                tail_from = max(agg.top - agg_d, 0.0)
                if x[-1] <= tail_from:
                    # The tail's payment, at its mean, falls where the grid's own
                    # payments lie (nothing, below a far retention): one of them.
                    tail = 0.0
    if tail == 0.0:
        tail_from = math.inf
    x.flags.writeable = False
    p.flags.writeable = False
    return LossDistribution(
        x,
        p,
        tail_mass=tail,
        tail_from=tail_from,
        bucket=agg.bucket,
        method="fft",
        currency=currency,
        exact_var=exact_var if agg_d == 0 and math.isinf(agg_l) else math.nan,
        upper=agg_l,
    )
