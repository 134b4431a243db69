"""picover: pricing personal-information leak liability insurance.

Amounts are floats in one currency per model (KRW unless a preset says
otherwise).
"""

from picover import statutory
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
from picover.model import (
    BetaFractionSize,
    BreachModel,
    ConsolationCost,
    CostContext,
    EmpiricalSize,
    FixedFractionSize,
    FrequencyModel,
    HistoryYear,
    Incident,
    IncidentHistory,
    LinearCost,
    Litigation,
    LognormalCost,
    Organisation,
    Policy,
    PowerLawSize,
    SurchargeCost,
)

__version__ = "0.1.0"

__all__ = [
    "BetaFractionSize",
    "BreachModel",
    "ConsolationCost",
    "CostContext",
    "EmpiricalSize",
    "FixedFractionSize",
    "FrequencyModel",
    "HistoryYear",
    "Incident",
    "IncidentHistory",
    "LinearCost",
    "Litigation",
    "LognormalCost",
    "LossDistribution",
    "Organisation",
    "Policy",
    "PowerLawSize",
    "SurchargeCost",
    "Table",
    "__version__",
    "compound",
    "empirical",
    "lattice",
    "lognormal_from_interval",
    "mixed_poisson",
    "pert",
    "statutory",
]
