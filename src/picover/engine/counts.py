"""The claim-count distributions: Poisson, negative binomial, binomial and an
explicit pmf (the mixed Poisson, built on the last, is in
:mod:`picover.engine.mixed`).

Each gives the engine its probability generating function and draws, and the
user the vocabulary of a :class:`~picover.engine.lossdist.LossDistribution`:
mean, var, std, pmf, cdf, sf, ppf, isf, median and rvs, each vectorised and a
float for a scalar argument. :func:`picover.engine.frequency.as_frequency`
turns what a user passes into one of them.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import numpy as np
from numpy.typing import NDArray
from scipy import stats

from picover import _checks
from picover._frozen import read_only_when_unpickled
from picover.engine.lossdist import LEVEL_RTOL, LossDistribution, _scalar_or_array
from picover.engine.simulate import as_generator

if TYPE_CHECKING:
    from picover.engine.frequency import Frequency

ComplexArray = NDArray[np.complex128]
FloatArray = NDArray[np.float64]

# Probability mass left out when a count distribution is tabulated (1 - 1e-15
# is the closest level to 1 that a float still tells apart from it).
_PMF_TAIL = 1e-15


def _table(freq: Frequency) -> FloatArray:
    """The pmf on 0..K with K large enough that the mass beyond is below 1e-15."""
    k_max = int(freq.ppf(1.0 - _PMF_TAIL)) + 1
    return freq.pmf(np.arange(k_max + 1))


def inverse_cdf_draws(
    freq: Frequency, size: int, rng: np.random.Generator, native: Any
) -> NDArray[np.int64]:
    """Counts by inverting the cdf on a table of the pmf: one uniform per draw.

    Far cheaper than numpy's samplers for the small annual counts of leaks.
    The rare draws beyond the table (probability below 1e-15) come from
    ``native(size, rng)``, the distribution's own sampler, so the result is
    exact in distribution.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> f = Poisson(0.5)
    >>> n = inverse_cdf_draws(f, 100_000, rng, lambda k, g: g.poisson(0.5, size=k))
    >>> str(n.dtype), bool(abs(n.mean() - 0.5) < 0.01)  # claims per simulated year
    ('int64', True)
    """
    table = np.cumsum(_table(freq))
    u = rng.random(size)
    counts = np.searchsorted(table, u, side="right").astype(np.int64)
    beyond = counts >= table.size
    if beyond.any():
        # Conditioned on exceeding the table, by rejection from the native sampler.
        need = int(beyond.sum())
        found: list[NDArray[np.int64]] = []
        while need > 0:
            draws = native(max(need * 4, 16), rng)
            draws = draws[draws >= table.size][:need]
            found.append(draws)
            need -= draws.size
        counts[beyond] = np.concatenate(found)
    return counts


def _generator(rng: Any, seed: Any) -> np.random.Generator:
    """The generator a draw uses: ``rng`` as the engine passes it (positionally), or
    ``seed`` as a user gives it; both at once would leave it unclear which counts."""
    if rng is not None and seed is not None:
        raise TypeError("rvs takes rng or seed, not both")
    return as_generator(seed if rng is None else rng)


def _step_index(probs: FloatArray, qs: FloatArray) -> NDArray[np.intp]:
    """Index of the first atom whose cumulative probability reaches each level q
    (the last atom where rounding leaves the total short of q).

    A level within ``LEVEL_RTOL`` of a step (relative to the smaller of q and
    1 - q) counts as on it, as in :meth:`LossDistribution.ppf`: ten atoms of 0.1
    sum to 0.7999999999999999 at the eighth, and ppf(0.8) is the eighth, not the ninth.
    """
    below = np.cumsum(probs)
    i = np.searchsorted(below, qs - LEVEL_RTOL * np.minimum(qs, 1.0 - qs), side="left")
    return np.minimum(i, probs.size - 1)


def _never_inf(ks: FloatArray) -> FloatArray:
    """The counts with an infinite one as -1: neither is ever the count, and scipy's
    Poisson and negative binomial pmf at inf compute inf - inf (NaN, and a warning)."""
    return np.where(np.isinf(ks), -1.0, ks) if np.isinf(ks).any() else ks


def _isf_search(sf: Callable[[FloatArray], Any], ps: FloatArray, start: float) -> FloatArray:
    """The smallest whole k >= 0 with sf(k) <= p, for each p, by bisection on the exact sf.

    scipy's isf of a Poisson count loses the digits of a small p: it is a count or two
    too low below p = 1e-15 (for mu = 100) and NaN below 1e-17. The survival
    functions themselves keep them, so a search on sf is exact.
    """
    lo = np.full(ps.shape, -1.0)  # sf(-1) = 1 > p for every level p < 1
    hi = np.full(ps.shape, float(max(math.ceil(start), 1)))  # whole, as the search needs
    # A level not reached by 2^1000 claims is not reached by any count a float holds.
    while (above := np.asarray(sf(hi)) > ps).any() and hi.max() < 2.0**1000:
        lo = np.where(above, hi, lo)
        hi = np.where(above, 2.0 * hi, hi)
    # Beyond 2^53 floats are not every whole number: a search stops where its ends
    # are neighbours, the midpoint rounding onto one of them.
    while True:
        mid = np.floor((lo + hi) / 2.0)
        active = (hi - lo > 1.0) & (mid > lo) & (mid < hi)
        if not active.any():
            break
        ok = np.asarray(sf(mid)) <= ps
        lo, hi = np.where(active & ~ok, mid, lo), np.where(active & ok, mid, hi)
    return np.where(np.asarray(sf(hi)) <= ps, hi, math.inf)


class _Counts(abc.ABC):
    """What every count distribution below answers the same way, from its own
    variance, quantiles and sampler (``_draw(size, rng)``, one flat array)."""

    __slots__ = ()

    @abc.abstractmethod
    def var(self) -> float: ...

    @abc.abstractmethod
    def ppf(self, q: Any) -> Any: ...

    @abc.abstractmethod
    def _draw(self, size: int, rng: np.random.Generator) -> NDArray[np.int64]: ...

    def std(self) -> float:
        """Standard deviation of the count (claims per year), the square root of :meth:`var`.

        Examples
        --------
        >>> Poisson(4.0).std()
        2.0
        """
        return math.sqrt(self.var())

    def median(self) -> float:
        """The median count, ``ppf(0.5)``: the fewest claims with P(N <= k) >= 1/2.

        Examples
        --------
        >>> Poisson(0.3).median()  # most years have no claim
        0.0
        """
        return float(self.ppf(0.5))

    def rvs(self, size: Any = None, rng: Any = None, *, seed: Any = None) -> Any:
        """Random counts: an int for ``size=None``, else an int64 array of shape ``size``.

        ``rng`` (a numpy Generator, second positional argument, as the engine's
        simulators pass it) or ``seed`` (an int, SeedSequence or Generator) make
        the draws reproducible; with neither they use fresh entropy, and
        numpy's global generator is never touched.

        Examples
        --------
        >>> n = Poisson(0.5).rvs(100_000, seed=1)
        >>> str(n.dtype), bool(abs(n.mean() - 0.5) < 0.01)
        ('int64', True)
        >>> Poisson(0.5).rvs(seed=1) == Poisson(0.5).rvs(seed=1)
        True
        """
        shape = _checks.shape("size", size)
        draws = self._draw(math.prod(shape), _generator(rng, seed))
        return int(draws[0]) if size is None else draws.reshape(shape)


class _ScipyCounts(_Counts):
    """Counts of a scipy family (``_family``, with the arguments ``_args``), whose
    pmf, cdf, sf and ppf are scipy's, and isf a search on that exact sf."""

    __slots__ = ()
    _family: ClassVar[Any]

    @property
    @abc.abstractmethod
    def _args(self) -> tuple[float, ...]: ...

    @abc.abstractmethod
    def mean(self) -> float: ...

    def pmf(self, k: Any) -> Any:
        """P(N = k), vectorised over ``k``: a float for a scalar ``k``, else an array
        (0 where ``k`` is not a whole number >= 0).

        Examples
        --------
        >>> round(Poisson(0.5).pmf(0), 6)  # e^-0.5: a year without a claim
        0.606531
        >>> NegativeBinomial(2.0, 0.5).pmf([0, 1]).tolist()  # p^n, n p^n (1 - p)
        [0.25, 0.25]
        """
        ks = _never_inf(_checks.array("k", k, allow_inf=True))
        return _scalar_or_array(np.asarray(self._family.pmf(ks, *self._args), dtype=np.float64))

    def cdf(self, k: Any) -> Any:
        """P(N <= k), vectorised over ``k`` (a float for a scalar ``k``).

        Examples
        --------
        >>> round(Poisson(0.5).cdf(1), 6)  # e^-0.5 (1 + 0.5)
        0.909796
        """
        ks = _checks.array("k", k, allow_inf=True)
        return _scalar_or_array(np.asarray(self._family.cdf(ks, *self._args), dtype=np.float64))

    def sf(self, k: Any) -> Any:
        """P(N > k), vectorised over ``k``; exact however small (not 1 - cdf).

        Examples
        --------
        >>> f"{Poisson(0.01).sf(3):.4g}"  # four claims or more: about e^-0.01 0.01^4 / 24
        '4.133e-10'
        """
        ks = _checks.array("k", k, allow_inf=True)
        return _scalar_or_array(np.asarray(self._family.sf(ks, *self._args), dtype=np.float64))

    def ppf(self, q: Any) -> Any:
        """The smallest count k with P(N <= k) >= q, for levels q in (0, 1).

        Vectorised over ``q``; a float for a scalar ``q``, else an array.

        Examples
        --------
        >>> Poisson(2.0).ppf([0.5, 0.99]).tolist()
        [2.0, 6.0]
        >>> NegativeBinomial(2.0, 0.5).ppf([0.5, 0.99]).tolist()
        [1.0, 9.0]
        """
        qs = _checks.probability_levels("q", q)
        if self.mean() == 0:  # no claim, surely (scipy's families give nan or -1 there)
            return _scalar_or_array(np.zeros_like(qs))
        return _scalar_or_array(np.asarray(self._family.ppf(qs, *self._args), dtype=np.float64))

    def isf(self, p: Any) -> Any:
        """The smallest count k with P(N > k) <= p, for p in (0, 1): ``ppf(1 - p)``
        without losing the digits of a small ``p`` (searched on the exact :meth:`sf`).

        Examples
        --------
        >>> Poisson(2.0).isf(0.01), Poisson(2.0).isf(1e-20)
        (6.0, 26.0)
        """
        ps = _checks.probability_levels("p", p)
        return _scalar_or_array(_isf_search(self.sf, ps, self.mean()))


