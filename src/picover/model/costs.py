"""The cost categories of one incident, given the number of records it exposed.

Each category says when it arises (its ``trigger``), whether insurers cover
it by default, and, given K records affected and that trigger, its mean, its
mean capped at a sublimit, its distribution (as an engine severity) and random
draws. The model mixes them over K and over whether a lawsuit follows; a user
adds a category (say business interruption) by writing a small class with the
same methods, without touching the engine. A category may also offer
``stop_loss(k, ctx, x)``, E[(C - x)+ | K = k, trigger]: it lets the model see
that terms far beyond any plausible loss need no grid (without it the grid
reaches them). It may also offer a vectorised ``on_grid``; that must place
each cost on one of the two grid points around it (so at most a bucket
higher, as the bound from ``stop_loss`` assumes) and keep the tail beyond the
grid as its probability and conditional mean. A cost that is nearly fixed
given K offers ``levels(k, ctx)``, the few amounts it takes when its trigger
happens: where a policy's retention, limit or sublimit meets them, the
insured cost bends in K, and the model's quadrature splits there. A cost
that takes those few amounts with known chances may offer
``atoms(k, ctx, limit)``, the amounts of ``min(C, limit)`` and their
probabilities: where only such costs make up an incident's cost (no
investigation, say), the model mixes them over a fine rule of K, so that
their distribution is smooth rather than one lump per quadrature node. A category
offering ``second_moment(k, ctx, limit)``, E[min(C, limit)^2 | K = k,
trigger], lets the model give the exact variance of a year's loss. One
offering ``ppf(q, k, ctx)``, the q-quantile of C given K = k and the
trigger, broadcasting as scipy's ``ppf`` does, lets the grid be sized without
building a severity per organisation.

Triggers:

- ``"incident"``: every incident (cause investigation, crisis management, fines);
- ``"suit"``: only when the incident leads to a lawsuit (attorney fees);
- ``"liability"``: only when a lawsuit finds the organisation liable (consolation).

All methods broadcast over arrays of K and of the exposure context, so the
expected losses of many organisations are one numpy expression.

This module holds the interface and the lognormal, linear and surcharge
categories; consolation payments, a binomial count of claimants, have their
own module, :mod:`picover.model.consolation`.
"""

from __future__ import annotations

import math
from typing import Any, Protocol, runtime_checkable

import attrs
import numpy as np
from numpy.typing import NDArray
from scipy import special, stats

from picover import _checks
from picover.engine.discretise import GridSeverity, discretise, place_atom_rows
from picover.engine.severity import AtomicSeverity, Layered, ScipySeverity, Severity

FloatArray = NDArray[np.float64]

TRIGGERS = ("incident", "suit", "liability")

#: Largest amount (currency units) a cost parameter may take: beyond any real
#: incident's cost in any currency, and short of where the transforms overflow.
MAX_AMOUNT = 1e18


def _amounts(instance: Any, attribute: Any, value: Any) -> None:
    """Validate a context field: finite numbers >= 0, a scalar or an array (checked
    whole, without a copy: contexts are built for chunks of a book)."""
    if type(value) is float and math.isfinite(value) and value >= 0.0:
        return  # the common case, a quote's own figures, without numpy's overhead
    values = np.asarray(value)
    if values.dtype.kind not in "iuf":
        raise TypeError(
            f"CostContext.{attribute.name} must be a number or an array of numbers; got {value!r}"
        )
    if not (np.isfinite(values).all() and (values >= 0).all()):
        raise ValueError(f"CostContext.{attribute.name} must be finite and >= 0; got {value!r}")


@attrs.frozen
class CostContext:
    """What a cost may depend on besides K: the organisation's size and sales.

    Attributes broadcast against K (use shape ``(m, 1)`` for m organisations).

    Attributes
    ----------
    records : float or array
        Records the organisation holds.
    annual_sales : float or array
        Its annual sales (currency units, KRW in the preset).

    Examples
    --------
    >>> ctx = CostContext(np.array([[1e5], [1e6]]), np.array([[5e9], [1e11]]))  # sales in KRW
    >>> fine = SurchargeCost(0.1, 0.9, 0.005, 0.25, 0.03)
    >>> fine.amount(np.array([1e4, 1e5]), ctx).round().tolist()  # KRW: a row per organisation
    [[7905694.0, 14058533.0], [158113883.0, 281170663.0]]
    """

    records: Any = attrs.field(validator=_amounts)
    annual_sales: Any = attrs.field(validator=_amounts)


