"""picover: pricing personal-information leak liability insurance.

Amounts are floats in one currency per model (KRW unless a preset says
otherwise).
"""

from picover import statutory
from picover._table import Table
from picover.analysis import PortfolioResult, price_portfolio, sensitivity
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
from picover.pricing import (
    Comparison,
    CostOfCapital,
    ExpectedValue,
    Offer,
    Premium,
    PremiumBasis,
    Quote,
    Recommendation,
    StandardDeviation,
    WangTransform,
    compare,
    quote,
    recommend_coverage,
)

__version__ = "0.1.0"

__all__ = [
    "BetaFractionSize",
    "BreachModel",
    "Comparison",
    "ConsolationCost",
    "CostContext",
    "CostOfCapital",
    "EmpiricalSize",
    "ExpectedValue",
    "FixedFractionSize",
    "FrequencyModel",
    "HistoryYear",
    "Incident",
    "IncidentHistory",
    "LinearCost",
    "Litigation",
    "LognormalCost",
    "LossDistribution",
    "Offer",
    "Organisation",
    "Policy",
    "PortfolioResult",
    "PowerLawSize",
    "Premium",
    "PremiumBasis",
    "Quote",
    "Recommendation",
    "StandardDeviation",
    "SurchargeCost",
    "Table",
    "WangTransform",
    "__version__",
    "compare",
    "compound",
    "empirical",
    "lattice",
    "lognormal_from_interval",
    "mixed_poisson",
    "pert",
    "price_portfolio",
    "quote",
    "recommend_coverage",
    "sensitivity",
    "statutory",
]
