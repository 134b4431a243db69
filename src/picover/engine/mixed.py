"""The mixed Poisson count: Poisson claims whose yearly rate is itself uncertain.

N | Lambda ~ Poisson(Lambda), with Lambda any frozen scipy distribution on
[0, inf) (a PERT from expert judgement, a lognormal from an interval, a
gamma). Unlike multiplying one rate draw by one loss draw, this counts events:
a year may have no event, or several. Built by
:func:`~picover.engine.inputs.mixed_poisson`.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray
from scipy import integrate, stats

from picover.engine.counts import (
    _PMF_TAIL,
    ComplexArray,
    FloatArray,
    NegativeBinomial,
    PmfFrequency,
    _Counts,
    _shape_loc_scale,
    _table,
)

# Most counts a mixed Poisson's pmf is tabulated to (a rate's tail beyond is too heavy).
_MAX_MIXED_COUNTS = 100_000


def _rate_distribution(value: Any) -> Any:
    if not isinstance(value, stats.distributions.rv_frozen) or not isinstance(
        value.dist, stats.rv_continuous
    ):
        raise TypeError(
            "mixed_poisson rate must be a frozen scipy continuous distribution "
            f"(for example pc.pert(0.1, 0.3, 1.0)); got {type(value).__name__}"
        )
    low = float(value.support()[0])
    if not low >= 0.0:
        raise ValueError(f"mixed_poisson rate must be >= 0; its support starts at {low}")
    return value


def _frozen_named(dist: Any) -> str:
    """A frozen scipy distribution as its family and arguments (its own repr is an address)."""
    args = [f"{a:g}" if isinstance(a, float) else repr(a) for a in dist.args]
    args += [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v!r}" for k, v in dist.kwds.items()]
    return f"{dist.dist.name}({', '.join(args)})"


@attrs.frozen(eq=False)
class MixedPoisson(_Counts):
    """Poisson counts whose annual rate is itself uncertain.

    N | Lambda ~ Poisson(Lambda), Lambda ~ ``rate``. The pmf is the Poisson
    pmf averaged over Lambda: in closed form (negative binomial) for a gamma
    rate, else by adaptive quadrature to about 1e-12. Unlike multiplying one
    rate draw by one loss draw, this counts events: a year may have no
    incident, or several.

    Examples
    --------
    >>> from picover.engine.inputs import pert
    >>> f = MixedPoisson(pert(0.1, 0.3, 1.0))
    >>> round(f.mean(), 10) == round(float(pert(0.1, 0.3, 1.0).mean()), 10)
    True
    """

    rate: Any = attrs.field(validator=lambda _i, _a, v: _rate_distribution(v), repr=_frozen_named)
    _pmf_table: PmfFrequency = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_pmf_table", PmfFrequency(self._mixture_pmf()))

    def _mixture_pmf(self) -> FloatArray:
        rate = self.rate
        if rate.dist.name == "gamma":
            (a,), loc, scale = _shape_loc_scale(rate)
            if loc == 0.0:
                return _table(NegativeBinomial(a, 1.0 / (1.0 + scale)))
        lam_high = float(rate.isf(_PMF_TAIL))
        k_top = float(stats.poisson.isf(_PMF_TAIL, lam_high)) + 2
        if not k_top <= _MAX_MIXED_COUNTS:
            raise ValueError(
                f"mixed_poisson: the rate exceeds {lam_high:.3g} a year with probability "
                f"{_PMF_TAIL:g}, so counts up to {k_top:.3g} would need tabulating (at most "
                f"{_MAX_MIXED_COUNTS:,} are): give a rate with a lighter tail (a narrower "
                "interval), or a gamma rate, whose mixture is negative binomial at any spread"
            )
        k = np.arange(int(k_top))
        lo, hi = (float(v) for v in rate.support())
        pmf, _ = integrate.quad_vec(
            lambda lam: stats.poisson.pmf(k, lam) * rate.pdf(lam),
            lo,
            hi,
            epsabs=1e-14,
            epsrel=1e-12,
        )
        if not np.all(np.isfinite(pmf)):
            raise ValueError(
                "mixed_poisson: the quadrature over the rate's density gave no finite "
                "probabilities (is the density infinite at the edge of its support?)"
            )
        # The quadrature's rounding (to its 1e-14 tolerance) leaves far counts a little
        # below 0: they are 0.
        pmf = np.where((pmf < 0) & (pmf > -1e-13), 0.0, pmf)
        total = float(pmf.sum())
        if abs(total - 1.0) > 1e-8:
            raise ValueError(
                f"mixed_poisson: the rate's density integrates to {total:.12g}, not 1; "
                "the quadrature cannot average the Poisson pmf over it"
            )
        return np.asarray(pmf / total, dtype=np.float64)

    # Every answer below comes from the tabulated pmf (the Poisson pmf averaged over
    # the rate), which leaves out at most 1e-15 of probability beyond its last count.

    def mean(self) -> float:
        """Expected count, summed over the tabulated pmf: the rate's mean E[Lambda].

        Examples
        --------
        >>> from scipy import stats
        >>> round(MixedPoisson(stats.gamma(2.0, scale=0.25)).mean(), 12)  # 2 * 0.25
        0.5
        """
        return self._pmf_table.mean()

    def var(self) -> float:
        """Variance of the count, E[Lambda] + Var[Lambda]: above a Poisson's of the same mean.

        Examples
        --------
        >>> from scipy import stats
        >>> round(MixedPoisson(stats.gamma(2.0, scale=0.25)).var(), 12)  # 0.5 + 2 * 0.25^2
        0.625
        """
        return self._pmf_table.var()

    def pmf(self, k: Any) -> Any:
        """P(N = k) = E[Lambda^k e^-Lambda / k!], vectorised over ``k`` (a float for a
        scalar ``k``; 0 where ``k`` is not a whole number >= 0).

        Examples
        --------
        >>> from scipy import stats
        >>> round(MixedPoisson(stats.gamma(2.0, scale=0.25)).pmf(0), 12)  # (1 / 1.25)^2
        0.64
        """
        return self._pmf_table.pmf(k)

    def cdf(self, k: Any) -> Any:
        """P(N <= k), vectorised over ``k`` (a float for a scalar ``k``).

        Examples
        --------
        >>> from scipy import stats
        >>> round(MixedPoisson(stats.gamma(2.0, scale=0.25)).cdf(1), 12)  # 0.64 + 0.256
        0.896
        """
        return self._pmf_table.cdf(k)

    def sf(self, k: Any) -> Any:
        """P(N > k), vectorised over ``k``, summed from the top of the tabulated pmf
        (0 beyond it, where less than 1e-15 is left out).

        Examples
        --------
        >>> from scipy import stats
        >>> round(MixedPoisson(stats.gamma(2.0, scale=0.25)).sf(1), 12)
        0.104
        """
        return self._pmf_table.sf(k)

    def ppf(self, q: Any) -> Any:
        """The smallest count k with P(N <= k) >= q, for levels q in (0, 1).

        Vectorised over ``q``; a float for a scalar ``q``, else an array.

        Examples
        --------
        >>> from scipy import stats
        >>> MixedPoisson(stats.gamma(2.0, scale=0.25)).ppf([0.5, 0.99]).tolist()
        [0.0, 3.0]
        """
        return self._pmf_table.ppf(q)

    def isf(self, p: Any) -> Any:
        """The smallest count k with P(N > k) <= p, for p in (0, 1), found from the top
        so that a small ``p`` keeps its digits (down to the 1e-15 left out).

        Examples
        --------
        >>> from scipy import stats
        >>> MixedPoisson(stats.gamma(2.0, scale=0.25)).isf(0.01)
        3.0
        """
        return self._pmf_table.isf(p)

    def pgf(self, z: ComplexArray) -> ComplexArray:
        """The probability generating function E[z^N] = E[exp(Lambda (z - 1))].

        Examples
        --------
        >>> from scipy import stats
        >>> f = MixedPoisson(stats.gamma(2.0, scale=0.25))
        >>> round(float(f.pgf(np.array([0j]))[0].real), 12)  # P(N = 0)
        0.64
        """
        return self._pmf_table.pgf(z)

    def _draw(self, size: int, rng: np.random.Generator) -> NDArray[np.int64]:
        lam = np.asarray(self.rate.rvs(size=size, random_state=rng), dtype=np.float64)
        return rng.poisson(lam).astype(np.int64)
