"""The annual loss distribution every picover calculation returns.

A :class:`LossDistribution` is a discrete distribution on finitely many loss
amounts: a uniform grid from the FFT engine, the distinct simulated totals
from Monte Carlo. When the FFT grid could not hold the whole distribution,
the probability beyond the grid is kept as one last atom placed at its exact
conditional mean (so the mean stays exact, and a TVaR loses nothing to the
tail beyond the grid), and questions whose answer depends on how that tail
mass is spread (a cdf or a quantile beyond the grid) raise an error that
gives the figures instead of guessing.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from picover import _checks
from picover._frozen import read_only_when_unpickled
from picover._table import Table
from picover.engine.simulate import as_generator

FloatArray = NDArray[np.float64]

#: Share of the variance carried by the tail atom above which var() warns.
TAIL_VARIANCE_SHARE = 1e-3
#: A level asked of ppf or isf within this share (of the smaller of the level
#: and one minus it) of a step of the distribution counts as on the step: the
#: cumulative sums it is compared with carry rounding, and 0.2 typed for a step
#: summed to 0.19999999999999996 means the step.
LEVEL_RTOL = 1e-12
#: Return periods (years) used by :meth:`LossDistribution.exceedance` by default.
DEFAULT_RETURN_PERIODS = (2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0)


def _readonly(value: Any) -> FloatArray:
    # A read-only float array that owns its memory cannot change under us: keep
    # it (the engine hands over such arrays); copy anything else.
    if (
        isinstance(value, np.ndarray)
        and value.dtype == np.float64
        and value.base is None
        and not value.flags.writeable
    ):
        return value
    arr = np.array(value, dtype=np.float64)
    arr.flags.writeable = False
    return arr


def _scalar_or_array(x: FloatArray) -> Any:
    return float(x) if x.ndim == 0 else x


@read_only_when_unpickled
@attrs.frozen(eq=False)
class LossDistribution:
    """A distribution of annual loss on a finite set of amounts (currency units).

    Build one with :func:`picover.compound`; construct directly only to wrap
    a distribution you computed elsewhere.

    Parameters
    ----------
    support : array of float
        Loss amounts, strictly increasing, >= 0, in ``currency``.
    probs : array of float
        Their probabilities (>= 0, summing to 1).
    tail_mass : float, default 0
        Probability that lies beyond the grid (the last atom stands for it).
    tail_from : float, default inf
        The loss beyond which that tail lies; the distribution is exact up to it.
    bucket : float or None
        Grid spacing of an FFT result, else None.
    method : str
        How it was computed: ``"fft"``, ``"mc"`` or ``"exact"``.
    n_sims : int or None
        Number of simulated years for ``"mc"``.
    currency : str, default "KRW"
        Unit of every amount.
    exact_var : float, default nan
        The variance of the loss that the distribution stands for, when it is
        known beyond the grid (currency units squared): in closed form, or for
        a model's payments under per-incident terms from each incident's grid
        and the costs' second moments. The grid's own spread differs from it:
        each cost's discretisation adds up to h^2 / 4 of variance, and the tail
        beyond the grid is one atom. When given, :meth:`var` and :meth:`std`
        return it.
    upper : float, default inf
        No loss exceeds it (currency units): an annual limit. With a tail
        beyond the grid, :meth:`cdf` and :meth:`sf` at or above it are still
        known (1 and 0), though the tail's shape below it is not.

    Examples
    --------
    >>> d = LossDistribution([0.0, 1e6, 5e6], [0.9, 0.08, 0.02])
    >>> d.mean()
    180000.0
    >>> float(d.ppf(0.95))
    1000000.0
    >>> float(d.tvar(0.95))
    2600000.0
    """

    support: FloatArray = attrs.field(converter=_readonly)
    probs: FloatArray = attrs.field(converter=_readonly)
    tail_mass: float = attrs.field(
        converter=_checks.to_float, default=0.0, validator=_checks.real(low=0.0, high=1.0)
    )
    tail_from: float = attrs.field(
        converter=_checks.to_float,
        default=math.inf,
        validator=_checks.real(low=0.0, allow_inf=True),
    )
    bucket: float | None = attrs.field(
        default=None,
        converter=attrs.converters.optional(_checks.to_float),
        validator=attrs.validators.optional(_checks.real(low=0.0, low_open=True)),
    )
    method: str = attrs.field(default="exact", validator=_checks.among(("fft", "mc", "exact")))
    n_sims: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(_checks.whole(low=1))
    )
    currency: str = attrs.field(default="KRW", validator=_checks.kind(str))
    exact_var: float = attrs.field(
        converter=_checks.to_float,
        default=math.nan,
        validator=_checks.real(low=0.0, allow_nan=True),
    )
    upper: float = attrs.field(
        converter=_checks.to_float,
        default=math.inf,
        validator=_checks.real(low=0.0, allow_inf=True),
    )
    # _top_prob[k] and _top_moment[k]: probability and first moment of the k
    # largest support points, accumulated from the top so that small tail
    # probabilities keep their relative precision.
    _top_prob: FloatArray = attrs.field(init=False, repr=False)
    _top_moment: FloatArray = attrs.field(init=False, repr=False)
    _cdf: FloatArray = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        x, p = self.support, self.probs
        if x.ndim != 1 or p.shape != x.shape or x.size == 0:
            raise ValueError(
                f"support and probs must be equal-length non-empty 1-D arrays; got {x.shape} "
                f"and {p.shape}"
            )
        # Increasing from a first value >= 0 to a finite last one: all finite and >= 0.
        if not (x[0] >= 0.0 and math.isfinite(x[-1])):
            _checks.array("support", x, low=0.0)
        if x.size > 1 and not (x[1:] > x[:-1]).all():
            raise ValueError("support must be strictly increasing")
        if not p.min() >= 0.0:
            _checks.array("probs", p, low=0.0)
        total = float(p.sum())
        if not abs(total - 1.0) <= 1e-9:
            raise ValueError(f"probs must sum to 1 (within 1e-9); they sum to {total!r}")
        if self.tail_mass > 0 and not x[-1] > self.tail_from:
            raise ValueError("the tail atom (last support point) must lie beyond tail_from")
        if not x[-1] <= self.upper:
            raise ValueError(
                f"upper ({self.upper:,.6g}) is below the largest loss ({float(x[-1]):,.6g}); "
                "no loss may exceed it"
            )
        n = x.size
        top_prob = np.empty(n + 1)
        top_prob[0] = 0.0
        np.cumsum(p[::-1], out=top_prob[1:])
        top_moment = np.empty(n + 1)
        top_moment[0] = 0.0
        np.multiply(x[::-1], p[::-1], out=top_moment[1:])
        np.cumsum(top_moment[1:], out=top_moment[1:])
        # P(loss <= support[k]), summed from whichever end is nearer, so that it
        # keeps its digits as a small probability (1 - 0.8 is not 0.2 to the last bit).
        # Most years lose nothing, so the lower half is often one point or none.
        cdf = 1.0 - top_prob[n - 1 :: -1]
        m = int(np.searchsorted(cdf, 0.5, side="right"))
        if m:
            below = np.cumsum(p[:m])
            cdf[:m] = below if m == n else np.minimum(below, cdf[m])
        for name, arr in (("_top_prob", top_prob), ("_top_moment", top_moment), ("_cdf", cdf)):
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    def _at_or_above(self, i: Any) -> tuple[Any, Any]:
        """Probability and moment of the support points with index >= i."""
        k = self.support.size - np.asarray(i)
        return self._top_prob[k], self._top_moment[k]

    # -- moments -----------------------------------------------------------

    def mean(self) -> float:
        """Expected annual loss (currency units, KRW by default).

        Examples
        --------
        >>> d = LossDistribution([0.0, 1e6, 5e6], [0.9, 0.08, 0.02])
        >>> d.mean()  # 0.08 * 1e6 + 0.02 * 5e6
        180000.0
        """
        return float(self._top_moment[-1])

    def var(self) -> float:
        """Variance of annual loss (currency units squared).

        ``exact_var`` when the distribution carries it (a model's loss without
        annual terms). Otherwise the variance on the grid: a tail beyond
        it (``tail_mass > 0``) enters as one atom at its mean, so its own
        spread is missing and the figure is a lower bound; a ``RuntimeWarning``
        gives the atom's share of the variance when it exceeds 0.1%, a sign
        that the missing spread matters.

        Examples
        --------
        >>> d = LossDistribution([0.0, 1e6, 5e6], [0.9, 0.08, 0.02])
        >>> d.var()  # 0.08 * 1e12 + 0.02 * 25e12 - 180000 ** 2
        547600000000.0
        """
        return self._variance(stacklevel=3)

    def _variance(self, stacklevel: int, warn: bool = True) -> float:
        if not math.isnan(self.exact_var):
            return self.exact_var
        total, share = self._grid_variance()
        if warn and share > TAIL_VARIANCE_SHARE:
            warnings.warn(
                f"{self._tail_described(share)}; the variance and std are lower bounds; "
                "rebuild with a smaller tail_tol or a larger n_buckets",
                RuntimeWarning,
                stacklevel=stacklevel,
            )
        return total

    def _grid_variance(self) -> tuple[float, float]:
        """The variance on the grid (currency units squared), and the tail
        atom's share of it (0 without a tail beyond the grid)."""
        centred = (self.support - self.mean()) ** 2 * self.probs
        total = float(centred.sum())
        share = float(centred[-1]) / total if self.tail_mass > 0 and total > 0 else 0.0
        return total, share

    def _tail_described(self, share: float) -> str:
        return (
            f"the tail beyond the grid (P(loss > {self.tail_from:,.6g}) = "
            f"{self.tail_mass:.3g}) carries {share:.1%} of the variance even as a single atom"
        )

    def std(self) -> float:
        """Standard deviation of annual loss (currency units); see :meth:`var` on the tail.

        Examples
        --------
        >>> d = LossDistribution([0.0, 1e6, 5e6], [0.9, 0.08, 0.02])
        >>> d.std()  # sqrt(5.476e11)
        740000.0
        """
        return math.sqrt(self._variance(stacklevel=3))

    # -- distribution functions ---------------------------------------------

    def _check_known(self, x: FloatArray, what: str, at_upper: bool = True) -> None:
        """Refuse points in the tail beyond the grid, where only its total is known;
        at and above ``upper`` the answer is known again (unless not ``at_upper``:
        what lies exactly at it is not)."""
        if self.tail_mass > 0:
            known = (x >= self.upper) if at_upper else (x > self.upper)
            beyond = (x > self.tail_from) & np.isfinite(x) & ~known
            if beyond.any():
                raise ValueError(
                    f"{what} at {float(x[beyond].flat[0]):,.6g} lies beyond the grid: "
                    f"P(loss > {self.tail_from:,.6g}) = {self.tail_mass:.3g} is known only in "
                    "total; rebuild with a smaller tail_tol or a larger n_buckets"
                )

    def _index(self, x: FloatArray) -> NDArray[np.intp]:
        """Number of support points <= x."""
        return np.searchsorted(self.support, x, side="right")

    def cdf(self, x: Any) -> Any:
        """P(loss <= x), vectorised over ``x`` (currency units).

        A float for a scalar ``x``, else an array of its shape. Beyond the
        grid (when ``tail_mass > 0``) only the tail's total is known, so a
        point there is an error, unless it is at or above ``upper``.

        Examples
        --------
        >>> d = LossDistribution([0.0, 1e6, 5e6], [0.9, 0.08, 0.02])
        >>> d.cdf(1e6), d.cdf(-1.0)
        (0.98, 0.0)
        >>> d.cdf([0.0, 4e6, 5e6]).tolist()
        [0.9, 0.98, 1.0]
        """
        xs = _checks.array("x", x, allow_inf=True)
        self._check_known(xs, "cdf")
        i = self._index(xs)
        # Below the support exactly 0, not 1 minus the rounded total of all masses;
        # elsewhere within [0, 1] though the masses sum to 1 only up to rounding.
        out = np.where(i == 0, 0.0, np.maximum(self._cdf[np.maximum(i - 1, 0)], 0.0))
        return _scalar_or_array(out)

    def sf(self, x: Any) -> Any:
        """P(loss > x), vectorised over ``x`` (currency units).

        On an FFT grid each claim's mass between two points is shared between
        them, so a point's answer counts losses from about half a bucket below
        it: ``sf(0)`` misses years whose losses all stay under about half a
        bucket (ground-up, P(N > 0) is the exact chance of a year with a claim).

        Examples
        --------
        >>> d = LossDistribution([0.0, 1e6, 5e6], [0.9, 0.08, 0.02])
        >>> d.sf(1e6)  # only the 5e6 year exceeds 1e6
        0.02
        >>> x = np.array([0.0, 5e5, 1e6, 5e6])
        >>> bool(np.allclose(d.sf(x), 1 - d.cdf(x)))
        True
        """
        xs = _checks.array("x", x, allow_inf=True)
        self._check_known(xs, "sf")
        i = self._index(xs)
        out = np.where(i == 0, 1.0, np.minimum(self._at_or_above(i)[0], 1.0))
        return _scalar_or_array(np.asarray(out, dtype=np.float64))

    def pmf(self, x: Any) -> Any:
        """P(loss == x): the mass of the atom at ``x`` (0 off the support; beyond the
        grid, where only the tail's total is known, an error as for :meth:`cdf`).
        An atom within 1e-12 of ``x``, relative to it, counts as at ``x``.

        Examples
        --------
        >>> d = LossDistribution([0.0, 1e6, 5e6], [0.9, 0.08, 0.02])
        >>> d.pmf(1e6), d.pmf(2e6)  # 2e6 is not a possible loss
        (0.08, 0.0)
        """
        xs = _checks.array("x", x, allow_inf=True)
        self._check_known(xs, "pmf", at_upper=False)
        # An atom within 1e-12 of x (relative) is at x: 5/3 and 5 * (1/3), the
        # grid's point, differ in the last bit.
        with np.errstate(invalid="ignore"):
            near = np.where(np.isfinite(xs), 1e-12 * np.abs(xs), 0.0)
        # The nearest atom, not the first within reach: atoms may lie closer together.
        # (A single atom clips i to 0, and both neighbours are that atom.)
        i = np.clip(np.searchsorted(self.support, xs), 1, self.support.size - 1)
        below, above = self.support[i - 1], self.support[i]
        with np.errstate(invalid="ignore"):
            j = np.where(np.abs(xs - below) <= np.abs(above - xs), i - 1, i)
        out = np.where(np.abs(self.support[j] - xs) <= near, self.probs[j], 0.0)
        return _scalar_or_array(out)

    def ppf(self, q: Any) -> Any:
        """Value at risk: the smallest loss x with P(loss <= x) >= q, for q in (0, 1).

        Amounts in currency units; a float for a scalar ``q``, else an array.
        A level beyond what the grid holds (in its tail) is an error giving
        the ``tail_tol`` that would reach it. A level within ``LEVEL_RTOL``
        (1e-12) of a step, relative to the smaller of q and 1 - q, is taken
        as on it: the step's own sum is rounded.

        Examples
        --------
        >>> d = LossDistribution([0.0, 1e6, 5e6], [0.9, 0.08, 0.02])
        >>> d.ppf([0.9, 0.95, 0.99]).tolist()  # P(loss <= 0) = 0.9 already
        [0.0, 1000000.0, 5000000.0]
        >>> LossDistribution(np.arange(5.0), [0.2] * 5).ppf([0.2, 0.4, 0.6, 0.8]).tolist()
        [0.0, 1.0, 2.0, 3.0]
        """
        qs = _checks.probability_levels("q", q)
        i = np.searchsorted(self._cdf, qs - LEVEL_RTOL * np.minimum(qs, 1.0 - qs), side="left")
        i = np.minimum(i, self.support.size - 1)
        self._check_quantile(i, qs, 1.0 - qs, "the {} quantile")
        return _scalar_or_array(self.support[i])

    def isf(self, p: Any) -> Any:
        """The smallest loss x with P(loss > x) <= p, for p in (0, 1): ``ppf(1 - p)``,
        found from the top so that a small ``p`` keeps its digits (a ``p``
        within ``LEVEL_RTOL`` of a step, relative to the smaller of p and
        1 - p, is on it, as in :meth:`ppf`).

        Examples
        --------
        >>> d = LossDistribution([0.0, 1e6, 5e6], [0.9, 0.08, 0.02])
        >>> float(d.isf(0.05)), float(d.isf(0.02))  # exceeded in 1 year in 20, 1 in 50
        (1000000.0, 1000000.0)
        >>> float(d.isf(0.019))
        5000000.0
        """
        ps = _checks.probability_levels("p", p)
        # P(loss > support[n - 1 - k]) = _top_prob[k]: the largest k with it <= p.
        n = self.support.size
        k = (
            np.searchsorted(
                self._top_prob[:n], ps + LEVEL_RTOL * np.minimum(ps, 1.0 - ps), side="right"
            )
            - 1
        )
        i = n - 1 - k
        self._check_quantile(i, ps, ps, "the loss exceeded with probability {}")
        return _scalar_or_array(self.support[i])

    def median(self) -> float:
        """The median annual loss, ``ppf(0.5)`` (currency units).

        Examples
        --------
        >>> LossDistribution([0.0, 1e6, 5e6], [0.9, 0.08, 0.02]).median()  # most years lose nothing
        0.0
        >>> LossDistribution([0.0, 1e6, 5e6], [0.4, 0.4, 0.2]).median()  # KRW
        1000000.0
        """
        return float(self.ppf(0.5))

    def lev(self, u: Any) -> Any:
        """Limited expected value E[min(loss, u)] (currency units), actuar's ``lev``:
        what a cover with limit ``u`` and no retention pays on average.

        Vectorised over ``u`` (>= 0; ``inf`` gives the mean).

        Examples
        --------
        >>> d = LossDistribution([0.0, 1e6, 5e6], [0.9, 0.08, 0.02])
        >>> d.lev(2e6)  # 0.08 * 1e6 + 0.02 * 2e6
        120000.0
        """
        us = _checks.array("u", u, low=0.0, allow_inf=True)
        self._check_known(us, "lev")
        return _scalar_or_array(self.mean() - self._excess(us))

    def rvs(self, size: Any = None, *, seed: Any = None) -> Any:
        """Random annual losses drawn from the distribution (currency units).

        A draw in the tail beyond the grid (probability ``tail_mass``) is
        the tail's mean: the draws stay unbiased, but the tail's own spread
        is missing, and a ``RuntimeWarning`` says so when that tail carries
        more than 0.1% of the variance even as one atom (as :meth:`var` warns).

        Parameters
        ----------
        size : int or tuple of int, optional
            Shape of the draws; None (the default) draws one, as a float.
        seed : int, numpy SeedSequence or Generator, optional
            Makes the draws reproducible; numpy's global generator is never used.

        Examples
        --------
        >>> d = LossDistribution([0.0, 1e6, 5e6], [0.9, 0.08, 0.02])
        >>> x = d.rvs(100_000, seed=1)
        >>> x.shape, bool(np.isin(x, d.support).all())
        ((100000,), True)
        >>> round(float((x == 5e6).mean()), 2)  # P(loss = 5e6) = 0.02
        0.02
        """
        shape = _checks.shape("size", size)
        rng = as_generator(seed)
        share = self._grid_variance()[1]
        if share > TAIL_VARIANCE_SHARE:
            warnings.warn(
                f"{self._tail_described(share)}; draws there take its mean, so they "
                "understate the spread; rebuild with a smaller tail_tol or a larger n_buckets",
                RuntimeWarning,
                stacklevel=2,
            )
        # Inverted from the top, P(loss >= support[n - 1 - j]) = _top_prob[j + 1],
        # with v in (0, 1]: a rare year's atom keeps its own small probability.
        v = 1.0 - rng.random(shape)
        n = self.support.size
        j = np.minimum(np.searchsorted(self._top_prob[1:], v, side="left"), n - 1)
        draws = self.support[n - 1 - j]
        return float(draws) if size is None else draws

    def _check_quantile(
        self, i: NDArray[np.intp], levels: FloatArray, exceeded: FloatArray, what: str
    ) -> None:
        """Refuse a quantile at the tail atom (index ``i`` the last support point):
        where in the tail it lies is unknown. ``levels`` are the levels asked
        for, named by ``what`` (``{}`` stands for the level), and ``exceeded``
        the probabilities that their quantiles are exceeded with."""
        if self.tail_mass == 0:
            return
        beyond = i == self.support.size - 1
        if beyond.any():
            level = float(levels[beyond].flat[0]) if levels.ndim else float(levels)
            p = float(exceeded[beyond].flat[0]) if exceeded.ndim else float(exceeded)
            fix = (
                f"rebuild with tail_tol below {p:.3g} or a larger n_buckets"
                if p >= 1e-14
                else "no grid reaches so far (the smallest tail_tol is 1e-14)"
            )
            raise ValueError(
                f"{what.format(repr(level))} lies beyond the grid, which ends at "
                f"{self.tail_from:,.6g} with P(loss > {self.tail_from:,.6g}) = "
                f"{self.tail_mass:.3g}; {fix}"
            )

    def tvar(self, q: Any) -> Any:
        """Tail value at risk: the mean of the worst ``1 - q`` of years, for q in (0, 1).

        The atom at the quantile is split so that exactly ``1 - q`` of
        probability is averaged. The tail beyond the grid costs TVaR
        nothing, because only its mean enters; within the grid it is as
        good as the bucket. Amounts in currency units.

        Examples
        --------
        >>> d = LossDistribution([0.0, 1e6, 5e6], [0.9, 0.08, 0.02])
        >>> round(d.tvar(0.9))  # (0.08 * 1e6 + 0.02 * 5e6) / 0.1
        1800000
        >>> round(d.tvar(0.95))  # (0.02 * 5e6 + 0.03 * 1e6) / 0.05: part of the 1e6 atom
        2600000
        >>> bool(d.tvar(0.95) >= d.ppf(0.95))
        True
        """
        qs = _checks.probability_levels("q", q)
        v = np.asarray(self.ppf(qs), dtype=np.float64)
        i = np.searchsorted(self.support, v, side="left")  # index of the VaR atom
        p_above, above = self._at_or_above(i + 1)  # P(loss > VaR), E[loss; loss > VaR]
        # The VaR atom's share: (1 - q) - P(loss > VaR), from the top down, which keeps
        # its digits as q nears 1 (P(loss <= VaR) - q would cancel them). Rounding
        # aside it lies in [0, the atom's mass].
        share = np.clip((1.0 - qs) - p_above, 0.0, self.probs[i])
        out = (above + v * share) / (1.0 - qs)
        return _scalar_or_array(out)

    def _excess(self, x: FloatArray) -> FloatArray:
        """Stop-loss transform E[(loss - x)+]."""
        sf, um = self._at_or_above(self._index(x))
        finite = np.isfinite(x)
        return np.where(finite, um - np.where(finite, x, 0.0) * sf, 0.0)

    def layer(self, attachment: Any, width: Any = math.inf) -> Any:
        """Expected loss in the layer ``width xs attachment``: E[min((loss - a)+, w)].

        Vectorised over both arguments (broadcast); amounts in currency units.

        Examples
        --------
        >>> d = LossDistribution([0.0, 1e6, 5e6], [0.9, 0.08, 0.02])
        >>> d.layer(1e6, 2e6)  # only the 5e6 year reaches the layer: 0.02 * 2e6
        40000.0
        """
        a = _checks.array("attachment", attachment, low=0.0)
        w = _checks.array("width", width, low=0.0, low_open=True, allow_inf=True)
        a, w = np.broadcast_arrays(a, w)
        top = a + w
        # An unlimited layer needs only the tail's mean; a limited one needs its shape.
        # A layer reaching past the largest possible loss is unlimited in effect.
        self._check_known(np.where(np.isinf(w) | (top >= self.upper), a, top), "layer")
        out = self._excess(a) - self._excess(top)
        return _scalar_or_array(out)

    def exceedance(self, x: Any = None, *, return_periods: Any = DEFAULT_RETURN_PERIODS) -> Table:
        """Exceedance table: loss, probability of exceeding it, return period in years.

        Parameters
        ----------
        x : array-like of float, optional
            Losses to tabulate (currency units): the table gives P(loss > x)
            and its reciprocal.
        return_periods : array-like of float, optional
            Used when ``x`` is None: for each period T (years, > 1) the table
            gives the loss exceeded with probability at most 1 / T (the VaR at
            1 - 1 / T). Defaults to 2, 5, 10, 20, 50, 100, 200, 500, 1000.

        Examples
        --------
        >>> d = LossDistribution([0.0, 1e6, 5e6], [0.9, 0.08, 0.02])
        >>> d.exceedance([1e6])["exceedance_probability"]
        array([0.02])
        >>> d.exceedance(return_periods=[20, 100])["loss_krw"]
        array([1000000., 5000000.])
        """
        unit = self.currency.lower()
        if x is None:
            periods = _checks.array(
                "return_periods", return_periods, low=1.0, low_open=True, ndim=1
            )
            p = 1.0 / periods
            if np.any(p < 1e-14):
                raise ValueError(
                    f"return_periods: {float(periods.max()):.3g} years is beyond any grid "
                    "(the smallest tail_tol is 1e-14, a period of 1e14 years)"
                )
            losses = np.asarray(self.isf(p), dtype=np.float64)
            columns = {f"loss_{unit}": losses, "exceedance_probability": p}
            return Table(columns | {"return_period_years": periods})
        losses = _checks.array("x", x, low=0.0, ndim=1)
        p = np.asarray(self.sf(losses), dtype=np.float64)
        with np.errstate(divide="ignore"):
            period = np.where(p > 0, 1.0 / np.where(p > 0, p, 1.0), math.inf)
        return Table(
            {f"loss_{unit}": losses, "exceedance_probability": p, "return_period_years": period}
        )

    def __repr__(self) -> str:
        # No warning from a repr: the tail's share of the variance is for var() to say.
        std = math.sqrt(self._variance(stacklevel=2, warn=False))
        parts = [f"method={self.method!r}", f"mean={self.mean():,.6g}", f"std={std:,.6g}"]
        if self.bucket is not None:
            parts.append(f"bucket={self.bucket:,.6g}")
        if self.n_sims is not None:
            parts.append(f"n_sims={self.n_sims:,}")
        parts.append(f"atoms={self.support.size:,}")
        if self.tail_mass > 0:
            parts.append(f"tail_mass={self.tail_mass:.3g} beyond {self.tail_from:,.6g}")
        parts.append(f"currency={self.currency!r}")
        return f"LossDistribution({', '.join(parts)})"

    @classmethod
    def from_samples(cls, samples: Any, *, currency: str = "KRW") -> LossDistribution:
        """The empirical distribution of simulated annual losses.

        Examples
        --------
        >>> LossDistribution.from_samples([0.0, 0.0, 3.0, 1.0]).mean()
        1.0
        """
        s = _checks.array("samples", samples, low=0.0, ndim=1)
        if s.size == 0:
            raise ValueError("samples must contain at least one loss")
        values, counts = np.unique(s, return_counts=True)
        return cls(values, counts / s.size, method="mc", n_sims=int(s.size), currency=currency)
