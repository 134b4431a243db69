"""Independent reference calculations for the tests (not used by picover itself).

Each is the textbook algorithm written directly, so the engine is checked
against something that shares none of its code.
"""

from __future__ import annotations

import math

import numpy as np


def panjer(a: float, b: float, p0_of_f0: float, f: np.ndarray, n_out: int) -> np.ndarray:
    """Panjer recursion for an (a, b, 0) count with lattice severity pmf ``f``.

    g_0 = P_N(f_0); g_k = sum_{j=1..k} (a + b j / k) f_j g_{k-j} / (1 - a f_0).
    (Klugman, Panjer & Willmot, Loss Models, Theorem 9.8.)
    """
    g = np.zeros(n_out)
    g[0] = p0_of_f0
    f = np.asarray(f, dtype=float)
    denom = 1.0 - a * f[0]
    for k in range(1, n_out):
        j = np.arange(1, min(k, f.size - 1) + 1)
        g[k] = np.sum((a + b * j / k) * f[j] * g[k - j]) / denom
    return g


def panjer_poisson(lam: float, f: np.ndarray, n_out: int) -> np.ndarray:
    return panjer(0.0, lam, math.exp(lam * (f[0] - 1.0)), f, n_out)


def panjer_nbinom(r: float, p: float, f: np.ndarray, n_out: int) -> np.ndarray:
    # scipy nbinom(r, p): P(N = k) = C(k + r - 1, k) p^r (1 - p)^k; a = 1 - p, b = (r - 1)(1 - p)
    q = 1.0 - p
    return panjer(q, (r - 1.0) * q, (p / (1.0 - q * f[0])) ** r, f, n_out)


def panjer_binom(n: int, p: float, f: np.ndarray, n_out: int) -> np.ndarray:
    a = -p / (1.0 - p)
    return panjer(a, (n + 1) * p / (1.0 - p), (1.0 - p + p * f[0]) ** n, f, n_out)


def layer_atoms(values: np.ndarray, probs: np.ndarray, d: float, lim: float, share: float):
    """Per-occurrence payment share * min((x - d)+, lim) of each atom, merged."""
    y = share * np.minimum(np.maximum(values - d, 0.0), lim)
    ys, inv = np.unique(y, return_inverse=True)
    return ys, np.bincount(inv, weights=probs)


def discrete_summary(x: np.ndarray, p: np.ndarray, q: float) -> tuple[float, float]:
    """VaR and TVaR at level q of a discrete distribution, from first principles."""
    order = np.argsort(x)
    x, p = x[order], p[order]
    cdf = np.cumsum(p)
    i = int(np.argmax(cdf >= q - 1e-15))
    var = x[i]
    tail = np.sum(x[i + 1 :] * p[i + 1 :]) + var * (cdf[i] - q)
    return float(var), float(tail / (1.0 - q))


def lognormal_lev(x: float, mu: float, sigma: float) -> float:
    """E[min(X, x)] for a lognormal (Loss Models, Appendix A)."""
    from scipy.stats import norm

    if x <= 0:
        return 0.0
    z = (math.log(x) - mu) / sigma
    return math.exp(mu + sigma**2 / 2) * norm.cdf(z - sigma) + x * (1.0 - norm.cdf(z))
