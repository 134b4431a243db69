"""The annual total by FFT: P(N) applied to the severity's transform.

On a grid with n points the severity's discrete Fourier transform phi is
computed on 2n points (zero padding) after an exponential tilt, the count
distribution's generating function is applied pointwise, and the inverse
transform gives the total's probabilities. Padding and tilt together keep the
mass that would wrap around from beyond the padded range below about 3e-4 of
the (already small) probability that sums of on-grid claims exceed twice the
grid, so that error is negligible. Everything the grid cannot hold becomes one
tail atom at its exact conditional mean.

When the first event of a year has its own severity (the investigation clause
of a leak policy), the transform is P(0) + phi_first * Q(phi), with Q the
shifted generating function of :func:`~picover.engine.frequency.shifted_pgf`.
"""

from __future__ import annotations

import math
import warnings

import attrs
import numpy as np
import scipy.fft
from numpy.typing import NDArray

from picover.engine.discretise import GridSeverity
from picover.engine.frequency import Frequency, shifted_pgf

FloatArray = NDArray[np.float64]

# Tilt exponent over the padded length: exp(-TILT) damps wrapped mass, and the
# rounding error at the top of the kept half grows by at most exp(TILT / 2).
TILT = 8.0
# Probability below this beyond the grid is indistinguishable from rounding.
_ROUNDING = 1e-13


@attrs.frozen(eq=False)
class Aggregate:
    """Probabilities of the annual total on 0, h, ..., (n - 1) h, plus its tail.

    ``support`` and ``probs`` have n + 1 entries; the last is the tail atom
    (mass ``tail_mass`` at ``tail_mean``), of mass 0 when nothing lies beyond.
    """

    bucket: float
    support: FloatArray
    probs: FloatArray
    tail_mass: float
    tail_mean: float

    @property
    def top(self) -> float:
        return self.bucket * (self.probs.size - 2)


def padded_length(n: int) -> int:
    """FFT length used for a grid of n points (at least 2n, fast to transform)."""
    return int(scipy.fft.next_fast_len(2 * n, real=True))


def aggregate(
    freq: Frequency,
    sev: GridSeverity,
    n: int,
    exact_mean: float,
    first: GridSeverity | None = None,
) -> Aggregate:
    """Distribution of the annual total on a grid of ``n`` points.

    Parameters
    ----------
    freq : Frequency
        Number of events per year.
    sev : GridSeverity
        Severity of each event (of each event after the first, when ``first`` is given).
    n : int
        Number of grid points of the result (the severity may use fewer).
    exact_mean : float
        The exact expected annual total, used to place the tail atom so that
        the mean of the result is exact.
    first : GridSeverity, optional
        Severity of the first event of the year, on the same bucket.

    Returns
    -------
    Aggregate
    """
    h = sev.bucket
    n_fft = padded_length(n)
    tilt = np.exp(-(TILT / n_fft) * np.arange(n))

    def transform(g: GridSeverity) -> NDArray[np.complex128]:
        m = min(g.probs.size, n)
        return np.asarray(scipy.fft.rfft(g.probs[:m] * tilt[:m], n_fft), dtype=np.complex128)

    phi = transform(sev)
    if first is None:
        total = freq.pgf(phi)
    else:
        total = float(freq.pmf(0)) + transform(first) * shifted_pgf(freq, phi)
    probs = np.empty(n + 1)
    np.divide(scipy.fft.irfft(total, n_fft)[:n], tilt, out=probs[:n])
    probs[n] = 0.0
    support = np.arange(n + 1, dtype=np.float64)
    support *= h
    most_negative = float(probs.min())
    if most_negative < -1e-10:
        warnings.warn(
            f"FFT rounding left a negative probability of {most_negative:.3g}; results "
            "are accurate only to that level",
            RuntimeWarning,
            stacklevel=3,
        )
    np.maximum(probs, 0.0, out=probs)

    tail = 1.0 - float(probs.sum())
    grid_mean = float(np.dot(support, probs))
    residual = exact_mean - grid_mean
    top = h * (n - 1)
    if tail > _ROUNDING and residual > tail * top:
        support[n] = residual / tail
        probs[n] = tail
        return Aggregate(h, support, probs, tail, residual / tail)
    # No tail worth an atom: what is left is rounding, checked before it is folded in.
    if abs(residual) > 1e-9 * max(abs(exact_mean), h) or abs(tail) > 1e-9:
        warnings.warn(
            f"the FFT grid holds probability {1 - tail:.12g} and mean {grid_mean:.10g} "
            f"where {exact_mean:.10g} was expected; the grid is too short or too coarse "
            "for this distribution",
            RuntimeWarning,
            stacklevel=3,
        )
    probs /= probs.sum()
    return Aggregate(h, support, probs, 0.0, math.nan)
