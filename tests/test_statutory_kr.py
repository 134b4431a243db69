"""The Korean statutory insurance check: rule selection, thresholds, exemptions, amounts."""

from __future__ import annotations

import itertools
import math
from datetime import date, datetime

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from picover.model.exposure import Organisation
from picover.statutory import kr

A_DAY = date(2023, 1, 1)  # network_act_2019
B_DAY = date(2025, 1, 1)  # pipa_2023

# Typed from /work/shared/reference/kr_statutory.md, not read from the shipped CSV:
# rows are subjects bands (low, middle, top), columns sales bands (low, middle, top).
AMOUNTS = (
    (50_000_000.0, 100_000_000.0, 200_000_000.0),
    (100_000_000.0, 200_000_000.0, 500_000_000.0),
    (200_000_000.0, 500_000_000.0, 1_000_000_000.0),
)

# (value, expected band index or None when below the threshold): below, at and above each edge.
A_SUBJECTS = [
    (999, None),
    (1_000, 0),
    (1_001, 0),
    (99_999, 0),
    (100_000, 1),
    (100_001, 1),
    (999_999, 1),
    (1_000_000, 2),
    (1_000_001, 2),
]
B_SUBJECTS = [
    (9_999, None),
    (10_000, 0),
    (10_001, 0),
    (99_999, 0),
    (100_000, 1),
    (100_001, 1),
    (999_999, 1),
    (1_000_000, 2),
    (1_000_001, 2),
]
A_SALES = [
    (49_999_999.0, None),
    (50_000_000.0, 0),
    (50_000_001.0, 0),
    (4_999_999_999.0, 0),
    (5_000_000_000.0, 0),
    (5_000_000_001.0, 1),
    (80_000_000_000.0, 1),
    (80_000_000_001.0, 2),
    (1e15, 2),
]
B_SALES = [
    (999_999_999.0, None),
    (1_000_000_000.0, 0),
    (1_000_000_001.0, 0),
    (4_999_999_999.0, 0),
    (5_000_000_000.0, 0),
    (5_000_000_001.0, 1),
    (80_000_000_000.0, 1),
    (80_000_000_001.0, 2),
    (1e15, 2),
]


def _cases(subjects, sales):
    return [
        pytest.param(n, x, r, c, id=f"{n}-{x:.0f}")
        for (n, r), (x, c) in itertools.product(subjects, sales)
    ]


def org(records, sales, **kw):
    return Organisation(records=records, annual_sales=sales, sector="retail", **kw)


def _check_band(n, x, r, c, day, rule_key, **flags):
    res = kr.obligation(org(n, x, **flags), as_of=day)
    assert res.rule.key == rule_key
    if r is None or c is None:
        with pytest.raises(ValueError, match="below the thresholds"):
            kr.minimum_coverage(n, x, as_of=day)
        assert not res.required
        assert res.minimum_coverage is None
    else:
        assert kr.minimum_coverage(data_subjects=n, annual_sales=x, as_of=day) == AMOUNTS[r][c]
        assert res.required
        assert res.minimum_coverage == AMOUNTS[r][c]


@pytest.mark.parametrize(("n", "x", "r", "c"), _cases(A_SUBJECTS, A_SALES))
def test_network_act_bands_and_edges(n, x, r, c):
    _check_band(n, x, r, c, A_DAY, "network_act_2019", ict_provider=True)


@pytest.mark.parametrize(("n", "x", "r", "c"), _cases(B_SUBJECTS, B_SALES))
def test_pipa_bands_and_edges(n, x, r, c):
    _check_band(n, x, r, c, B_DAY, "pipa_2023")


def test_switch_from_network_act_to_pipa():
    small_ict = org(5_000, 100_000_000.0, ict_provider=True)
    before = kr.obligation(small_ict, as_of=date(2024, 9, 14))
    after = kr.obligation(small_ict, as_of=date(2024, 9, 15))
    assert (before.rule.key, before.required, before.minimum_coverage) == (
        "network_act_2019",
        True,
        50_000_000.0,
    )
    assert (after.rule.key, after.required, after.minimum_coverage) == ("pipa_2023", False, None)

    mid_non_ict = org(50_000, 2_000_000_000.0)
    before = kr.obligation(mid_non_ict, as_of=date(2024, 9, 14))
    after = kr.obligation(mid_non_ict, as_of=date(2024, 9, 15))
    assert not before.required
    assert any(
        "not an information and communications service provider" in r for r in before.reasons
    )
    assert (after.required, after.minimum_coverage) == (True, 50_000_000.0)
    assert kr.rule_for(date(2024, 9, 14)).key == "network_act_2019"
    assert kr.rule_for(date(2024, 9, 15)).key == "pipa_2023"


