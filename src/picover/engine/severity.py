"""Loss-size distributions as the engine needs them.

Everything the engine does with a severity goes through its survival function
S(x) = P(X > x) and its stop-loss transform pi(x) = E[(X - x)+]: the
mean-preserving discretisation is the second difference of pi, the tail beyond
a grid is S(top) with conditional mean top + pi(top) / S(top), and policy terms
act on pi by a change of variable. The stop-loss transform is in closed form
for the usual families and integrated numerically otherwise.
"""

from __future__ import annotations

import math
from typing import Any, Protocol, runtime_checkable

import attrs
import numpy as np
from numpy.typing import NDArray
from scipy import integrate, special, stats

from picover import _checks
from picover._frozen import read_only_when_unpickled
from picover.engine.counts import _generator, _shape_loc_scale, _step_index
from picover.engine.frequency import _unfrozen_hint
from picover.engine.lossdist import LossDistribution, _scalar_or_array

FloatArray = NDArray[np.float64]


def off_step(x: Any, step: float) -> NDArray[np.bool_]:
    """Whether each amount in ``x`` lies off the multiples of ``step`` (by more than
    1e-9 of its count of steps, or of one step: float rounding stays on).

    Examples
    --------
    >>> off_step([1.0, 4 / 3, 1.5], 1 / 3).tolist()
    [False, False, True]
    """
    steps = np.asarray(x, dtype=np.float64) / step
    return np.asarray(np.abs(steps - np.rint(steps)) > 1e-9 * np.maximum(steps, 1.0))


