"""Bad input to the model's objects: each error names the field and the value."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import picover as pc

MODEL = pc.BreachModel.preset("kr")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(records=-5), ValueError, r"Organisation.records must be a whole number in \[1"),
        (dict(records=0), ValueError, "Organisation.records"),
        (dict(records=2.5), ValueError, "Organisation.records must be a whole number; got 2.5"),
        (dict(records="many"), TypeError, "Organisation.records"),
        (
            dict(annual_sales=-1.0),
            ValueError,
            r"Organisation.annual_sales must be in \[0, 1e\+16\]",
        ),
        (
            dict(records=10**12),
            ValueError,
            r"Organisation.records must be a whole number in \[1, 10000000000\]",
        ),
        (dict(annual_sales=math.nan), ValueError, "Organisation.annual_sales must be a number"),
        (dict(sector=3), TypeError, "sector"),
        (dict(entity_type="charity"), ValueError, "entity_type"),
        (dict(ict_provider="yes"), TypeError, "ict_provider"),
        (dict(history=[{"year": 2020}]), TypeError, "IncidentHistory"),
    ],
)
def test_organisation_errors(kwargs, error, match):
    args = {"records": 1000, "annual_sales": 1e9, "sector": "retail"} | kwargs
    with pytest.raises(error, match=match):
        pc.Organisation(**args)


def test_unknown_sector_lists_the_known_ones():
    o = pc.Organisation(records=1000, annual_sales=1e9, sector="bakery")
    with pytest.raises(ValueError, match=r"unknown sector 'bakery'; the model knows: .*retail"):
        MODEL.frequency(o)


@pytest.mark.parametrize(
    ("rows", "error", "match"),
    [
        ([{"year": 2020, "records_held": 10, "incidents": -1}], ValueError, "row 1: incidents"),
        ([{"year": 2020, "records_held": 10, "incidents": 1.5}], ValueError, "row 1: incidents"),
        ([{"year": 2020, "records_held": -10, "incidents": 0}], ValueError, "row 1: records_held"),
        (
            [
                {"year": 2020, "records_held": 10, "incidents": 0},
                {"year": 2020, "records_held": 10, "incidents": 0},
            ],
            ValueError,
            "year 2020 appears more than once",
        ),
        (
            [{"year": 2020, "records_held": 10, "incidents": 1, "records_affected": [11]}],
            ValueError,
            r"row 1: year 2020, incident 1: records_affected \(11\) exceeds records_held \(10\)",
        ),
        (
            [{"year": 2020, "records_held": 10, "incidents": 2, "records_affected": [1]}],
            ValueError,
            "row 1: records_affected has 1 entries for 2 incidents",
        ),
        (
            [{"year": 2020, "records_held": 10}],
            ValueError,
            r"row 1: missing field\(s\) \['incidents'\]",
        ),
        (
            [{"year": 2020, "records_held": 10, "incidents": 0, "claims": 3}],
            ValueError,
            "unknown field",
        ),
        (
            [{"year": 2020, "records_held": 0, "incidents": 2}],
            ValueError,
            "2 incidents but records_held is 0",
        ),
        (
            [{"year": 2020, "records_held": 10, "incidents": 1, "costs": [{"consolation": -1.0}]}],
            ValueError,
            "cost of 'consolation' must be >= 0",
        ),
        ([{"year": "2020", "records_held": 10, "incidents": 0}], TypeError, "row 1: year"),
    ],
)
def test_history_errors_name_the_row_and_field(rows, error, match):
    with pytest.raises(error, match=match):
        pc.IncidentHistory.from_rows(rows)


def test_history_from_csv(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text(
        "year,records_held,incidents,records_affected,cost_consolation\n"
        "2022,2500000,0,,\n"
        "2023,3000000,2,40000;1200,5e7;0\n",
        encoding="utf-8",
    )
    h = pc.IncidentHistory.from_csv(path)
    assert h.total_incidents == 2
    assert h.years[1].details[0].records_affected == 40_000
    assert h.years[1].details[0].costs == {"consolation": 5e7}
    bad = tmp_path / "bad.csv"
    bad.write_text("year,records_held,incidents\n2023,1000,x\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.csv: row 1: incidents must be a number; got 'x'"):
        pc.IncidentHistory.from_csv(bad)
    typo = tmp_path / "typo.csv"
    typo.write_text("year,records,incidents\n2023,1000,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown column 'records'"):
        pc.IncidentHistory.from_csv(typo)
    # Excel and Notepad start UTF-8 files with a byte-order mark: not part of 'year'.
    bom = tmp_path / "bom.csv"
    bom.write_text("\ufeffyear,records_held,incidents\n2023,1000,1\n", encoding="utf-8")
    assert pc.IncidentHistory.from_csv(bom).total_incidents == 1


def test_history_rows_are_a_sequence_of_years():
    with pytest.raises(TypeError, match="a sequence of mappings, one per year; got a single dict"):
        pc.IncidentHistory.from_rows({"year": 2023, "records_held": 1000, "incidents": 1})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(limit=-1.0), "Policy.limit must be > 0"),
        (dict(limit=0.0), "Policy.limit must be > 0"),
        (dict(retention=-1.0), "Policy.retention must be >= 0"),
        (dict(retention=math.nan), "Policy.retention must be a number"),
        (dict(coinsurance=0.0), r"Policy.coinsurance must be in \[1e-06, 1\]"),
        (dict(per_incident_limit=-3.0), "Policy.per_incident_limit must be > 0"),
        (dict(aggregate_retention=-3.0), "Policy.aggregate_retention must be >= 0"),
        (
            dict(sublimits={"investigation": -1.0}),
            r"Policy.sublimits\['investigation'\] must be > 0",
        ),
        (dict(investigation="second"), "investigation"),
        (dict(covers="consolation"), "collection of category names"),
        # A mapping would give its keys whatever its values say: fines covered.
        (dict(covers={"fines": False, "consolation": True}), "collection of category names"),
        # A share so small that amounts divided by it leave floating point.
        (dict(coinsurance=1e-300), r"Policy.coinsurance must be in \[1e-06, 1\]; got 1e-300"),
    ],
)
def test_policy_errors(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        pc.Policy(**kwargs)


def test_policy_with_unknown_category_is_refused_by_the_model():
    o = pc.Organisation(records=1000, annual_sales=1e9, sector="retail")
    with pytest.raises(ValueError, match="unknown cost category 'investigaton'"):
        MODEL.expected_losses(o, pc.Policy(sublimits={"investigaton": 1e7}))
    with pytest.raises(ValueError, match="unknown cost category 'legal'"):
        MODEL.annual_loss(o, pc.Policy(covers=["legal"]))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: pc.PowerLawSize(p_total=1.2, k_min=10.0, exponent=0.5), "PowerLawSize.p_total"),
        (lambda: pc.PowerLawSize(p_total=0.1, k_min=0.0, exponent=0.5), "PowerLawSize.k_min"),
        (lambda: pc.PowerLawSize(p_total=0.1, k_min=10.0, exponent=-1.0), "PowerLawSize.exponent"),
        (lambda: pc.FixedFractionSize(0.0), "FixedFractionSize.fraction"),
        (lambda: pc.EmpiricalSize([0.5], [0.5, 0.5]), "one probability per fraction"),
        (lambda: pc.EmpiricalSize([0.1, 0.5], [0.5, 0.6]), r"EmpiricalSize.probs must sum to 1"),
        (lambda: pc.EmpiricalSize([], []), "EmpiricalSize.probs must have at least one entry"),
        (lambda: pc.LognormalCost(median=-1.0, elasticity=0.4, sigma=1.0), "LognormalCost.median"),
        (lambda: pc.ConsolationCost(award=1e5, award_cap=3e6, claim_rate=1.5), "claim_rate"),
        (lambda: pc.LognormalCost(1e6, 0.4, 1.0, trigger="always"), "trigger"),
        (lambda: pc.Litigation(0.05, 1.0, 0.5, k_small=1e6, k_large=1e4), "k_small < k_large"),
        (lambda: pc.FrequencyModel({"retail": 0.0}, 1e4, 0.6, 2.0), r"base_rate\['retail'\]"),
        (lambda: pc.FrequencyModel({"retail": 0.01}, 1e4, 0.6, -2.0), "FrequencyModel.shape"),
        (lambda: MODEL.annual_loss("org"), "org must be a picover Organisation"),
        (lambda: MODEL.with_params({"frequency.base_rate.retail": -0.1}), "base_rate"),
        (lambda: pc.BreachModel.preset("jp"), "unknown preset 'jp'"),
    ],
)
def test_model_component_errors(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_engine_options_are_checked_by_the_model():
    o = pc.Organisation(records=1000, annual_sales=1e9, sector="retail")
    with pytest.raises(ValueError, match="method must be one of"):
        MODEL.annual_loss(o, method="exact")
    with pytest.raises(ValueError, match="n_sims applies to method='mc' only"):
        MODEL.annual_loss(o, n_sims=10)
    with pytest.raises(ValueError, match="bucket applies to method='fft' only"):
        MODEL.annual_loss(o, method="mc", bucket=1e6)


def test_configuration_mappings_are_read_only_and_the_preset_stays_clean():
    model = pc.BreachModel.preset("kr")
    with pytest.raises(TypeError):
        model.costs["consolation"] = model.costs["attorney_fees"]  # type: ignore[index]
    with pytest.raises(TypeError):
        model.frequency_model.base_rate["retail"] = 1.0  # type: ignore[index]
    with pytest.raises(TypeError):
        model.sources["consolation.award"] = "mine"  # type: ignore[index]
    policy = pc.Policy(limit=1e9, sublimits={"investigation": 5e7})
    with pytest.raises(TypeError):
        policy.sublimits["investigation"] = -5e7  # type: ignore[index]
    assert pc.BreachModel.preset("kr").frequency_model.base_rate == MODEL.frequency_model.base_rate


def test_read_only_models_pickle_and_compare_equal():
    import pickle

    copy = pickle.loads(pickle.dumps(MODEL))
    assert copy == MODEL
    assert dict(copy.costs) == dict(MODEL.costs)


def test_whole_number_records_given_as_a_float_become_an_int():
    org = pc.Organisation(records=3e6, annual_sales=1e10, sector="retail")
    assert org.records == 3_000_000
    assert type(org.records) is int


def test_whole_number_breakpoints_are_breakpoints_too():
    # Only the type differs, so the quadrature must give the same figure.
    ints = MODEL.with_params({"fines.k_small": 30000, "fines.k_large": 3000000})
    floats = MODEL.with_params({"fines.k_small": 30000.0, "fines.k_large": 3000000.0})
    org = pc.Organisation(records=5_000_000, annual_sales=1e11, sector="retail")
    a, b = ints.expected_losses(org)["fines"], floats.expected_losses(org)["fines"]
    assert a == pytest.approx(b, rel=1e-12)


def test_a_claim_rate_of_one_is_refused_with_the_allowed_range():
    expected = r"ConsolationCost.claim_rate must be .*in \[0, 1\); got 1.0"
    with pytest.raises(ValueError, match=expected):
        pc.ConsolationCost(award=1e5, award_cap=3e6, claim_rate=1.0)


@pytest.mark.parametrize("value", ["5", True, [1.0, "2"]])
def test_numbers_as_text_or_booleans_are_refused(value):
    from picover import _checks

    with pytest.raises(TypeError, match="x must be a number or an array of numbers"):
        _checks.array("x", value)


def test_a_simulation_too_large_for_memory_is_refused_before_allocating():
    # 0.0016 a year gives 4e-4 incidents to 1,000 records: 20 a year (a rate far
    # above any real one, and within the model's 10,000) times 10^7 years.
    busy = MODEL.with_params({"frequency.base_rate.retail": 80.0})
    org = pc.Organisation(records=1000, annual_sales=1e9, sector="retail")
    with pytest.raises(ValueError, match=r"more than the 20,000,000 a simulation keeps"):
        busy.simulate(org, n_sims=10_000_000, seed=1)


def test_an_absurd_incident_rate_is_refused():
    # A reference of 1e-300 records made the count's quantile take minutes.
    absurd = MODEL.with_params({"frequency.reference_records": 1e-300})
    org = pc.Organisation(records=1000, annual_sales=1e9, sector="retail")
    with pytest.raises(ValueError, match=r"gives 1.00953e\+179 incidents a year, above 10,000"):
        absurd.expected_losses(org)
    with pytest.raises(ValueError, match="incidents a year, above 10,000"):
        pc.price_portfolio({"records": [1000], "annual_sales": [1e9], "sector": ["retail"]},
                           model=absurd, outputs=("expected_ground_up",))  # fmt: skip
    with pytest.raises(ValueError, match=r"LognormalCost.median must be in \(0, 1e\+18\]"):
        MODEL.with_params({"attorney_fees.median": 1e300})


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("frequency_model", {"base_rate": 0.1}, "frequency_model must be a FrequencyModel"),
        ("breach_size", 0.5, "'breach_size' must follow the BreachSize interface"),
        ("litigation", None, "BreachModel.litigation must be a Litigation"),
        ("sources", {"consolation.award": 100000}, "must map parameter paths to text"),
    ],
)
def test_model_parts_are_checked(field, value, match):
    import attrs

    with pytest.raises(TypeError, match=match):
        attrs.evolve(MODEL, **{field: value})


def test_a_sublimit_on_a_category_the_policy_does_not_pay_is_refused():
    # Fines are not insurable by default: their sublimit would be dropped unread.
    model = pc.BreachModel.preset("kr")
    org = pc.Organisation(records=10_000, annual_sales=1e9, sector="retail")
    with pytest.raises(ValueError, match=r"sublimit for \['fines'\], which it does not cover"):
        model.expected_losses(org, pc.Policy(limit=1e9, sublimits={"fines": 1e6}))
    with pytest.raises(ValueError, match=r"sublimit for \['investigation'\]"):
        model.expected_losses(
            org, pc.Policy(investigation="none", sublimits={"investigation": 1e6})
        )


def test_history_files_and_rows_are_read_strictly(tmp_path):
    def write(name, text, encoding="utf-8"):
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    with pytest.raises(ValueError, match=r"empty.csv: no rows"):
        pc.IncidentHistory.from_csv(write("empty.csv", "year,records_held,incidents\n"))
    # A blank entry would shift every later one to the wrong incident.
    gap = "year,records_held,incidents,records_affected\n2023,1000,2,5;;6\n"
    with pytest.raises(ValueError, match=r"records_affected: an empty entry in '5;;6'"):
        pc.IncidentHistory.from_csv(write("gap.csv", gap))
    latin = write("latin.csv", "year,records_held,incidents\n2023,1000,1 # caf\xe9\n", "latin-1")
    with pytest.raises(ValueError, match=r"latin.csv: not UTF-8 text"):
        pc.IncidentHistory.from_csv(latin)
    # Costs without an incidents column: the missing column is named.
    costs = "year,records_held,cost_investigation\n2023,1000,5e6\n"
    with pytest.raises(ValueError, match="incidents"):
        pc.IncidentHistory.from_csv(write("costs.csv", costs))
    # The count of incidents is checked before it counts the cost entries.
    for value, message in [
        ("inf", "incidents must be a whole number; got inf"),
        ("1e400", "incidents must be a whole number; got inf"),
        ("nan", "incidents must be a whole number; got nan"),
        ("2.5", "incidents must be a whole number; got 2.5"),
        ("-1", r"incidents must be a whole number in \[0, inf\]; got -1"),
    ]:
        text = f"year,records_held,incidents,cost_investigation\n2023,1000,{value},5e6\n"
        path = write("count.csv", text)
        with pytest.raises(ValueError, match=rf"^{re.escape(str(path))}: row 1: {message}$"):
            pc.IncidentHistory.from_csv(path)
    # Held records as bounded as an organisation's (10^20 once made the premium 0.87 KRW).
    held = r"records_held must be a whole number in \[0, 10000000000\]"
    with pytest.raises(ValueError, match=held):
        pc.IncidentHistory.from_rows([{"year": 2023, "records_held": 10**20, "incidents": 1}])


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (("x", 1e9), TypeError, r"CostContext.records must be a number"),
        ((1e4, float("nan")), ValueError, r"CostContext.annual_sales must be finite and >= 0"),
        ((np.array([[1e4], [-1.0]]), 1e9), ValueError, r"CostContext.records must be finite"),
    ],
)
def test_a_cost_context_takes_only_amounts(args, error, match):
    with pytest.raises(error, match=match):
        pc.model.costs.CostContext(*args)


def test_a_frequency_estimate_is_validated():
    from picover.model.frequency import FrequencyEstimate

    with pytest.raises(ValueError, match=r"FrequencyEstimate.prior_mean must be >= 0"):
        FrequencyEstimate(-1.0, 0.1, 0.0, 2.0, 20.0, 0, 0, 0.0)
    with pytest.raises(ValueError, match=r"FrequencyEstimate.credibility must be"):
        FrequencyEstimate(0.1, 0.1, 1.5, 2.0, 20.0, 0, 0, 0.0)
    with pytest.raises(ValueError, match=r"FrequencyEstimate.years_observed must be a whole"):
        FrequencyEstimate(0.1, 0.1, 0.0, 2.0, 20.0, 1.5, 0, 0.0)


@pytest.mark.parametrize(
    "name", ["frequency", "breach_size", "litigation", "policy", "premium", "organisation"]
)
def test_a_cost_category_may_not_take_another_branchs_name(name):
    # A cost named "frequency" would replace the frequency model in every parameter
    # path ("frequency.base_rate.retail"); "premium" would shadow the premium basis.
    import attrs

    crisis = MODEL.costs["crisis_management"]
    with pytest.raises(ValueError, match=f"cost category name '{name}' is taken"):
        attrs.evolve(MODEL, costs={**MODEL.costs, name: crisis})


def test_a_cost_category_with_the_old_quantile_hook_is_told_its_new_name():
    import attrs

    @attrs.frozen
    class OldStyle:
        base: object

        trigger = "incident"
        insurable = True

        def mean(self, k, ctx):
            return self.base.mean(k, ctx)

        def limited_mean(self, k, ctx, limit):
            return self.base.limited_mean(k, ctx, limit)

        def severity(self, k, ctx):
            return self.base.severity(k, ctx)

        def rvs(self, k, ctx, rng):
            return self.base.rvs(k, ctx, rng)

        def quantile(self, q, k, ctx):
            return self.base.ppf(q, k, ctx)

    old = OldStyle(MODEL.costs["investigation"])
    message = r"'investigation' \(OldStyle\) has quantile\(\) but no ppf"
    with pytest.warns(UserWarning, match=message):
        model = attrs.evolve(MODEL, costs={**MODEL.costs, "investigation": old})
    assert model.costs["investigation"] is old
