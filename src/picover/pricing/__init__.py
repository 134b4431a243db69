"""Pricing: premium principles, quotes, recommended coverage and comparison of offers."""

from picover.pricing.compare import Comparison, Offer, OfferRow, compare
from picover.pricing.coverage import DEFAULT_LADDER, Recommendation, recommend_coverage
from picover.pricing.premium import (
    CostOfCapital,
    ExpectedValue,
    Premium,
    PremiumBasis,
    PremiumPrinciple,
    StandardDeviation,
    WangTransform,
)
from picover.pricing.quote import Quote, Retained, quote

__all__ = [
    "DEFAULT_LADDER",
    "Comparison",
    "CostOfCapital",
    "ExpectedValue",
    "Offer",
    "OfferRow",
    "Premium",
    "PremiumBasis",
    "PremiumPrinciple",
    "Quote",
    "Recommendation",
    "Retained",
    "StandardDeviation",
    "WangTransform",
    "compare",
    "quote",
    "recommend_coverage",
]
