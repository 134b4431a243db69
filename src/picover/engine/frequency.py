"""Claim-count distributions as the engine needs them.

The FFT engine needs a count distribution's probability generating function
P(z) = E[z^N] at complex points; Monte Carlo needs draws. Users pass scipy
frozen ``poisson``, ``nbinom`` or ``binom`` objects, an explicit pmf, or
:func:`~picover.engine.inputs.mixed_poisson`; :func:`as_frequency` turns each
into one of the classes of :mod:`picover.engine.counts` or
:mod:`picover.engine.mixed` (re-exported here), which all share the same
methods.
"""

from __future__ import annotations

import math
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from picover import _checks
from picover.engine.counts import (
    Binomial,
    NegativeBinomial,
    PmfFrequency,
    Poisson,
    _shape_loc_scale,
)
from picover.engine.mixed import MixedPoisson

__all__ = [
    "Binomial",
    "Frequency",
    "MixedPoisson",
    "NegativeBinomial",
    "PmfFrequency",
    "Poisson",
    "as_frequency",
    "prob_any",
    "shifted_pgf",
]

ComplexArray = NDArray[np.complex128]
FloatArray = NDArray[np.float64]


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