@runtime_checkable
class CostCategory(Protocol):
    """The small interface every cost category follows (amounts in currency units).

    Examples
    --------
    >>> isinstance(LinearCost(1e7, 500.0), CostCategory), isinstance(object(), CostCategory)
    (True, False)
    """

    @property
    def trigger(self) -> str:
        """When the cost arises: ``"incident"``, ``"suit"`` or ``"liability"``.

        Examples
        --------
        >>> from picover.model.consolation import ConsolationCost
        >>> ConsolationCost(award=1e5, award_cap=3e6, claim_rate=0.003).trigger
        'liability'
        """
        ...

    @property
    def insurable(self) -> bool:
        """Whether policies cover the cost by default (penalty surcharges are not).

        Examples
        --------
        >>> LinearCost(1e7, 500.0).insurable, SurchargeCost(0.1, 0.9, 0.005, 0.25, 0.03).insurable
        (True, False)
        """
        ...

    def mean(self, k: Any, ctx: CostContext) -> Any:
        """E[C | K = k, trigger] (currency units).

        Examples
        --------
        >>> float(LinearCost(1e7, 500.0).mean(1e4, CostContext(1e6, 1e10)))  # KRW: 1e7 + 500 * 1e4
        15000000.0
        """
        ...

    def limited_mean(self, k: Any, ctx: CostContext, limit: float) -> Any:
        """E[min(C, limit) | K = k, trigger] (currency units).

        Examples
        --------
        >>> float(LinearCost(1e7, 500.0).limited_mean(1e4, CostContext(1e6, 1e10), 1e7))  # KRW
        10000000.0
        """
        ...

    def severity(self, k: float, ctx: CostContext) -> Severity:
        """The distribution of C given K = k and the trigger, as an engine severity
        (currency units).

        Examples
        --------
        >>> LinearCost(1e7, 500.0).severity(1e4, CostContext(1e6, 1e10)).mean()  # KRW
        15000000.0
        """
        ...

    def rvs(self, k: FloatArray, ctx: CostContext, rng: np.random.Generator) -> FloatArray:
        """One draw of C per entry of k (given the trigger; currency units).

        Examples
        --------
        >>> rng = np.random.default_rng(1)
        >>> LinearCost(1e7, 500.0).rvs(np.array([1e4, 1e6]), CostContext(1e6, 1e10), rng).tolist()
        [15000000.0, 510000000.0]
        """
        ...


