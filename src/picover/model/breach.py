"""How many records one incident exposes: the breach size K, between 1 and R.

Every breach-size distribution offers the same three things: quadrature nodes
and weights (so that the expected cost E[g(K)] = sum w_i g(k_i) is accurate
for the smooth, power-law-like costs of a leak, whatever R from 1 to 10^9),
random draws for Monte Carlo, and its mean. Nodes of continuous parts are
Gauss-Legendre points in log K, split at ``breakpoints`` (where a cost has a
kink, e.g. where the lawsuit probability changes slope), so the quadrature
stays accurate across nine orders of magnitude. All of them broadcast over an
array of record counts.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import attrs
import numpy as np
from numpy.typing import NDArray
from scipy import special

from picover import _checks
from picover._frozen import read_only_when_unpickled

FloatArray = NDArray[np.float64]

#: K where costs bend: one sequence for all organisations, or an array with a
#: last axis per organisation (NaN for none).
Breakpoints = Sequence[float] | NDArray[np.float64]

#: Gauss-Legendre nodes per segment of log K.
DEFAULT_NODES = 8


@runtime_checkable
class BreachSize(Protocol):
    """What the model asks of a breach-size distribution.

    Examples
    --------
    >>> isinstance(PowerLawSize(0.1, 100.0, 0.5), BreachSize), isinstance(object(), BreachSize)
    (True, False)
    """

    def nodes(
        self, records: Any, breakpoints: Breakpoints = (), n: int = DEFAULT_NODES
    ) -> tuple[FloatArray, FloatArray]:
        """Nodes k (shape ``records.shape + (m,)``, each in [1, R]) and weights summing to 1.

        ``breakpoints`` are K where the costs bend: a sequence for all, or an
        array of shape ``records.shape + (j,)`` per organisation (NaN for
        none). A distribution without continuous parts may ignore them.

        Examples
        --------
        >>> k, w = FixedFractionSize(0.2).nodes(1000)
        >>> k.tolist(), w.tolist()  # records exposed, weight
        ([200.0], [1.0])
        """
        ...

    def rvs(self, records: Any, rng: np.random.Generator) -> FloatArray:
        """One draw of K per entry of ``records``.

        Examples
        --------
        >>> FixedFractionSize(0.2).rvs([1000, 2], np.random.default_rng(1)).tolist()  # records
        [200.0, 1.0]
        """
        ...

    def mean(self, records: Any) -> Any:
        """E[K], in records.

        Examples
        --------
        >>> FixedFractionSize(0.2).mean(1000)
        200.0
        """
        ...


@functools.cache
def _legendre(n: int) -> tuple[FloatArray, FloatArray]:
    """Gauss-Legendre nodes and weights on [-1, 1], read-only: computing them
    costs as much as the rest of an organisation's nodes."""
    x, w = special.roots_legendre(n)
    x.flags.writeable = False
    w.flags.writeable = False
    return x, w


def _log_legendre(
    low: FloatArray, high: FloatArray, breakpoints: Breakpoints, n: int
) -> tuple[FloatArray, FloatArray]:
    """Composite Gauss-Legendre in t = ln k on [ln low, ln high], split at breakpoints.

    Returns t nodes and their weights (for integrals in t), each of shape
    ``low.shape + (segments * n,)``. Segments outside [low, high] shrink to a
    point: their nodes sit at an end, with weight exactly zero.
    ``breakpoints`` is a sequence shared by all, or an array with a last axis
    of breakpoints per organisation (NaN for none).
    """
    x, w = _legendre(n)
    lo, hi = np.log(low)[..., None], np.log(high)[..., None]
    points = np.asarray(breakpoints, dtype=np.float64)
    if points.ndim <= 1:
        points = np.sort(points[points > 0])
    else:
        # Breakpoints per organisation (NaN for none): sorted, the NaN last, at R.
        points = np.sort(points, axis=-1)
        points = np.where(np.isnan(points), high[..., None], points)
    cuts = np.log(np.broadcast_to(points, lo.shape[:-1] + points.shape[-1:]))
    edges = np.concatenate((lo, np.clip(cuts, lo, hi), hi), axis=-1)
    a, b = edges[..., :-1, None], edges[..., 1:, None]
    half = (b - a) / 2.0
    # In place: fresh (organisations x nodes) arrays cost as much as the arithmetic.
    t = np.multiply(half, x)
    t += (a + b) / 2.0
    weight = half * w
    shape = (*low.shape, -1)
    return t.reshape(shape), weight.reshape(shape)