@attrs.frozen
class Poisson(_ScipyCounts):
    """Poisson counts with mean ``mu`` (claims per year).

    Examples
    --------
    >>> Poisson(0.3).pgf(np.array([1.0 + 0j]))
    array([1.+0.j])
    """

    mu: float = attrs.field(converter=_checks.to_float, validator=_checks.real(low=0.0))
    _family = stats.poisson

    @property
    def _args(self) -> tuple[float, ...]:
        return (self.mu,)

    def mean(self) -> float:
        """Expected claims per year, ``mu``.

        Examples
        --------
        >>> Poisson(0.3).mean()
        0.3
        """
        return self.mu

    def var(self) -> float:
        """Variance of the count, ``mu`` (a Poisson count's variance equals its mean).

        Examples
        --------
        >>> Poisson(0.3).var()
        0.3
        """
        return self.mu

    def pgf(self, z: ComplexArray) -> ComplexArray:
        """The probability generating function E[z^N] = exp(mu (z - 1)) at complex ``z``.

        Examples
        --------
        >>> Poisson(0.3).pgf(np.array([1.0 + 0j]))
        array([1.+0.j])
        """
        w = z - 1.0
        w *= self.mu
        return np.exp(w, out=w)

    def _draw(self, size: int, rng: np.random.Generator) -> NDArray[np.int64]:
        if self.mu > 1000:
            return rng.poisson(self.mu, size=size).astype(np.int64)
        return inverse_cdf_draws(
            self, size, rng, lambda n, g: g.poisson(self.mu, size=n).astype(np.int64)
        )