def test_no_rule_before_2019_06_13():
    big_ict = org(2_000_000, 1e12, ict_provider=True)
    res = kr.obligation(big_ict, as_of=date(2019, 6, 12))
    assert res.required is False
    assert res.rule is None
    assert res.minimum_coverage is None
    assert "no statutory duty" in res.reasons[0]
    assert "2019-06-12" in res.reasons[0]
    with pytest.raises(ValueError, match=r"2019-06-12.*2019-06-13"):
        kr.minimum_coverage(2_000_000, 1e12, as_of=date(2019, 6, 12))
    with pytest.raises(ValueError, match="2019-06-13"):
        kr.rule_for(date(2019, 6, 12))

    res = kr.obligation(big_ict, as_of=date(2019, 6, 13))
    assert (res.required, res.rule.key, res.minimum_coverage) == (
        True,
        "network_act_2019",
        1_000_000_000.0,
    )


def test_grace_period_reasons():
    rule = kr.rule_for(date(2019, 6, 13))
    assert (rule.in_force, rule.enforced_from) == (date(2019, 6, 13), date(2020, 1, 1))
    small_ict = org(5_000, 100_000_000.0, ict_provider=True)
    for day in (date(2019, 6, 13), date(2019, 12, 31)):
        res = kr.obligation(small_ict, as_of=day)
        assert res.required
        grace = [r for r in res.reasons if "grace period" in r]
        assert len(grace) == 1
        assert "2020-01-01" in grace[0]
        assert "20,000,000 KRW" in grace[0]
    res = kr.obligation(small_ict, as_of=date(2020, 1, 1))
    assert res.required
    assert not any("grace period" in r for r in res.reasons)
    # The grace note is about the date, not the outcome.
    assert any(
        "grace period" in r for r in kr.obligation(org(5, 1.0), as_of=date(2019, 7, 1)).reasons
    )


EXEMPTIONS = [
    ({"entity_type": "public"}, "public institution"),
    ({"entity_type": "non_profit"}, "non-profit"),
    ({"entity_type": "small_business", "processing_outsourced": True}, "small business"),
    ({"equivalent_cover": True}, "equivalent cover"),
]


@pytest.mark.parametrize(("flags", "words"), EXEMPTIONS)
@pytest.mark.parametrize("rule", [None, "reform_2025_proposal"])
def test_each_exemption(flags, words, rule):
    big = org(2_000_000, 2e11, **flags)
    res = kr.obligation(big, as_of=B_DAY, rule=rule)
    assert res.required is False
    assert res.minimum_coverage is None
    exempt = [r for r in res.reasons if r.startswith("exempt")]
    assert len(exempt) == 1
    assert words in exempt[0]
    assert kr.obligation(
        attrs.evolve(
            big, entity_type="private", equivalent_cover=False, processing_outsourced=False
        ),
        as_of=B_DAY,
        rule=rule,
    ).required


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        ({"entity_type": "small_business"}, "small business owner alone"),
        ({"processing_outsourced": True}, "outsourcing alone"),
    ],
)
def test_half_of_the_small_business_exemption_exempts_nothing(flags, words):
    # PIPA Art. 39-7(2) item 2 exempts "a micro enterprise ... who entrusts the
    # processing of personal information to a person prescribed by Presidential
    # Decree": both conditions at once. A small business that processes its own
    # data, or a large firm that outsources, must insure; the reasons say why.
    big = org(2_000_000, 2e11, **flags)
    res = kr.obligation(big, as_of=B_DAY)
    assert res.required is True
    assert res.minimum_coverage == 1e9
    assert not any(r.startswith("exempt") for r in res.reasons)
    assert any(words in r and "39-7(2)" in r for r in res.reasons)
    required, _ = kr.obligation_arrays(
        big.records, big.annual_sales, as_of=B_DAY, entity_type=big.entity_type,
        processing_outsourced=big.processing_outsourced,
    )  # fmt: skip
    assert bool(required) is True


def test_public_exemption_says_to_check():
    res = kr.obligation(org(50_000, 2e9, entity_type="public"), as_of=B_DAY)
    assert any("March 2024" in r and "check" in r for r in res.reasons)


def test_several_exemptions_are_all_listed():
    res = kr.obligation(
        org(50_000, 2e9, entity_type="non_profit", equivalent_cover=True), as_of=B_DAY
    )
    assert sum(r.startswith("exempt") for r in res.reasons) == 2


