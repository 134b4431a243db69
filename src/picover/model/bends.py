"""Where one incident's insured cost bends as a function of K, the records exposed.

The model averages costs over K by Gauss-Legendre quadrature in log K, which
is accurate for smooth integrands and slow to converge across a kink. Given
K, a cost that is nearly fixed (crisis management, consolation payments, a
fine when levied) sits at a known amount, so the insured cost bends where
that amount, or the sum of such amounts in one lawsuit outcome, meets a
policy's sublimit, retention or retention plus per-incident limit. Those K
become breakpoints of the quadrature.

A category offers its amounts through ``levels(k, ctx)``: one for a certain
cost, two (none or the surcharge) for a fine. A spread-out cost (the
lognormal investigation and attorney fees) offers none; in an outcome that
includes one, the bend is placed where the sum, with the spread-out costs at
their means, meets the amount. It is soft when their standard deviations
there add up to more than ``SOFT_SHARE`` of the amount; soft bends are kept
only away from every other breakpoint (by ``SOFT_SPACING`` in ln K), since a
soft bend just off a segment's end costs the quadrature little and each
breakpoint costs a segment of nodes. The others (outcomes of nearly fixed
costs, spread-out costs capped far below their medians, and sublimits) are
always kept.
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
#: Least distance in ln K from a soft bend to any other breakpoint (a factor
#: e^0.8 = 2.2 in K). Checked against adaptive integration on nine hard cases:
#: 0.15 gave half as many nodes again for errors that stayed below 1e-4 either
#: way; without soft bends they reached 2e-3 (1.7e-2 where a low sublimit made
#: the investigation nearly fixed, which SOFT_SHARE now treats as sharp).
SOFT_SPACING = 0.8
#: A sum's spread-out costs make its bend soft when their standard deviations
#: add up to more than this share of the amount.
SOFT_SHARE = 0.05
#: A level standing for a spread-out cost: its (sublimited) mean.
_MEAN = -1


def bends(
    costs: Mapping[str, CostCategory],
    name_sets: Iterable[Sequence[str]],
    sublimits: Mapping[str, float],
    amounts: Sequence[float],
    ctx: CostContext,
    low: Any,
    high: Any,
    existing: Sequence[float] = (),
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
    existing : sequence of float
        Breakpoints already there, which soft bends keep away from.

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
            if index == _MEAN:
                value = costs[name].limited_mean(k, ctx, sublimits[name])
            else:
                if row == 0 or parts[row - 1][0] != name or parts[row - 1][1] == _MEAN:
                    levels = costs[name].levels(k, ctx)  # type: ignore[attr-defined]
                value = levels[index]
            level = np.reshape(np.broadcast_to(value, k.shape), t.shape)
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
    t = np.where(inside, t, np.nan)
    soft = _soft(costs, sums, targets, sublimits, np.exp(np.where(inside, t, lo_t)), ctx, shape)
    # Hard bends first, each kept unless it repeats one (sums that differ only by
    # a fine not levied, say); then soft bends, each kept only away from every
    # breakpoint kept so far and the existing ones (near an end of the range
    # they still help: the reviewer's worst soft case, 2e-3 off, had its bend
    # there).
    taken = [np.broadcast_to(lo, shape)[..., None], np.broadcast_to(hi, shape)[..., None]]
    taken += [np.full((*shape, 1), math.log(b)) for b in existing if b > 0]
    kept = np.full(t.shape, np.nan)
    for is_soft in (False, True):
        for j in range(amount.size):
            col = np.where(soft[..., j : j + 1] == is_soft, t[..., j : j + 1], np.nan)
            clear = ~np.isnan(col)
            if is_soft:
                for other in taken[2:]:
                    clear &= ~(np.abs(col - other) < SOFT_SPACING)
            else:
                for other in taken[2 + len(existing) :]:
                    clear &= ~(np.abs(col - other) < 1e-9)
            kept[..., j : j + 1] = np.where(clear, col, kept[..., j : j + 1])
            taken.append(np.where(clear, col, np.inf))
    found = np.sort(np.exp(kept), axis=-1)  # NaN sort last
    used = ~np.isnan(found).reshape(-1, found.shape[-1]).all(axis=0)
    return found[..., : int(used.sum())]


def most(
    costs: Mapping[str, CostCategory],
    name_sets: Iterable[Sequence[str]],
    sublimits: Mapping[str, float],
    amounts: Sequence[float],
) -> int:
    """The most bends :func:`bends` can find for these terms (to size work by).

    Examples
    --------
    >>> import picover as pc
    >>> model = pc.BreachModel.preset("kr")
    >>> most(model.costs, [("crisis_management",)], {"crisis_management": 1e8}, [5e7])
    2
    """
    return len(_targets(costs, name_sets, sublimits, amounts)[1])


def _soft(
    costs: Mapping[str, CostCategory],
    sums: list[frozenset[tuple[str, int]]],
    targets: list[tuple[int, float]],
    sublimits: Mapping[str, float],
    k: FloatArray,
    ctx: CostContext,
    shape: tuple[int, ...],
) -> NDArray[np.bool_]:
    """Per organisation and bend, whether it is soft: its sum holds spread-out
    costs whose standard deviations, at the bend, add up to more than
    ``SOFT_SHARE`` of the amount. A spread-out cost capped by a sublimit far
    below its median is nearly fixed at the cap, and its bend as sharp as any."""
    flat = k.reshape(*shape, -1)
    soft = np.zeros(k.shape, dtype=bool)
    spread: dict[str, Any] = {}
    for j, (s, a) in enumerate(targets):
        total: Any = 0.0
        for name, index in sorted(sums[s]):  # a fixed order: a fixed rounding
            if index != _MEAN:
                continue
            if name not in spread:
                moment = getattr(costs[name], "second_moment", None)
                if moment is None:
                    spread[name] = np.full(k.shape, np.inf)
                else:
                    cap = sublimits[name]
                    mean = costs[name].limited_mean(flat, ctx, cap)
                    var = np.maximum(moment(flat, ctx, cap) - mean * mean, 0.0)
                    spread[name] = np.reshape(np.sqrt(var), k.shape)
            total = total + spread[name][..., j]
        soft[..., j] = total > SOFT_SHARE * a
    return soft


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

    # Soft bends are kept greedily in the targets' order: it must not depend on
    # the order (a set's, which varies from run to run) the name sets come in.
    for names in sorted({tuple(n) for n in name_sets}):
        fixed = [c for c in names if hasattr(costs[c], "levels")]
        # Each category's own sublimit bends its cost where a level meets it.
        for c in fixed:
            if math.isfinite(sublimits[c]):
                for index in range(_count_levels(costs[c])):
                    add(frozenset({(c, index)}), [sublimits[c]])
        if not cut:
            continue
        # In each lawsuit outcome (no suit, a suit, liability) the costs present
        # add up: every choice of one level per nearly fixed category, with the
        # spread-out ones at their means (a soft bend), is a sum that may meet
        # the amounts.
        for depth in range(1, len(TRIGGERS) + 1):
            triggers = TRIGGERS[:depth]
            present = [c for c in names if costs[c].trigger in triggers]
            choices = [
                [(c, i) for i in range(_count_levels(costs[c]))] if c in fixed else [(c, _MEAN)]
                for c in present
            ]
            for combo in itertools.product(*choices):
                if combo:
                    add(frozenset(combo), cut)
    return sums, targets


def _count_levels(category: CostCategory) -> int:
    """How many amounts ``levels`` gives (evaluated once at K = 1)."""
    return len(category.levels(np.ones(1), CostContext(1.0, 1.0)))  # type: ignore[attr-defined]
