"""Where one incident's insured cost bends as a function of K, the records exposed.

The model averages costs over K by Gauss-Legendre quadrature in log K, which
is accurate for smooth integrands and slow to converge across a kink. Given
K, a cost that is nearly fixed (crisis management, consolation payments, a
fine when levied) sits at a known amount, so the insured cost bends where
that amount, or the sum of such amounts in one lawsuit outcome, meets a
policy's sublimit, retention or retention plus per-incident limit. Those K
become breakpoints of the quadrature.

A category offers its amounts through ``levels(k, ctx)``: one for a certain
cost, two (none or the surcharge) for a fine. Spread-out costs (lognormal
investigation and attorney fees) offer none: they smooth the bends of any
outcome they take part in, which therefore adds no breakpoints for the
retention and limit (a sublimit still bends its own category's cost).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from picover.model.costs import TRIGGERS, CostCategory, CostContext

FloatArray = NDArray[np.float64]

# Steps in ln K, each cutting the bracket in eighths (one evaluation of the
# costs' levels at seven points): the bracket (at most ln 1e9 ~ 21 wide) shrinks to
# about 5e-3, and a last linear step in log-log within it (where sums of
# linear and power-law costs are nearly straight) places the bend to about
# 1e-6 of K. A bend missed by d in ln K costs the quadrature ~d^2 of the
# slope's jump: nothing it can feel.
_SECTIONS, _STEPS = 8, 4


def bends(
    costs: Mapping[str, CostCategory],
    name_sets: Iterable[Sequence[str]],
    sublimits: Mapping[str, float],
    amounts: Sequence[float],
    ctx: CostContext,
    low: Any,
    high: Any,
) -> FloatArray:
    """The K in (``low``, ``high``) where an incident's insured cost bends.

    Parameters
    ----------
    costs : mapping of str to CostCategory
        The model's categories.
    name_sets : iterable of sequences of str
        The categories an incident's covered cost sums (the first incident's
        and the later ones', say).
    sublimits : mapping of str to float
        Each covered category's sublimit (currency units; inf for none).
    amounts : sequence of float
        Amounts the sum of an incident's costs is cut at (currency units):
        the retention and the retention plus the per-incident limit.
    ctx : CostContext
        The organisations' records and sales, shaped to broadcast against
        ``low[..., None]``.
    low, high : array_like
        The range of K per organisation.

    Returns
    -------
    ndarray
        Shape ``low.shape + (j,)``: bends in increasing order, NaN where an
        organisation has fewer than j.

    Examples
    --------
    >>> import picover as pc
    >>> model = pc.BreachModel.preset("kr")
    >>> ctx = CostContext(1e6, 1e10)
    >>> # Crisis management, 1e7 + 500 K, meets a 5e7 retention at K = 80,000.
    >>> bends(model.costs, [("crisis_management",)], {"crisis_management": math.inf},
    ...       [5e7], ctx, 250.0, 1e6).round(6).tolist()
    [80000.0]
    """
    sums, targets = _targets(costs, name_sets, sublimits, amounts)
    lo = np.log(np.asarray(low, dtype=np.float64))
    hi = np.log(np.asarray(high, dtype=np.float64))
    shape = np.broadcast_shapes(lo.shape, hi.shape)
    if not targets:
        return np.empty((*shape, 0))
    # One column per (sum of levels, amount): the sum, as 0/1 weights on the
    # (category, level) pairs it adds up, and the amount it is cut at.
    names = sorted({name for combo in sums for name, _ in combo})
    parts = [
        (
            name,
            index,
            np.array([(name, index) in sums[s] for s, _ in targets], dtype=np.float64),
            # Each level capped at its sublimit, except where that sublimit is
            # the amount sought: there the uncapped level places the bend better.
            np.array([math.inf if a == sublimits[name] else sublimits[name] for _, a in targets]),
        )
        for name in names
        for index in sorted({i for combo in sums for c, i in combo if c == name})
    ]
    amount = np.array([a for _, a in targets])
    lo_t = np.broadcast_to(lo, shape)[..., None] + np.zeros(amount.size)
    hi_t = np.broadcast_to(hi, shape)[..., None] + np.zeros(amount.size)

    def level_sum(t: FloatArray) -> FloatArray:
        """The sums at ln K = t, of shape (..., targets, points)."""
        # Flat, so that K broadcasts against the context like the nodes do.
        k = np.exp(t).reshape(*shape, -1)
        total = np.zeros(t.shape)
        levels: tuple[Any, ...] = ()
        for row, (name, index, weight, cap) in enumerate(parts):
            if row == 0 or parts[row - 1][0] != name:
                levels = costs[name].levels(k, ctx)  # type: ignore[attr-defined]
            level = np.reshape(np.broadcast_to(levels[index], k.shape), t.shape)
            total += weight[:, None] * np.minimum(level, cap[:, None])
        return total

    ends = level_sum(np.stack((lo_t, hi_t), axis=-1))
    f_lo, f_hi = ends[..., 0], ends[..., 1]
    # The sums grow with K: a bend lies inside when the amount is reached (a sum
    # capped at a sublimit may reach it exactly).
    inside = (f_lo < amount) & (f_hi >= amount)
    if not inside.any():
        return np.empty((*shape, 0))
    fractions = np.arange(1, _SECTIONS) / _SECTIONS
    for _ in range(_STEPS):
        # The bracket in _SECTIONS: the amount is reached within one of them.
        width = hi_t - lo_t
        points = lo_t[..., None] + width[..., None] * fractions
        values = level_sum(points)
        j = (values < amount[:, None]).sum(axis=-1, keepdims=True)
        grid = np.concatenate((lo_t[..., None], points, hi_t[..., None]), axis=-1)
        sums_at = np.concatenate((f_lo[..., None], values, f_hi[..., None]), axis=-1)
        lo_t, f_lo = (
            np.take_along_axis(grid, j, -1)[..., 0],
            np.take_along_axis(sums_at, j, -1)[..., 0],
        )
        hi_t = np.take_along_axis(grid, j + 1, -1)[..., 0]
        f_hi = np.take_along_axis(sums_at, j + 1, -1)[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = (np.log(amount) - np.log(f_lo)) / (np.log(f_hi) - np.log(f_lo))
    share = np.clip(np.where(np.isfinite(share), share, 0.5), 0.0, 1.0)
    t = lo_t + share * (hi_t - lo_t)
    found = np.sort(np.where(inside, np.exp(t), np.nan), axis=-1)  # NaN sort last
    # Sums that differ only by a fine not levied, or by a sublimit that caps
    # them alike, bend at the same K: one breakpoint is enough.
    repeat = np.zeros(found.shape, dtype=bool)
    repeat[..., 1:] = np.abs(found[..., 1:] - found[..., :-1]) <= 1e-9 * found[..., 1:]
    found = np.sort(np.where(repeat, np.nan, found), axis=-1)
    used = ~np.isnan(found).reshape(-1, found.shape[-1]).all(axis=0)
    return found[..., : int(used.sum())]


def _targets(
    costs: Mapping[str, CostCategory],
    name_sets: Iterable[Sequence[str]],
    sublimits: Mapping[str, float],
    amounts: Sequence[float],
) -> tuple[list[frozenset[tuple[str, int]]], list[tuple[int, float]]]:
    """The sums of levels to solve for and, per bend, (index of its sum, amount)."""
    cut = sorted({a for a in amounts if 0.0 < a < math.inf})
    sums: list[frozenset[tuple[str, int]]] = []
    targets: list[tuple[int, float]] = []

    def add(combo: frozenset[tuple[str, int]], at: Iterable[float]) -> None:
        if combo not in sums:
            sums.append(combo)
        index = sums.index(combo)
        for a in at:
            if (index, a) not in targets:
                targets.append((index, a))

    for names in name_sets:
        fixed = [c for c in names if hasattr(costs[c], "levels")]
        # Each category's own sublimit bends its cost where a level meets it.
        for c in fixed:
            if math.isfinite(sublimits[c]):
                for index in range(_count_levels(costs[c])):
                    add(frozenset({(c, index)}), [sublimits[c]])
        if not cut:
            continue
        # In each lawsuit outcome (no suit, a suit, liability) the nearly fixed
        # costs present add up: every choice of one level per category is a sum
        # that may meet the amounts.
        for depth in range(1, len(TRIGGERS) + 1):
            triggers = TRIGGERS[:depth]
            if any(costs[c].trigger in triggers and c not in fixed for c in names):
                # A spread-out cost in this outcome smooths the bend away: with the
                # investigation (lognormal, sigma 1) in every outcome or attorney
                # fees in the lawsuits, the quadrature did as well without these
                # breakpoints as with them, at a third fewer nodes.
                continue
            present = [c for c in fixed if costs[c].trigger in triggers]
            choices = [[(c, i) for i in range(_count_levels(costs[c]))] for c in present]
            for combo in itertools.product(*choices):
                if combo:
                    add(frozenset(combo), cut)
    return sums, targets


def _count_levels(category: CostCategory) -> int:
    """How many amounts ``levels`` gives (evaluated once at K = 1)."""
    return len(category.levels(np.ones(1), CostContext(1.0, 1.0)))  # type: ignore[attr-defined]