def test_network_act_ignores_exemption_flags():
    res = kr.obligation(org(5_000, 1e8, ict_provider=True, entity_type="public"), as_of=A_DAY)
    assert res.required
    assert any("recognises no exemptions" in r and "public institution" in r for r in res.reasons)


def test_reform_proposal_is_opt_in():
    big = org(2_000_000, 2e11)
    assert kr.obligation(big, as_of=date(2030, 1, 1)).rule.key == "pipa_2023"
    res = kr.obligation(big, as_of=date(2030, 1, 1), rule="reform_2025_proposal")
    assert (res.required, res.rule.key, res.minimum_coverage) == (
        True,
        "reform_2025_proposal",
        1_000_000_000.0,
    )
    assert any("proposal" in r and "requested" in r for r in res.reasons)
    assert "150,000,000,000 KRW" in " ".join(res.reasons)

    # Required under pipa_2023, below the proposal's thresholds on either count.
    for records, sales in ((999_999, 2e11), (2_000_000, 149_999_999_999.0)):
        assert kr.obligation(org(records, sales), as_of=B_DAY).required
        below = kr.obligation(org(records, sales), as_of=B_DAY, rule="reform_2025_proposal")
        assert not below.required
        with pytest.raises(ValueError, match="below the thresholds"):
            kr.minimum_coverage(records, sales, as_of=B_DAY, rule="reform_2025_proposal")
    assert kr.minimum_coverage(
        1_000_000, 150e9, as_of=B_DAY, rule="reform_2025_proposal"
    ) == kr.minimum_coverage(1_000_000, 150e9, as_of=B_DAY, rule="pipa_2023")


def test_forced_rule_outside_its_dates_is_applied_with_a_note():
    small_ict = org(5_000, 1e8, ict_provider=True)
    early = kr.obligation(small_ict, as_of=date(2018, 1, 1), rule="network_act_2019")
    assert early.required
    assert early.minimum_coverage == 50_000_000.0
    assert any("not yet in force" in r and "2019-06-13" in r for r in early.reasons)
    assert kr.minimum_coverage(5_000, 1e8, as_of=date(2018, 1, 1), rule="network_act_2019") == 5e7

    late = kr.obligation(small_ict, as_of=B_DAY, rule="network_act_2019")
    assert late.required
    assert any("superseded" in r for r in late.reasons)

    # Forcing the rule already in force adds no note.
    same = kr.obligation(org(50_000, 2e9), as_of=B_DAY, rule="pipa_2023")
    assert same == kr.obligation(org(50_000, 2e9), as_of=B_DAY)


@pytest.mark.parametrize("bad", ["pipa", "PIPA_2023", 2023])
def test_unknown_rule_key(bad):
    with pytest.raises(ValueError, match=r"network_act_2019.*pipa_2023.*reform_2025_proposal"):
        kr.rule_for(B_DAY, rule=bad)
    with pytest.raises(ValueError, match="rule"):
        kr.obligation(org(50_000, 2e9), as_of=B_DAY, rule=bad)
    with pytest.raises(ValueError, match="rule"):
        kr.minimum_coverage(50_000, 2e9, as_of=B_DAY, rule=bad)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"data_subjects": -1}, ValueError, "data_subjects"),
        ({"data_subjects": 10_000.5}, ValueError, "data_subjects"),
        ({"data_subjects": "many"}, TypeError, "data_subjects"),
        ({"annual_sales": math.nan}, ValueError, "annual_sales"),
        ({"annual_sales": -1.0}, ValueError, "annual_sales"),
        ({"annual_sales": math.inf}, ValueError, "annual_sales"),
        ({"annual_sales": "2e9"}, TypeError, "annual_sales"),
        ({"as_of": "2025-01-01"}, TypeError, "as_of"),
        ({"as_of": 2025}, TypeError, "as_of"),
    ],
)
def test_bad_inputs_name_the_argument(kwargs, error, name):
    args = {"data_subjects": 50_000, "annual_sales": 2e9, "as_of": B_DAY} | kwargs
    with pytest.raises(error, match=name):
        kr.minimum_coverage(**args)


def test_bad_obligation_inputs():
    with pytest.raises(TypeError, match="as_of"):
        kr.obligation(org(50_000, 2e9), as_of="2025-01-01")
    with pytest.raises(TypeError, match="Organisation"):
        kr.obligation({"records": 50_000}, as_of=B_DAY)
    with pytest.raises(TypeError, match="as_of"):
        kr.rule_for("2025-01-01")


