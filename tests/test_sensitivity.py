"""Sensitivity runs: swings checked by hand, exact linearity, elasticities, bad paths."""

from __future__ import annotations

import datetime
import math
import warnings

import attrs
import numpy as np
import pytest

import picover as pc

DAY = datetime.date(2025, 1, 1)
MODEL = pc.BreachModel.preset("kr")
ORG = pc.Organisation(records=2_000_000, annual_sales=80e9, sector="online_platform")
POLICY = pc.Policy(limit=1e9, retention=1e7)


def test_tornado_swings_match_hand_finite_differences():
    # Expected ground-up loss = T; consolation's part C is linear in the award (base
    # 100,000 KRW), every part is linear in the frequency modifier (base 1):
    #   award 5e4 -> T - C/2, award 3e5 -> T + 2C: swing 2.5 C
    #   modifier 0.5 -> T/2, modifier 2 -> 2T: swing 1.5 T
    base = MODEL.expected_losses(ORG)
    total, cons = base["total"], base["consolation"]
    t = pc.sensitivity.tornado(
        ORG, POLICY, model=MODEL, output="expected_ground_up", as_of=DAY,
        params={"consolation.award": (5e4, 3e5), "frequency.modifier": (0.5, 2.0)},
    )  # fmt: skip
    assert t.base_value == pytest.approx(total, rel=1e-12)
    by = {b.param: b for b in t.bars}
    assert by["consolation.award"].output_low == pytest.approx(total - cons / 2, rel=1e-12)
    assert by["consolation.award"].output_high == pytest.approx(total + 2 * cons, rel=1e-12)
    assert by["consolation.award"].swing == pytest.approx(2.5 * cons, rel=1e-12)
    assert by["frequency.modifier"].swing == pytest.approx(1.5 * total, rel=1e-12)
    assert [b.param for b in t.bars] == sorted(by, key=lambda p: -by[p].swing)
    assert t.to_records()[0]["swing"] == t.bars[0].swing
    assert "swing" in str(t)
    frame = t.to_pandas()
    assert frame["param"].tolist() == [b.param for b in t.bars]
    assert frame["swing"].tolist() == [b.swing for b in t.bars]
    # The frame says what its figures are in, as a book's frame does.
    assert frame.attrs == {"output": t.output, "unit": "KRW", "currency": "KRW"}


def test_tornado_to_a_certain_rate():
    # frequency.shape = inf: the rate is known, the count Poisson. The bar's ends
    # equal premiums priced directly under each model.
    t = pc.sensitivity.tornado(
        ORG, POLICY, model=MODEL, params={"frequency.shape": (1.0, math.inf)}, as_of=DAY
    )
    (bar,) = t.bars
    for value, output in ((1.0, bar.output_low), (math.inf, bar.output_high)):
        model = MODEL.with_params({"frequency.shape": value})
        assert output == pc.quote(ORG, POLICY, model=model, as_of=DAY).premium.gross
    with pytest.raises(ValueError, match="ConsolationCost.award must be finite"):
        pc.sensitivity.tornado(
            ORG, POLICY, model=MODEL, params={"consolation.award": (1e5, math.inf)}, as_of=DAY
        )


def test_tornado_on_premium_and_policy_terms():
    t = pc.sensitivity.tornado(
        ORG, POLICY, model=MODEL, output="premium", as_of=DAY,
        params={"policy.retention": (0.0, 5e7), "policy.limit": (5e8, 2e9)},
    )  # fmt: skip
    by = {b.param: b for b in t.bars}
    # A higher retention lowers the premium, a higher limit raises it.
    assert by["policy.retention"].output_high < by["policy.retention"].output_low
    assert by["policy.limit"].output_high > by["policy.limit"].output_low
    lo = pc.quote(ORG, pc.Policy(limit=1e9, retention=0.0), as_of=DAY).premium.gross
    assert by["policy.retention"].output_low == pytest.approx(lo, rel=1e-12)