def on_grid(
    category: CostCategory, k: FloatArray, ctx: CostContext, bucket: float, n: int, limit: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Discretise ``min(C, limit)`` given each K in ``k`` (1-D) on the grid 0..(n-1) h.

    Returns masses of shape ``(len(k), n)``, and per node the probability and
    conditional mean beyond the grid. Categories may offer a faster
    vectorised ``on_grid`` method; otherwise each node goes through the engine.
    """
    fast = getattr(category, "on_grid", None)
    if fast is not None:
        result: tuple[FloatArray, FloatArray, FloatArray] = fast(k, ctx, bucket, n, limit)
        return result
    probs = np.zeros((k.size, n))
    tail_p = np.zeros(k.size)
    tail_m = np.zeros(k.size)
    for i, ki in enumerate(k):
        sev = category.severity(float(ki), _node_context(ctx, i))
        if math.isfinite(limit):
            sev = Layered(sev, 0.0, limit, 1.0)
        g = _discretise_bounded(sev, bucket, n)
        probs[i, : g.probs.size] = g.probs
        tail_p[i], tail_m[i] = g.tail_prob, (g.tail_mean if g.tail_prob > 0 else 0.0)
    return probs, tail_p, tail_m


def _node_context(ctx: CostContext, i: int) -> CostContext:
    def pick(v: Any) -> Any:
        arr = np.asarray(v)
        return float(arr.reshape(-1)[i]) if arr.size > 1 else float(arr.reshape(-1)[0])

    return CostContext(pick(ctx.records), pick(ctx.annual_sales))


def _discretise_bounded(sev: Severity, bucket: float, n: int) -> GridSeverity:
    m = n
    if math.isfinite(sev.upper):
        m = min(n, math.ceil(sev.upper / bucket - 1e-9) + 2)
    return discretise(sev, bucket, max(m, 2))


# --------------------------------------------------------------------------


def _ratio(k: Any, ref: float) -> Any:
    return np.asarray(k, dtype=np.float64) / ref


@attrs.frozen
class LognormalCost:
    """A lognormal cost whose median scales as a power of K.

    ``median(K) = median * (K / reference_records) ** elasticity``, with
    ``median`` in currency units (KRW in the preset); ``sigma`` is the
    log-scale spread. Used for cause investigation (every incident) and
    attorney fees (lawsuits only).

    Examples
    --------
    >>> inv = LognormalCost(median=3.4e7, elasticity=0.4, sigma=1.0)
    >>> ctx = CostContext(records=1e6, annual_sales=1e10)
    >>> round(float(inv.mean(1e4, ctx)))  # 3.4e7 * exp(0.5)
    56056523
    """

    median: float = attrs.field(
        converter=_checks.to_float,
        validator=_checks.real(low=0.0, low_open=True, high=MAX_AMOUNT),
    )
    elasticity: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=-2.0, high=2.0)
    )
    sigma: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, low_open=True, high=5.0)
    )
    reference_records: float = attrs.field(
        converter=_checks.to_float, default=1e4, validator=_checks.real(low=0.0, low_open=True)
    )
    trigger: str = attrs.field(default="incident", validator=_checks.among(TRIGGERS))
    insurable: bool = attrs.field(default=True, validator=_checks.kind(bool))

    def median_at(self, k: Any) -> Any:
        """The median of C given K = k (currency units; broadcasts over k).

        Examples
        --------
        >>> inv = LognormalCost(median=3.4e7, elasticity=0.4, sigma=1.0)
        >>> inv.median_at([1e4, 1e6]).round().tolist()  # KRW: 3.4e7 * 100 ** 0.4 at 1e6
        [34000000.0, 214525497.0]
        """
        return self.median * _ratio(k, self.reference_records) ** self.elasticity

    def mean(self, k: Any, ctx: CostContext) -> Any:
        """E[C | K = k] = ``median_at(k) * exp(sigma**2 / 2)`` (currency units;
        broadcasts over k; ``ctx`` is not needed).

        Examples
        --------
        >>> inv = LognormalCost(median=3.4e7, elasticity=0.4, sigma=1.0)
        >>> inv.mean([1e4, 1e6], CostContext(1e6, 1e10)).round().tolist()  # KRW
        [56056523.0, 353692750.0]
        """
        return self.median_at(k) * math.exp(self.sigma**2 / 2.0)

    def limited_mean(self, k: Any, ctx: CostContext, limit: float) -> Any:
        """E[min(C, limit) | K = k] in closed form (currency units; broadcasts over k).

        Examples
        --------
        >>> inv = LognormalCost(median=3.4e7, elasticity=0.4, sigma=1.0)
        >>> ctx = CostContext(records=1e6, annual_sales=1e10)
        >>> round(float(inv.limited_mean(1e4, ctx, 3.4e7)))  # 3.4e7 (e^0.5 Phi(-1) + 1/2)
        25893662
        >>> bool(inv.limited_mean(1e4, ctx, math.inf) == inv.mean(1e4, ctx))
        True
        """
        mean = self.mean(k, ctx)
        if math.isinf(limit):
            return mean
        u = (math.log(limit) - np.log(self.median_at(k))) / self.sigma
        return mean * special.ndtr(u - self.sigma) + limit * special.ndtr(-u)

    def second_moment(self, k: Any, ctx: CostContext, limit: float) -> Any:
        """E[min(C, limit)^2 | K = k] (currency units squared; broadcasts over k).

        Examples
        --------
        >>> inv = LognormalCost(median=3.4e7, elasticity=0.4, sigma=1.0)
        >>> ctx = CostContext(1e6, 1e10)
        >>> bool(np.isclose(inv.second_moment(1e4, ctx, math.inf), 3.4e7**2 * math.exp(2)))
        True
        >>> float(np.sqrt(inv.second_moment(1e4, ctx, 1e8))) < 1e8  # KRW: capped at 100 million
        True
        """
        med = np.asarray(self.median_at(k), dtype=np.float64)
        s = self.sigma
        full = med * med * math.exp(2.0 * s * s)
        if math.isinf(limit):
            return full
        u = (math.log(limit) - np.log(med)) / s
        return full * special.ndtr(u - 2.0 * s) + limit * limit * special.ndtr(-u)

    def stop_loss(self, k: Any, ctx: CostContext, x: Any) -> Any:
        """E[(C - x)+ | K = k] (currency units; broadcasts over k and x).

        Examples
        --------
        >>> inv = LognormalCost(median=3.4e7, elasticity=0.4, sigma=1.0)
        >>> inv.stop_loss(1e4, CostContext(1e6, 1e10), [0.0, 1e8]).round().tolist()  # KRW
        [56056523.0, 12234010.0]
        """
        med = np.asarray(self.median_at(k), dtype=np.float64)
        xs = np.asarray(x, dtype=np.float64)
        s = self.sigma
        with np.errstate(divide="ignore"):
            u = (np.log(np.maximum(xs, 0.0)) - np.log(med)) / s
        pi = med * math.exp(s * s / 2.0) * special.ndtr(s - u) - xs * special.ndtr(-u)
        # Far out the two terms nearly cancel: rounding, at most ~1e-16 of the mean.
        return np.maximum(pi, 0.0)

    def severity(self, k: float, ctx: CostContext) -> Severity:
        """C given one K = k as an engine severity: the lognormal itself (currency units).

        Examples
        --------
        >>> inv = LognormalCost(median=3.4e7, elasticity=0.4, sigma=1.0)
        >>> round(inv.severity(1e4, CostContext(1e6, 1e10)).mean())  # KRW, as inv.mean
        56056523
        """
        return ScipySeverity(stats.lognorm(self.sigma, scale=float(self.median_at(k))))

    def ppf(self, q: Any, k: Any, ctx: CostContext) -> Any:
        """The q-quantile of C given K = k (currency units; closed form; broadcasts).

        Examples
        --------
        >>> inv = LognormalCost(median=3.4e7, elasticity=0.4, sigma=1.0)
        >>> inv.ppf([0.5, 0.99], 1e4, CostContext(1e6, 1e10)).round().tolist()  # KRW
        [34000000.0, 348176104.0]
        """
        return self.median_at(k) * np.exp(self.sigma * special.ndtri(q))

    def rvs(self, k: FloatArray, ctx: CostContext, rng: np.random.Generator) -> FloatArray:
        """One draw of C per entry of ``k`` from ``rng`` (currency units; the shape of k).

        Examples
        --------
        >>> inv = LognormalCost(median=3.4e7, elasticity=0.4, sigma=1.0)
        >>> draws = inv.rvs(np.full(100_000, 1e4), CostContext(1e6, 1e10), np.random.default_rng(1))
        >>> draws.shape, round(float(np.median(draws)), -6)  # KRW, near the median 3.4e7
        ((100000,), 34000000.0)
        """
        return np.asarray(
            self.median_at(k) * np.exp(self.sigma * rng.standard_normal(np.shape(k))),
            dtype=np.float64,
        )

    def on_grid(
        self, k: FloatArray, ctx: CostContext, bucket: float, n: int, limit: float
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """All nodes at once: the stop-loss transform's second differences (see the engine).

        Examples
        --------
        >>> inv = LognormalCost(median=3.4e7, elasticity=0.4, sigma=1.0)
        >>> ctx = CostContext(1e6, 1e10)
        >>> probs, tail_p, _ = inv.on_grid(np.array([1e4]), ctx, 1e7, 100, 5e7)  # 10M KRW buckets
        >>> probs.shape, float(tail_p[0])  # the 50 million KRW limit is on the grid: no tail
        ((1, 100), 0.0)
        >>> bool(np.isclose(probs[0] @ (1e7 * np.arange(100)), inv.limited_mean(1e4, ctx, 5e7)))
        True
        """
        m = n if math.isinf(limit) else min(n, math.ceil(limit / bucket - 1e-9) + 2)
        x = bucket * np.arange(m, dtype=np.float64)
        med = np.asarray(self.median_at(k), dtype=np.float64)[:, None]
        s = self.sigma
        mean = med * math.exp(s * s / 2.0)
        # In place on two (nodes x points) arrays: for a large grid each fresh one
        # costs about as much as the arithmetic on it.
        with np.errstate(divide="ignore"):
            u = np.subtract(np.log(x)[None, :], np.log(med))
        u /= s
        sf = special.ndtr(np.negative(u), out=np.empty_like(u))
        pi = special.ndtr(np.subtract(s, u, out=u), out=u)  # pi(x) = mean Phi(s - u) - x S(x)
        pi *= mean
        below = x < limit
        tail_p = sf[:, -1].copy() if below[-1] else np.zeros(k.size)
        pi -= np.multiply(sf, x[None, :], out=sf)
        if math.isfinite(limit):
            # E[(min(C, L) - x)+] = pi(x) - pi(L) below L, zero from L on.
            u_l = (math.log(limit) - np.log(med)) / s
            pi -= mean * special.ndtr(s - u_l) - limit * special.ndtr(-u_l)
            pi[:, ~below] = 0.0
        d = np.subtract(pi[:, :-1], pi[:, 1:], out=sf[:, :-1])
        probs = np.empty((k.size, n))
        probs[:, m:] = 0.0
        probs[:, 0] = 1.0 - d[:, 0] / bucket
        np.subtract(d[:, :-1], d[:, 1:], out=probs[:, 1 : m - 1])
        probs[:, 1 : m - 1] /= bucket
        probs[:, m - 1] = d[:, -1] / bucket - tail_p
        np.maximum(probs, 0.0, out=probs)  # rounding-level negatives only
        with np.errstate(divide="ignore", invalid="ignore"):
            tail_m = np.where(tail_p > 0, x[-1] + pi[:, -1] / np.where(tail_p > 0, tail_p, 1), 0.0)
        return probs, tail_p, tail_m


@attrs.frozen
class LinearCost:
    """A cost fixed given K: ``fixed + per_record * K`` (crisis management, notification).

    ``fixed`` (per incident) and ``per_record`` (per record exposed) are in
    currency units (KRW in the preset).

    Examples
    --------
    >>> float(LinearCost(1e7, 500.0).mean(1e6, CostContext(1e6, 0.0)))
    510000000.0
    """

    fixed: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, high=MAX_AMOUNT)
    )
    per_record: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, high=MAX_AMOUNT)
    )
    trigger: str = attrs.field(default="incident", validator=_checks.among(TRIGGERS))
    insurable: bool = attrs.field(default=True, validator=_checks.kind(bool))

    def mean(self, k: Any, ctx: CostContext) -> Any:
        """The cost ``fixed + per_record * k``, certain given K (currency units;
        broadcasts over k; ``ctx`` is not needed).

        Examples
        --------
        >>> LinearCost(1e7, 500.0).mean([1e4, 1e6], CostContext(1e6, 0.0)).tolist()  # KRW
        [15000000.0, 510000000.0]
        """
        return self.fixed + self.per_record * np.asarray(k, dtype=np.float64)

    def levels(self, k: Any, ctx: CostContext) -> tuple[Any, ...]:
        """The amount C takes given K = k (certain; currency units).

        Examples
        --------
        >>> [float(x) for x in LinearCost(1e7, 500.0).levels(1e4, CostContext(1e6, 0.0))]  # KRW
        [15000000.0]
        """
        return (self.mean(k, ctx),)

    def ppf(self, q: Any, k: Any, ctx: CostContext) -> Any:
        """The cost itself: it is certain given K (currency units; broadcasts).

        Examples
        --------
        >>> LinearCost(1e7, 500.0).ppf([0.1, 0.9], 1e4, CostContext(1e6, 0.0)).tolist()  # KRW
        [15000000.0, 15000000.0]
        """
        return self.mean(k, ctx) + 0.0 * np.asarray(q)

    def limited_mean(self, k: Any, ctx: CostContext, limit: float) -> Any:
        """min(C, limit), the certain cost capped (currency units; broadcasts over k).

        Examples
        --------
        >>> LinearCost(1e7, 500.0).limited_mean([1e4, 1e6], CostContext(1e6, 0.0), 1e8).tolist()
        [15000000.0, 100000000.0]
        """
        return np.minimum(self.mean(k, ctx), limit)

    def second_moment(self, k: Any, ctx: CostContext, limit: float) -> Any:
        """E[min(C, limit)^2 | K = k]: the certain cost capped, squared (currency units squared).

        Examples
        --------
        >>> float(LinearCost(1e7, 500.0).second_moment(1e4, CostContext(1e6, 0.0), 1e7))  # KRW^2
        100000000000000.0
        """
        return np.minimum(self.mean(k, ctx), limit) ** 2

    def stop_loss(self, k: Any, ctx: CostContext, x: Any) -> Any:
        """E[(C - x)+ | K = k]: the certain cost's excess over x (currency units).

        Examples
        --------
        >>> LinearCost(1e7, 500.0).stop_loss(1e4, CostContext(1e6, 0.0), [1e7, 2e7]).tolist()
        [5000000.0, 0.0]
        """
        return np.maximum(self.mean(k, ctx) - np.asarray(x, dtype=np.float64), 0.0)

    def atoms(self, k: Any, ctx: CostContext, limit: float) -> tuple[FloatArray, FloatArray]:
        """min(C, limit) given K = k as atoms: amounts and probabilities with a
        last axis of one atom (broadcasts over k).

        Examples
        --------
        >>> cost = LinearCost(1e7, 500.0)
        >>> values, probs = cost.atoms(np.array([1e4]), CostContext(1e4, 0.0), 1e7)
        >>> values.tolist(), probs.tolist()  # 1.5e7 capped at 1e7, for certain
        ([[10000000.0]], [[1.0]])
        """
        # Broadcast to K: a subclass may answer one amount for all.
        values = np.minimum(np.broadcast_to(self.mean(k, ctx), np.shape(k)), limit)
        values = np.asarray(values, dtype=np.float64)[..., None]
        return values, np.ones_like(values)

    def severity(self, k: float, ctx: CostContext) -> Severity:
        """C given one K = k as an engine severity: one atom at the cost (currency units).

        Examples
        --------
        >>> LinearCost(1e7, 500.0).severity(1e4, CostContext(1e6, 0.0)).mean()  # KRW
        15000000.0
        """
        return AtomicSeverity([float(self.mean(k, ctx))], [1.0])

    def on_grid(
        self, k: FloatArray, ctx: CostContext, bucket: float, n: int, limit: float
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """All nodes at once: one atom per node, split between grid points.

        Examples
        --------
        >>> k, ctx = np.array([1e4, 1e6]), CostContext(1e6, 0.0)
        >>> probs, tail_p, tail_m = LinearCost(1e7, 500.0).on_grid(k, ctx, 1e7, 8, math.inf)
        >>> probs[0, :4].tolist()  # 15 million KRW: half on 10 million, half on 20 million
        [0.0, 0.5, 0.5, 0.0]
        >>> tail_p.tolist(), tail_m.tolist()  # 510 million KRW is beyond the grid's 70 million
        ([0.0, 1.0], [0.0, 510000000.0])
        """
        values = np.minimum(np.broadcast_to(self.mean(k, ctx), k.shape), limit)[:, None]
        probs, tail_p, tail_m = place_atom_rows(values, np.ones_like(values), bucket, n)
        return probs, tail_p, tail_m

    def rvs(self, k: FloatArray, ctx: CostContext, rng: np.random.Generator) -> FloatArray:
        """The cost for each entry of ``k`` (currency units; the shape of k): it is
        certain, so ``rng`` is not used.

        Examples
        --------
        >>> rng = np.random.default_rng()
        >>> LinearCost(1e7, 500.0).rvs(np.array([1e4, 1e6]), CostContext(1e6, 0.0), rng).tolist()
        [15000000.0, 510000000.0]
        """
        return np.asarray(np.broadcast_to(self.mean(k, ctx), np.shape(k)), dtype=np.float64)


def log_ramp(k: Any, k_low: float, k_high: float, p_low: float, p_high: float) -> Any:
    """p_low up to k_low, p_high from k_high on, linear in log10 K between."""
    t = np.asarray(np.log10(np.asarray(k, dtype=np.float64)))
    t -= math.log10(k_low)
    t /= math.log10(k_high) - math.log10(k_low)
    np.clip(t, 0.0, 1.0, out=t)
    t *= p_high - p_low
    t += p_low
    return t if t.ndim else t[()]


@attrs.frozen
class SurchargeCost:
    """An administrative penalty surcharge, a share of annual sales (uninsurable by default).

    With probability ``log_ramp(K)`` between ``p_small`` (K <= ``k_small``) and
    ``p_large`` (K >= ``k_large``) the regulator imposes
    ``annual_sales * min(cap_share, share_at_reference * (K / reference_records) ** elasticity)``.

    Examples
    --------
    >>> fine = SurchargeCost(0.1, 0.9, 0.005, 0.25, 0.03)
    >>> float(fine.mean(1e6, CostContext(1e6, 1e11)))  # 0.9 * 1e11 * 0.005
    450000000.0
    """

    p_small: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, high=1.0)
    )
    p_large: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, high=1.0)
    )
    share_at_reference: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, high=1.0)
    )
    elasticity: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, high=2.0)
    )
    cap_share: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, high=1.0)
    )
    reference_records: float = attrs.field(
        converter=_checks.to_float, default=1e6, validator=_checks.real(low=0.0, low_open=True)
    )
    k_small: float = attrs.field(
        converter=_checks.to_float, default=1e4, validator=_checks.real(low=1.0)
    )
    k_large: float = attrs.field(
        converter=_checks.to_float, default=1e6, validator=_checks.real(low=1.0)
    )
    trigger: str = attrs.field(default="incident", validator=_checks.among(TRIGGERS))
    insurable: bool = attrs.field(default=False, validator=_checks.kind(bool))

    def __attrs_post_init__(self) -> None:
        if not self.k_small < self.k_large:
            raise ValueError(
                f"SurchargeCost needs k_small < k_large; got {self.k_small} and {self.k_large}"
            )

    def probability(self, k: Any) -> Any:
        """The chance of a surcharge given K = k (see :func:`log_ramp`; broadcasts over k).

        Examples
        --------
        >>> fine = SurchargeCost(0.1, 0.9, 0.005, 0.25, 0.03)
        >>> fine.probability([1e4, 1e5, 1e6]).tolist()  # halfway in log10 K at 1e5
        [0.1, 0.5, 0.9]
        """
        return log_ramp(k, self.k_small, self.k_large, self.p_small, self.p_large)

    def amount(self, k: Any, ctx: CostContext) -> Any:
        """The surcharge when imposed, a capped share of ``ctx.annual_sales``
        (currency units; broadcasts over k and ctx).

        Examples
        --------
        >>> fine = SurchargeCost(0.1, 0.9, 0.005, 0.25, 0.03)
        >>> fine.amount([1e4, 1e6], CostContext(1e6, 1e11)).round().tolist()  # KRW on 100 bn sales
        [158113883.0, 500000000.0]
        """
        share = np.asarray(np.power(_ratio(k, self.reference_records), self.elasticity))
        share *= self.share_at_reference
        np.minimum(share, self.cap_share, out=share)
        return np.asarray(ctx.annual_sales, dtype=np.float64) * share

    def mean(self, k: Any, ctx: CostContext) -> Any:
        """E[C | K = k] = ``probability(k) * amount(k, ctx)`` (currency units;
        broadcasts over k and ctx).

        Examples
        --------
        >>> fine = SurchargeCost(0.1, 0.9, 0.005, 0.25, 0.03)
        >>> fine.mean([1e4, 1e6], CostContext(1e6, 1e11)).round().tolist()  # KRW
        [15811388.0, 450000000.0]
        """
        return self.probability(k) * self.amount(k, ctx)

    def levels(self, k: Any, ctx: CostContext) -> tuple[Any, ...]:
        """The two amounts C takes given K = k: none, or the surcharge (currency units).

        Examples
        --------
        >>> fine = SurchargeCost(0.1, 0.9, 0.005, 0.25, 0.03)
        >>> [float(x) for x in fine.levels(1e6, CostContext(1e6, 1e11))]  # KRW
        [0.0, 500000000.0]
        """
        return (np.zeros_like(np.asarray(k, dtype=np.float64)), self.amount(k, ctx))

    def ppf(self, q: Any, k: Any, ctx: CostContext) -> Any:
        """The q-quantile of C given K = k: the surcharge if q exceeds the chance of
        none (currency units; broadcasts).

        Examples
        --------
        >>> fine = SurchargeCost(0.1, 0.9, 0.005, 0.25, 0.03)
        >>> fine.ppf([0.05, 0.5], 1e6, CostContext(1e6, 1e11)).tolist()  # KRW; P(none) = 0.1
        [0.0, 500000000.0]
        """
        return np.where(np.asarray(q) > 1.0 - self.probability(k), self.amount(k, ctx), 0.0)

    def limited_mean(self, k: Any, ctx: CostContext, limit: float) -> Any:
        """E[min(C, limit) | K = k]: the chance of a surcharge times the capped
        amount (currency units; broadcasts over k and ctx).

        Examples
        --------
        >>> fine = SurchargeCost(0.1, 0.9, 0.005, 0.25, 0.03)
        >>> float(fine.limited_mean(1e6, CostContext(1e6, 1e11), 1e8))  # 0.9 * 1e8
        90000000.0
        """
        return self.probability(k) * np.minimum(self.amount(k, ctx), limit)

    def second_moment(self, k: Any, ctx: CostContext, limit: float) -> Any:
        """E[min(C, limit)^2 | K = k] (currency units squared; broadcasts over k).

        Examples
        --------
        >>> fine = SurchargeCost(0.1, 0.9, 0.005, 0.25, 0.03)
        >>> float(fine.second_moment(1e6, CostContext(1e6, 1e11), 1e8))  # KRW^2: 0.9 * 1e8 ** 2
        9000000000000000.0
        """
        return self.probability(k) * np.minimum(self.amount(k, ctx), limit) ** 2

    def stop_loss(self, k: Any, ctx: CostContext, x: Any) -> Any:
        """E[(C - x)+ | K = k] (currency units; broadcasts over k and x).

        Examples
        --------
        >>> fine = SurchargeCost(0.1, 0.9, 0.005, 0.25, 0.03)
        >>> fine.stop_loss(1e6, CostContext(1e6, 1e11), [0.0, 1e8]).tolist()  # KRW
        [450000000.0, 360000000.0]
        """
        xs = np.asarray(x, dtype=np.float64)
        p = self.probability(k)
        # (C - x)+ is C - x for x < 0, whether the surcharge comes or not.
        hit = p * np.maximum(self.amount(k, ctx) - xs, 0.0)
        return hit + (1.0 - p) * np.maximum(-xs, 0.0)

    def atoms(self, k: Any, ctx: CostContext, limit: float) -> tuple[FloatArray, FloatArray]:
        """min(C, limit) given K = k as atoms: none or the surcharge (capped),
        with their probabilities, on a last axis of two (broadcasts over k).

        Examples
        --------
        >>> fine = SurchargeCost(0.1, 0.9, 0.005, 0.25, 0.03)
        >>> values, probs = fine.atoms(np.array([1e6]), CostContext(1e6, 1e11), math.inf)
        >>> values.tolist(), probs.round(12).tolist()  # 0.5% of sales, with probability 0.9
        ([[0.0, 500000000.0]], [[0.1, 0.9]])
        """
        p = np.asarray(self.probability(k), dtype=np.float64)
        hit = np.minimum(self.amount(k, ctx), limit)
        p, hit = np.broadcast_arrays(p, hit)
        return np.stack((np.zeros_like(hit), hit), axis=-1), np.stack((1.0 - p, p), axis=-1)

    def severity(self, k: float, ctx: CostContext) -> Severity:
        """C given one K = k as an engine severity: no surcharge, or the
        surcharge (currency units), with their probabilities.

        Examples
        --------
        >>> fine = SurchargeCost(0.1, 0.9, 0.005, 0.25, 0.03)
        >>> fine.severity(1e6, CostContext(1e6, 1e11)).mean()  # KRW: 0.9 * 500 million
        450000000.0
        """
        p = float(self.probability(k))
        return AtomicSeverity([0.0, float(self.amount(k, ctx))], [1.0 - p, p])

    def rvs(self, k: FloatArray, ctx: CostContext, rng: np.random.Generator) -> FloatArray:
        """One draw of C per entry of ``k`` from ``rng``: the surcharge or 0
        (currency units; the shape of k).

        Examples
        --------
        >>> fine = SurchargeCost(0.1, 0.9, 0.005, 0.25, 0.03)
        >>> draws = fine.rvs(np.full(1_000, 1e6), CostContext(1e6, 1e11), np.random.default_rng(1))
        >>> np.unique(draws).tolist()  # KRW
        [0.0, 500000000.0]
        """
        hit = rng.random(np.shape(k)) < self.probability(k)
        return np.asarray(np.where(hit, self.amount(k, ctx), 0.0), dtype=np.float64)
