"""The annual total by FFT: P(N) applied to the severity's transform.

On a grid with n points the severity's discrete Fourier transform phi is
computed on a padded length after an exponential tilt, the count
distribution's generating function is applied pointwise, and the inverse
transform gives the total's probabilities. Mass of sums beyond the padded
length wraps around onto small losses, damped by the tilt's factor
exp(-alpha). The wrapped mass is measured exactly (the total mass of all
on-grid sums is known in closed form, e.g. P_N(1 - tail) for a compound
sum), and when the damped error could exceed 1e-12 the transform is redone
with four-fold padding and a steeper tilt (or done so at once, when the
caller can tell beforehand). Everything the grid cannot hold becomes one tail
atom at its exact conditional mean.

When the first event of a year has its own severity (the investigation clause
of a leak policy), the transform is P(0) + phi_first * Q(phi), with Q the
shifted generating function of :func:`~picover.engine.frequency.shifted_pgf`.
"""

from __future__ import annotations

import functools
import math
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np
import scipy.fft
from numpy.typing import NDArray

from picover.engine.discretise import GridSeverity
from picover.engine.frequency import Frequency, Poisson, shifted_pgf

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]

# Padding factor and tilt exponent (over the padded length) of the usual plan:
# exp(-8) damps wrapped mass; rounding at the top of the kept half grows by at
# most exp(8 / 2). The strong plan pads four-fold with exp(-32): rounding at
# the kept quarter's top grows by exp(8) while wrapped mass all but vanishes.
TILT = 8.0
STRONG_TILT = 32.0
# Largest acceptable error from wrapped mass on the kept grid.
WRAP_TOL = 1e-12
# Probability below this beyond the grid is indistinguishable from rounding.
_ROUNDING = 1e-13


@attrs.frozen(eq=False)
class Aggregate:
    """Probabilities of the annual total on 0, h, ..., (n - 1) h, plus its tail.

    ``support`` and ``probs`` have n + 1 entries; the last is the tail atom
    (mass ``tail_mass`` at ``tail_mean``), of mass 0 when nothing lies beyond.
    ``strong`` says whether the transform needed the strong plan.
    """

    bucket: float
    support: FloatArray
    probs: FloatArray
    tail_mass: float
    tail_mean: float
    strong: bool = False

    @property
    def top(self) -> float:
        return self.bucket * (self.probs.size - 2)


def padded_length(n: int, factor: int = 2) -> int:
    """FFT length used for a grid of n points (at least ``factor * n``, fast to transform)."""
    return int(scipy.fft.next_fast_len(factor * n, real=True))


# Tilt weights are cached for FFT lengths up to this (8 MB): every build of the
# same grid needs the same ones, and computing them costs as much as a pass
# of the transform itself.
_CACHED_TILT_MAX = 2**20
# numpy >= 2 transforms into a given array; scipy (and older numpy) allocate the result.
_FFT_OUT = np.lib.NumpyVersion(np.__version__) >= "2.0.0"


@functools.lru_cache(maxsize=8)
def _cached_tilt(n_fft: int, alpha: float) -> FloatArray:
    weights = _tilt(n_fft, alpha)
    weights.flags.writeable = False
    return weights


def _tilt(n_fft: int, alpha: float) -> FloatArray:
    weights = np.arange(n_fft, dtype=np.float64)
    weights *= -(alpha / n_fft)
    return np.exp(weights, out=weights)


# Largest scratch array (in values) that a thread keeps between builds.
_SCRATCH_MAX = 2**18


class _Scratch(threading.local):
    """Per-thread arrays that the transforms reuse from one build to the next.

    A fresh array of the transform's size is not free: once released, the
    allocator hands its pages back to the system and the next build faults
    them in again one by one, which on a small machine costs about as much as
    the transform itself. Each use names its slot; an array is valid only
    until its slot's next use, so it never leaves the function that took it.
    Sizes above ``_SCRATCH_MAX`` get None: the caller allocates.
    """

    def __init__(self) -> None:
        self._floats: dict[str, FloatArray] = {}
        self._complexes: dict[str, ComplexArray] = {}

    def floats(self, slot: str, size: int) -> FloatArray | None:
        if size > _SCRATCH_MAX:
            return None
        arr = self._floats.get(slot)
        if arr is None or arr.size < size:
            arr = self._floats[slot] = np.empty(size)
        return arr[:size]

    def complexes(self, slot: str, size: int) -> ComplexArray | None:
        if size > _SCRATCH_MAX:
            return None
        arr = self._complexes.get(slot)
        if arr is None or arr.size < size:
            arr = self._complexes[slot] = np.empty(size, dtype=np.complex128)
        return arr[:size]