def test_sweep_is_exactly_linear_in_award_and_claim_rate():
    base = MODEL.expected_losses(ORG)
    awards, rates = [5e4, 1e5, 2e5, 3e5], [0.001, 0.003, 0.01]
    s = pc.sensitivity.sweep(
        ORG, POLICY, model=MODEL, output="expected_ground_up", as_of=DAY,
        grid={"consolation.award": awards, "consolation.claim_rate": rates},
    )  # fmt: skip
    records = s.to_records()
    assert len(records) == len(awards) * len(rates)
    frame = s.to_pandas()
    assert frame.attrs["unit"] == "KRW"
    column = frame["expected_ground_up"].tolist()
    assert column == [r["expected_ground_up"] for r in records]
    for r in records:
        # Consolation = C * (award / 1e5) * (rate / 0.003); the rest does not move.
        factor = r["consolation.award"] / 1e5 * r["consolation.claim_rate"] / 0.003
        expected = base["total"] - base["consolation"] + base["consolation"] * factor
        assert r["expected_ground_up"] == pytest.approx(expected, rel=1e-12)


def test_elasticities():
    base = MODEL.expected_losses(ORG)
    es = pc.sensitivity.elasticity(
        ORG, POLICY, model=MODEL, output="expected_ground_up", as_of=DAY,
        params=["frequency.modifier", "consolation.award", "organisation.records"],
    )  # fmt: skip
    by = {e.param: e for e in es}
    assert by["frequency.modifier"].elasticity == pytest.approx(1.0, rel=1e-9)
    # Linear in the award: elasticity = C / T.
    assert by["consolation.award"].elasticity == pytest.approx(
        base["consolation"] / base["total"], rel=1e-6
    )

    # Records move both the rate and the costs: a central difference by hand, at
    # 0.1% either side (a difference of that width is within 1e-6 of the slope).
    def total(records: int) -> float:
        o = attrs.evolve(ORG, records=records)
        return MODEL.expected_losses(o)["total"]

    up, down = round(ORG.records * 1.001), round(ORG.records / 1.001)
    by_hand = math.log(total(up) / total(down)) / math.log(up / down)
    assert by["organisation.records"].elasticity == pytest.approx(by_hand, rel=1e-4)


def test_sweep_over_policy_and_premium_settings():
    s = pc.sensitivity.sweep(
        ORG, POLICY, model=MODEL, output="premium", as_of=DAY,
        grid={"premium.expense_ratio": [0.2, 0.3], "policy.sublimits.investigation": [5e7]},
    )  # fmt: skip
    a, b = (r["premium"] for r in s.to_records())
    # Gross premium = (pure + risk load) / (1 - expenses - profit): 0.75 vs 0.65.
    assert b / a == pytest.approx(0.75 / 0.65, rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(params={"consolation.awards": (1, 2)}), r"unknown parameter 'consolation.awards'"),
        (dict(params={"policy.limitt": (1, 2)}), "did you mean policy.limit"),
        (dict(params={"consolation.award": (1,)}), r"must be a \(low, high\) pair"),
        (dict(params={}), "at least one parameter"),
        (dict(params={"consolation.award": (1, 2)}, output="profit"), "output must be one of"),
        (dict(params={"litigation.q_liable": (0.5, 1.5)}), "q_liable must be"),
        # A bar spans the base point (q_liable 0.5): empty, reversed or beside it, a slip.
        (dict(params={"litigation.q_liable": (0.6, 0.6)}), "low 0.6 must be below high 0.6"),
        (dict(params={"litigation.q_liable": (0.9, 0.3)}), "low 0.9 must be below high 0.3"),
        (dict(params={"litigation.q_liable": (0.6, 0.9)}), "must contain the base value, 0.5"),
    ],
)
def test_tornado_errors(kwargs, match):
    args = {"model": MODEL, "as_of": DAY, "output": "expected_ground_up"} | kwargs
    with pytest.raises(ValueError, match=match):
        pc.sensitivity.tornado(ORG, POLICY, **args)


def test_a_progress_that_is_no_truth_value_is_refused():
    common = {"model": MODEL, "as_of": DAY, "output": "expected_ground_up", "progress": 1}
    with pytest.raises(TypeError, match="progress must be True, False or None; got int 1"):
        pc.sensitivity.tornado(ORG, POLICY, params={"consolation.award": (1e5, 1e6)}, **common)
    with pytest.raises(TypeError, match="progress must be True, False or None; got int 1"):
        pc.sensitivity.sweep(ORG, POLICY, grid={"consolation.award": [1e5]}, **common)


