"""Claim-count distributions as the engine needs them.

The FFT engine needs a count distribution's probability generating function
P(z) = E[z^N] at complex points; Monte Carlo needs draws. Users pass scipy
frozen ``poisson``, ``nbinom`` or ``binom`` objects, an explicit pmf, or
:func:`mixed_poisson`; :func:`as_frequency` turns each into one of the small
classes below, which all share the same methods.
"""

from __future__ import annotations

import math
from typing import Any, Protocol, runtime_checkable

import attrs
import numpy as np
from numpy.typing import NDArray
from scipy import integrate, stats

from picover import _checks

ComplexArray = NDArray[np.complex128]
FloatArray = NDArray[np.float64]

# Most counts a mixed Poisson's pmf is tabulated to (a rate's tail beyond is too heavy).
_MAX_MIXED_COUNTS = 100_000
# Probability mass left out when a count distribution is tabulated (1 - 1e-15
# is the closest level to 1 that a float still tells apart from it).
_PMF_TAIL = 1e-15


@runtime_checkable
class Frequency(Protocol):
    """What the engine asks of a claim-count distribution.

    Examples
    --------
    >>> f = Poisson(0.5)  # claims per year
    >>> isinstance(f, Frequency), isinstance(PmfFrequency([0.7, 0.3]), Frequency)
    (True, True)
    >>> round(float(f.pgf(np.array([0j]))[0].real), 6)  # P(no claim in the year) = e^-0.5
    0.606531
    """

    def mean(self) -> float: ...
    def var(self) -> float: ...
    def pmf(self, k: Any) -> FloatArray: ...
    def ppf(self, q: float) -> float: ...
    def pgf(self, z: ComplexArray) -> ComplexArray: ...
    def rvs(self, size: int, rng: np.random.Generator) -> NDArray[np.int64]: ...


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


@attrs.frozen
class Poisson:
    """Poisson counts with mean ``mu`` (claims per year).

    Examples
    --------
    >>> Poisson(0.3).pgf(np.array([1.0 + 0j]))
    array([1.+0.j])
    """

    mu: float = attrs.field(converter=_checks.to_float, validator=_checks.real(low=0.0))

    def mean(self) -> float:
        return self.mu

    def var(self) -> float:
        return self.mu

    def pmf(self, k: Any) -> FloatArray:
        return np.asarray(stats.poisson.pmf(k, self.mu), dtype=np.float64)

    def ppf(self, q: float) -> float:
        return float(stats.poisson.ppf(q, self.mu)) if self.mu > 0 else 0.0

    def pgf(self, z: ComplexArray) -> ComplexArray:
        w = z - 1.0
        w *= self.mu
        return np.exp(w, out=w)

    def rvs(self, size: int, rng: np.random.Generator) -> NDArray[np.int64]:
        if self.mu > 1000:
            return rng.poisson(self.mu, size=size).astype(np.int64)
        return inverse_cdf_draws(
            self, size, rng, lambda n, g: g.poisson(self.mu, size=n).astype(np.int64)
        )


@attrs.frozen
class NegativeBinomial:
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

    def mean(self) -> float:
        return self.n * (1.0 - self.p) / self.p

    def var(self) -> float:
        return self.n * (1.0 - self.p) / self.p**2

    def pmf(self, k: Any) -> FloatArray:
        return np.asarray(stats.nbinom.pmf(k, self.n, self.p), dtype=np.float64)

    def ppf(self, q: float) -> float:
        return float(stats.nbinom.ppf(q, self.n, self.p)) if self.p < 1 else 0.0

    def pgf(self, z: ComplexArray) -> ComplexArray:
        # log1p keeps precision where (1 - p) z is small.
        return np.exp(self.n * (math.log(self.p) - np.log1p(-(1.0 - self.p) * z)))

    def rvs(self, size: int, rng: np.random.Generator) -> NDArray[np.int64]:
        if self.mean() > 1000:
            return rng.negative_binomial(self.n, self.p, size=size).astype(np.int64)
        return inverse_cdf_draws(
            self,
            size,
            rng,
            lambda n, g: g.negative_binomial(self.n, self.p, size=n).astype(np.int64),
        )