def _records(records: Any) -> FloatArray:
    return _checks.array("records", records, low=1.0)


@attrs.frozen
class PowerLawSize:
    """The default: the whole database with probability ``p_total``, else a truncated power law.

    Given a partial breach, P(K > k) is proportional to ``k ** -exponent - R ** -exponent``
    on [``k_min``, R] (Wheatley, Maillart & Sornette 2016 find such tails with
    exponents from 0.37 to 0.57). When R <= ``k_min`` every breach takes the
    whole database.

    Examples
    --------
    >>> size = PowerLawSize(p_total=0.1, k_min=100.0, exponent=0.5)
    >>> k, w = size.nodes(1e6)
    >>> round(float(w.sum()), 12), float(k.max())
    (1.0, 1000000.0)
    """

    p_total: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, high=1.0)
    )
    k_min: float = attrs.field(converter=_checks.to_float, validator=_checks.real(low=1.0))
    exponent: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, low_open=True, high=5.0)
    )

    def nodes(
        self, records: Any, breakpoints: Breakpoints = (), n: int = DEFAULT_NODES
    ) -> tuple[FloatArray, FloatArray]:
        """Nodes k in [1, R] and weights summing to 1, each of shape ``records.shape + (m,)``.

        ``n`` Gauss-Legendre points in log K per segment of [``k_min``, R]
        between ``breakpoints``, carrying ``1 - p_total``, and a last node at
        R carrying ``p_total`` (all of the weight when R <= ``k_min``).

        Examples
        --------
        >>> size = PowerLawSize(p_total=0.1, k_min=100.0, exponent=0.5)
        >>> k, w = size.nodes(1e6, breakpoints=[1e4])  # two segments of 8 nodes, then R
        >>> k.shape, float(w[-1])
        ((17,), 0.1)
        >>> bool(np.isclose((k * w).sum(), size.mean(1e6)))
        True
        """
        r = _records(records)
        low = np.minimum(self.k_min, r)
        t, wt = _log_legendre(low, r, breakpoints, n)
        j = t.shape[-1]
        k = np.empty((*r.shape, j + 1))
        weights = np.empty((*r.shape, j + 1))
        np.exp(t, out=k[..., :j])
        np.minimum(k[..., :j], r[..., None], out=k[..., :j])  # exp(ln R) may round above R
        k[..., j] = r
        # The density of ln K on the partial part is proportional to e^{-a t}; the
        # normalisation cancels, and dividing by the quadrature's own total makes
        # the weights sum to exactly 1 - p_total.
        raw = weights[..., :j]
        np.multiply(t, -self.exponent, out=raw)
        np.exp(raw, out=raw)
        raw *= wt
        partial = r > self.k_min
        total = raw.sum(axis=-1, keepdims=True)
        scale = np.where(partial, 1.0 - self.p_total, 0.0)[..., None] / np.where(
            total > 0, total, 1.0
        )
        raw *= scale
        weights[..., j] = np.where(partial, self.p_total, 1.0)
        return k, weights

    def rvs(self, records: Any, rng: np.random.Generator) -> FloatArray:
        """One draw of K (records, in [1, R]) per entry of ``records``, from ``rng``.

        Examples
        --------
        >>> size = PowerLawSize(p_total=0.1, k_min=100.0, exponent=0.5)
        >>> k = size.rvs(np.full(100_000, 1e6), np.random.default_rng(1))
        >>> bool(k.min() >= 100.0), float(k.max()), round(float((k == 1e6).mean()), 2)
        (True, 1000000.0, 0.1)
        """
        r = _records(records)
        a = self.exponent
        u = rng.random(r.shape)
        total = rng.random(r.shape) < self.p_total
        low = np.minimum(self.k_min, r)
        k = (low ** (-a) - u * (low ** (-a) - r ** (-a))) ** (-1.0 / a)
        return np.where(total | (r <= self.k_min), r, np.minimum(k, r))

    def mean(self, records: Any) -> Any:
        """E[K] in records: a float for a scalar ``records``, else an array of its shape.

        Examples
        --------
        >>> size = PowerLawSize(p_total=0.1, k_min=100.0, exponent=0.5)
        >>> size.mean([1e6, 50.0]).tolist()  # 0.1 * 1e6 + 0.9 * 990 / 0.099; R itself
        [109000.0, 50.0]
        """
        r = _records(records)
        a, k0 = self.exponent, self.k_min
        norm = k0 ** (-a) - r ** (-a)
        with np.errstate(divide="ignore", invalid="ignore"):
            if a == 1.0:
                partial = a * np.log(r / k0) / norm
            else:
                partial = a / (1.0 - a) * (r ** (1.0 - a) - k0 ** (1.0 - a)) / norm
        out = np.where(r > k0, self.p_total * r + (1.0 - self.p_total) * partial, r)
        return float(out) if out.ndim == 0 else out