def test_sweep_and_elasticity_errors():
    sweep, elasticity = pc.sensitivity.sweep, pc.sensitivity.elasticity
    with pytest.raises(ValueError, match="unknown parameter 'no.such'"):
        sweep(ORG, POLICY, model=MODEL, grid={"no.such": []}, as_of=DAY)
    with pytest.raises(ValueError, match=r"grid\['consolation.award'\] must hold at least one"):
        sweep(ORG, POLICY, model=MODEL, grid={"consolation.award": []}, as_of=DAY)
    with pytest.raises(ValueError, match="params must name at least one parameter"):
        elasticity(ORG, POLICY, model=MODEL, params=[], as_of=DAY)
    # The path is named once, by the outermost object that refused the value.
    with pytest.raises(ValueError, match=r"^premium.principle.level: CostOfCapital.level must"):
        sweep(ORG, POLICY, model=MODEL, grid={"premium.principle.level": [1.0]}, as_of=DAY)


def test_pairs_as_arrays_and_infinite_sublimits():
    # A numpy (low, high) pair is a pair; infinity (no sublimit) is a value to sweep to.
    t = pc.sensitivity.tornado(
        ORG, POLICY, model=MODEL, params={"consolation.award": np.array([5e4, 2e5])},
        output="expected_ground_up", as_of=DAY,
    )  # fmt: skip
    assert (t.bars[0].low, t.bars[0].high) == (5e4, 2e5)
    s = pc.sensitivity.sweep(
        ORG, POLICY, model=MODEL, output="expected_insured", as_of=DAY,
        grid={"policy.sublimits.investigation": [1e6, math.inf]},
    )  # fmt: skip
    capped, free = (r["expected_insured"] for r in s.to_records())
    assert free == pytest.approx(MODEL.expected_losses(ORG, POLICY)["total"], rel=1e-12)
    assert capped < free


def test_elasticity_at_a_bound_is_one_sided():
    # A coinsurance of 1 cannot step up: the difference is taken below it only,
    # (log y(1) - log y(1 - h)) / (log 1 - log(1 - h)) with h = 1e-3, by hand.
    (e,) = pc.sensitivity.elasticity(
        ORG, POLICY, model=MODEL, params=["policy.coinsurance"], output="expected_insured",
        as_of=DAY,
    )  # fmt: skip
    y1 = MODEL.expected_losses(ORG, POLICY)["total"]
    lower = pc.Policy(limit=1e9, retention=1e7, coinsurance=0.999)
    y0 = MODEL.expected_losses(ORG, lower)["total"]
    assert e.elasticity == pytest.approx(math.log(y1 / y0) / -math.log(0.999), rel=1e-12)
    # One record cannot step down: from 1 to 2 records.
    one = pc.Organisation(records=1, annual_sales=1e9, sector="retail")
    (e,) = pc.sensitivity.elasticity(
        one, POLICY, model=MODEL, params=["organisation.records"],
        output="expected_ground_up", as_of=DAY,
    )  # fmt: skip
    two = pc.Organisation(records=2, annual_sales=1e9, sector="retail")
    y1, y2 = (MODEL.expected_losses(o)["total"] for o in (one, two))
    assert e.elasticity == pytest.approx(math.log(y2 / y1) / math.log(2), rel=1e-12)


def test_unknown_path_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown parameter 'nope'") as err:
        pc.sensitivity.sweep(ORG, POLICY, model=MODEL, grid={"nope": [1.0]}, as_of=DAY)
    message = str(err.value)
    for valid in ("consolation.award", "policy.retention", "frequency.base_rate.retail"):
        assert valid in message


def test_recommended_limit_responds_to_the_incident_rate():
    # Before 2019 no statutory minimum sets a floor, which would decide both
    # (5e8 for this firm today): the exceedance rule alone moves the limit, to
    # what recommend_coverage gives at each rate (5e7 at half the rate, 2e9 at
    # twice it). (The claim rate barely moves it: this firm's 1% tail is made
    # of incidents without a judgment.)
    before = datetime.date(2018, 1, 1)
    modifiers = [0.5, 2.0]
    s = pc.sensitivity.sweep(
        ORG, POLICY, model=MODEL, output="recommended_limit", as_of=before,
        grid={"frequency.modifier": modifiers},
    )  # fmt: skip
    low, high = (r["recommended_limit"] for r in s.to_records())
    assert high > low
    for modifier, limit in zip(modifiers, (low, high), strict=True):
        model = MODEL.with_params({"frequency.modifier": modifier})
        rec = pc.recommend_coverage(ORG, model=model, as_of=before)
        assert rec.statutory_minimum is None
        assert limit == rec.limit


