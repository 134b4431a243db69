"""Consolation payments to data subjects: a cost category whose amount is a
claimant count times an award.

Given K records exposed and a finding of liability, M ~ Binomial(K, c)
claimants (c the claim rate) are each paid min(award, award_cap). The count
concentrates around c K, so the cost is nearly fixed given K; its sublimited
mean, stop-loss transform and grid come from the binomial itself, summed over
the window of counts outside which the probability is below 2e-18. The
category follows the interface of :class:`~picover.model.costs.CostCategory`.
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np
from scipy import stats

from picover import _checks
from picover.engine.discretise import place_atom_rows
from picover.engine.severity import AtomicSeverity, Severity
from picover.model.costs import MAX_AMOUNT, TRIGGERS, CostContext, FloatArray


def _binomial_tail(n: Any, c: float, j: Any) -> tuple[Any, Any]:
    """P(M > j) and E[M; M > j] for M ~ Binomial(n, c) (n >= 1, broadcasting)."""
    sf = stats.binom.sf(j, n, c)
    # E[M; M > j] = n c P(Binomial(n - 1, c) >= j): the size-biased binomial.
    return sf, n * c * stats.binom.sf(j - 1, n - 1, c)


def _split_k(k: Any) -> tuple[Any, Any]:
    """Integer part of K and the weight of the next integer, so that E[M] = c K exactly."""
    ks = np.asarray(k, dtype=np.float64)
    lo = np.floor(ks)
    return lo, ks - lo


def _binomial_stop_loss(k: Any, c: float, award: float, x: Any) -> tuple[Any, Any]:
    """P(award M > x) and E[(award M - x)+] for the real-K binomial mixture.

    The binomial tails (incomplete beta functions, slow) are evaluated only
    where x falls inside the claimants' window: outside it M is below or
    above x but with probability under 2e-18, and the answer is the mean's
    excess over x, or nothing.
    """
    ks = np.asarray(k, dtype=np.float64)
    xs = np.asarray(x, dtype=np.float64)
    shape = np.broadcast_shapes(ks.shape, xs.shape)
    lo, theta = (np.broadcast_to(a, shape).reshape(-1) for a in _split_k(ks))
    j = np.broadcast_to(np.floor(xs / award), shape).reshape(-1)
    low, high = (
        np.broadcast_to(a, shape).reshape(-1) for a in _claimant_window(ks, np.floor(ks) + 1.0, c)
    )
    below = j < low  # M > j all but surely
    sf = below.astype(np.float64)
    above = np.where(below, np.broadcast_to(ks * c, shape).reshape(-1), 0.0)
    inside = ~below & (j < high)
    if inside.any():
        t, n, m = theta[inside], lo[inside], j[inside]
        sf_lo, above_lo = _binomial_tail(n, c, m)
        # One more trial: M' = M + B, so P(M' > j) = P(M > j) + c P(M = j) and
        # E[M'; M' > j] = (n + 1) c P(M >= j), without two more incomplete betas.
        at = stats.binom.pmf(m, n, c)
        sf_hi = sf_lo + c * at
        above_hi = (n + 1.0) * c * (sf_lo + at)
        sf[inside] = (1.0 - t) * sf_lo + t * sf_hi
        above[inside] = (1.0 - t) * above_lo + t * above_hi
    sf = sf.reshape(shape)
    return sf, award * above.reshape(shape) - np.broadcast_to(xs, shape) * sf


def _claimant_window(k: Any, n_hi: Any, c: float) -> tuple[Any, Any]:
    """Claimant counts outside [low, high] have probability below 2e-18 (Bernstein bound)."""
    var = n_hi * c * (1.0 - c)
    log_eps = math.log(1e18)
    t = log_eps / 3.0 + np.sqrt((log_eps / 3.0) ** 2 + 2.0 * var * log_eps)
    mu = np.asarray(k, dtype=np.float64) * c
    low = np.maximum(0.0, np.floor(mu - t) - 1.0)
    high = np.minimum(n_hi, np.ceil(mu + t) + 1.0)
    return low, high


def _binomial_pmf_windows(
    m: FloatArray, row: Any, n: FloatArray, c: float, *more: FloatArray
) -> Any:
    """Binomial(n[row], c) pmf at consecutive counts m within each row.

    The first count of each row comes from scipy; the rest follow from the
    ratio p(m + 1) / p(m) = (n - m) c / ((m + 1) (1 - c)), summed in logs,
    which is far cheaper than evaluating every point and as accurate
    (about 1e-8 relative or better over tens of thousands of steps). With
    ``more`` counts (same windows), a list of one pmf per count array.
    """
    starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
    widths = np.diff(np.r_[starts, m.size])
    start_of = np.repeat(starts, widths)
    with np.errstate(divide="ignore"):
        log_next = np.log(m + 1.0)
    pmfs = []
    for trials in (n, *more):
        first = stats.binom.logpmf(m[starts], trials[row[starts]], c)
        left = trials[row] - m
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.log(left) - log_next + math.log(c / (1.0 - c)) if c < 1 else 0.0
        # log p(m) = log p(start) + sum of the steps from the row's start up to m - 1.
        step = np.where(left > 0, step, -np.inf)
        finite = np.isfinite(step)
        csum = np.concatenate(([0.0], np.cumsum(np.where(finite, step, 0.0))))
        dead = np.concatenate(([0], np.cumsum(~finite)))
        logp = np.repeat(first, widths) + csum[:-1] - csum[start_of]
        beyond = dead[:-1] - dead[start_of] > 0  # a step past m = n: probability zero
        pmfs.append(np.where(beyond, 0.0, np.exp(logp)))
    return pmfs if more else pmfs[0]


def binomial_atoms(k: float, c: float) -> tuple[FloatArray, FloatArray]:
    """Claimant counts and probabilities of M ~ Binomial(K, c) for a real K >= 1.

    A real K (a quadrature node) mixes Binomial(floor K, c) and
    Binomial(floor K + 1, c) with weights that keep E[M] = c K exactly. Only
    counts within a Bernstein bound of the mean are listed: the probability
    left out is below 2e-18 on each side.
    """
    lo = math.floor(k)
    theta = k - lo
    n_hi = lo + 1 if theta > 0 else lo
    m_lo, m_hi = _claimant_window(k, n_hi, c)
    m = np.arange(int(m_lo), int(m_hi) + 1)
    pmf = (1.0 - theta) * stats.binom.pmf(m, lo, c)
    if theta > 0:
        pmf = pmf + theta * stats.binom.pmf(m, n_hi, c)
    return m.astype(np.float64), np.asarray(pmf / pmf.sum(), dtype=np.float64)


@attrs.frozen
class ConsolationCost:
    """Consolation payments to victims when a lawsuit finds the organisation liable.

    Claimants M ~ Binomial(K, ``claim_rate``); each is paid ``award``, capped
    at ``award_cap`` (the statutory damages maximum per person); both are
    currency units per claimant (KRW in the preset). The mean is
    ``claim_rate * K * min(award, award_cap)``: linear in the award up to the
    cap and in the claim rate.

    Examples
    --------
    >>> cons = ConsolationCost(award=1e5, award_cap=3e6, claim_rate=0.003)
    >>> float(cons.mean(1e6, CostContext(1e6, 1e10)))
    300000000.0
    """

    award: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, high=MAX_AMOUNT)
    )
    award_cap: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, allow_inf=True)
    )
    claim_rate: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, high=1.0, high_open=True)
    )
    trigger: str = attrs.field(default="liability", validator=_checks.among(TRIGGERS))
    insurable: bool = attrs.field(default=True, validator=_checks.kind(bool))

    @property
    def paid_award(self) -> float:
        """The award actually paid per claimant: min(award, award_cap) (currency units).

        Examples
        --------
        >>> ConsolationCost(award=5e6, award_cap=3e6, claim_rate=0.003).paid_award  # KRW
        3000000.0
        """
        return min(self.award, self.award_cap)

    def mean(self, k: Any, ctx: CostContext) -> Any:
        """E[C | K = k, liability] = ``claim_rate * k * paid_award`` (currency units;
        broadcasts over k; ``ctx`` is not needed).

        Examples
        --------
        >>> cons = ConsolationCost(award=1e5, award_cap=3e6, claim_rate=0.003)
        >>> cons.mean([1e4, 1e6], CostContext(1e6, 1e10)).tolist()  # KRW: 30 and 3,000 claimants
        [3000000.0, 300000000.0]
        """
        return self.claim_rate * np.asarray(k, dtype=np.float64) * self.paid_award

    def levels(self, k: Any, ctx: CostContext) -> tuple[Any, ...]:
        """The amount C is close to given K = k: its mean (currency units; the
        claimants' count concentrates around K ``claim_rate``).

        Examples
        --------
        >>> cons = ConsolationCost(award=1e5, award_cap=3e6, claim_rate=0.003)
        >>> [float(x) for x in cons.levels(1e6, CostContext(1e6, 1e10))]  # KRW
        [300000000.0]
        """
        return (self.mean(k, ctx),)

    def ppf(self, q: Any, k: Any, ctx: CostContext) -> Any:
        """The q-quantile of C given K = k, with K rounded up to whole records: at or
        above the exact one, which mixes the two whole counts around k (currency
        units; broadcasts).

        Examples
        --------
        >>> cons = ConsolationCost(award=1e5, award_cap=3e6, claim_rate=0.003)
        >>> cons.ppf([0.01, 0.5, 0.99], 1e6, CostContext(1e6, 1e10)).tolist()  # KRW
        [287400000.0, 300000000.0, 312800000.0]
        """
        lo, theta = _split_k(k)
        n = lo + (np.asarray(theta) > 0)
        return self.paid_award * stats.binom.ppf(q, n, self.claim_rate)

    def limited_mean(self, k: Any, ctx: CostContext, limit: float) -> Any:
        """E[min(C, limit) | K = k, liability] from the claimants' binomial
        distribution (currency units; broadcasts over k).

        Examples
        --------
        >>> cons = ConsolationCost(award=1e5, award_cap=3e6, claim_rate=0.003)
        >>> ctx = CostContext(1e6, 1e10)
        >>> float(cons.limited_mean(1e6, ctx, 1e8))  # about 3,000 claimants: 3e8 KRW, capped
        100000000.0
        >>> float(cons.limited_mean(1e6, ctx, math.inf))
        300000000.0
        """
        mean = self.mean(k, ctx)
        if math.isinf(limit) or self.paid_award == 0 or self.claim_rate == 0:
            return np.minimum(mean, limit)
        _, pi = _binomial_stop_loss(k, self.claim_rate, self.paid_award, limit)
        return mean - pi

    def second_moment(self, k: Any, ctx: CostContext, limit: float) -> Any:
        """E[min(C, limit)^2 | K = k, liability] (currency units squared; broadcasts over k).

        Claimant counts M are summed over the window outside which their
        probability is below 2e-18, node by node.

        Examples
        --------
        >>> cons = ConsolationCost(award=1e5, award_cap=3e6, claim_rate=0.003)
        >>> float(cons.second_moment(1e6, CostContext(1e6, 1e10), math.inf))  # KRW^2
        9.002991e+16
        >>> bool(cons.second_moment(1e6, CostContext(1e6, 1e10), 3e8) < 3e8**2)  # capped: 300M KRW
        True
        """
        a, c = self.paid_award, self.claim_rate
        ks = np.asarray(k, dtype=np.float64)
        if a == 0 or c == 0:
            return np.zeros(ks.shape)
        if math.isinf(limit):
            # Binomial(n, c): E[M^2] = n c (1 - c) + (n c)^2, mixed over n = floor(K), +1.
            lo, theta = _split_k(ks)
            second = (1.0 - theta) * (lo * c * (1.0 - c) + (lo * c) ** 2)
            second += theta * ((lo + 1.0) * c * (1.0 - c) + ((lo + 1.0) * c) ** 2)
            return a * a * second
        out = np.empty(ks.size)
        for i, ki in enumerate(ks.reshape(-1)):
            m, p = binomial_atoms(float(ki), c)
            out[i] = float(p @ np.minimum(a * m, limit) ** 2)
        return out.reshape(ks.shape)

    def stop_loss(self, k: Any, ctx: CostContext, x: Any) -> Any:
        """E[(C - x)+ | K = k, liability] (currency units; broadcasts over k and x).

        Examples
        --------
        >>> cons = ConsolationCost(award=1e5, award_cap=3e6, claim_rate=0.003)
        >>> cons.stop_loss(1e6, CostContext(1e6, 1e10), [0.0, 3e8]).round().tolist()  # KRW
        [300000000.0, 2181756.0]
        """
        xs = np.asarray(x, dtype=np.float64)
        if self.paid_award == 0 or self.claim_rate == 0:
            return np.maximum(-xs, 0.0) + 0.0 * np.asarray(k, dtype=np.float64)
        _, pi = _binomial_stop_loss(k, self.claim_rate, self.paid_award, xs)
        return np.maximum(pi, 0.0)

    def severity(self, k: float, ctx: CostContext) -> Severity:
        """C given one K = k as an engine severity: atoms at whole numbers of
        claimants times ``paid_award`` (currency units), with their
        probabilities (see :func:`binomial_atoms`).

        Examples
        --------
        >>> cons = ConsolationCost(award=1e5, award_cap=3e6, claim_rate=0.003)
        >>> round(cons.severity(1e4, CostContext(1e6, 1e10)).mean())  # KRW: 30 claimants on average
        3000000
        """
        if self.paid_award == 0 or self.claim_rate == 0:
            return AtomicSeverity([0.0], [1.0])
        m, p = binomial_atoms(k, self.claim_rate)
        return AtomicSeverity(self.paid_award * m, p)

    def on_grid(
        self, k: FloatArray, ctx: CostContext, bucket: float, n: int, limit: float
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """All nodes at once: the claimant pmf on a window around each mean, placed on the grid.

        Examples
        --------
        >>> cons = ConsolationCost(award=1e5, award_cap=3e6, claim_rate=0.003)
        >>> ctx = CostContext(1e6, 1e10)
        >>> probs, tail_p, _ = cons.on_grid(np.array([1e6]), ctx, 1e6, 512, math.inf)
        >>> float(tail_p[0]), round(float(probs[0] @ (1e6 * np.arange(512))))  # KRW, 1M buckets
        (0.0, 300000000)
        """
        a, c = self.paid_award, self.claim_rate
        if a == 0 or c == 0:
            probs = np.zeros((k.size, n))
            probs[:, 0] = 1.0
            return probs, np.zeros(k.size), np.zeros(k.size)
        lo, theta = _split_k(k)
        hi = lo + (theta > 0)
        m_lo, m_hi = _claimant_window(k, hi, c)
        # Ragged windows, one per node, laid end to end.
        widths = (m_hi - m_lo + 1).astype(np.int64)
        row = np.repeat(np.arange(k.size), widths)
        m = m_lo[row] + (np.arange(row.size) - np.repeat(np.cumsum(widths) - widths, widths))
        p_lo, p_hi = _binomial_pmf_windows(m, row, lo, c, hi)
        pmf = (1.0 - theta[row]) * p_lo
        pmf += theta[row] * p_hi
        pmf /= np.bincount(row, weights=pmf, minlength=k.size)[row]
        values = np.minimum(a * m, limit)
        probs, tail_p, tail_m = place_atom_rows(values, pmf, bucket, n, rows=row)
        return probs, tail_p, tail_m

    def rvs(self, k: FloatArray, ctx: CostContext, rng: np.random.Generator) -> FloatArray:
        """One draw of C per entry of ``k`` from ``rng``: binomial claimants
        times ``paid_award`` (currency units; the shape of k).

        Examples
        --------
        >>> cons = ConsolationCost(award=1e5, award_cap=3e6, claim_rate=0.003)
        >>> draws = cons.rvs(np.full(10_000, 1e6), CostContext(1e6, 1e10), np.random.default_rng(1))
        >>> bool((draws % 1e5 == 0).all()), round(draws.mean() / 1e6)  # whole awards; million KRW
        (True, 300)
        """
        lo, theta = _split_k(k)
        n = lo + (rng.random(lo.shape) < theta)
        draws = rng.binomial(n.astype(np.int64), self.claim_rate)
        return np.asarray(self.paid_award * draws, dtype=np.float64)