@attrs.frozen
class FixedFractionSize:
    """Every breach exposes the same share of the database: K = max(1, fraction * R).

    Examples
    --------
    >>> FixedFractionSize(0.2).mean(1000)
    200.0
    """

    fraction: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, low_open=True, high=1.0)
    )

    def _k(self, records: Any) -> FloatArray:
        r = _records(records)
        return np.maximum(1.0, self.fraction * r)

    def nodes(
        self, records: Any, breakpoints: Breakpoints = (), n: int = DEFAULT_NODES
    ) -> tuple[FloatArray, FloatArray]:
        """One node, K itself, of weight 1: shape ``records.shape + (1,)``
        (``breakpoints`` and ``n`` are not needed).

        Examples
        --------
        >>> k, w = FixedFractionSize(0.2).nodes([1000, 2])
        >>> k.tolist(), w.tolist()  # at least one record
        ([[200.0], [1.0]], [[1.0], [1.0]])
        """
        k = self._k(records)[..., None]
        return k, np.ones_like(k)

    def rvs(self, records: Any, rng: np.random.Generator) -> FloatArray:
        """K for each entry of ``records``: certain, so ``rng`` is not used.

        Examples
        --------
        >>> FixedFractionSize(0.2).rvs([1000, 2], np.random.default_rng()).tolist()
        [200.0, 1.0]
        """
        return self._k(records)

    def mean(self, records: Any) -> Any:
        """K itself, max(1, fraction * R): a float for a scalar ``records``, else an array.

        Examples
        --------
        >>> FixedFractionSize(0.2).mean([1000, 2]).tolist()
        [200.0, 1.0]
        """
        k = self._k(records)
        return float(k) if k.ndim == 0 else k


@attrs.frozen
class BetaFractionSize:
    """The exposed share U of the database is Beta(a, b): K = 1 + (R - 1) U.

    Nodes are Gauss-Jacobi points, exact for polynomial costs in K.

    Examples
    --------
    >>> round(BetaFractionSize(1.0, 3.0).mean(1001), 9)  # 1 + 1000 / 4
    251.0
    """

    a: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, low_open=True)
    )
    b: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, low_open=True)
    )

    def nodes(
        self, records: Any, breakpoints: Breakpoints = (), n: int = DEFAULT_NODES
    ) -> tuple[FloatArray, FloatArray]:
        """Gauss-Jacobi nodes k in [1, R] and weights summing to 1, each of shape
        ``records.shape + (2 * max(n, 2),)`` (``breakpoints`` are not needed).

        Examples
        --------
        >>> k, w = BetaFractionSize(1.0, 3.0).nodes(1001)
        >>> k.shape, round(float((k * w).sum()), 6)  # the mean, 1 + 1000 / 4
        ((16,), 251.0)
        """
        r = _records(records)[..., None]
        x, w = special.roots_jacobi(max(n, 2) * 2, self.b - 1.0, self.a - 1.0)
        u = (x + 1.0) / 2.0
        return 1.0 + (r - 1.0) * u, np.broadcast_to(w / w.sum(), r.shape[:-1] + w.shape).copy()

    def rvs(self, records: Any, rng: np.random.Generator) -> FloatArray:
        """One draw of K (records, in [1, R]) per entry of ``records``, from ``rng``.

        Examples
        --------
        >>> k = BetaFractionSize(1.0, 3.0).rvs(np.full(100_000, 1001.0), np.random.default_rng(1))
        >>> bool(((k >= 1) & (k <= 1001)).all()), round(float(k.mean()))  # mean 1 + 1000 / 4
        (True, 251)
        """
        r = _records(records)
        return 1.0 + (r - 1.0) * rng.beta(self.a, self.b, size=r.shape)

    def mean(self, records: Any) -> Any:
        """E[K] = 1 + (R - 1) a / (a + b) in records: a float for a scalar
        ``records``, else an array of its shape.

        Examples
        --------
        >>> BetaFractionSize(1.0, 3.0).mean([1001, 1]).tolist()
        [251.0, 1.0]
        """
        r = _records(records)
        out = 1.0 + (r - 1.0) * self.a / (self.a + self.b)
        return float(out) if out.ndim == 0 else out