def test_rate_on_line_of_an_unlimited_policy_is_refused():
    with pytest.raises(ValueError, match="'rate_on_line' needs a policy with a finite limit"):
        pc.sensitivity.tornado(
            ORG, pc.Policy(), model=MODEL, params={"consolation.award": (5e4, 2e5)},
            output="rate_on_line", as_of=DAY,
        )  # fmt: skip


def test_an_output_undefined_at_a_changed_setting_is_refused_before_pricing(monkeypatch):
    # A rate on line at an infinite limit has no value: told before any setting is
    # priced (not after the whole run), naming the bound or grid point.
    from picover.analysis import sensitivity

    priced = []
    monkeypatch.setattr(sensitivity, "evaluate", lambda s, output: priced.append(s) or 1.0)
    with pytest.raises(ValueError, match=r"^params\['policy.limit'\] high inf: output "
                       "'rate_on_line' needs a policy with a finite limit"):  # fmt: skip
        pc.sensitivity.tornado(ORG, POLICY, model=MODEL, params={"policy.limit": (5e8, math.inf)},
                               output="rate_on_line", as_of=DAY)  # fmt: skip
    with pytest.raises(ValueError, match=r"^grid point consolation.award=200000, "
                       "policy.limit=inf: output 'rate_on_line' needs"):  # fmt: skip
        pc.sensitivity.sweep(
            ORG,
            POLICY,
            model=MODEL,
            output="rate_on_line",
            as_of=DAY,
            grid={"consolation.award": [2e5], "policy.limit": [5e8, math.inf]},
        )
    assert priced == []
    # An unlimited base policy swept over finite limits only: every point has a rate.
    pc.sensitivity.sweep(
        ORG,
        pc.Policy(),
        model=MODEL,
        output="rate_on_line",
        as_of=DAY,
        grid={"policy.limit": [5e8, 1e9]},
    )
    assert len(priced) == 2


def test_a_principle_given_for_the_premium_basis_is_named():
    # As price_portfolio, quote and recommend_coverage say it: what to pass instead.
    with pytest.raises(
        TypeError,
        match=r"premium must be a PremiumBasis or None; got the "
        r"principle ExpectedValue\(loading=0\.2\): wrap it as PremiumBasis",
    ):
        pc.sensitivity.tornado(ORG, POLICY, model=MODEL, premium=pc.ExpectedValue(0.2),
                               params={"consolation.award": (5e4, 2e5)}, as_of=DAY)  # fmt: skip


def test_parameter_collections_of_the_wrong_shape_are_refused():
    org = pc.Organisation(records=1_000_000, annual_sales=5e10, sector="retail")
    with pytest.raises(TypeError, match="params must map each parameter path"):
        pc.sensitivity.tornado(org, pc.Policy(limit=1e9), params=["consolation.award"])
    with pytest.raises(TypeError, match="grid must map each parameter path"):
        pc.sensitivity.sweep(org, pc.Policy(limit=1e9), grid=["consolation.award"])
    with pytest.raises(TypeError, match="params must be a list of parameter paths"):
        pc.sensitivity.elasticity(org, pc.Policy(limit=1e9), params="consolation.award")
    with pytest.raises(TypeError, match="outputs must be a list of output names"):
        pc.price_portfolio({"records": [10], "annual_sales": [1e9], "sector": ["retail"]},
                           pc.Policy(), outputs="premium")  # fmt: skip


def test_recommended_limit_aims_at_the_target_given():
    shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
    ask = {"consolation.award": (5e4, 3e5)}
    strict = pc.sensitivity.tornado(shop, POLICY, model=MODEL, params=ask, as_of=DAY,
                                    output="recommended_limit", target=1e-4)  # fmt: skip
    usual = pc.sensitivity.tornado(shop, POLICY, model=MODEL, params=ask, as_of=DAY,
                                   output="recommended_limit")  # fmt: skip
    for t, target in ((strict, 1e-4), (usual, 0.01)):
        rec = pc.recommend_coverage(shop, model=MODEL, target=target, as_of=DAY)
        assert t.base_value == rec.limit
    assert strict.base_value > usual.base_value  # a rarer exceedance needs a higher limit
    with pytest.raises(ValueError, match=r"target must be .*in \(0, 1\); got 1.5"):
        pc.sensitivity.sweep(shop, POLICY, model=MODEL, grid={"consolation.award": [1e5]},
                             output="recommended_limit", as_of=DAY, target=1.5)  # fmt: skip


