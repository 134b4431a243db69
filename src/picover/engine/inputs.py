"""Input helpers that risk analysts expect: ways to say "about this much".

Each returns something :func:`picover.compound` accepts directly: a frozen
scipy distribution (usable anywhere scipy is), or a severity or frequency
object of the engine.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special, stats

from picover import _checks
from picover.engine.frequency import MixedPoisson
from picover.engine.severity import AtomicSeverity


def pert(low: float, mode: float, high: float, *, shape: float = 4.0) -> Any:
    """The (modified) PERT distribution: a beta on [low, high] peaking at ``mode``.

    The beta shapes are ``1 + shape * (mode - low) / (high - low)`` and
    ``1 + shape * (high - mode) / (high - low)``, so the mean is
    ``(low + shape * mode + high) / (shape + 2)``; ``shape=4`` is the classic PERT.

    Parameters
    ----------
    low, mode, high : float
        Smallest, most likely and largest value; ``low <= mode <= high``, ``low < high``.
    shape : float, default 4
        Weight of the mode (larger means more peaked).

    Returns
    -------
    scipy.stats frozen ``beta`` distribution
        Usable as a severity, as the rate of :func:`mixed_poisson`, or on its own.

    Examples
    --------
    >>> d = pert(1e6, 3e6, 1e7)
    >>> round(float(d.mean()))  # (1e6 + 4 * 3e6 + 1e7) / 6
    3833333
    """
    lo = _checks.number("low", low)
    md = _checks.number("mode", mode)
    hi = _checks.number("high", high)
    k = _checks.number("shape", shape, low=0.0, low_open=True)
    if not lo < hi:
        raise ValueError(f"pert needs low < high; got low={lo!r}, high={hi!r}")
    if not lo <= md <= hi:
        raise ValueError(
            f"pert needs low <= mode <= high; got mode={md!r} outside [{lo!r}, {hi!r}]"
        )
    width = hi - lo
    return stats.beta(1.0 + k * (md - lo) / width, 1.0 + k * (hi - md) / width, loc=lo, scale=width)


def lognormal_from_interval(low: float, high: float, level: float = 0.9) -> Any:
    """The lognormal with probability ``level`` between ``low`` and ``high``, centred in logs.

    This is how calibrated estimates are usually given ("90% sure the cost is
    between 1 and 10 million"): ``median = sqrt(low * high)`` and
    ``sigma = ln(high / low) / (2 z)`` with ``z`` the normal quantile at
    ``(1 + level) / 2``.

    Parameters
    ----------
    low, high : float
        The interval's ends, ``0 < low < high``.
    level : float, default 0.9
        Probability inside the interval, in (0, 1).

    Returns
    -------
    scipy.stats frozen ``lognorm`` distribution

    Examples
    --------
    >>> d = lognormal_from_interval(1e6, 1e7, level=0.9)
    >>> round(float(d.cdf(1e7) - d.cdf(1e6)), 12)
    0.9
    """
    lo = _checks.number("low", low, low=0.0, low_open=True)
    hi = _checks.number("high", high, low=0.0, low_open=True)
    lv = _checks.number("level", level, low=0.0, high=1.0, low_open=True, high_open=True)
    if not lo < hi:
        raise ValueError(f"lognormal_from_interval needs low < high; got {lo!r} and {hi!r}")
    z = float(special.ndtri((1.0 + lv) / 2.0))
    sigma = math.log(hi / lo) / (2.0 * z)
    return stats.lognorm(sigma, scale=math.sqrt(lo * hi))


def mixed_poisson(rate: Any) -> MixedPoisson:
    """A Poisson count whose rate is uncertain, e.g. ``mixed_poisson(pert(0.1, 0.3, 1.0))``.

    Parameters
    ----------
    rate : frozen scipy continuous distribution on [0, inf)
        The annual event rate's distribution.

    Examples
    --------
    >>> f = mixed_poisson(pert(0.1, 0.3, 1.0))
    >>> round(f.mean(), 6)
    0.383333
    """
    return MixedPoisson(rate)


def empirical(samples: Any) -> AtomicSeverity:
    """A severity that draws from observed losses, each equally likely.

    Parameters
    ----------
    samples : array-like of float
        Observed losses (>= 0, finite), in the model's currency.

    Examples
    --------
    >>> empirical([1e6, 3e6]).mean()
    2000000.0
    """
    x = _checks.array("samples", samples, low=0.0, ndim=1)
    if x.size == 0:
        raise ValueError("samples must contain at least one loss")
    return AtomicSeverity(x, np.full(x.size, 1.0 / x.size), samples=x)


def lattice(pmf: Any, bucket: float = 1.0) -> AtomicSeverity:
    """A severity given as a pmf on the grid 0, bucket, 2 * bucket, ...

    Parameters
    ----------
    pmf : array-like of float
        ``pmf[k]`` is the probability of a loss of ``k * bucket``; sums to 1.
    bucket : float, default 1
        Grid spacing, in the model's currency.

    Examples
    --------
    >>> lattice([0.0, 0.5, 0.5], bucket=1e6).mean()
    1500000.0
    """
    h = _checks.number("bucket", bucket, low=0.0, low_open=True)
    p = _checks.array("pmf", pmf, low=0.0, ndim=1)
    total = float(p.sum())
    if abs(total - 1.0) > 1e-9:
        raise ValueError(f"pmf must sum to 1 (within 1e-9); it sums to {total!r}")
    return AtomicSeverity(h * np.arange(p.size), p, span=h)