_scratch = _Scratch()


@attrs.frozen(eq=False)
class Plan:
    """How a grid of n points is transformed: padded length and tilt."""

    n: int
    n_fft: int
    alpha: float
    weights: FloatArray  # theta^j for j < n_fft, theta = exp(-alpha / n_fft)

    @classmethod
    def for_grid(cls, n: int, strong: bool = False) -> Plan:
        n_fft = padded_length(n, 4 if strong else 2)
        alpha = STRONG_TILT if strong else TILT
        weights = _cached_tilt(n_fft, alpha) if n_fft <= _CACHED_TILT_MAX else _tilt(n_fft, alpha)
        return cls(n, n_fft, alpha, weights)

    def forward(self, probs: FloatArray, temporary: bool = False) -> ComplexArray:
        """Transform of tilted masses along the last axis (only the first n count).

        With ``temporary`` the result of a 1-D transform may live in this
        thread's scratch array: valid only until the next temporary transform.
        """
        m = min(probs.shape[-1], self.n)
        shape = (*probs.shape[:-1], self.n_fft)
        # Tilting straight into the zero-padded input spares the FFT a padded copy.
        tilted = _scratch.floats("transform", math.prod(shape))
        if tilted is None:
            tilted = np.zeros(shape)
        else:
            tilted = tilted.reshape(shape)
            tilted[..., m:] = 0.0
        np.multiply(probs[..., :m], self.weights[:m], out=tilted[..., :m])
        if _FFT_OUT:
            spectrum = (*shape[:-1], self.n_fft // 2 + 1)
            out = (
                _scratch.complexes("spectrum", spectrum[-1])
                if temporary and probs.ndim == 1
                else None
            )
            if out is None:
                out = np.empty(spectrum, dtype=np.complex128)
            return np.fft.rfft(tilted, axis=-1, out=out)
        return np.asarray(scipy.fft.rfft(tilted, axis=-1), dtype=np.complex128)

    def inverse(self, total: ComplexArray) -> tuple[FloatArray, float]:
        """Untilted masses on the n grid points (plus a spare zero slot), and the
        untilted mass on all n_fft points."""
        if _FFT_OUT:
            out = np.fft.irfft(total, self.n_fft, out=_scratch.floats("transform", self.n_fft))
        else:
            out = np.asarray(scipy.fft.irfft(total, self.n_fft), dtype=np.float64)
        n = self.n
        kept = np.empty(n + 1)
        np.divide(out[:n], self.weights[:n], out=kept[:n])
        kept[n] = 0.0
        # Beyond the grid only the sum is needed (to measure wrapped mass).
        beyond = out[n:]
        beyond /= self.weights[n:]
        return kept, float(kept[:n].sum()) + float(beyond.sum())


class _Masses:
    """A stand-in plan whose "transform" is the total mass: evaluates the same
    combination at frequency zero, which gives the exact mass of all sums."""

    n_fft = 1

    def __init__(self, n: int) -> None:
        self.n = n

    def forward(self, probs: FloatArray, temporary: bool = False) -> ComplexArray:
        return np.asarray(probs[..., : self.n].sum(axis=-1, keepdims=True), dtype=np.complex128)


def transform(
    n: int,
    total_for: Callable[[Any], ComplexArray],
    bucket: float,
    exact_mean: float,
    *,
    strong: bool = False,
    plus: FloatArray | None = None,
    amounts: Sequence[float] = (),
) -> Aggregate:
    """Invert ``total_for(plan)`` onto n grid points, guarding against wrap-around.

    ``total_for`` builds the transform of the sum from ``plan.forward`` of its
    parts; called with a stand-in plan it yields the exact total mass of all
    on-grid sums, from which the wrapped mass is measured. With ``strong``
    the strong plan is used from the start (when the caller knows that the
    usual one would let too much mass wrap around). ``plus``, masses on the
    n grid points, is added to the result as it is: a part of the mixture
    already known on the grid needs no transform (and cannot wrap).
    ``amounts`` on grid points are kept exact in the support (see :func:`points`).
    """
    mass = float(np.real(total_for(_Masses(n))).reshape(-1)[0])
    extra = 0.0 if plus is None else float(plus[:n].sum())
    for use_strong in (True,) if strong else (False, True):
        plan = Plan.for_grid(n, use_strong)
        kept, on_all = plan.inverse(total_for(plan))
        if plus is not None:
            kept[: min(n, plus.size)] += plus[:n]
            on_all += extra
        damping = math.exp(-plan.alpha)
        wrapped = max(mass + extra - on_all, 0.0) / (1.0 - damping)
        if damping * wrapped <= WRAP_TOL:
            break
    else:
        warnings.warn(
            f"FFT wrap-around may move up to {damping * wrapped:.3g} of probability onto "
            "small losses; extend the grid",
            RuntimeWarning,
            stacklevel=3,
        )
    return settle(kept, bucket, exact_mean, strong=use_strong, amounts=amounts)


def aggregate(
    freq: Frequency,
    sev: GridSeverity,
    n: int,
    exact_mean: float,
    first: GridSeverity | None = None,
    amounts: Sequence[float] = (),
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
    amounts : sequence of float, optional
        Amounts (a limit, say) whose multiples on grid points the support
        must hold exactly (see :func:`points`).

    Returns
    -------
    Aggregate
    """

    def total_for(plan: Any) -> ComplexArray:
        if first is None:
            return _pgf_in_place(freq, plan.forward(sev.probs, temporary=True))
        phi = plan.forward(sev.probs)
        p0 = float(freq.pgf(np.zeros(1, dtype=np.complex128)).real[0])
        return np.asarray(p0 + plan.forward(first.probs) * shifted_pgf(freq, phi))

    return transform(n, total_for, sev.bucket, exact_mean, amounts=amounts)


def _pgf_in_place(freq: Frequency, z: ComplexArray) -> ComplexArray:
    """P(z), overwriting ``z`` where the family allows: a Poisson count's
    ``exp(mu (z - 1))``, computed exactly as :meth:`Poisson.pgf` does, without
    another array of the transform's size."""
    if type(freq) is Poisson:
        z -= 1.0
        z *= freq.mu
        return np.exp(z, out=z)
    return freq.pgf(z)


def _give_back(probs: FloatArray, support: FloatArray, moment: float, level: float) -> float:
    """Take ``moment`` back from the masses no larger than a few times the noise ``level``.

    Zeroing the negative half of the transform's rounding noise raised the
    mean by its moment; the positive half sits among the masses of the same
    size. Those (index 0 aside) are thinned in proportion, by at most all of
    them, and what they lose goes to 0: the total mass is kept and the mean
    falls back by ``moment``. On a wide grid whose losses are rare (a small
    firm under a high retention) this is the difference between a mean exact
    to 1e-6 and one raised by 1e-4. Returns the part of ``moment`` those
    masses could not give back.

    Examples
    --------
    >>> p, x = np.array([0.9, 0.1, 2e-17, 1e-17]), np.arange(4.0)
    >>> before = float(p[2:] @ x[2:])  # the noise-sized masses' moment, 7e-17
    >>> _give_back(p, x, 2e-17, 1e-17)  # all of it given back
    0.0
    >>> round((before - float(p[2:] @ x[2:])) / 2e-17, 9), float(p.sum())
    (1.0, 1.0)
    """
    small = probs <= 4.0 * level
    small[0] = False
    held = float((support[small] * probs[small]).sum()) if small.any() else 0.0
    if held <= 0.0:
        return moment
    taken = probs[small] * min(moment / held, 1.0)
    probs[small] -= taken
    probs[0] += float(taken.sum())
    return max(moment - held, 0.0)


def points(n: int, bucket: float, amounts: Sequence[float] = ()) -> FloatArray:
    """The grid 0, h, ..., (n - 1) h, exact at the multiples of ``amounts`` on it.

    j h carries h's rounding: the point meant to be a limit of 5e7, with h =
    5e7 / 174, is 50000000.00000001, and P(loss > 5e7) would count the
    limit's own atom. Each amount a = m h on the grid (to 1e-9) therefore
    puts k a at the point k m; amounts off the grid are ignored, and where
    two amounts' multiples meet, the later amount's is kept.

    Examples
    --------
    >>> h = 5e7 / 174
    >>> float(174 * h), float(points(175, h, [5e7])[174])
    (50000000.00000001, 50000000.0)
    """
    support = np.arange(n, dtype=np.float64)
    support *= bucket
    for a in amounts:
        m = round(a / bucket) if 0.0 < a < math.inf else 0
        if m >= 1 and abs(a / bucket - m) <= 1e-9 * m:
            at = np.arange(m, n, m)
            support[at] = (at // m) * a
    return support


def settle(
    probs: FloatArray,
    bucket: float,
    exact_mean: float,
    strong: bool = False,
    amounts: Sequence[float] = (),
) -> Aggregate:
    """Turn FFT output into a distribution whose mean is ``exact_mean``.

    ``probs`` holds n grid masses and one spare slot. Rounding-level negative
    masses are zeroed (a warning gives any larger one); the probability
    missing from the grid becomes the tail atom in the spare slot, at the
    conditional mean that makes the total mean exact. ``strong`` (whether the
    strong plan was used) is passed on to the result, and the support is
    exact at the multiples of ``amounts`` on the grid (see :func:`points`).
    """
    h = bucket
    n = probs.size - 1
    support = points(n + 1, h, amounts)
    most_negative = float(probs.min())
    if most_negative < -1e-10:
        warnings.warn(
            f"FFT rounding left a negative probability of {most_negative:.3g}; results "
            "are accurate only to that level",
            RuntimeWarning,
            stacklevel=3,
        )
    # Zeroing the negative rounding noise leaves its positive half: the mean rises
    # by about the moment of the negative half, measured here, and that moment is
    # then taken back from the masses at the noise's own level (see _give_back).
    # What they cannot give back stays in the mean: negligible unless the mean is
    # a tiny fraction of the grid's end; above 0.1% the caller hears, unless it
    # stays below what the grid resolves anyway (1e-9
    # of a bucket, the tolerance of the tail atom below: a mean of 1e-13 KRW moved
    # by 1e-9 KRW is zero either way). (Zeroing both halves would drop real mass as
    # small as the noise, which far out on a wide grid carries real mean.)
    negative = probs < 0.0
    noise = -float((support[negative] * probs[negative]).sum())
    np.maximum(probs, 0.0, out=probs)
    left = _give_back(probs[:n], support[:n], noise, -most_negative) if noise > 0.0 else 0.0
    # Noise above 1% of the mean has shaped the distribution, not just its mean
    # (giving its moment back does not restore how the mass lies).
    floor = 1e-9 * h
    if left > max(1e-3 * abs(exact_mean), floor) or noise > max(1e-2 * abs(exact_mean), floor):
        top = h * (n - 1)
        warnings.warn(
            f"FFT rounding on a grid reaching {top:,.6g} moves the mean "
            f"({exact_mean:,.6g}) by about {noise:.3g}: the grid is far wider than the "
            "losses (a limit or deductible far beyond any plausible year?)",
            RuntimeWarning,
            stacklevel=3,
        )

    tail = 1.0 - float(probs.sum())
    grid_mean = float((support * probs).sum())  # not BLAS: thread-independent rounding
    residual = exact_mean - grid_mean
    top = h * (n - 1)
    # A tail atom is kept when its mass is more than rounding, or when its mass is
    # tiny but its mean is not (a heavy tail far beyond the grid).
    matters = tail > _ROUNDING or residual > 1e-9 * max(abs(exact_mean), h)
    if tail > 0 and residual > tail * top and matters:
        support[n] = residual / tail
        probs[n] = tail
        return Aggregate(h, support, probs, tail, residual / tail, strong)
    # No tail worth an atom: what is left is rounding, checked before it is folded in.
    # The transform's rounding moves the mean by about the noise measured above;
    # more than that, or than 1e-9 of the mean, is a grid problem.
    allowed = max(1e-9 * max(abs(exact_mean), h), 2.0 * noise)
    if abs(residual) > allowed or abs(tail) > 1e-9:
        warnings.warn(
            f"the FFT grid holds probability {1 - tail:.12g} and mean {grid_mean:.10g} "
            f"where {exact_mean:.10g} was expected; the grid is too short or too coarse "
            "for this distribution",
            RuntimeWarning,
            stacklevel=3,
        )
    elif abs(grid_mean / (1.0 - tail) - exact_mean) > 1e-3 * abs(exact_mean):
        # Within what the grid resolves (1e-9 of a bucket) yet off by more than
        # 0.1%: a mean so small that P(loss > 0) is at the transform's rounding.
        # Say which of the two bounds set what the grid resolves.
        why = (
            "twice the transform's measured rounding"
            if allowed == 2.0 * noise
            else f"1e-9 of a bucket of {h:,.6g}"
        )
        warnings.warn(
            f"the year's mean loss ({exact_mean:.3g}) is below what this grid resolves "
            f"({allowed:.3g}, {why}); the grid gives "
            f"{grid_mean / (1.0 - tail):.3g}: its chance of a loss is at the transform's "
            "rounding, so treat these figures as zero",
            RuntimeWarning,
            stacklevel=3,
        )
    probs /= probs.sum()
    return Aggregate(h, support, probs, 0.0, math.nan, strong)
