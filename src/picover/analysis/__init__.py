"""Analysis: whole books of organisations, and sensitivity of any output to any parameter."""

from picover.analysis.batch import OUTPUTS, PortfolioResult, price_portfolio

__all__ = ["OUTPUTS", "PortfolioResult", "price_portfolio"]