def test_datetime_counts_as_its_date():
    res = kr.obligation(org(50_000, 2e9), as_of=datetime(2024, 9, 15, 0, 0, 1))
    assert res.as_of == date(2024, 9, 15)
    assert type(res.as_of) is date
    assert res.rule.key == "pipa_2023"
    assert kr.minimum_coverage(50_000, 2e9, as_of=datetime(2025, 1, 1, 12)) == 5e7
    assert kr.rule_for(datetime(2024, 9, 14, 23, 59)).key == "network_act_2019"


def test_reasons_contain_the_figures():
    res = kr.obligation(org(50_000, 1_200_000_000.0), as_of=B_DAY)
    assert "annual sales 1,200,000,000 KRW >= 1,000,000,000 KRW" in res.reasons
    assert "data subjects 50,000 >= 10,000" in res.reasons
    below = kr.obligation(org(9_999, 999_999_999.5), as_of=B_DAY)
    text = "\n".join(below.reasons)
    assert "999,999,999.5 KRW < 1,000,000,000 KRW" in text
    assert "data subjects 9,999 < 10,000" in text
    a = kr.obligation(org(1_500, 60_000_000.0, ict_provider=True), as_of=A_DAY)
    assert "annual sales 60,000,000 KRW >= 50,000,000 KRW" in a.reasons
    assert "daily-average users stored 1,500 >= 1,000" in a.reasons
    with pytest.raises(ValueError, match=r"data subjects 9,999 < 10,000"):
        kr.minimum_coverage(9_999, 2e9, as_of=B_DAY)


def test_obligation_str():
    text = str(kr.obligation(org(250_000, 12e9), as_of=B_DAY))
    assert "required" in text.splitlines()[0]
    assert "not required" not in text
    assert "pipa_2023" in text
    assert "200,000,000 KRW" in text
    assert "annual sales 12,000,000,000 KRW >= 1,000,000,000 KRW" in text
    no = str(kr.obligation(org(5, 1.0), as_of=B_DAY))
    assert "not required" in no.splitlines()[0]
    assert "minimum coverage" not in no


def test_rules_are_frozen_data():
    keys = [r.key for r in kr.RULES]
    assert keys == ["network_act_2019", "pipa_2023", "reform_2025_proposal"]
    rule = kr.rule_for(B_DAY)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        rule.sales_threshold = 0.0
    assert all(b.source and b.status for r in kr.RULES for b in r.bands)
    reform = kr.rule_for(B_DAY, rule="reform_2025_proposal")
    assert reform.in_force is None
    assert reform.bands == rule.bands  # same minimum table as pipa_2023
    res = kr.obligation(org(50_000, 2e9), as_of=B_DAY)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        res.required = False
    with pytest.raises(ValueError, match="minimum_coverage"):
        kr.Obligation(required=True, rule=rule, reasons=(), minimum_coverage=None, as_of=B_DAY)


def test_a_broken_table_is_refused():
    good = kr.rule_for(B_DAY)
    gap = tuple(b for b in good.bands if b.amount != 100_000_000.0 or b.subjects_min != 10_000)
    with pytest.raises(ValueError, match="one row per"):
        attrs.evolve(good, bands=gap)
    with pytest.raises(ValueError, match="below table"):
        attrs.evolve(good, sales_threshold=999_999_999.0)


subjects_above_b = st.integers(min_value=10_000, max_value=10**9)
sales_above_b = st.floats(min_value=1e9, max_value=1e14, allow_nan=False, allow_infinity=False)


@given(n=st.tuples(subjects_above_b, subjects_above_b), x=st.tuples(sales_above_b, sales_above_b))
def test_minimum_is_non_decreasing(n, x):
    n_lo, n_hi = sorted(n)
    x_lo, x_hi = sorted(x)
    for sales in x:
        low = kr.minimum_coverage(n_lo, sales, as_of=B_DAY)
        assert low <= kr.minimum_coverage(n_hi, sales, as_of=B_DAY)
    for subjects in n:
        low = kr.minimum_coverage(subjects, x_lo, as_of=B_DAY)
        assert low <= kr.minimum_coverage(subjects, x_hi, as_of=B_DAY)


def test_a_fractional_daily_average_is_taken_as_given_by_the_arrays():
    # 9,999.6 data subjects a day on average is below the 10,000 threshold, and
    # 99,999.6 below the 100,000 band edge: rounding to whole people would put
    # the first under the duty and the second in the band above.
    required, amount = kr.obligation_arrays([9_999.6, 99_999.6], [2e9, 2e9], as_of=date(2025, 1, 1))
    assert required.tolist() == [False, True]
    assert math.isnan(amount[0])
    assert amount[1] == 5e7
