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

Over those few nodes a cost fixed given K (crisis management) would be a
few lumps, one per node, wherever nothing spread out covers it: the
incidents without a suit, when the cause investigation is not covered (or
not again). An outcome (no suit, a suit without liability, liability) whose
costs all come as atoms (``atoms`` of the category) is therefore mixed over
a fine rule of K instead, in the grid's own space, and added after the
inverse transform. Both rules integrate the same smooth costs (to 1e-13
with 8 nodes per segment), and an outcome on which they disagree stays on
the usual nodes, so means and moments stay as the usual nodes give them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from picover.engine import fft
from picover.engine.discretise import GridSeverity, place_atom_rows
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


def second_moment(
    costs: Mapping[str, CostCategory],
    litigation: Litigation,
    k: FloatArray,
    w: FloatArray,
    ctx: CostContext,
    sublimits: Mapping[str, float],
    names: Sequence[str],
) -> float | None:
    """E[X^2] for one incident's covered cost X, the sum of the categories ``names``
    each capped at its sublimit (currency units squared); None when a category
    offers no ``second_moment``.

    Given K and the lawsuit outcome the categories are independent, so the
    outcome's second moment is the sum of their variances plus the square of
    the sum of their means; the outcomes (no suit, a suit without liability,
    liability) then mix with their probabilities, and the nodes with their
    weights.

    Examples
    --------
    >>> import picover as pc
    >>> model = pc.BreachModel.preset("kr")
    >>> k, w = np.array([1e4]), np.array([1.0])  # a suit with probability 0.05
    >>> ctx = CostContext(1e4, 1e9)
    >>> names = ("crisis_management", "consolation")
    >>> got = second_moment(model.costs, model.litigation, k, w, ctx,
    ...                     dict.fromkeys(names, math.inf), names)
    >>> # 1.5e7 always; with probability 0.025 (liable) also 1e5 x Binomial(1e4, 0.003):
    >>> cm, m, v = 1.5e7, 3e6, 1e10 * 1e4 * 0.003 * 0.997
    >>> bool(np.isclose(got, 0.975 * cm**2 + 0.025 * ((cm + m) ** 2 + v), rtol=1e-12))
    True
    """
    found = [getattr(costs[c], "second_moment", None) for c in names]
    if any(f is None for f in found):
        return None
    p = litigation.p_suit(k)
    q = litigation.q_liable
    mean = {t: np.zeros(np.shape(k)) for t in TRIGGERS}
    spread = {t: np.zeros(np.shape(k)) for t in TRIGGERS}
    for name, moment in zip(names, found, strict=True):
        cap = sublimits[name]
        m = np.asarray(costs[name].limited_mean(k, ctx, cap), dtype=np.float64)
        trigger = costs[name].trigger
        mean[trigger] = mean[trigger] + m
        spread[trigger] = spread[trigger] + (moment(k, ctx, cap) - m * m)  # type: ignore[misc]
    none = spread["incident"] + mean["incident"] ** 2
    suit_mean = mean["incident"] + mean["suit"]
    suit = spread["incident"] + spread["suit"] + suit_mean**2
    liable = spread["incident"] + spread["suit"] + spread["liability"]
    liable = liable + (suit_mean + mean["liability"]) ** 2
    per_node = (1.0 - p) * none + p * ((1.0 - q) * suit + q * liable)
    return float((w * per_node).sum())