@attrs.frozen
class NegativeBinomial(_ScipyCounts):
    """Negative binomial counts in scipy's parametrisation.

    P(N = k) = C(k + n - 1, k) p^n (1 - p)^k, mean n (1 - p) / p.

    Examples
    --------
    >>> round(NegativeBinomial(2.0, 0.5).mean(), 12)
    2.0
    """

    n: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, low_open=True)
    )
    p: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, high=1.0, low_open=True)
    )

    _family = stats.nbinom

    @property
    def _args(self) -> tuple[float, ...]:
        return (self.n, self.p)

    def mean(self) -> float:
        """Expected claims per year, n (1 - p) / p.

        Examples
        --------
        >>> NegativeBinomial(2.0, 0.5).mean()
        2.0
        """
        return self.n * (1.0 - self.p) / self.p

    def var(self) -> float:
        """Variance of the count, n (1 - p) / p^2: the mean divided by p, so above it.

        Examples
        --------
        >>> NegativeBinomial(2.0, 0.5).var()
        4.0
        """
        return self.n * (1.0 - self.p) / self.p**2

    def pgf(self, z: ComplexArray) -> ComplexArray:
        """The probability generating function E[z^N] = (p / (1 - (1 - p) z))^n.

        Examples
        --------
        >>> NegativeBinomial(2.0, 0.5).pgf(np.array([0j])).real  # P(N = 0) = p^n
        array([0.25])
        """
        # log1p keeps precision where (1 - p) z is small.
        return np.exp(self.n * (math.log(self.p) - np.log1p(-(1.0 - self.p) * z)))

    def _draw(self, size: int, rng: np.random.Generator) -> NDArray[np.int64]:
        if self.mean() > 1000:
            return rng.negative_binomial(self.n, self.p, size=size).astype(np.int64)
        return inverse_cdf_draws(
            self,
            size,
            rng,
            lambda n, g: g.negative_binomial(self.n, self.p, size=n).astype(np.int64),
        )