@attrs.frozen
class Binomial:
    """Binomial counts: ``n`` independent exposures each claiming with probability ``p``.

    Examples
    --------
    >>> Binomial(10, 0.1).mean()
    1.0
    """

    n: int = attrs.field(validator=_checks.whole(low=0))
    p: float = attrs.field(converter=_checks.to_float, validator=_checks.real(low=0.0, high=1.0))

    def mean(self) -> float:
        return self.n * self.p

    def var(self) -> float:
        return self.n * self.p * (1.0 - self.p)

    def pmf(self, k: Any) -> FloatArray:
        return np.asarray(stats.binom.pmf(k, self.n, self.p), dtype=np.float64)

    def ppf(self, q: float) -> float:
        return float(stats.binom.ppf(q, self.n, self.p))

    def pgf(self, z: ComplexArray) -> ComplexArray:
        return np.power(1.0 - self.p + self.p * z, self.n)

    def rvs(self, size: int, rng: np.random.Generator) -> NDArray[np.int64]:
        return rng.binomial(self.n, self.p, size=size).astype(np.int64)


def _pmf_array(value: Any) -> FloatArray:
    arr = _checks.array("frequency pmf", value, low=0.0, ndim=1)
    if arr.size == 0:
        raise ValueError("frequency pmf must have at least one entry (P(N = 0))")
    total = float(arr.sum())
    if abs(total - 1.0) > 1e-9:
        raise ValueError(f"frequency pmf must sum to 1 (within 1e-9); it sums to {total!r}")
    # Only rounding-level differences reach here; dividing them out keeps P(1) = 1.
    out = arr / total
    out.flags.writeable = False
    return out


@attrs.frozen(eq=False)
class PmfFrequency:
    """Counts given by an explicit pmf: ``probs[k] = P(N = k)``.

    Examples
    --------
    >>> PmfFrequency([0.7, 0.2, 0.1]).mean()
    0.4
    """

    probs: FloatArray = attrs.field(converter=_pmf_array)

    def mean(self) -> float:
        return float((np.arange(self.probs.size) * self.probs).sum())

    def var(self) -> float:
        k = np.arange(self.probs.size)
        return float((((k - self.mean()) ** 2) * self.probs).sum())

    def pmf(self, k: Any) -> FloatArray:
        k = np.asarray(k)
        inside = (k >= 0) & (k < self.probs.size) & (k == np.floor(k))
        out = np.zeros(k.shape)
        out[inside] = self.probs[k[inside].astype(np.int64)]
        return out

    def ppf(self, q: float) -> float:
        cdf = np.cumsum(self.probs)
        return float(min(int(np.searchsorted(cdf, q, side="left")), self.probs.size - 1))

    def pgf(self, z: ComplexArray) -> ComplexArray:
        out = np.full(z.shape, self.probs[-1], dtype=np.complex128)
        for p in self.probs[-2::-1]:  # Horner: the pmf is short, the z array long
            out *= z
            out += p
        return out

    def rvs(self, size: int, rng: np.random.Generator) -> NDArray[np.int64]:
        return rng.choice(self.probs.size, size=size, p=self.probs).astype(np.int64)


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


@attrs.frozen(eq=False)
class MixedPoisson:
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

    rate: Any = attrs.field(validator=lambda _i, _a, v: _rate_distribution(v))
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
                f"{_MAX_MIXED_COUNTS:,} are): a rate with so heavy a tail is beyond the engine"
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

    def mean(self) -> float:
        return self._pmf_table.mean()

    def var(self) -> float:
        return self._pmf_table.var()

    def pmf(self, k: Any) -> FloatArray:
        return self._pmf_table.pmf(k)

    def ppf(self, q: float) -> float:
        return self._pmf_table.ppf(q)

    def pgf(self, z: ComplexArray) -> ComplexArray:
        return self._pmf_table.pgf(z)

    def rvs(self, size: int, rng: np.random.Generator) -> NDArray[np.int64]:
        lam = np.asarray(self.rate.rvs(size=size, random_state=rng), dtype=np.float64)
        return rng.poisson(lam).astype(np.int64)


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


_SCIPY_COUNTS = ("poisson", "nbinom", "binom")


