"""picover: pricing personal-information leak liability insurance.

Amounts are floats in one currency per model (KRW unless a preset says
otherwise).
"""

from picover._table import Table
from picover.engine import (
    LossDistribution,
    compound,
    empirical,
    lattice,
    lognormal_from_interval,
    mixed_poisson,
    pert,
)

__version__ = "0.1.0"

__all__ = [
    "LossDistribution",
    "Table",
    "__version__",
    "compound",
    "empirical",
    "lattice",
    "lognormal_from_interval",
    "mixed_poisson",
    "pert",
]