def stop_loss_bound(
    costs: Mapping[str, CostCategory],
    litigation: Litigation,
    k: FloatArray,
    w: FloatArray,
    ctx: CostContext,
    sublimits: Mapping[str, float],
    names: Sequence[str],
    x: Any,
) -> FloatArray | None:
    """An upper bound on E[(X - x)+] for one incident's covered cost X (currency units).

    X sums the m categories ``names``, each capped at its sublimit, over the
    quadrature nodes ``k`` (weights ``w``). A sum exceeds x only by what its
    terms exceed any shares x_c of x (summing to x), so node by node

        E[(X - x)+] <= sum_c P(trigger_c) E[(min(C_c, L_c) - x_c)+].

    Three kinds of shares are tried at each node and the smallest bound
    kept: equal shares x / m; one category taking most of x; two categories
    splitting most of it (the others x / 4m each in the last two). The last
    suit one or two heavy tails among bounded costs. With no categories X is
    0; None when a category has no ``stop_loss``. ``x`` (>= 0) may be an
    array; the result has its shape.

    The bound is for the costs themselves; on a grid of bucket h each
    category's cost may sit up to h higher (see :func:`picover.model.payment.paid_excess`).

    Examples
    --------
    >>> import picover as pc
    >>> model = pc.BreachModel.preset("kr")
    >>> k, w = np.array([100.0, 1e4]), np.array([0.5, 0.5])
    >>> ctx = CostContext(1e4, 1e9)
    >>> names = ("investigation", "consolation")
    >>> b = stop_loss_bound(model.costs, model.litigation, k, w, ctx,
    ...                     dict.fromkeys(names, math.inf), names, np.array([0.0, 1e12]))
    >>> mean = sum(expected_cost(model.costs[c], model.litigation, k, w, ctx, math.inf)
    ...            for c in names)
    >>> bool(np.isclose(b[0], mean, rtol=1e-12)), bool(b[1] < 1e-9)  # at 0: the mean
    (True, True)
    """
    xs = np.asarray(x, dtype=np.float64)
    if not names:
        return np.zeros(xs.shape)
    found = [getattr(costs[c], "stop_loss", None) for c in names]
    pieces = [piece for piece in found if piece is not None]
    if len(pieces) < len(names):
        return None
    m = len(names)
    col = xs[..., None]
    light = col / (4 * m)
    # Shares: equal, one heavy (the rest light), two heavy (the rest light).
    shares = (col / m, light, col - (m - 1) * light, (col - (m - 2) * light) / 2)
    even: Any = 0.0
    base: Any = 0.0  # every category at the light share
    one, two = [], []  # what a category adds when it takes a heavy share instead
    for name, piece in zip(names, pieces, strict=True):
        cap = sublimits[name]
        p = litigation.probability(costs[name].trigger, k)
        # E[(min(C, L) - t)+] = pi(min(t, L)) - pi(L): zero from the sublimit on.
        floor = piece(k, ctx, cap) if math.isfinite(cap) else 0.0
        # Broadcast to the nodes by shares: a custom category may answer a constant.
        at = [
            np.broadcast_to(
                p * np.maximum(piece(k, ctx, np.minimum(t, cap)) - floor, 0.0),
                np.broadcast_shapes(np.shape(k), np.shape(t)),
            )
            for t in shares
        ]
        even = even + at[0]
        base = base + at[1]
        one.append(at[2] - at[1])
        two.append(at[3] - at[1])
    best = even
    if m > 1:
        best = np.minimum(best, base + np.min(one, axis=0))
    if m > 2:
        pair = np.sort(np.stack(two), axis=0)
        best = np.minimum(best, base + pair[0] + pair[1])
    return np.asarray((w * best).sum(axis=-1), dtype=np.float64)


def outcomes(costs: Mapping[str, CostCategory], names: Sequence[str]) -> tuple[frozenset[str], ...]:
    """The categories of ``names`` that each outcome of an incident carries:
    no suit, a suit without liability, liability."""
    by_trigger = {t: frozenset(c for c in names if costs[c].trigger == t) for t in TRIGGERS}
    none = by_trigger["incident"]
    suit = none | by_trigger["suit"]
    return (none, suit, suit | by_trigger["liability"])


def fine_outcomes(costs: Mapping[str, CostCategory], names: Sequence[str]) -> tuple[bool, ...]:
    """Per outcome (see :func:`outcomes`), whether it carries costs and all of
    them come as atoms: such outcomes are mixed over the fine rule of K."""
    return tuple(
        bool(carried) and all(hasattr(costs[c], "atoms") for c in carried)
        for carried in outcomes(costs, names)
    )