@runtime_checkable
class Severity(Protocol):
    """What the engine asks of a loss-size distribution (losses >= 0).

    Examples
    --------
    >>> sev = AtomicSeverity([1e6, 5e6], [0.8, 0.2])  # losses of 1 or 5 million KRW
    >>> isinstance(sev, Severity), sev.upper
    (True, 5000000.0)
    >>> sf, pi = sev.sf_stop_loss(np.array([0.0, 1e6]))  # P(X > x) and E[(X - x)+], KRW
    >>> sf.tolist(), pi.tolist()
    ([1.0, 0.2], [1800000.0, 800000.0])
    """

    @property
    def upper(self) -> float:
        """Least upper bound of the support (``inf`` when unbounded)."""
        ...

    def mean(self) -> float: ...
    def sf_stop_loss(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Return ``(P(X > x), E[(X - x)+])`` at the points ``x``."""
        ...

    def ppf(self, q: Any) -> FloatArray: ...
    def rvs(self, size: int, rng: np.random.Generator) -> FloatArray: ...
    def atoms(self) -> tuple[FloatArray, FloatArray] | None:
        """``(values, probabilities)`` when the distribution is discrete, else None."""
        ...


# ---------------------------------------------------------------------------
# Closed-form stop-loss transforms of standard (loc 0, scale 1) families, valid
# for z inside the support; below it pi(z) = E[Z] - z is applied by the caller.
# z is the caller's scratch array: a closed form may overwrite it.


def _lognorm(z: FloatArray, s: float) -> tuple[FloatArray, FloatArray]:
    # In place where possible: this runs on every grid point of every build, and
    # a fresh array of the grid's size costs about as much as the arithmetic.
    with np.errstate(divide="ignore"):
        u = np.log(z)
    u *= -1.0 / s
    sf = special.ndtr(u)
    u += s
    pi = special.ndtr(u, out=u)
    pi *= math.exp(s * s / 2.0)
    z *= sf
    pi -= z
    return sf, pi


def _expon(z: FloatArray) -> tuple[FloatArray, FloatArray]:
    sf = np.exp(-z)
    return sf, sf.copy()


def _gamma(z: FloatArray, a: float) -> tuple[FloatArray, FloatArray]:
    sf = special.gammaincc(a, z)
    return sf, a * special.gammaincc(a + 1.0, z) - z * sf


def _weibull_min(z: FloatArray, c: float) -> tuple[FloatArray, FloatArray]:
    zc = z**c
    sf = np.exp(-zc)
    return sf, special.gamma(1.0 + 1.0 / c) * special.gammaincc(1.0 + 1.0 / c, zc) - z * sf


def _pareto(z: FloatArray, b: float) -> tuple[FloatArray, FloatArray]:
    sf = z ** (-b)
    return sf, z ** (1.0 - b) / (b - 1.0)


def _lomax(z: FloatArray, c: float) -> tuple[FloatArray, FloatArray]:
    sf = (1.0 + z) ** (-c)
    return sf, (1.0 + z) ** (1.0 - c) / (c - 1.0)


def _genpareto(z: FloatArray, c: float) -> tuple[FloatArray, FloatArray]:
    if c == 0.0:
        return _expon(z)
    base = np.maximum(1.0 + c * z, 0.0)
    sf = base ** (-1.0 / c) if c > 0 else np.where(base > 0, base ** (-1.0 / c), 0.0)
    return sf, base ** (1.0 - 1.0 / c) / (1.0 - c)


def _beta(z: FloatArray, a: float, b: float) -> tuple[FloatArray, FloatArray]:
    zz = np.clip(z, 0.0, 1.0)  # z > 1 lies above the support: S = pi = 0 there
    sf = special.betaincc(a, b, zz)
    return sf, a / (a + b) * special.betaincc(a + 1.0, b, zz) - zz * sf


def _uniform(z: FloatArray) -> tuple[FloatArray, FloatArray]:
    zz = np.clip(z, 0.0, 1.0)
    return 1.0 - zz, 0.5 * (1.0 - zz) ** 2


_CLOSED_FORMS: dict[str, Any] = {
    "lognorm": _lognorm,
    "expon": _expon,
    "gamma": _gamma,
    "weibull_min": _weibull_min,
    "pareto": _pareto,
    "lomax": _lomax,
    "genpareto": _genpareto,
    "beta": _beta,
    "uniform": _uniform,
}


# Quantiles of standard families computed as scipy does, without the frozen
# distribution's argument checks, which cost more than the formula (the engine
# asks for a few quantiles on every build). Edge levels 0 and 1 give the
# support's ends and levels outside [0, 1] give NaN, as in scipy.
_CLOSED_PPF: dict[str, Any] = {
    "lognorm": lambda q, s: np.exp(s * special.ndtri(q)),
}


def _numeric_stop_loss(frozen: Any, x: FloatArray, lower: float, mean: float) -> FloatArray:
    """pi(x) = integral of S from x to infinity, by Gauss-Legendre between points."""
    out = np.empty_like(x)
    below = x <= lower
    out[below] = mean - x[below]
    pts = np.unique(x[~below])
    if pts.size:
        # Beyond the last point, integrate over probability instead of loss:
        # int_x^inf S(t) dt = int_0^S(x) (isf(v) - x) dv, a finite range.
        top = float(pts[-1])
        tail = integrate.quad(lambda v: frozen.isf(v) - top, 0.0, float(frozen.sf(top)), limit=200)[
            0
        ]
        starts = np.concatenate(([lower], pts[:-1]))
        if pts.size <= 64:
            pieces = np.array(
                [
                    integrate.quad(frozen.sf, a, b, limit=200)[0]
                    for a, b in zip(starts, pts, strict=True)
                ]
            )
        else:
            nodes, weights = special.roots_legendre(8)
            half = (pts - starts) / 2.0
            mid = (pts + starts) / 2.0
            t = mid[:, None] + half[:, None] * nodes[None, :]
            pieces = (frozen.sf(t) * weights[None, :]).sum(axis=1) * half
        # pi at each point = what lies above it: the pieces above plus the far tail.
        above = np.concatenate((np.cumsum(pieces[:0:-1])[::-1], [0.0])) + tail
        out[~below] = above[np.searchsorted(pts, x[~below])]
    return out


@attrs.frozen(eq=False)
class ScipySeverity:
    """A frozen scipy continuous distribution of losses (support within [0, inf)).

    Examples
    --------
    >>> from scipy import stats
    >>> sev = ScipySeverity(stats.expon(scale=2.0))
    >>> [float(v) for v in sev.sf_stop_loss(np.array([0.0]))[1]]
    [2.0]
    """

    dist: Any
    _closed: Any = attrs.field(init=False, repr=False)
    _shape: tuple[tuple[float, ...], float, float] = attrs.field(init=False, repr=False)
    _mean: float = attrs.field(init=False, repr=False)
    _lower: float = attrs.field(init=False, repr=False)
    _upper: float = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        shapes, loc, scale = _shape_loc_scale(self.dist)
        for value in (*shapes, loc, scale):
            if np.ndim(value) != 0 or not math.isfinite(value):
                raise ValueError(
                    f"parameters must be finite scalars; got {self.dist.args} {self.dist.kwds}"
                )
        lower, upper = (float(v) for v in self.dist.support())
        if math.isnan(lower):
            raise ValueError(
                f"scipy's {self.dist.dist.name} refuses these parameters "
                f"({self.dist.args} {self.dist.kwds}); see its documentation for their ranges"
            )
        if lower < 0.0:
            raise ValueError(
                f"losses must be >= 0, but {self.dist.dist.name} with these parameters "
                f"has support starting at {lower}"
            )
        mean = float(self.dist.mean())
        if not math.isfinite(mean):
            raise ValueError(
                f"{self.dist.dist.name} has an infinite or undefined mean ({mean}); "
                "picover needs a finite mean: truncate it (e.g. stats.truncpareto) or "
                "choose a lighter tail"
            )
        name = self.dist.dist.name
        object.__setattr__(self, "_closed", _CLOSED_FORMS.get(name))
        object.__setattr__(self, "_shape", (shapes, loc, scale))
        object.__setattr__(self, "_mean", mean)
        object.__setattr__(self, "_lower", lower)
        object.__setattr__(self, "_upper", upper)

    @property
    def upper(self) -> float:
        return self._upper

    def mean(self) -> float:
        return self._mean

    def sf_stop_loss(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        x = np.asarray(x, dtype=np.float64)
        if self._closed is None:
            sf = np.asarray(self.dist.sf(x), dtype=np.float64)
            return sf, _numeric_stop_loss(self.dist, x, self._lower, self._mean)
        shapes, loc, scale = self._shape
        z = x / scale if loc == 0.0 else (x - loc) / scale
        z_low = (self._lower - loc) / scale
        # The closed forms hold on the closed support, its lower end included.
        inside = z >= z_low
        if inside.all():
            sf, pi = self._closed(z, *shapes)
            pi *= scale
            return sf, pi
        sf = np.ones_like(x)
        pi = self._mean - x
        if inside.any():
            s_in, p_in = self._closed(z[inside], *shapes)
            sf[inside] = s_in
            pi[inside] = scale * p_in
        return sf, pi

    def second_moment(self) -> float:
        """E[X^2] for the families with closed-form moments (inf when it is infinite,
        or for other families, whose moments scipy would integrate numerically)."""
        if self._closed is None:
            return math.inf
        with np.errstate(all="ignore"):
            var = float(self.dist.var())
        value = var + self._mean * self._mean
        return value if math.isfinite(value) and value >= 0.0 else math.inf

    def isf(self, p: Any) -> FloatArray:
        """The loss exceeded with probability ``p`` (precise for tiny ``p``, where
        ``ppf(1 - p)`` has lost the digits of ``p``)."""
        return np.asarray(self.dist.isf(p), dtype=np.float64)

    def ppf(self, q: Any) -> FloatArray:
        closed = _CLOSED_PPF.get(self.dist.dist.name)
        if closed is None:
            return np.asarray(self.dist.ppf(q), dtype=np.float64)
        shapes, loc, scale = self._shape
        return np.asarray(closed(np.asarray(q, dtype=np.float64), *shapes) * scale + loc)

    def rvs(self, size: int, rng: np.random.Generator) -> FloatArray:
        return np.asarray(self.dist.rvs(size=size, random_state=rng), dtype=np.float64)

    def atoms(self) -> None:
        return None


def _atoms(values: Any, probs: Any) -> tuple[FloatArray, FloatArray]:
    x = _checks.array("severity values", values, low=0.0, ndim=1)
    p = _checks.array("severity probabilities", probs, low=0.0, ndim=1)
    if x.size != p.size or x.size == 0:
        raise ValueError(
            f"severity values and probabilities must be non-empty and of equal length; "
            f"got {x.size} and {p.size}"
        )
    total = float(p.sum())
    if abs(total - 1.0) > 1e-9:
        raise ValueError(
            f"severity probabilities must sum to 1 (within 1e-9); they sum to {total!r}"
        )
    ux, inv = np.unique(x, return_inverse=True)
    up = np.bincount(inv, weights=p / total).astype(np.float64, copy=False)
    keep = up > 0
    ux, up = ux[keep], up[keep]
    ux.flags.writeable = False
    up.flags.writeable = False
    return ux, up


@read_only_when_unpickled
@attrs.frozen(eq=False)
class AtomicSeverity:
    """A discrete loss distribution: ``values[i]`` with probability ``probs[i]``.

    What :func:`~picover.empirical` and :func:`~picover.lattice` return. It
    answers as a :class:`~picover.engine.lossdist.LossDistribution` does (mean,
    var, std, cdf, sf, pmf, ppf, isf, median, lev, tvar, rvs), every figure summed
    over the atoms. Equal values are merged and atoms of probability 0 dropped.

    Examples
    --------
    >>> sev = AtomicSeverity([0.0, 10.0], [0.5, 0.5])
    >>> sev.mean()
    5.0
    >>> sev
    AtomicSeverity(atoms=2, range=[0, 10], mean=5)
    """

    values: Any = attrs.field(repr=False)
    probs: Any = attrs.field(repr=False)
    samples: FloatArray | None = attrs.field(default=None, repr=False)
    #: The grid step every value is a multiple of, when known exactly (a
    #: :func:`~picover.lattice`'s bucket): the engine then needs no decimal
    #: divisor of the values, which a span of 1/3 does not have.
    span: float | None = attrs.field(default=None, repr=False, kw_only=True)
    _xp: tuple[FloatArray, FloatArray] = attrs.field(init=False, repr=False)
    _dist: LossDistribution | None = attrs.field(init=False, default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_xp", _atoms(self.values, self.probs))
        if self.span is not None:
            span = _checks.number("span", self.span, low=0.0, low_open=True)
            off = off_step(self._xp[0], span)
            if np.any(off):
                raise ValueError(
                    f"span: every value must be a multiple of the span {span!r}; "
                    f"{float(self._xp[0][np.argmax(off)])!r} is not"
                )
            object.__setattr__(self, "span", span)
        # Read-only copies of what was given: draws from samples the caller then
        # edited would no longer be the distribution the exact figures describe.
        copies: dict[int, FloatArray] = {}  # empirical's samples are its values: one copy
        for name in ("values", "probs", "samples"):
            given = getattr(self, name)
            if given is not None:
                if id(given) not in copies:
                    # values and probs passed _atoms' checks; samples come unchecked.
                    kept = (
                        np.array(given, dtype=np.float64)
                        if name != "samples"
                        else _checks.array("severity samples", given, low=0.0, ndim=1).copy()
                    )
                    kept.flags.writeable = False
                    copies[id(given)] = kept
                object.__setattr__(self, name, copies[id(given)])

    def _atoms_dist(self) -> LossDistribution:
        """The atoms as a LossDistribution, built on first use: its cdf, sf, isf and
        lev sum from the nearer end, so small tail probabilities keep their digits.
        The engine asks it once per severity, for the median claim (isf) that
        sizes a grid: a pass over the atoms, as the grid's own placing makes."""
        dist = self._dist
        if dist is None:
            dist = LossDistribution(*self._xp)
            object.__setattr__(self, "_dist", dist)
        return dist

    def __repr__(self) -> str:
        # The atoms themselves may number millions: their count, span and mean say enough.
        vals = self._xp[0]
        parts = [
            f"atoms={vals.size:,}",
            f"range=[{vals[0]:,.6g}, {vals[-1]:,.6g}]",
            f"mean={self.mean():,.6g}",
        ]
        if self.samples is not None:
            parts.append(f"samples={self.samples.size:,}")
        return f"AtomicSeverity({', '.join(parts)})"

    @property
    def upper(self) -> float:
        """The largest loss (currency units).

        Examples
        --------
        >>> AtomicSeverity([1e6, 5e6], [0.8, 0.2]).upper
        5000000.0
        """
        return float(self._xp[0][-1])

    def mean(self) -> float:
        """Expected loss, summed over the atoms (currency units).

        Examples
        --------
        >>> AtomicSeverity([1e6, 5e6], [0.8, 0.2]).mean()  # 0.8 * 1e6 + 0.2 * 5e6
        1800000.0
        """
        x, p = self._xp
        return float((x * p).sum())

    def var(self) -> float:
        """Variance of the loss, summed over the atoms about the mean (currency units squared).

        Examples
        --------
        >>> AtomicSeverity([1e6, 5e6], [0.8, 0.2]).var()  # 0.8 * 0.8e6^2 + 0.2 * 3.2e6^2
        2560000000000.0
        """
        x, p = self._xp
        return float(((x - self.mean()) ** 2 * p).sum())

    def std(self) -> float:
        """Standard deviation of the loss, the square root of :meth:`var` (currency units).

        Examples
        --------
        >>> AtomicSeverity([1e6, 5e6], [0.8, 0.2]).std()
        1600000.0
        """
        return math.sqrt(self.var())

    def second_moment(self) -> float:
        """E[X^2], summed over the atoms (currency units squared).

        Examples
        --------
        >>> AtomicSeverity([1.0, 3.0], [0.5, 0.5]).second_moment()
        5.0
        """
        x, p = self._xp
        return float((x * x * p).sum())

    def cdf(self, x: Any) -> Any:
        """P(loss <= x), vectorised over ``x`` (currency units); a float for a scalar ``x``.

        Examples
        --------
        >>> AtomicSeverity([1e6, 5e6], [0.8, 0.2]).cdf([0.0, 1e6, 4e6]).tolist()
        [0.0, 0.8, 0.8]
        """
        return self._atoms_dist().cdf(x)

    def sf(self, x: Any) -> Any:
        """P(loss > x), vectorised over ``x``, summed from the top (not 1 - cdf).

        Examples
        --------
        >>> AtomicSeverity([1e6, 5e6], [0.8, 0.2]).sf(1e6)
        0.2
        """
        return self._atoms_dist().sf(x)

    def pmf(self, x: Any) -> Any:
        """P(loss == x): the mass of the atom at ``x`` (0 off the atoms), vectorised.

        Examples
        --------
        >>> AtomicSeverity([1e6, 5e6], [0.8, 0.2]).pmf([5e6, 2e6]).tolist()
        [0.2, 0.0]
        """
        return self._atoms_dist().pmf(x)

    def sf_stop_loss(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Return ``(P(X > x), E[(X - x)+])`` at the points ``x``, summed from the top.

        Examples
        --------
        >>> sf, pi = AtomicSeverity([1e6, 5e6], [0.8, 0.2]).sf_stop_loss(np.array([1e6]))
        >>> sf.tolist(), pi.tolist()  # 0.2 * (5e6 - 1e6)
        ([0.2], [800000.0])
        """
        vals, p = self._xp
        sf_tab = np.concatenate((np.cumsum(p[::-1])[::-1], [0.0]))
        mom_tab = np.concatenate((np.cumsum((vals * p)[::-1])[::-1], [0.0]))
        i = np.searchsorted(vals, x, side="right")
        sf = sf_tab[i]
        return sf, mom_tab[i] - np.asarray(x) * sf

    def ppf(self, q: Any) -> Any:
        """The smallest loss x with P(loss <= x) >= q, for levels q in [0, 1].

        Vectorised over ``q``; a float for a scalar ``q``. Levels 0 and 1 give
        the smallest and the largest loss, as scipy's quantiles give the ends
        of the support: the engine asks for a claim's 1 - tol / n quantile,
        which is 1 when the claims are many. A level within ``LEVEL_RTOL``
        (1e-12) of a step is on it, as for a LossDistribution.

        Examples
        --------
        >>> AtomicSeverity([1e6, 5e6], [0.8, 0.2]).ppf([0.5, 0.9, 1.0]).tolist()
        [1000000.0, 5000000.0, 5000000.0]
        >>> AtomicSeverity(np.arange(10.0), [0.1] * 10).ppf(0.8)  # the 8th of ten
        7.0
        """
        qs = _checks.array("q", q, low=0.0, high=1.0)
        vals, p = self._xp
        return _scalar_or_array(np.asarray(vals[_step_index(p, qs)], dtype=np.float64))

    def isf(self, p: Any) -> Any:
        """The smallest loss x with P(loss > x) <= p, for p in (0, 1): ``ppf(1 - p)``
        found from the top, so that a small ``p`` keeps its digits.

        Examples
        --------
        >>> AtomicSeverity([1e6, 5e6], [0.8, 0.2]).isf([0.5, 0.1]).tolist()
        [1000000.0, 5000000.0]
        """
        return self._atoms_dist().isf(p)

    def median(self) -> float:
        """The median loss, ``ppf(0.5)`` (currency units).

        Examples
        --------
        >>> AtomicSeverity([1e6, 5e6], [0.8, 0.2]).median()
        1000000.0
        """
        return float(self.ppf(0.5))

    def lev(self, u: Any) -> Any:
        """Limited expected value E[min(loss, u)] (currency units), actuar's ``lev``:
        what a cover with limit ``u`` pays on average per claim; ``u`` >= 0, vectorised.

        Examples
        --------
        >>> AtomicSeverity([1e6, 5e6], [0.8, 0.2]).lev(2e6)  # 0.8 * 1e6 + 0.2 * 2e6
        1200000.0
        """
        return self._atoms_dist().lev(u)

    def tvar(self, q: Any) -> Any:
        """Tail value at risk: the mean of the worst ``1 - q`` of claims, for q in (0, 1),
        the atom at the quantile split as in :meth:`LossDistribution.tvar
        <picover.engine.lossdist.LossDistribution.tvar>` (currency units).

        Examples
        --------
        >>> AtomicSeverity([1e6, 5e6], [0.8, 0.2]).tvar(0.9)  # the 5e6 claims alone
        5000000.0
        >>> AtomicSeverity([1e6, 5e6], [0.8, 0.2]).tvar(0.75)  # (0.2 * 5e6 + 0.05 * 1e6) / 0.25
        4200000.0
        """
        return self._atoms_dist().tvar(q)

    def rvs(self, size: Any = None, rng: Any = None, *, seed: Any = None) -> Any:
        """Random losses: a float for ``size=None``, else an array of shape ``size``.

        An :func:`~picover.empirical` severity resamples its samples. ``rng`` (a
        numpy Generator, second positional argument, as the engine's simulators
        pass it) or ``seed`` (an int, SeedSequence or Generator) make the draws
        reproducible; numpy's global generator is never touched.

        Examples
        --------
        >>> x = AtomicSeverity([1e6, 5e6], [0.8, 0.2]).rvs(100_000, seed=1)
        >>> x.shape, round(float((x == 5e6).mean()), 2)
        ((100000,), 0.2)
        """
        shape = _checks.shape("size", size)
        draws = self._draw(math.prod(shape), _generator(rng, seed))
        return float(draws[0]) if size is None else draws.reshape(shape)

    def _draw(self, size: int, rng: np.random.Generator) -> FloatArray:
        if self.samples is not None:
            return np.asarray(rng.choice(self.samples, size=size), dtype=np.float64)
        vals, p = self._xp
        return np.asarray(rng.choice(vals, size=size, p=p), dtype=np.float64)

    def atoms(self) -> tuple[FloatArray, FloatArray]:
        """``(values, probabilities)``: the distinct losses, increasing, and their masses.

        Examples
        --------
        >>> [a.tolist() for a in AtomicSeverity([5.0, 1.0, 5.0], [0.25, 0.5, 0.25]).atoms()]
        [[1.0, 5.0], [0.5, 0.5]]
        """
        return self._xp


@attrs.frozen(eq=False)
class Layered:
    """The insurer's payment per occurrence: Y = share * min((X - deductible)+, limit).

    Examples
    --------
    >>> from scipy import stats
    >>> y = Layered(ScipySeverity(stats.expon()), deductible=1.0, limit=math.inf, share=1.0)
    >>> round(y.mean(), 12) == round(math.exp(-1.0), 12)
    True
    """

    base: Severity
    deductible: float = 0.0
    limit: float = math.inf
    share: float = 1.0

    @property
    def upper(self) -> float:
        return self.share * min(max(self.base.upper - self.deductible, 0.0), self.limit)

    @property
    def span(self) -> float | None:
        """The step every payment is a multiple of, when the base loss has one (a
        lattice's bucket) and the deductible and limit are whole multiples of it:
        ``share`` times the base's step. Else None, and the engine looks for a
        decimal divisor of the payments, which a step of 1/3 does not have.

        Examples
        --------
        >>> base = AtomicSeverity([0.0, 1 / 3, 2 / 3, 1.0], [0.25] * 4, span=1 / 3)
        >>> Layered(base, limit=2 / 3, share=0.5).span == 1 / 6
        True
        >>> Layered(base, deductible=0.5).span is None
        True
        """
        step = getattr(self.base, "span", None)
        if step is None:
            return None
        cuts = [c for c in (self.deductible, self.limit) if math.isfinite(c)]
        if np.any(off_step(cuts, step)):
            return None
        return self.share * float(step)

    def rounded_parts(self) -> tuple[float, float, float]:
        """For a continuous base loss: (P(0 < Y < cap), P(Y = cap), cap), the cap
        being ``share * limit``. Payments of 0 and of the cap are atoms, which a grid
        holding them as points does not round; only the payments between are
        spread. (For a discrete base, its atoms say it all: see :meth:`atoms`.)

        Examples
        --------
        >>> from scipy import stats
        >>> y = Layered(ScipySeverity(stats.expon()), deductible=math.log(2.0), limit=math.log(2.0))
        >>> [round(v, 12) for v in y.rounded_parts()]  # P(X > d) = 1/2, P(X > 2d) = 1/4
        [0.25, 0.25, 0.69314718056]
        """
        d, lim = self.deductible, self.limit
        cuts = np.array([d, d + lim]) if math.isfinite(lim) else np.array([d])
        sf = self.base.sf_stop_loss(cuts)[0]
        s_top = float(sf[1]) if math.isfinite(lim) else 0.0
        return max(float(sf[0]) - s_top, 0.0), s_top, self.share * lim

    def _pi_top(self) -> float:
        if math.isinf(self.limit):
            return 0.0
        return float(self.base.sf_stop_loss(np.array([self.deductible + self.limit]))[1][0])

    def mean(self) -> float:
        pi_d = float(self.base.sf_stop_loss(np.array([self.deductible]))[1][0])
        return self.share * (pi_d - self._pi_top())

    def second_moment(self) -> float:
        """E[Y^2] (currency units squared): summed over the atoms of a discrete loss,
        integrated for a continuous one; inf when it is infinite, or when the
        figure cannot be trusted to 1e-6.

        With no limit, (X - d)+^2 = X^2 - min(X, d)^2 - 2 d (X - d)+, which leaves
        only a bounded layer to integrate (see :meth:`_layer_square`).

        Examples
        --------
        >>> from scipy import stats
        >>> y = Layered(ScipySeverity(stats.expon()), deductible=1.0)  # memoryless
        >>> round(y.second_moment() / (2.0 * math.exp(-1.0)), 9)
        1.0
        """
        xp = self.atoms()
        if xp is not None:
            return float((xp[0] * xp[0] * xp[1]).sum())
        d, lim, scale = self.deductible, self.limit, self.share * self.share
        if math.isfinite(lim):
            value, err = self._layer_square(d, lim)
            return scale * value if err <= 1e-6 * value else math.inf
        s_d, pi_d = (float(v[0]) for v in self.base.sf_stop_loss(np.array([d])))
        if s_d == 0.0:  # a deductible at or beyond the largest loss
            return 0.0
        moment = getattr(self.base, "second_moment", None)
        whole = math.inf if moment is None else float(moment())
        if d == 0.0 or not math.isfinite(whole):
            return scale * whole
        below, err = self._layer_square(0.0, d)
        value = whole - below - 2.0 * d * pi_d
        # A deductible far out leaves a difference of nearly equal figures.
        if not value > 0.0 or err + 1e-15 * whole > 1e-6 * value:
            return math.inf
        return scale * value

    def _layer_square(self, d: float, lim: float) -> tuple[float, float]:
        """E[min((X - d)+, lim)^2] for a finite ``lim``, and a bound on its error.

        Over probability rather than loss the range is finite and the integrand
        bounded by lim^2: with v = P(X > x), it is lim^2 S(d + lim) plus the
        integral of (isf(v) - d)^2 for v from S(d + lim) to S(d). The integrand
        climbs only as v falls, so the pieces are even in log v, each by
        Gauss-Legendre, in one vectorised call (scipy's isf costs a fifth of a
        millisecond a call); 8 and 16 nodes differing bounds the error. Without an
        ``isf`` the error is inf.

        Examples
        --------
        >>> from scipy import stats
        >>> value, err = Layered(ScipySeverity(stats.uniform()))._layer_square(0.0, 0.5)
        >>> round(value, 12), err < 1e-12  # 1/24 + 0.25 * 0.5
        (0.166666666667, True)
        """
        isf = getattr(self.base, "isf", None)
        if isf is None:
            return math.inf, math.inf
        s_d, s_top = (float(v) for v in self.base.sf_stop_loss(np.array([d, d + lim]))[0])
        if not s_d > s_top:
            return lim * lim * s_top, 0.0
        # Pieces even in log v up to the middle (the integrand climbs as v falls)
        # and even in log (S(d) - v) beyond it (isf falls steeply as v nears 1, the
        # body of a light-tailed loss); below 1e-30 S(d) the rest is bounded.
        low = max(s_top, 1e-30 * s_d)
        if s_d - low > 1e-12 * s_d:
            mid = 0.5 * (low + s_d)
            up = s_d - np.geomspace(s_d - mid, 1e-15 * s_d, 33)[1:]
            edges = np.concatenate((np.geomspace(low, mid, 65), up, [s_d]))
        else:
            edges = np.array([low, s_d])
        left, half = edges[:-1, None], np.diff(edges)[:, None] / 2.0
        sums = []
        for order in (8, 16):
            nodes, weights = special.roots_legendre(order)
            with np.errstate(all="ignore"):
                pay = np.asarray(isf(left + half * (nodes + 1.0)), dtype=np.float64) - d
            pay = np.minimum(pay, lim)  # isf's rounding may step past the limit
            sums.append(float(((pay * pay) @ weights * half[:, 0]).sum()))
        # Below 1e-30 S(d) the integrand is at most lim^2 (when S(d + lim) is less).
        missed = lim * lim * (low - s_top)
        value = lim * lim * s_top + sums[1]
        if not math.isfinite(value):
            return math.inf, math.inf
        return value, abs(sums[1] - sums[0]) + missed

    def sf_stop_loss(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        y = np.asarray(x, dtype=np.float64)
        t = self.deductible + y / self.share
        below = y < self.share * self.limit
        sf = np.zeros_like(y)
        pi = np.zeros_like(y)
        if below.all():
            s, p = self.base.sf_stop_loss(t)
            return s, self.share * (p - self._pi_top())
        if below.any():
            s, p = self.base.sf_stop_loss(t[below])
            sf[below] = s
            pi[below] = self.share * (p - self._pi_top())
        return sf, pi

    def _apply(self, x: FloatArray) -> FloatArray:
        return self.share * np.minimum(np.maximum(x - self.deductible, 0.0), self.limit)

    def ppf(self, q: Any) -> FloatArray:
        return self._apply(self.base.ppf(q))

    def isf(self, p: Any) -> FloatArray:
        """As :meth:`ppf` at ``1 - p``, precise for tiny ``p`` when the base severity
        offers ``isf``."""
        base_isf = getattr(self.base, "isf", None)
        if base_isf is None:
            return self.ppf(1.0 - np.asarray(p, dtype=np.float64))
        return self._apply(base_isf(p))

    def rvs(self, size: int, rng: np.random.Generator) -> FloatArray:
        return self._apply(self.base.rvs(size, rng))

    def atoms(self) -> tuple[FloatArray, FloatArray] | None:
        xp = self.base.atoms()
        if xp is None:
            return None
        y = self._apply(xp[0])
        values, inverse = np.unique(y, return_inverse=True)
        return values, np.bincount(inverse, weights=xp[1]).astype(np.float64, copy=False)


# Discrete scipy families are tabulated up to this many points at most.
_MAX_ATOMS = 10_000_000


def _discrete_top(value: Any, low: float) -> float:
    """The smallest support point k with P(X > k) <= 1e-17 (inf past the tabulation limit).

    scipy's ``isf`` answers directly, but returns nan or inf for some families
    (Poisson, geometric) that far out; ``sf`` does not fail there, so a doubling
    and bisection search on it takes over.
    """
    with np.errstate(all="ignore"):
        # Beyond the tabulation limit, say so first: scipy's search for a far quantile
        # of a heavy family (zipf 1.5) can take all the memory there is.
        if float(value.sf(low + _MAX_ATOMS)) > 1e-17:
            return math.inf
        top = float(value.isf(1e-17))  # geom's isf divides by zero on the way to inf
    if math.isfinite(top):
        return top
    lo, hi = low, max(low + 1.0, 1.0)
    while float(value.sf(hi)) > 1e-17:
        if hi - low > _MAX_ATOMS:
            return math.inf
        lo, hi = hi, 2.0 * hi
    while hi - lo > 1.0:
        mid = math.floor((lo + hi) / 2.0)
        lo, hi = (lo, mid) if float(value.sf(mid)) <= 1e-17 else (mid, hi)
    return hi


def _scipy_discrete(value: Any, name: str) -> AtomicSeverity:
    dist = value.dist
    if hasattr(dist, "xk") and hasattr(dist, "pk"):
        _, loc, _ = _shape_loc_scale(value, name)
        return AtomicSeverity(np.asarray(dist.xk, dtype=np.float64) + loc, dist.pk)
    low, high = (float(v) for v in value.support())
    if math.isnan(low) or math.isnan(high):
        raise ValueError(
            f"{name}: scipy's {dist.name} refuses these parameters ({value.args} "
            f"{value.kwds}); see its documentation for their ranges"
        )
    if low < 0:
        raise ValueError(f"{name} must be a distribution of losses >= 0; support starts at {low}")
    top = high if math.isfinite(high) else _discrete_top(value, low)
    if top - low + 1 > _MAX_ATOMS:
        count = f"more than {_MAX_ATOMS:,}" if math.isinf(top) else f"{top - low + 1:,.0f}"
        raise ValueError(
            f"{name}: the discrete {dist.name} has {count} support points above "
            f"probability 1e-17, beyond the {_MAX_ATOMS:,} that can be tabulated; rescale it"
        )
    k = np.arange(low, top + 1.0)
    p = np.asarray(value.pmf(k), dtype=np.float64)
    # Mass beyond the tabulation (< 1e-17) is added to the last point so that the
    # probabilities sum to one; its effect on the mean is below 1e-15 relative.
    p[-1] += max(0.0, 1.0 - p.sum())
    return AtomicSeverity(k, p)


def as_severity(value: Any, name: str = "severity") -> Severity:
    """Turn what a user passed as a loss-size distribution into a :class:`Severity`.

    Accepted: a frozen scipy continuous distribution on [0, inf); a frozen scipy
    discrete distribution (a standard family or ``rv_discrete(values=...)``);
    :func:`~picover.empirical` samples or a :func:`~picover.lattice` pmf.

    Raises
    ------
    TypeError
        For a bare array (say whether it holds samples or a pmf) or any other object.

    Examples
    --------
    >>> from scipy import stats
    >>> as_severity(stats.lognorm(2.0, scale=1e5)).mean() > 1e5
    True
    """
    if isinstance(value, stats.distributions.rv_frozen):
        if isinstance(value.dist, stats.rv_continuous):
            try:
                return ScipySeverity(value)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
            except TypeError as exc:
                raise TypeError(f"{name}: {exc}") from None
        return _scipy_discrete(value, name)
    if isinstance(value, ScipySeverity | AtomicSeverity | Layered):
        return value
    if isinstance(value, list | tuple | np.ndarray):
        raise TypeError(
            f"{name}: a bare array is ambiguous; wrap samples as pc.empirical(samples) "
            "or a pmf on a grid as pc.lattice(pmf, bucket=...)"
        )
    raise TypeError(
        f"{name} must be a frozen scipy distribution, pc.empirical(samples) or "
        f"pc.lattice(pmf, bucket=...); got {type(value).__name__}{_unfrozen_hint(value)}"
    )
