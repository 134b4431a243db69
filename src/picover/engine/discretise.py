"""Putting a loss-size distribution on a uniform grid without losing its mean.

The grid is 0, h, ..., m h. Each interval's probability is split between its
two ends so that the interval's mean is kept (the method of local moment
matching, Gerber 1982; Klugman, Panjer & Willmot, *Loss Models*, 5th ed.,
section 9.6.5). In terms of the stop-loss transform pi(x) = E[(X - x)+] the
mass at an inner point is a second difference,

    f_j = (pi(x_{j-1}) - 2 pi(x_j) + pi(x_{j+1})) / h,

so E[min(X, x_j)] is exact at every grid point and so is the mean of any layer
whose ends lie on the grid. A discrete severity whose atoms lie on the grid is
placed exactly. Mass beyond m h is kept aside with its exact conditional mean.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from picover.engine.severity import Layered, ScipySeverity, Severity

FloatArray = NDArray[np.float64]

# Atoms within this relative distance of a grid point count as on it.
_ON_GRID = 1e-9


@attrs.frozen(eq=False)
class GridSeverity:
    """A severity on the grid 0, h, ..., m h plus the mass beyond it.

    Parameters
    ----------
    bucket : float
        Grid spacing h (currency units).
    probs : array of float
        Mass at each grid point.
    tail_prob : float
        P(X > m h).
    tail_mean : float
        E[X | X > m h] (NaN when ``tail_prob`` is 0).

    Examples
    --------
    >>> g = GridSeverity(1.0, np.array([0.5, 0.5]), 0.0, math.nan)
    >>> g.mean()
    0.5
    """

    bucket: float
    probs: FloatArray
    tail_prob: float
    tail_mean: float

    @property
    def top(self) -> float:
        """The last grid point, m h."""
        return self.bucket * (self.probs.size - 1)

    def mean(self) -> float:
        """The mean, including the part beyond the grid."""
        body = self.bucket * float((np.arange(self.probs.size) * self.probs).sum())
        return body + (self.tail_prob * self.tail_mean if self.tail_prob > 0 else 0.0)


def discretise(severity: Severity, bucket: float, n_points: int) -> GridSeverity:
    """Put ``severity`` on the grid ``0, bucket, ..., (n_points - 1) * bucket``.

    Parameters
    ----------
    severity : Severity
        The loss-size distribution (policy terms already applied).
    bucket : float
        Grid spacing h > 0 (currency units).
    n_points : int
        Number of grid points, at least 2.

    Returns
    -------
    GridSeverity

    Examples
    --------
    >>> from scipy import stats
    >>> from picover.engine.severity import ScipySeverity
    >>> g = discretise(ScipySeverity(stats.expon(scale=10.0)), 1.0, 200)
    >>> round(float(g.mean()), 9)
    10.0
    """
    atoms = severity.atoms()
    if atoms is not None:
        return place_atoms(atoms[0], atoms[1], bucket, n_points)
    h = bucket
    m = n_points - 1
    x = np.arange(n_points, dtype=np.float64)
    x *= h
    sf, pi = severity.sf_stop_loss(x)
    tail, pi_top = float(sf[m]), float(pi[m])
    # The engine's own severities return fresh arrays, whose storage can take the
    # differences and the masses: fewer arrays of the grid's size on every build.
    fresh = _fresh_stop_loss(severity)
    # d_j = E[min(X, x_{j+1})] - E[min(X, x_j)]: the integral of S over a bucket.
    d = np.subtract(pi[:-1], pi[1:], out=sf[:-1] if fresh else None)
    f = pi if fresh else np.empty(n_points)
    f[0] = 1.0 - d[0] / h
    np.subtract(d[:-1], d[1:], out=f[1:m])
    f[1:m] *= 1.0 / h
    f[m] = d[-1] / h - tail
    most_negative = float(f.min())
    if most_negative < -1e-9:
        warnings.warn(
            f"severity discretisation gave a negative mass ({most_negative:.3g}): the "
            "distribution's stop-loss transform is not accurate enough at bucket "
            f"{h:.6g}; those masses are set to zero",
            RuntimeWarning,
            stacklevel=3,
        )
    # Rounding leaves masses of order -1e-17 where the true mass is zero.
    np.maximum(f, 0.0, out=f)
    tail_mean = float(x[m]) + pi_top / tail if tail > 0 else math.nan
    return GridSeverity(h, f, tail, tail_mean)


def _fresh_stop_loss(severity: Severity) -> bool:
    """Whether ``severity.sf_stop_loss`` returns new arrays, free to overwrite."""
    if isinstance(severity, Layered):
        return _fresh_stop_loss(severity.base)
    return isinstance(severity, ScipySeverity)


def place_atoms(values: FloatArray, probs: FloatArray, h: float, n_points: int) -> GridSeverity:
    """Put discrete atoms on the grid 0..(n_points - 1) h, keeping each atom's mean.

    An atom on a grid point stays there; one between two points is split
    between them; atoms beyond the last point form the tail (exact mean).

    Examples
    --------
    >>> place_atoms(np.array([0.5, 3.0]), np.array([0.5, 0.5]), 1.0, 2).probs
    array([0.25, 0.25])
    """
    f, tail, tail_mean = place_atom_rows(values[None, :], probs[None, :], h, n_points)
    mean = float(tail_mean[0]) if tail[0] > 0 else math.nan
    return GridSeverity(h, f[0], float(tail[0]), mean)


def place_atom_rows(
    values: FloatArray, probs: FloatArray, h: float, n_points: int, rows: NDArray[Any] | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """:func:`place_atoms` for many rows at once.

    ``values`` and ``probs`` are either 2-D (one row per distribution) or 1-D
    with ``rows`` giving each atom's row (ragged rows). Returns the grid
    masses (rows x n_points), each row's probability and conditional mean
    beyond the grid (0 where none).
    """
    if rows is None:
        n_rows = values.shape[0]
        row = np.broadcast_to(np.arange(n_rows)[:, None], values.shape).reshape(-1)
        values, probs = values.reshape(-1), probs.reshape(-1)
    else:
        row = rows.astype(np.int64)
        n_rows = int(row.max()) + 1 if row.size else 0
    m = n_points - 1
    idx = values / h
    near = np.rint(idx)
    on_grid = np.abs(idx - near) <= _ON_GRID * np.maximum(near, 1.0)
    idx = np.where(on_grid, near, idx)
    beyond = idx > m
    tail = np.bincount(row[beyond], weights=probs[beyond], minlength=n_rows)
    tail_moment = np.bincount(row[beyond], weights=(values * probs)[beyond], minlength=n_rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        tail_mean = np.where(tail > 0, tail_moment / np.where(tail > 0, tail, 1.0), 0.0)
    inside = ~beyond
    j = np.floor(idx[inside]).astype(np.int64)
    frac = idx[inside] - j
    p = probs[inside]
    # Row r's point j lives at r * (n_points + 1) + j; the spare column takes
    # the zero-weight upper neighbour of atoms exactly on the last point.
    flat = row[inside] * (n_points + 1) + j
    size = n_rows * (n_points + 1)
    f = np.bincount(flat, weights=p * (1.0 - frac), minlength=size).astype(np.float64, copy=False)
    f += np.bincount(flat + 1, weights=p * frac, minlength=size)
    f = f.reshape(n_rows, n_points + 1)[:, :n_points].copy()
    return f, tail.astype(np.float64, copy=False), tail_mean
