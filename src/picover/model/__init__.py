"""The breach loss model: exposure, frequency, breach size, costs and policy terms."""

from picover.model.breach import (
    BetaFractionSize,
    BreachSize,
    EmpiricalSize,
    FixedFractionSize,
    PowerLawSize,
)
from picover.model.breach_model import BreachModel, SimulatedYears
from picover.model.consolation import ConsolationCost
from picover.model.costs import (
    CostCategory,
    CostContext,
    LinearCost,
    LognormalCost,
    SurchargeCost,
)
from picover.model.exposure import HistoryYear, Incident, IncidentHistory, Organisation
from picover.model.frequency import FrequencyEstimate, FrequencyModel
from picover.model.litigation import Litigation
from picover.model.policy import Policy

__all__ = [
    "BetaFractionSize",
    "BreachModel",
    "BreachSize",
    "ConsolationCost",
    "CostCategory",
    "CostContext",
    "EmpiricalSize",
    "FixedFractionSize",
    "FrequencyEstimate",
    "FrequencyModel",
    "HistoryYear",
    "Incident",
    "IncidentHistory",
    "LinearCost",
    "Litigation",
    "LognormalCost",
    "Organisation",
    "Policy",
    "PowerLawSize",
    "SimulatedYears",
    "SurchargeCost",
]