def _fractions(value: Any) -> FloatArray:
    arr = _checks.array("EmpiricalSize.fractions", value, low=0.0, high=1.0, low_open=True, ndim=1)
    arr = arr.copy()  # the caller's own array stays theirs, and writeable
    arr.flags.writeable = False
    return arr


def _probs(value: Any) -> FloatArray:
    return _checks.probabilities("EmpiricalSize.probs", value)


@read_only_when_unpickled
@attrs.frozen(eq=False)
class EmpiricalSize:
    """A table of exposed shares of the database and their probabilities: K = max(1, f * R).

    Examples
    --------
    >>> EmpiricalSize([0.01, 1.0], [0.9, 0.1]).mean(10_000)
    1090.0
    """

    fractions: FloatArray = attrs.field(converter=_fractions)
    probs: FloatArray = attrs.field(converter=_probs)

    def __attrs_post_init__(self) -> None:
        if self.fractions.size != self.probs.size:
            raise ValueError(
                f"EmpiricalSize needs one probability per fraction; got {self.fractions.size} "
                f"fractions and {self.probs.size} probabilities"
            )

    def nodes(
        self, records: Any, breakpoints: Breakpoints = (), n: int = DEFAULT_NODES
    ) -> tuple[FloatArray, FloatArray]:
        """The table itself: K = max(1, f * R) for each fraction f, weighted by
        its probability, each of shape ``records.shape + (len(fractions),)``
        (``breakpoints`` and ``n`` are not needed).

        Examples
        --------
        >>> k, w = EmpiricalSize([0.01, 1.0], [0.9, 0.1]).nodes(10_000)
        >>> k.tolist(), w.tolist()
        ([100.0, 10000.0], [0.9, 0.1])
        """
        r = _records(records)[..., None]
        k = np.maximum(1.0, self.fractions * r)
        return k, np.broadcast_to(self.probs, k.shape).copy()

    def rvs(self, records: Any, rng: np.random.Generator) -> FloatArray:
        """One draw of K (records, in [1, R]) per entry of ``records``, from ``rng``.

        Examples
        --------
        >>> size = EmpiricalSize([0.01, 1.0], [0.9, 0.1])
        >>> np.unique(size.rvs(np.full(1000, 10_000.0), np.random.default_rng(1))).tolist()
        [100.0, 10000.0]
        """
        r = _records(records)
        idx = rng.choice(self.fractions.size, size=r.shape, p=self.probs)
        return np.maximum(1.0, self.fractions[idx] * r)

    def mean(self, records: Any) -> Any:
        """E[K] in records, the table's weighted sum: a float for a scalar
        ``records``, else an array of its shape.

        Examples
        --------
        >>> EmpiricalSize([0.01, 1.0], [0.9, 0.1]).mean([10_000, 50]).tolist()  # K >= 1 record
        [1090.0, 5.9]
        """
        k, w = self.nodes(records)
        out = (k * w).sum(axis=-1)
        return float(out) if out.ndim == 0 else out