def test_elasticity_of_the_recommended_limit_is_refused():
    with pytest.raises(ValueError, match="'recommended_limit' has no elasticity.*tornado"):
        pc.sensitivity.elasticity(ORG, POLICY, model=MODEL, output="recommended_limit",
                                  params=["organisation.annual_sales"], as_of=DAY)  # fmt: skip


def test_elasticity_warns_at_a_bend_with_both_one_sided_figures():
    # Crisis management costs 1e7 + 500 K: 3e7 KRW when all 40,000 records leak (a
    # tenth of incidents). A sublimit of 3e7 sits at that bend: a little lower caps
    # those incidents, a little higher caps nothing more, so the expected insured
    # loss rises below 3e7 and is flat above it.
    shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")

    def at(sublimit: float) -> None:
        policy = pc.Policy(limit=1e9, sublimits={"crisis_management": sublimit})
        path = "policy.sublimits.crisis_management"
        pc.sensitivity.elasticity(shop, policy, model=MODEL, output="expected_insured",
                                  params=[path], as_of=DAY)  # fmt: skip

    figures = r"at 3e\+07: its elasticity is 0\.0\d+ just below and -?\d.*e-0\d just above"
    with pytest.warns(RuntimeWarning, match="not smooth in policy.sublimits.crisis_management "
                      + figures):  # fmt: skip
        at(3e7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # smooth below the bend: no warning
        at(2.5e7)


def test_elasticity_of_a_limit_beyond_the_grid_exhausting_is_refused():
    # A 20,000-record shop can never pay 1e8 in a year under a 5e7 per-incident
    # limit... almost: the limit lies beyond the grid, where P(exhausted) is only
    # the grid's tail bound (about 1e-12), and its log slope was noise (47.6).
    shop = pc.Organisation(records=20_000, annual_sales=3e9, sector="retail")
    policy = pc.Policy(limit=1e8, retention=1e7, per_incident_limit=5e7, coinsurance=0.8)
    with pytest.raises(ValueError, match=r"'p_exhaust' has no elasticity here: the limit "
                       r"\(1e\+08\) lies beyond the grid.*known only as a bound"):  # fmt: skip
        pc.sensitivity.elasticity(shop, policy, model=MODEL, output="p_exhaust",
                                  params=["consolation.award"], as_of=DAY)  # fmt: skip
    # Where the limit is on the grid the elasticity is computed.
    (e,) = pc.sensitivity.elasticity(ORG, POLICY, model=MODEL, output="p_exhaust",
                                     params=["frequency.modifier"], as_of=DAY)  # fmt: skip
    assert 0.5 < e.elasticity < 1.0  # a rarer incident count: nearly proportional


def test_results_say_their_unit():
    t = pc.sensitivity.tornado(ORG, POLICY, model=MODEL, output="p_exhaust", as_of=DAY,
                               params={"consolation.award": (5e4, 3e5)})  # fmt: skip
    assert t.currency == "KRW"
    assert str(t).startswith("p_exhaust (probability) at the base point")
    assert (
        str(t).splitlines()[0] == f"p_exhaust (probability) at the base point: {t.base_value:.6g}"
    )
    # An amount with its thousands grouped, as the bars' amounts are (not 4.48806e+07).
    money = pc.sensitivity.tornado(
        ORG,
        POLICY,
        model=MODEL,
        output="expected_insured",
        as_of=DAY,
        params={"consolation.award": (5e4, 3e5)},
    )
    assert money.base_value > 1e6  # beyond six digits: %g would write it with an exponent
    assert str(money).splitlines()[0] == (
        f"expected_insured (KRW) at the base point: {money.base_value:,.0f}"
    )
    s = pc.sensitivity.sweep(ORG, POLICY, model=MODEL, output="expected_insured", as_of=DAY,
                             grid={"consolation.award": [1e5]})  # fmt: skip
    assert (s.currency, str(s).splitlines()[0]) == ("KRW", "expected_insured in KRW")


def test_a_sweep_gives_its_table_as_every_result_does():
    s = pc.sensitivity.sweep(
        ORG, POLICY, model=MODEL, output="expected_ground_up", as_of=DAY,
        grid={"consolation.award": [1e5, 2e5]},
    )  # fmt: skip
    table = s.table()
    assert table["consolation.award"].tolist() == [1e5, 2e5]
    assert table["expected_ground_up"].tolist() == [r["expected_ground_up"] for r in s.to_records()]


def test_threads_give_the_one_thread_tornado_sweep_and_elasticities():
    small = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
    params = {"consolation.award": (5e4, 3e5), "frequency.modifier": (0.5, 2.0),
              "policy.retention": (5e6, 2e7)}  # fmt: skip
    one = pc.sensitivity.tornado(small, POLICY, model=MODEL, params=params, as_of=DAY)
    two = pc.sensitivity.tornado(small, POLICY, model=MODEL, params=params, as_of=DAY, workers=2)
    # Each bar keeps its own ends (not another parameter's) and the numbers are bit-equal.
    assert two.to_records() == one.to_records()
    assert {b.param: (b.low, b.high) for b in two.bars} == params
    grid = {"consolation.award": [5e4, 1e5, 2e5], "policy.retention": [0.0, 1e7]}
    one = pc.sensitivity.sweep(small, POLICY, model=MODEL, grid=grid, as_of=DAY)
    two = pc.sensitivity.sweep(small, POLICY, model=MODEL, grid=grid, as_of=DAY, workers=-1)
    assert two.to_records() == one.to_records()
    paths = ["consolation.award", "policy.retention", "litigation.q_liable"]
    one = pc.sensitivity.elasticity(small, POLICY, model=MODEL, params=paths, as_of=DAY)
    two = pc.sensitivity.elasticity(small, POLICY, model=MODEL, params=paths, as_of=DAY,
                                    workers=2)  # fmt: skip
    assert two == one
    assert [e.param for e in two] == paths
    with pytest.raises(ValueError, match="workers must be a positive count of threads"):
        pc.sensitivity.sweep(small, POLICY, model=MODEL, grid=grid, as_of=DAY, workers=0)


def test_every_listed_parameter_is_a_path_and_nothing_else_is():
    from picover.analysis.sensitivity import _is_path, _setting, parameters

    policy = pc.Policy(limit=1e9, retention=1e7, sublimits={"investigation": 5e7})
    s = _setting(ORG, policy, MODEL, None, DAY)
    listed = parameters(s)
    assert len(listed) > 50
    assert all(_is_path(s, path) for path in listed)
    # Near misses: a branch (not a number), text leaves, a typo, too deep, not a string.
    for path in ["consolation", "policy", "policy.sublimits", "frequency.base_rate",
                 "consolation.kind", "consolation.trigger", "policy.covers", "organisation.sector",
                 "consolation.awards", "consolation.award.x", "organisation", "", 3,
                 "frequency.base_rate.mining", "policy.sublimits.crisis_managment"]:  # fmt: skip
        assert not _is_path(s, path), path
        assert path not in listed


def test_apply_refuses_what_parameters_does_not_list():
    from picover.analysis.sensitivity import _setting, apply

    s = _setting(ORG, POLICY, MODEL, None, DAY)
    for path in ["consolation.kind", "policy.sublimits", "frequency.base_rate.mining"]:
        with pytest.raises(ValueError, match=f"unknown parameter '{path}'"):
            apply(s, {path: 1.0})


def test_a_sweep_over_organisations_is_vectorised_and_agrees_point_by_point():
    from picover.analysis.sensitivity import _setting, apply, evaluate

    history = pc.IncidentHistory.from_rows(
        {"year": 2021 + i, "records_held": 500_000 * (i + 1), "incidents": i % 2} for i in range(4)
    )
    org = attrs.evolve(ORG, history=history)
    grid = {"organisation.records": [1e3, 4e4, 3e6], "consolation.award": [5e4, 2e5],
            "organisation.annual_sales": [1e9, 1e11]}  # fmt: skip
    # Ground-up with the fines endorsed (they count), insured under a closed-form
    # policy, and insured where half the points have a retention (priced one by one).
    cases = [
        ("expected_ground_up", pc.Policy(limit=1e9, covers={"consolation", "fines"}), grid),
        ("expected_insured", pc.Policy(sublimits={"investigation": 5e7}, coinsurance=0.8), grid),
        ("pure_premium", pc.Policy(), {**grid, "policy.retention": [0.0, 1e7]}),
    ]
    for output, policy, g in cases:
        s = pc.sensitivity.sweep(org, policy, model=MODEL, grid=g, output=output, as_of=DAY)
        base = _setting(org, policy, MODEL, None, DAY)
        records = s.to_records()
        assert len(records) == math.prod(len(v) for v in g.values())
        for r in records:
            want = evaluate(apply(base, {k: r[k] for k in g}), output)
            assert r[output] == pytest.approx(want, rel=1e-12), (output, r)
    # The fines count in the endorsed ground-up total: above the plain one.
    plain = pc.sensitivity.sweep(org, pc.Policy(), model=MODEL, grid=grid,
                                 output="expected_ground_up", as_of=DAY)  # fmt: skip
    endorsed = pc.sensitivity.sweep(org, cases[0][1], model=MODEL, grid=grid,
                                    output="expected_ground_up", as_of=DAY)  # fmt: skip
    a = [r["expected_ground_up"] for r in plain.to_records()]
    b = [r["expected_ground_up"] for r in endorsed.to_records()]
    assert all(y > x for x, y in zip(a, b, strict=True))


def test_a_vectorised_sweep_checks_each_organisation_as_apply_does():
    grid = {"organisation.records": [1e3, 2.5]}
    with pytest.raises(ValueError, match="organisation.records must be a whole number; got 2.5"):
        pc.sensitivity.sweep(ORG, POLICY, model=MODEL, grid=grid, output="expected_ground_up",
                             as_of=DAY)  # fmt: skip
    # Past the Organisation's bound the path is named, not the class's field.
    with pytest.raises(ValueError, match=r"organisation.records must be .* \[1, 10000000000\]"):
        pc.sensitivity.sweep(ORG, POLICY, model=MODEL, output="expected_ground_up", as_of=DAY,
                             grid={"organisation.records": [1e3, 3e10]})  # fmt: skip
    with pytest.raises(ValueError, match=r"Organisation.annual_sales must be in \[0, 1e\+16\]"):
        pc.sensitivity.sweep(ORG, POLICY, model=MODEL, output="expected_ground_up", as_of=DAY,
                             grid={"organisation.annual_sales": [1e9, -1.0]})  # fmt: skip


def test_a_tornado_prices_alike_settings_once(monkeypatch):
    # ORG is an online platform: the retail and finance base rates do not touch it,
    # so their four ends price as the base point does (with swing exactly 0), and
    # only the base and the award's two ends are priced.
    from picover.analysis import sensitivity

    params = {"frequency.base_rate.retail": (0.001, 0.003),
              "frequency.base_rate.finance": (0.001, 0.003),
              "consolation.award": (5e4, 2e5)}  # fmt: skip
    want = pc.sensitivity.tornado(ORG, POLICY, model=MODEL, params=params, as_of=DAY,
                                  output="expected_insured")  # fmt: skip
    calls = []
    real = sensitivity.evaluate
    monkeypatch.setattr(sensitivity, "evaluate", lambda s, o: calls.append(s) or real(s, o))
    got = pc.sensitivity.tornado(ORG, POLICY, model=MODEL, params=params, as_of=DAY,
                                 output="expected_insured")  # fmt: skip
    assert len(calls) == 3
    assert got.to_records() == want.to_records()
    by = {b.param: b for b in got.bars}
    base = real(sensitivity.apply(calls[0], {}), "expected_insured")
    for path in ("frequency.base_rate.retail", "frequency.base_rate.finance"):
        assert by[path].swing == 0.0
        assert by[path].output_low == by[path].output_high == base == got.base_value
    # The organisation's own sector's rate is priced, and moves it.
    own_rate = {"frequency.base_rate.online_platform": (0.002, 0.003)}
    own = pc.sensitivity.tornado(ORG, POLICY, model=MODEL, as_of=DAY, output="expected_insured",
                                 params=own_rate)  # fmt: skip
    assert own.bars[0].swing > 0


def test_elasticities_are_a_result_like_the_others():
    paths = ["frequency.modifier", "consolation.award"]
    es = pc.sensitivity.elasticity(ORG, POLICY, model=MODEL, params=paths,
                                   output="expected_ground_up", as_of=DAY)  # fmt: skip
    assert [r["param"] for r in es.to_records()] == paths
    assert es["frequency.modifier"] is es[0]
    assert "consolation.award" in es
    assert "litigation.q_liable" not in es
    assert es[1] in es
    assert es.table()["elasticity"].tolist() == [e.elasticity for e in es]
    assert "frequency.modifier" in str(es)
    with pytest.raises(KeyError, match="no elasticity to 'litigation.q_liable'"):
        es["litigation.q_liable"]
    with pytest.raises(TypeError, match=r"indexed by position \(an int\) .* got float 1\.0"):
        es[1.0]