@attrs.frozen
class Binomial(_ScipyCounts):
    """Binomial counts: ``n`` independent exposures each claiming with probability ``p``.

    Examples
    --------
    >>> Binomial(10, 0.1).mean()
    1.0
    """

    n: int = attrs.field(validator=_checks.whole(low=0))
    p: float = attrs.field(converter=_checks.to_float, validator=_checks.real(low=0.0, high=1.0))

    _family = stats.binom

    @property
    def _args(self) -> tuple[float, ...]:
        return (self.n, self.p)

    def mean(self) -> float:
        """Expected claims per year, n p.

        Examples
        --------
        >>> Binomial(10, 0.1).mean()
        1.0
        """
        return self.n * self.p

    def var(self) -> float:
        """Variance of the count, n p (1 - p).

        Examples
        --------
        >>> Binomial(10, 0.5).var()
        2.5
        """
        return self.n * self.p * (1.0 - self.p)

    def pgf(self, z: ComplexArray) -> ComplexArray:
        """The probability generating function E[z^N] = (1 - p + p z)^n.

        Examples
        --------
        >>> Binomial(2, 0.5).pgf(np.array([0j])).real  # P(N = 0) = (1 - p)^n
        array([0.25])
        """
        return np.power(1.0 - self.p + self.p * z, self.n)

    def _draw(self, size: int, rng: np.random.Generator) -> NDArray[np.int64]:
        return rng.binomial(self.n, self.p, size=size).astype(np.int64)


def _pmf_array(value: Any) -> FloatArray:
    return _checks.probabilities("frequency pmf", value)