class IncidentBuilder:
    """Grid distributions of one incident's covered cost for one organisation.

    Category transforms are computed once per grid and reused for the first
    incident of a year and for the later ones. ``fine``, the nodes and
    weights of a fine rule of K (see :meth:`BreachModel._fine_nodes
    <picover.BreachModel._fine_nodes>`), lets outcomes made only of costs
    given as atoms be mixed over it (None: over the usual nodes).
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
        fine: tuple[FloatArray, FloatArray] | None = None,
    ) -> None:
        self.costs, self.litigation = costs, litigation
        self.k, self.w, self.ctx = k, w, ctx
        self.sublimits = sublimits
        self.bucket, self.n = bucket, n
        self.fine = fine
        self._probs: dict[str, FloatArray] = {}
        self._transforms: dict[tuple[Any, ...], ComplexArray] = {}
        self._products: dict[tuple[Any, ...], Any] = {}
        self._after: dict[tuple[Any, ...], Any] = {}
        # Sets of categories whose sums wrapped around the usual FFT plan.
        self._wrapping: list[frozenset[str]] = []

    def _transform(self, name: str, plan: Any, keep: bool = True) -> ComplexArray:
        key = (name, *_plan_key(plan))
        if key in self._transforms:
            return self._transforms[key]
        if name not in self._probs:
            self._probs[name] = on_grid(
                self.costs[name], self.k, self.ctx, self.bucket, self.n, self.sublimits[name]
            )[0]
        transform: ComplexArray = plan.forward(self._probs[name])
        if keep:
            self._transforms[key] = transform
        return transform

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

    def _product(self, names: frozenset[str], plan: Any, keep: bool = True) -> Any:
        """Product of the named categories' transforms (1 when none), built on the
        product of all but the last name so that the first incident's set reuses
        the later incidents' one. The result is shared: never modify it. Unless
        ``keep``, neither it nor the transforms it needs are kept for reuse."""
        if not names:
            return 1.0
        key = (names, *_plan_key(plan))
        if key in self._products:
            return self._products[key]
        last = max(names)
        rest = names - {last}
        product = self._transform(last, plan, keep)
        if rest:
            product = self._product(rest, plan, keep) * product
        if keep:
            self._products[key] = product
        return product

    def _aftermath(
        self,
        suit: frozenset[str],
        liability: frozenset[str],
        plan: Any,
        on_nodes: tuple[bool, ...] = (True, True, True),
    ) -> Any:
        """Per node, the transform of what may follow an incident,
        ``(1 - p) + p * T_suit * ((1 - q) + q * T_liab)``: shared by the first
        incident of a year and the later ones (never modify it). Of the three
        outcomes only those ``on_nodes`` are kept (the others are mixed over
        the fine rule)."""
        key = (suit, liability, on_nodes, *_plan_key(plan))
        shared = (suit, liability, (False, True, True), *_plan_key(plan))
        if key not in self._after and on_nodes == (True, True, True) and shared in self._after:
            # The later incidents often take the outcomes with a suit alone (no
            # suit is on the fine rule), and the first incident all three.
            p = self.litigation.p_suit(self.k)[:, None]
            self._after[key] = self._after[shared] + (1.0 - p)
        if key not in self._after:
            p = self.litigation.p_suit(self.k)[:, None]
            q = self.litigation.q_liable
            # In place on the first fresh array: these are (nodes x frequencies) arrays,
            # and the transforms used only here are not kept (less memory to fault in).
            after: Any = 0.0
            if on_nodes[2]:
                after = q * self._product(liability, plan, keep=False)
            if on_nodes[1]:
                after += 1.0 - q
            if on_nodes[1] or on_nodes[2]:
                after = _times(after, self._product(suit, plan, keep=False))
                after = _times(after, p)
            if on_nodes[0]:
                after += 1.0 - p
            self._after[key] = after
        return self._after[key]

    def _fine_masses(
        self, rule: tuple[FloatArray, FloatArray], names: Sequence[str], smooth: tuple[bool, ...]
    ) -> tuple[tuple[bool, ...], FloatArray | None]:
        """Grid masses of the outcomes ``smooth`` marks, mixed over the fine
        ``rule`` of K: at each of its nodes the outcome's chance times the sum
        of its categories' atoms (every combination of them).

        An outcome is kept only where the fine rule and the usual nodes agree
        on its chance and its mean (to 1e-11, and 1e-10 of the incident's
        mean): with few nodes per segment, or a cost bending where no
        breakpoint is, the usual nodes integrate it less well, and the
        outcome then stays on them, so that the mean stays the one
        :meth:`expected` gives. Returns which outcomes were kept, and their
        masses (None for none).
        """
        k, w = rule
        chances = _chances(self.litigation, k)
        usual_chances = _chances(self.litigation, self.k)
        scale = max(self.expected(names), self.bucket)
        kept, values, masses = [], [], []
        carried_by = outcomes(self.costs, names)
        pairs = zip(carried_by, chances, usual_chances, smooth, strict=True)
        for carried, chance, usual, on in pairs:
            if not on:
                kept.append(False)
                continue
            v = np.zeros((k.size, 1))
            m = (w * chance)[:, None]
            usual_mean = 0.0
            for name in sorted(carried):
                cv, cp = self._atoms(name, k)
                v = (v[:, :, None] + cv[:, None, :]).reshape(k.size, -1)
                m = (m[:, :, None] * cp[:, None, :]).reshape(k.size, -1)
                cost = self.costs[name].limited_mean(self.k, self.ctx, self.sublimits[name])
                usual_mean += float((self.w * usual * cost).sum())
            usual_mass = float((self.w * usual).sum())
            agree = abs(float(m.sum()) - usual_mass) <= 1e-11
            agree = agree and abs(float((v * m).sum()) - usual_mean) <= 1e-10 * scale
            kept.append(agree)
            if agree:
                values.append(v.reshape(-1))
                masses.append(m.reshape(-1))
        if not values:
            return tuple(kept), None
        grid = place_atom_rows(
            np.concatenate(values)[None, :], np.concatenate(masses)[None, :], self.bucket, self.n
        )[0]
        return tuple(kept), np.asarray(grid[0], dtype=np.float64)

    def _atoms(self, name: str, k: FloatArray) -> tuple[FloatArray, FloatArray]:
        """The category's atoms at each K in ``k``, checked: amounts and
        probabilities of shape (len(k), atoms), the probabilities summing to 1."""
        found = self.costs[name].atoms(k, self.ctx, self.sublimits[name])  # type: ignore[attr-defined]
        values, probs = (np.asarray(part, dtype=np.float64) for part in found)
        if values.ndim != 2 or values.shape != probs.shape or values.shape[0] not in (1, k.size):
            raise ValueError(
                f"atoms() of the cost category {name!r} must give amounts and probabilities "
                f"of one shape, (len(k), atoms); got {values.shape} and {probs.shape} for "
                f"{k.size} values of K"
            )
        total = probs.sum(axis=-1)
        if np.any(probs < 0) or np.any(np.abs(total - 1.0) > 1e-9):
            raise ValueError(
                f"atoms() of the cost category {name!r} must give probabilities of at least 0 "
                f"summing to 1 for each K; got sums from {total.min():.12g} to {total.max():.12g}"
            )
        shape = (k.size, values.shape[1])
        return np.broadcast_to(values, shape), np.broadcast_to(probs, shape)

    def grid(self, names: Sequence[str]) -> GridSeverity:
        """The distribution of one incident's covered cost summed over ``names``."""
        by_trigger = {
            t: frozenset(c for c in names if self.costs[c].trigger == t) for t in TRIGGERS
        }
        smooth = (False,) * 3 if self.fine is None else fine_outcomes(self.costs, names)
        fine = None
        if self.fine is not None and any(smooth):
            smooth, fine = self._fine_masses(self.fine, names, smooth)
        on_nodes = tuple(not s for s in smooth)

        def total_for(plan: Any) -> ComplexArray:
            if not any(on_nodes):
                return np.zeros(plan.n_fft // 2 + 1, dtype=np.complex128)
            after = self._aftermath(by_trigger["suit"], by_trigger["liability"], plan, on_nodes)
            node = after * self._product(by_trigger["incident"], plan)
            shape = (self.k.size, plan.n_fft // 2 + 1)
            if node.shape == shape:
                np.multiply(self.w[:, None], node, out=node)
            else:
                node = self.w[:, None] * np.broadcast_to(node, shape)
            # A plain sum, not BLAS: its order, so its rounding, must not depend on
            # how many threads BLAS has (dask workers run with one).
            return np.asarray(node.sum(axis=0), dtype=np.complex128)

        # Adding categories only makes the sums larger: once a set needed the strong
        # plan, so does any set containing it (the first incident's, say).
        covered = frozenset(names)
        strong = any(s <= covered for s in self._wrapping) or _wraps(self.n, covered, total_for)
        # The outcomes mixed over the fine rule are already on the grid: they are
        # added after the inverse transform (and, inside the grid, cannot wrap).
        agg = fft.transform(
            self.n, total_for, self.bucket, self.expected(names), strong=strong, plus=fine
        )
        if agg.strong:
            self._wrapping.append(covered)
        return GridSeverity(self.bucket, agg.probs[:-1].copy(), agg.tail_mass, agg.tail_mean)


def _chances(litigation: Litigation, k: FloatArray) -> tuple[FloatArray, ...]:
    """Each outcome's chance at each K in ``k``: no suit, a suit without
    liability, liability."""
    p = np.asarray(litigation.p_suit(k), dtype=np.float64)
    q = litigation.q_liable
    return (1.0 - p, p * (1.0 - q), p * q)


def _times(acc: Any, x: Any) -> Any:
    """``acc * x``, in place when ``acc`` is an array of the result's shape."""
    if isinstance(acc, np.ndarray) and np.broadcast_shapes(acc.shape, np.shape(x)) == acc.shape:
        acc *= x
        return acc
    return acc * x


def _plan_key(plan: Any) -> tuple[str, int, float]:
    return (type(plan).__name__, plan.n_fft, getattr(plan, "alpha", 0.0))


# Coarse buckets across the grid for bounding the wrapped mass (see _wraps).
_COARSE_BINS = 64


class _CoarsePlan:
    """A stand-in plan on coarse buckets of ``width`` grid points, untilted and
    padded so that sums of up to ``terms`` bucket indices never wrap: the exact
    distribution of the sum of indices, which bounds the sum on the grid."""

    alpha = 0.0

    def __init__(self, n: int, width: int, terms: int) -> None:
        self.width = width
        self.n_fft = fft.padded_length(terms * -(-n // width), 1)

    def forward(self, probs: FloatArray, temporary: bool = False) -> ComplexArray:
        starts = np.arange(0, probs.shape[-1], self.width)
        coarse = np.add.reduceat(probs, starts, axis=-1)
        return np.asarray(np.fft.rfft(coarse, self.n_fft, axis=-1), dtype=np.complex128)


def _wraps(n: int, names: frozenset[str], total_for: Any) -> bool:
    """Whether the usual FFT plan would surely let too much mass wrap around.

    Sums of the categories' amounts on the grid wrap when they reach the
    usual plan's padded length N. Binning each category into coarse buckets
    of w grid points gives the exact distribution of the sum I of bucket
    indices cheaply, and w I <= S <= w I + c (w - 1) for c categories, so
    P(w I >= N) is a lower bound on the wrapping probability. When even that
    is too much, the strong plan is taken at once instead of after a try
    (the transform still checks the plan it uses).
    """
    usual = fft.padded_length(n)
    if len(names) * (n - 1) < usual:
        return False  # the sums cannot reach it
    width = -(-n // _COARSE_BINS)
    plan = _CoarsePlan(n, width, len(names))
    index_sum = np.fft.irfft(total_for(plan), plan.n_fft)
    lower = float(index_sum[-(-usual // width) :].sum())
    return math.exp(-fft.TILT) * lower > 2.0 * fft.WRAP_TOL