def as_frequency(value: Any, name: str = "frequency") -> Frequency:
    """Turn what a user passed as a claim-count distribution into a :class:`Frequency`.

    Accepted: a scipy frozen ``poisson``, ``nbinom`` or ``binom`` (with loc 0),
    a pmf as a 1-D array (``pmf[k] = P(N = k)``), or an object already
    following the :class:`Frequency` protocol (e.g. :func:`mixed_poisson`).

    Raises
    ------
    TypeError
        For any other object, naming what is accepted.

    Examples
    --------
    >>> from scipy import stats
    >>> as_frequency(stats.poisson(0.3))
    Poisson(mu=0.3)
    """
    if isinstance(value, stats.distributions.rv_frozen):
        dist_name = getattr(value.dist, "name", type(value.dist).__name__)
        if dist_name not in _SCIPY_COUNTS:
            raise TypeError(
                f"{name}: picover needs a generating function and scipy gives none for "
                f"{dist_name!r}; use stats.poisson, stats.nbinom, stats.binom, "
                "pc.mixed_poisson(rate), or pass the pmf as an array"
            )
        shapes, loc, _ = _shape_loc_scale(value, name)
        if loc != 0.0:
            raise ValueError(f"{name}: the count distribution must start at 0; got loc={loc}")
        for s in shapes:
            if np.ndim(s) != 0:
                raise ValueError(f"{name}: parameters must be scalars; got {s!r}")
        try:
            if dist_name == "poisson":
                return Poisson(shapes[0])
            if dist_name == "nbinom":
                return NegativeBinomial(*shapes)
            return Binomial(_checks.integer("binom n", shapes[0], low=0), shapes[1])
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    if isinstance(value, Poisson | NegativeBinomial | Binomial | PmfFrequency | MixedPoisson):
        return value
    if isinstance(value, list | tuple | np.ndarray):
        return PmfFrequency(value)
    raise TypeError(
        f"{name} must be a frozen scipy poisson, nbinom or binom, a pmf array, or "
        f"pc.mixed_poisson(rate); got {type(value).__name__}{_unfrozen_hint(value)}"
    )


def _unfrozen_hint(value: Any) -> str:
    """What to do with a scipy distribution passed without its parameters."""
    if isinstance(value, stats.rv_continuous | stats.rv_discrete):
        return (
            " (a scipy distribution not yet frozen: call it with its parameters, as in "
            "stats.poisson(0.3), or rv_discrete(values=(x, p))())"
        )
    return ""


def prob_any(freq: Frequency) -> float:
    """P(N >= 1), to full precision however rare the events (1 - P(N = 0) keeps
    only about 1e-16 / P(N >= 1) of it).

    Examples
    --------
    >>> prob_any(Poisson(1e-13))  # 1 - exp(-1e-13) would give 9.992e-14
    9.9999999999995e-14
    """
    if isinstance(freq, Poisson):
        return float(-math.expm1(-freq.mu))
    if isinstance(freq, NegativeBinomial):
        return float(-math.expm1(freq.n * math.log(freq.p))) if freq.p < 1 else 0.0
    if isinstance(freq, Binomial):
        return float(-math.expm1(freq.n * math.log1p(-freq.p))) if freq.p < 1 else 1.0
    return 1.0 - float(freq.pmf(0))


def shifted_pgf(freq: Frequency, z: ComplexArray) -> ComplexArray:
    """Return Q(z) = sum_{n>=1} P(N = n) z^(n-1) = (P(z) - P(0)) / z.

    Used when the first event of a year has its own severity: the transform of
    the annual total is P(0) + phi_first * Q(phi_rest). Dividing by z loses
    precision where |z| is small, so there the power series is summed instead.

    Examples
    --------
    >>> q = shifted_pgf(Poisson(0.5), np.array([0.0 + 0j, 1.0 + 0j]))
    >>> np.allclose(q, [0.5 * np.exp(-0.5), 1 - np.exp(-0.5)])
    True
    """
    p0 = float(freq.pmf(0))
    out = np.empty(z.shape, dtype=np.complex128)
    r = np.abs(z)
    direct = r > 0.5
    out[direct] = (freq.pgf(z[direct]) - p0) / z[direct]
    small = ~direct
    if small.any():
        # Terms p_n z^(n-1) with |z| <= 1/2 fall below 1e-18 after ~60 terms.
        coeffs = freq.pmf(np.arange(1, 64))
        zs = z[small]
        acc = np.full(zs.shape, coeffs[-1] if coeffs.size else 0.0, dtype=np.complex128)
        for c in coeffs[-2::-1]:
            acc *= zs
            acc += c
        out[small] = acc
    return out
