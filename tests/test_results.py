"""Result objects check what they hold, like the inputs do.

They are built by picover itself, but a caller may build or evolve one (to
test a report, say): a wrong type or an impossible figure is an error naming
the class and field, never a quietly wrong report.
"""

from __future__ import annotations

import datetime
import math

import attrs
import numpy as np
import pytest

import picover as pc
from picover.analysis.sensitivity import Bar, Tornado
from picover.pricing.compare import OfferRow

DAY = datetime.date(2025, 1, 1)
SHOP = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")


@pytest.fixture(scope="module")
def quote() -> pc.Quote:
    return pc.quote(SHOP, pc.Policy(limit=5e7, retention=1e6), as_of=DAY)


@pytest.mark.parametrize("premium", ["1e6", True, None])
def test_offer_premium_is_not_coerced(premium: object) -> None:
    # float("1e6") would succeed: the premium is checked before it is converted.
    with pytest.raises(TypeError, match=r"Offer\.premium must be a real number"):
        pc.Offer("A", pc.Policy(limit=1e8), premium=premium)  # type: ignore[arg-type]


def test_offer_premium_keeps_a_whole_number_as_its_value() -> None:
    assert pc.Offer("A", pc.Policy(limit=1e8), premium=1_500_000).premium == 1.5e6


@pytest.mark.parametrize(
    ("field", "value", "error", "message"),
    [
        ("p_exhaust", 1.5, ValueError, r"Quote\.p_exhaust must be in \[0, 1\]"),
        ("rate_on_line", -0.1, ValueError, r"Quote\.rate_on_line must be >= 0"),
        ("currency", 1, TypeError, "currency"),
        ("loss", [0.0, 1.0], TypeError, "loss"),
        ("expected_insured", {"total": -1.0}, ValueError, r"Quote\.expected_insured"),
    ],
)
def test_quote_refuses_impossible_figures(
    quote: pc.Quote, field: str, value: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        attrs.evolve(quote, **{field: value})


def test_quote_rate_on_line_may_be_undefined(quote: pc.Quote) -> None:
    # NaN is how a quote says "no aggregate limit, no rate on line".
    assert math.isnan(attrs.evolve(quote, rate_on_line=math.nan).rate_on_line)


def test_premium_breakdown_is_checked(quote: pc.Quote) -> None:
    with pytest.raises(ValueError, match=r"Premium\.gross must be >= 0"):
        attrs.evolve(quote.premium, gross=-1.0)
    with pytest.raises(ValueError, match=r"Premium\.pure must be a number; got NaN"):
        attrs.evolve(quote.premium, pure=math.nan)


def test_recommendation_names_only_known_deciders() -> None:
    rec = pc.recommend_coverage(SHOP, as_of=DAY)
    with pytest.raises(ValueError, match="rule"):
        attrs.evolve(rec, rule="guess")
    with pytest.raises(ValueError, match=r"Recommendation\.exceedance must be in \[0, 1\]"):
        attrs.evolve(rec, exceedance=2.0)


def test_offer_row_compliance_is_a_truth_value() -> None:
    (row,) = pc.compare(SHOP, [pc.Offer("A", pc.Policy(limit=1e8), premium=1.5e6)], as_of=DAY)
    assert attrs.evolve(row, compliant=np.bool_(False)).compliant is np.bool_(False)
    with pytest.raises(TypeError, match=r"OfferRow\.compliant must be True or False; got int 1"):
        attrs.evolve(row, compliant=1)
    with pytest.raises(TypeError):
        pc.Comparison([row])  # type: ignore[arg-type]  # rows are a tuple
    assert isinstance(row, OfferRow)


def test_tornado_bars_are_bars() -> None:
    bar = Bar("consolation.award", 1e5, 2e5, 10.0, 20.0)
    assert Tornado("premium", 15.0, (bar,)).bars[0].swing == 10.0
    with pytest.raises(TypeError):
        Tornado("premium", 15.0, ({"param": "x"},))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"Bar\.output_low must be a number; got NaN"):
        Bar("consolation.award", 1e5, 2e5, math.nan, 20.0)


def test_portfolio_columns_are_arrays() -> None:
    with pytest.raises(TypeError):
        pc.PortfolioResult({"records": [1, 2]})  # type: ignore[dict-item]
    res = pc.PortfolioResult({"records": np.array([1, 2])})
    assert res["records"].tolist() == [1, 2]


def test_tables_align_hangul_names():
    # Korean insurer names take two terminal columns a character: every line of the
    # printed table must then span as many columns.
    import unicodedata

    from picover._table import Table

    def columns(line: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)

    text = str(
        Table(
            {"insurer": ["삼성화재", "KB손해보험", "Meritz"], "premium_krw": [1.2e7, 9.8e6, 1.05e7]}
        )
    )
    assert len({columns(line) for line in text.splitlines()}) == 1


def test_results_cannot_be_edited_in_place():
    # attrs' frozen stops rebinding a field, not editing a dict or array in it: a
    # quote's expected losses, a table's columns and a book's outputs are
    # read-only, and the caller's own arrays keep their flags.
    shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
    q = pc.quote(shop, pc.Policy(limit=5e7), as_of=datetime.date(2025, 1, 1))
    with pytest.raises(TypeError):
        q.expected_insured["total"] = 0.0
    assert dict(q.expected_insured)["total"] == q.expected_insured["total"]
    table = q.by_category()
    with pytest.raises(TypeError):
        table.columns["extra"] = np.zeros(len(table))
    score = np.array([1.5, 2.5])  # a column the book carries through untouched
    book = pc.price_portfolio(
        {"records": [5_000, 3_000_000], "annual_sales": [2e8, 120e9],
         "sector": ["retail", "retail"], "score": score},
        outputs=("expected_ground_up",), as_of=datetime.date(2025, 1, 1),
    )  # fmt: skip
    with pytest.raises(ValueError, match="read-only"):
        book.columns["expected_ground_up"][0] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        book.columns["score"][0] = 0.0
    with pytest.raises(TypeError):
        book.columns["premium"] = np.zeros(2)
    score[0] = 99.0  # the caller's array is still the caller's, and the book's its own
    assert score.flags.writeable
    assert book.columns["score"].tolist() == [1.5, 2.5]


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("bucket", "abc", TypeError),
        ("bucket", -1.0, ValueError),
        ("n_sims", -3, ValueError),
        ("n_sims", 2.5, ValueError),
    ],
)
def test_a_distributions_grid_fields_are_validated(field, value, error):
    with pytest.raises(error, match=f"LossDistribution.{field}"):
        pc.LossDistribution([0.0, 1.0], [0.5, 0.5], **{field: value})