@read_only_when_unpickled
@attrs.frozen(eq=False)
class PmfFrequency(_Counts):
    """Counts given by an explicit pmf: ``probs[k] = P(N = k)``.

    Examples
    --------
    >>> PmfFrequency([0.7, 0.2, 0.1]).mean()
    0.4
    """

    probs: FloatArray = attrs.field(converter=_pmf_array)
    _dist: LossDistribution | None = attrs.field(init=False, default=None, repr=False)

    def _counts(self) -> LossDistribution:
        """The pmf as a LossDistribution on 0, 1, ..., built on first use: its cdf,
        sf and isf sum from the nearer end, so small tail probabilities keep their
        digits, and the engine, which asks for none of them, never pays for it."""
        dist = self._dist
        if dist is None:
            dist = LossDistribution(np.arange(float(self.probs.size)), self.probs)
            object.__setattr__(self, "_dist", dist)
        return dist

    def mean(self) -> float:
        """Expected count, summed over the pmf.

        Examples
        --------
        >>> PmfFrequency([0.7, 0.2, 0.1]).mean()
        0.4
        """
        return float((np.arange(self.probs.size) * self.probs).sum())

    def var(self) -> float:
        """Variance of the count, summed over the pmf.

        Examples
        --------
        >>> round(PmfFrequency([0.7, 0.2, 0.1]).var(), 12)  # 0.6 - 0.4^2
        0.44
        """
        k = np.arange(self.probs.size)
        return float((((k - self.mean()) ** 2) * self.probs).sum())

    def pmf(self, k: Any) -> Any:
        """P(N = k) = ``probs[k]``, vectorised over ``k``: a float for a scalar ``k``,
        else an array (0 where ``k`` is not a whole number within the pmf).

        Examples
        --------
        >>> PmfFrequency([0.7, 0.2, 0.1]).pmf([0, 2, 3]).tolist()
        [0.7, 0.1, 0.0]
        """
        ks = _checks.array("k", k, allow_inf=True)
        inside = (ks >= 0) & (ks < self.probs.size) & (ks == np.floor(ks))
        out = np.zeros(ks.shape)
        out[inside] = self.probs[ks[inside].astype(np.int64)]
        return _scalar_or_array(out)

    def cdf(self, k: Any) -> Any:
        """P(N <= k), vectorised over ``k`` (a float for a scalar ``k``).

        Examples
        --------
        >>> PmfFrequency([0.7, 0.2, 0.1]).cdf([0, 1.5, 9]).tolist()
        [0.7, 0.9, 1.0]
        """
        return self._counts().cdf(_checks.array("k", k, allow_inf=True))

    def sf(self, k: Any) -> Any:
        """P(N > k), vectorised over ``k``, summed from the top (not 1 - cdf).

        Examples
        --------
        >>> PmfFrequency([0.7, 0.2, 0.1]).sf(1)
        0.1
        """
        return self._counts().sf(_checks.array("k", k, allow_inf=True))

    def ppf(self, q: Any) -> Any:
        """The smallest count k with P(N <= k) >= q, for levels q in (0, 1).

        Vectorised over ``q``; a float for a scalar ``q``, else an array.

        Examples
        --------
        >>> PmfFrequency([0.7, 0.2, 0.1]).ppf([0.5, 0.8, 0.95]).tolist()
        [0.0, 1.0, 2.0]
        >>> PmfFrequency([0.1] * 10).ppf(0.8)  # on the step, though the sum is 0.7999999999999999
        7.0
        """
        qs = _checks.probability_levels("q", q)
        return _scalar_or_array(_step_index(self.probs, qs).astype(np.float64))

    def isf(self, p: Any) -> Any:
        """The smallest count k with P(N > k) <= p, for p in (0, 1): ``ppf(1 - p)``
        found from the top, so that a small ``p`` keeps its digits.

        Examples
        --------
        >>> PmfFrequency([0.7, 0.2, 0.1]).isf([0.05, 0.2]).tolist()
        [2.0, 1.0]
        """
        return self._counts().isf(_checks.probability_levels("p", p))

    def pgf(self, z: ComplexArray) -> ComplexArray:
        """The probability generating function E[z^N], a polynomial in ``z``.

        Examples
        --------
        >>> PmfFrequency([0.5, 0.5]).pgf(np.array([3.0 + 0j])).real  # 0.5 + 0.5 * 3
        array([2.])
        """
        out = np.full(z.shape, self.probs[-1], dtype=np.complex128)
        for p in self.probs[-2::-1]:  # Horner: the pmf is short, the z array long
            out *= z
            out += p
        return out

    def _draw(self, size: int, rng: np.random.Generator) -> NDArray[np.int64]:
        return rng.choice(self.probs.size, size=size, p=self.probs).astype(np.int64)


def _shape_loc_scale(frozen: Any, name: str = "") -> tuple[tuple[float, ...], float, float]:
    """Split a scipy frozen distribution's arguments into shapes, loc and scale,
    each a number: a frozen vector of distributions is refused (the message
    starting with ``name``, the argument, when given)."""
    dist = frozen.dist
    n_shapes = dist.numargs
    args = list(frozen.args)
    kwds = dict(frozen.kwds)
    names = [s.strip() for s in dist.shapes.split(",")] if dist.shapes else []

    def number(what: str, value: Any) -> float:
        arr = np.asarray(value)
        if arr.ndim != 0 or not np.issubdtype(arr.dtype, np.number):
            raise TypeError(
                f"{name + ': ' if name else ''}the scipy distribution's {what} must be one "
                f"number (one distribution, not a vector of them); got {value!r}"
            )
        return float(arr)

    shapes = []
    for i, nm in enumerate(names):
        shapes.append(number(nm, args[i] if i < len(args) else kwds.pop(nm)))
    rest = args[n_shapes:]
    loc = number("loc", rest[0] if len(rest) > 0 else kwds.get("loc", 0.0))
    scale = number("scale", rest[1] if len(rest) > 1 else kwds.get("scale", 1.0))
    return tuple(shapes), loc, scale
