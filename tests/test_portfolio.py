"""Books of organisations: batch results equal single quotes; bad tables; dask."""

from __future__ import annotations

import datetime
import math
import warnings

import attrs
import numpy as np
import pytest

import picover as pc
from picover.analysis.table import from_text

DAY = datetime.date(2025, 1, 1)
MODEL = pc.BreachModel.preset("kr")
SECTORS = sorted(MODEL.frequency_model.base_rate)


def book(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "records": np.rint(np.exp(rng.uniform(np.log(50), np.log(5e7), n))).astype(int),
        "annual_sales": np.exp(rng.uniform(np.log(1e8), np.log(1e12), n)),
        "sector": rng.choice(SECTORS, n),
        "years_observed": rng.integers(0, 6, n),
        "incidents": np.zeros(n, dtype=int),
        "ict_provider": rng.random(n) < 0.3,
        "entity_type": rng.choice(["private", "private", "private", "public", "non_profit"], n),
    }


def org_of(cols: dict, i: int) -> pc.Organisation:
    years = int(cols["years_observed"][i])
    history = None
    if years:
        history = pc.IncidentHistory.from_rows(
            {"year": 2020 + y, "records_held": int(cols["records"][i]),
             "incidents": int(cols["incidents"][i]) if y == 0 else 0}
            for y in range(years)
        )  # fmt: skip
    return pc.Organisation(
        records=int(cols["records"][i]),
        annual_sales=float(cols["annual_sales"][i]),
        sector=str(cols["sector"][i]),
        history=history,
        ict_provider=bool(cols["ict_provider"][i]),
        entity_type=str(cols["entity_type"][i]),
    )


def test_batch_equals_single_organisations_on_a_mixed_book():
    cols = book(1000)
    cols["incidents"] = np.where(cols["years_observed"] > 0, np.arange(1000) % 3, 0)
    # Sublimits and coinsurance keep the insured expectation in closed form.
    policy = pc.Policy(sublimits={"investigation": 5e7}, coinsurance=0.9)
    res = pc.price_portfolio(
        cols, policy, outputs=("expected_ground_up", "expected_insured", "statutory_minimum",
                               "obligation"), as_of=DAY,
    )  # fmt: skip
    for i in range(1000):
        org = org_of(cols, i)
        gu = MODEL.expected_losses(org)["total"]
        assert res["expected_ground_up"][i] == pytest.approx(gu, rel=1e-9)
        ins = MODEL.expected_losses(org, policy)["total"]
        assert res["expected_insured"][i] == pytest.approx(ins, rel=1e-9)
        duty = pc.statutory.kr.obligation(org, as_of=DAY)
        assert bool(res["obligation"][i]) == duty.required
        if duty.required:
            assert res["statutory_minimum"][i] == duty.minimum_coverage
        else:
            assert math.isnan(res["statutory_minimum"][i])


def test_batch_premiums_and_limits_equal_single_quotes():
    cols = book(40, seed=1)
    policy = pc.Policy(limit=1e9, retention=1e7)
    res = pc.price_portfolio(cols, policy, as_of=DAY)
    for i in range(40):
        org = org_of(cols, i)
        q = pc.quote(org, policy, as_of=DAY)
        assert res["expected_insured"][i] == pytest.approx(q.expected_insured["total"], rel=1e-9)
        assert res["premium"][i] == pytest.approx(q.premium.gross, rel=1e-9)
        rec = pc.recommend_coverage(org, as_of=DAY)
        assert res["recommended_limit"][i] == rec.limit
    assert list(res.columns)[:3] == ["records", "annual_sales", "sector"]
    records = res.to_records()
    assert set(records[0]) >= {"records", "premium", "obligation"}
    assert str(res).startswith("amounts in KRW\n")
    assert "premium" in str(res)


def test_per_row_policies_and_inputs_as_rows_or_dataframe():
    import pandas as pd

    rows = [
        {"records": 20_000, "annual_sales": 3e9, "sector": "retail", "name": "a"},
        {"records": 2_000_000, "annual_sales": 90e9, "sector": "finance", "name": "b"},
    ]
    policies = [pc.Policy(limit=5e7), pc.Policy(limit=1e9, retention=1e7)]
    from_rows = pc.price_portfolio(rows, policies, outputs=("premium",), as_of=DAY)
    from_frame = pc.price_portfolio(pd.DataFrame(rows), policies, outputs=("premium",), as_of=DAY)
    assert np.array_equal(from_rows["premium"], from_frame["premium"])
    assert from_rows["name"].tolist() == ["a", "b"]
    for i, row in enumerate(rows):
        org = pc.Organisation(row["records"], row["annual_sales"], row["sector"])
        assert from_rows["premium"][i] == pytest.approx(
            pc.quote(org, policies[i], as_of=DAY).premium.gross, rel=1e-12
        )
    frame = from_rows.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert frame.attrs["currency"] == "KRW"  # the unit of its money columns


def _incidents_without_years(cols):
    del cols["years_observed"]
    cols["incidents"] = np.arange(6)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda c: c.pop("sector"), r"lacks required column\(s\) \['sector'\]"),
        (lambda c: c["records"].__setitem__(3, -5), r"row 3, column 'records': -5"),
        (lambda c: c["records"].__setitem__(2, 0), r"row 2, column 'records'"),
        (
            lambda c: c["annual_sales"].__setitem__(1, np.nan),
            r"row 1, column 'annual_sales': the value is missing; expected a number in",
        ),
        (lambda c: c["sector"].__setitem__(4, "bakery"), r"row 4, column 'sector': unknown value"),
        (lambda c: c.update(incident=c.pop("incidents")), "did you mean 'incidents'"),
        (
            lambda c: c.update(years_observed=np.zeros(6), incidents=np.ones(6)),
            r"row 0, column 'incidents'",
        ),
        (lambda c: c.update(records=np.arange(3)), "equal length"),
        # Half a history summary would read as years without incidents.
        (lambda c: c.pop("incidents"), "has column 'years_observed' but not 'incidents'"),
        # Incidents without the years they were seen in: refused unless none occurred.
        (_incidents_without_years, r"row 1, column 'incidents': 1 incidents with years_observed 0"),
        # The Organisation's bounds, whatever the outputs asked for.
        (lambda c: c["records"].__setitem__(5, 10**12), r"row 5, column 'records'.*1e\+10\]"),
        (lambda c: c["annual_sales"].__setitem__(0, 1e17), r"row 0, column 'annual_sales'"),
        # Text from Python is taken as given, not read as a number (a CSV file's is).
        (
            lambda c: c.update(annual_sales=np.array(["1,000,000"] * 6, dtype=object)),
            r"row 0, column 'annual_sales': '1,000,000' is text, not a number",
        ),
        (
            lambda c: c.update(ict_provider=np.array([True] * 5 + ["yes"], dtype=object)),
            r"row 5, column 'ict_provider': 'yes' is text, not true or false",
        ),
        # 1 and 0 are flags, as floats too (pandas reads a 0/1 column with a blank
        # cell as floats); a blank is missing, and any other number is refused.
        (
            lambda c: c.update(ict_provider=np.array([1.0, 0.0, np.nan, 0.0, 1.0, 0.5])),
            r"row 2, column 'ict_provider': the value is missing",
        ),
        (
            lambda c: c.update(ict_provider=np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.5])),
            r"row 5, column 'ict_provider': 0\.5 is not true or false",
        ),
        (
            lambda c: c.update(ict_provider=np.array([1, 0, 1, 0, 1, 2])),
            r"row 5, column 'ict_provider': 2 is not true or false",
        ),
    ],
)
def test_bad_tables_name_the_row_and_column(change, match):
    cols = {
        "records": np.array([10, 20, 30, 40, 50, 60]),
        "annual_sales": np.full(6, 1e9),
        "sector": np.array(["retail"] * 6, dtype=object),
        "years_observed": np.full(6, 2),
        "incidents": np.zeros(6, dtype=int),
    }
    change(cols)
    with pytest.raises(ValueError, match=match):
        pc.price_portfolio(cols, pc.Policy(), outputs=("expected_ground_up",), as_of=DAY)


def test_a_csv_files_text_is_read_and_its_mistakes_named():
    rows = [
        {"records": "40,000", "annual_sales": "3e9", "sector": "retail", "ict_provider": "Yes"},
        {"records": "5", "annual_sales": "1_000_000", "sector": "retail", "ict_provider": "0"},
    ]
    parsed = from_text(rows)
    assert [r["records"] for r in parsed] == [40_000.0, 5.0]
    assert [r["annual_sales"] for r in parsed] == [3e9, 1e6]
    assert [r["ict_provider"] for r in parsed] == [True, False]
    res = pc.price_portfolio(parsed, pc.Policy(), outputs=("expected_ground_up",), as_of=DAY)
    assert res["records"].tolist() == [40_000, 5]
    # A decimal comma is not a thousands separator: refused, not read as 35.
    with pytest.raises(ValueError, match=r"row 1, column 'annual_sales': '3,5' is not a number"):
        from_text([rows[0], {**rows[1], "annual_sales": "3,5"}])
    with pytest.raises(ValueError, match=r"row 0, column 'ict_provider': 'maybe' is not true"):
        from_text([{**rows[0], "ict_provider": "maybe"}])
    with pytest.raises(TypeError, match=r"row 0, column 'records': from_text reads a file's"):
        from_text([{**rows[0], "records": 40_000}])
    # Beyond a float, or not a number at all: named as written, not as inf or nan.
    for cell in ("1e400", "nan", "-inf"):
        with pytest.raises(ValueError, match=f"row 0, column 'records': '{cell}' is not a finite"):
            from_text([{**rows[0], "records": cell}])


def test_numpy_numbers_in_an_object_column_are_flags_too():
    # Row dicts built from numpy values (np.int64 0/1, np.bool_) are flags as the
    # plain Python ones are.
    rows = [
        {"records": np.int64(5_000), "annual_sales": np.float64(2e8), "sector": "retail",
         "ict_provider": np.int64(1)},
        {"records": 3_000_000, "annual_sales": 120e9, "sector": "retail",
         "ict_provider": np.bool_(False)},
    ]  # fmt: skip
    res = pc.price_portfolio(rows, pc.Policy(), outputs=("obligation",), as_of=DAY)
    assert res["ict_provider"].tolist() == [True, False]
    with pytest.raises(ValueError, match=r"row 0, column 'ict_provider': 2 is not true or false"):
        pc.price_portfolio([{**rows[0], "ict_provider": np.int64(2)}, rows[1]], pc.Policy(),
                           outputs=("obligation",), as_of=DAY)  # fmt: skip


def test_other_bad_input():
    with pytest.raises(TypeError, match="dict of columns"):
        pc.price_portfolio(42, pc.Policy(), as_of=DAY)
    with pytest.raises(ValueError, match=r"outputs \['premium'\] need a policy"):
        pc.price_portfolio(book(3), None, outputs=("premium",), as_of=DAY)
    with pytest.raises(ValueError, match="outputs must be one of"):
        pc.price_portfolio(book(3), pc.Policy(), outputs=("profit",), as_of=DAY)
    with pytest.raises(ValueError, match="one per organisation"):
        pc.price_portfolio(book(3), [pc.Policy()], as_of=DAY)
    # A dict of terms iterates as its keys: refused once as "policies[0] ... got str".
    with pytest.raises(TypeError, match="policy must be a Policy or a sequence of them; got dict"):
        pc.price_portfolio(book(2), {"limit": 1e9, "retention": 0.0}, as_of=DAY)
    with pytest.raises(ValueError, match=r"partitions must be a whole number in \[1, inf\]"):
        pc.price_portfolio(book(3), pc.Policy(), engine="dask", partitions=0, as_of=DAY)
    with pytest.raises(TypeError, match="partitions must be a whole number"):
        pc.price_portfolio(book(3), pc.Policy(), engine="dask", partitions=True, as_of=DAY)
    with pytest.raises(ValueError, match="ladder must be strictly increasing"):
        pc.price_portfolio(book(3), pc.Policy(), ladder=[1e9, 1e8], as_of=DAY)
    # Checked though no output recommends a limit or shows a bar: a slip must not
    # wait for the run that needs it.
    only = {"outputs": ("expected_ground_up",), "as_of": DAY}
    with pytest.raises(ValueError, match="ladder must be strictly increasing"):
        pc.price_portfolio(book(3), ladder=[1e9, 1e8], **only)
    with pytest.raises(ValueError, match=r"target must be .* got 2\.0"):
        pc.price_portfolio(book(3), target=2.0, **only)
    with pytest.raises(TypeError, match="progress must be True, False or None; got str 'yes'"):
        pc.price_portfolio(book(3), progress="yes", **only)
    with pytest.raises(ValueError, match="row 1, column 'records': 'many' is text, not a number"):
        pc.price_portfolio(
            [{"records": 5, "annual_sales": 1e9, "sector": "retail"},
             {"records": "many", "annual_sales": 1e9, "sector": "retail"}],
            pc.Policy(), outputs=("expected_ground_up",), as_of=DAY,
        )  # fmt: skip


def test_columns_given_as_lists_keep_what_each_value_is():
    # numpy would make True a 1 (one record, 1 KRW of sales) and 10 a complex number
    # beside 1+2j (so that row 0 would be named): each value is judged as given.
    def price(records, **more):
        table = {"records": records, "annual_sales": [1e9, 2e9], "sector": ["retail"] * 2}
        return pc.price_portfolio(table | more, outputs=("expected_ground_up",), as_of=DAY)

    with pytest.raises(ValueError, match="row 0, column 'records': True is not a number"):
        price([True, 20_000])
    with pytest.raises(ValueError, match=r"row 1, column 'records': \(1\+2j\) is not a number"):
        price([10, 1 + 2j])
    with pytest.raises(ValueError, match=r"row 1, column 'records': \[1, 2\] is not a number"):
        price([10, [1, 2]])
    with pytest.raises(ValueError, match="row 1, column 'ict_provider'"):
        price([10, 20], ict_provider=[True, 2])
    # Plain lists still price as arrays do.
    listed = price([10, 20_000])["expected_ground_up"]
    arrays = pc.price_portfolio(
        {"records": np.array([10, 20_000]), "annual_sales": np.array([1e9, 2e9]),
         "sector": np.array(["retail"] * 2)}, outputs=("expected_ground_up",), as_of=DAY,
    )["expected_ground_up"]  # fmt: skip
    assert np.array_equal(listed, arrays)
    # Bytes are not text, and a number is no column name: neither is made into one.
    with pytest.raises(ValueError, match=r"row 0, column 'sector': b'retail' is bytes, not text"):
        price([10, 20], sector=np.array([b"retail", b"retail"]))
    with pytest.raises(ValueError, match=r"row 0, column 'entity_type': b'public' is bytes"):
        price([10, 20], entity_type=[b"public", "private"])
    table = {"records": [10], "annual_sales": [1e9], "sector": ["retail"], 5: [1]}
    with pytest.raises(TypeError, match=r"column names must be text; got int 5"):
        pc.price_portfolio(table, outputs=("expected_ground_up",), as_of=DAY)


def test_columns_that_would_be_mistaken_are_refused():
    import pandas as pd

    base = {"records": [5_000], "annual_sales": [1e8], "sector": ["retail"]}
    # An input named like an output would pass for a computed figure, or be overwritten.
    with pytest.raises(ValueError, match="column 'premium' has the name of an output"):
        pc.price_portfolio(base | {"premium": [123.0]}, pc.Policy(),
                           outputs=("expected_ground_up",), as_of=DAY)  # fmt: skip
    # A statutory flag in other case or spacing would be carried through unread, and
    # the duty (here an ICT provider's) silently missed.
    for name in ("ICT_Provider", "ict provider", "Equivalent-Cover", "ict", "incident_count",
                 "entity", "records_2024"):  # fmt: skip
        with pytest.raises(ValueError, match=f"column '{name}' is not known; did you mean"):
            pc.price_portfolio(base | {name: [True]}, outputs=("obligation",), as_of=DAY)
    # A trailing comma in a CSV header makes a column without a name.
    with pytest.raises(ValueError, match=r"a column has no name \(''\)"):
        pc.price_portfolio(base | {"": [1]}, outputs=("obligation",), as_of=DAY)
    # Unrelated columns are carried through.
    carried = {"customer_id": ["c-17"], "name_en": ["Shop"], "sector_code": ["G47"],
               "year": [2024], "entity_id": [7]}  # fmt: skip
    res = pc.price_portfolio(base | carried, outputs=("obligation",), as_of=DAY)
    assert res["customer_id"].tolist() == ["c-17"]
    assert res["sector_code"].tolist() == ["G47"]
    # A lone text is no column (it would be read letter by letter).
    with pytest.raises(TypeError, match="a table column must be a list or array of values"):
        pc.price_portfolio(base | {"name": "ab"}, outputs=("obligation",), as_of=DAY)
    frame = pd.DataFrame([[10, 1e9, "retail", 20]], columns=["records", "annual_sales",
                                                              "sector", "records"])  # fmt: skip
    with pytest.raises(ValueError, match=r"more than one column named \['records'\]"):
        pc.price_portfolio(frame, outputs=("expected_ground_up",), as_of=DAY)


def test_a_long_history_summary():
    # The summary's years end the year before the quote; a history starts in 1900
    # at the earliest, so 125 years is the most as of 2025, and the recommendation
    # (which checks the history against the date) takes it.
    table = {"records": [50_000], "annual_sales": [3e9], "sector": ["retail"],
             "years_observed": [125], "incidents": [1]}  # fmt: skip
    res = pc.price_portfolio(table, outputs=("recommended_limit",), as_of=DAY)
    org = pc.Organisation(50_000, 3e9, "retail", history=pc.IncidentHistory.from_rows(
        {"year": 1900 + y, "records_held": 50_000, "incidents": int(y == 0)} for y in range(125)
    ))  # fmt: skip
    assert res["recommended_limit"][0] == pc.recommend_coverage(org, as_of=DAY).limit
    # Whatever the excess, the message quotes the date's own cap (not HistoryYear's 301).
    for years in (126, 500):
        with pytest.raises(ValueError, match=rf"row 0, column 'years_observed': {years} is not "
                           r"allowed; expected a whole number in \[0, 125\] \(the years "
                           "observed end in 2024, and a history starts in 1900"):  # fmt: skip
            pc.price_portfolio(table | {"years_observed": [years]},
                               outputs=("recommended_limit",), as_of=DAY)  # fmt: skip


def test_expected_losses_stay_within_the_memory_bound():
    # A tiny memory bound forces many chunks; the figures do not change.
    cols = book(500, seed=2)
    small = pc.price_portfolio(cols, pc.Policy(), outputs=("expected_ground_up",), as_of=DAY,
                               max_memory=2**20)  # fmt: skip
    large = pc.price_portfolio(cols, pc.Policy(), outputs=("expected_ground_up",), as_of=DAY)
    assert np.allclose(small["expected_ground_up"], large["expected_ground_up"], rtol=1e-13)


def test_obligation_arrays_match_the_single_check():
    cols = book(400, seed=3)
    # Every exemption flag, alone and together (small businesses with and without
    # their processing outsourced, the two halves of one exemption).
    rng = np.random.default_rng(4)
    cols["entity_type"] = rng.choice(["private", "public", "non_profit", "small_business"], 400)
    flags = {name: rng.random(400) < 0.3 for name in ("equivalent_cover", "processing_outsourced")}
    for day in (datetime.date(2019, 1, 1), datetime.date(2020, 6, 1), DAY):
        req, amount = pc.statutory.kr.obligation_arrays(
            cols["records"], cols["annual_sales"], as_of=day, ict_provider=cols["ict_provider"],
            entity_type=cols["entity_type"], **flags,
        )  # fmt: skip
        for i in range(400):
            one = attrs.evolve(org_of(cols, i), **{k: bool(v[i]) for k, v in flags.items()})
            duty = pc.statutory.kr.obligation(one, as_of=day)
            assert bool(req[i]) == duty.required
            assert (math.isnan(amount[i]) and duty.minimum_coverage is None) or (
                amount[i] == duty.minimum_coverage
            )


def test_obligation_arrays_refuse_text_flags_and_broadcast_all():
    kr = pc.statutory.kr
    with pytest.raises(TypeError, match=r"ict_provider must be True/False .* \['false'\]"):
        kr.obligation_arrays([50_000], [2e9], as_of=datetime.date(2024, 1, 1),
                             ict_provider=["false"])  # fmt: skip
    with pytest.raises(TypeError, match="equivalent_cover must be True/False"):
        kr.obligation_arrays([50_000], [2e9], as_of=DAY, equivalent_cover=[0, 1])
    # Flags as arrays with one organisation's figures as scalars: one row per flag.
    req, amount = kr.obligation_arrays(50_000, 2e9, as_of=DAY, equivalent_cover=[False, True])
    assert req.tolist() == [True, False]
    assert amount[0] == 5e7
    assert math.isnan(amount[1])
    # Lengths that do not match say which arguments, not numpy's "arg 0 and arg 1".
    with pytest.raises(ValueError, match=r"got shapes records \(3,\), annual_sales \(2,\)"):
        kr.obligation_arrays([1, 2, 3], [1e9, 2e9], as_of=DAY)


def test_threads_give_the_one_thread_numbers():
    # Rows under three policies: one in closed form (sublimit, coinsurance), two
    # that need each row's distribution; histories with incidents move rates.
    cols = book(36, seed=7)
    cols["incidents"] = np.where(cols["years_observed"] > 0, np.arange(36) % 3, 0)
    policies = [
        pc.Policy(sublimits={"investigation": 5e7}, coinsurance=0.9),
        pc.Policy(limit=1e9, retention=1e7),
        pc.Policy(limit=5e8, per_incident_limit=2e8, aggregate_retention=2e7),
    ]
    per_row = [policies[i % 3] for i in range(36)]
    one = pc.price_portfolio(cols, per_row, as_of=DAY)
    for workers in (3, -1):
        many = pc.price_portfolio(cols, per_row, as_of=DAY, workers=workers)
        assert list(many.columns) == list(one.columns)
        for name, values in one.columns.items():
            # Equal to the last bit (NaN where one thread has NaN), not merely close.
            assert np.array_equal(many[name], values, equal_nan=values.dtype.kind == "f"), name
    # More threads than rows, and a book of one row.
    few = {k: v[:3] for k, v in cols.items()}
    got = pc.price_portfolio(few, per_row[:3], as_of=DAY, workers=8)
    assert np.array_equal(got["premium"], one["premium"][:3], equal_nan=True)
    single = {k: v[:1] for k, v in cols.items()}
    got = pc.price_portfolio(single, per_row[:1], as_of=DAY, workers=2)
    assert got["expected_insured"].tolist() == one["expected_insured"][:1].tolist()


def test_a_failing_block_stops_the_threads(monkeypatch):
    from picover.analysis import batch

    real = batch._price
    calls = []

    def failing(cols, *args):
        calls.append(len(cols["records"]))
        if len(calls) == 2:
            raise RuntimeError("block two failed")
        return real(cols, *args)

    monkeypatch.setattr(batch, "_price", failing)
    with pytest.raises(RuntimeError, match="block two failed"):
        pc.price_portfolio(book(64), pc.Policy(), outputs=("expected_ground_up",), as_of=DAY,
                           workers=2)  # fmt: skip


def test_bad_workers():
    from picover.analysis.threads import thread_count

    cpus = thread_count(-1)
    assert cpus >= 1
    assert thread_count(-cpus) == 1
    table = book(3)
    for bad, error, message in [
        (0, ValueError, "workers must be a positive count of threads, or from -1 to"),
        (-(cpus + 1), ValueError, rf"or from -1 to -{cpus} to count back from the {cpus} CPUs"),
        (1.5, ValueError, "workers must be a whole number; got 1.5"),
        (True, TypeError, "workers must be a whole number; got True"),
        ("2", TypeError, "workers must be a whole number; got"),
    ]:
        with pytest.raises(error, match=message):
            pc.price_portfolio(table, pc.Policy(), as_of=DAY, workers=bad)
    with pytest.raises(ValueError, match="workers applies to engine='numpy' only"):
        pc.price_portfolio(table, pc.Policy(), as_of=DAY, engine="dask", workers=2)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_dask_gives_the_in_process_numbers():
    distributed = pytest.importorskip("dask.distributed")
    cols = book(60, seed=4)
    policy = pc.Policy(limit=1e9, retention=1e7)
    outputs = ("expected_ground_up", "expected_insured", "premium", "obligation")
    local = pc.price_portfolio(cols, policy, outputs=outputs, as_of=DAY)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        spread = pc.price_portfolio(
            cols, policy, outputs=outputs, as_of=DAY, engine="dask", client=client, partitions=5
        )
    for name in outputs:
        assert np.array_equal(local[name], spread[name]), name


def test_ground_up_total_counts_endorsed_categories_as_the_quote_does():
    # A policy covering the fines by endorsement: the quote's ground-up total
    # counts them (to compare with the insured), and so does each book row.
    shop = pc.Organisation(records=3_000_000, annual_sales=120e9, sector="retail")
    everything = pc.Policy(limit=1e9, covers=list(pc.BreachModel.preset("kr").costs))
    table = {"records": [shop.records] * 2, "annual_sales": [shop.annual_sales] * 2,
             "sector": [shop.sector] * 2}  # fmt: skip
    got = pc.price_portfolio(
        table, [pc.Policy(limit=1e9), everything], outputs=("expected_ground_up",), as_of=DAY
    ).columns["expected_ground_up"]
    for value, policy in zip(got, (pc.Policy(limit=1e9), everything), strict=True):
        want = pc.quote(shop, policy, as_of=DAY).expected_ground_up["total"]
        assert value == pytest.approx(want, rel=1e-12)
    assert got[1] > got[0]  # the fines


def test_the_result_shares_no_memory_with_the_table():
    table = {"records": np.array([10, 20]), "annual_sales": np.array([1e9, 2e9]),
             "sector": np.array(["retail", "finance"])}  # fmt: skip
    res = pc.price_portfolio(table, pc.Policy(), outputs=("expected_ground_up",), as_of=DAY)
    for name, column in table.items():
        assert not np.shares_memory(res.columns[name], column), name


def test_without_a_policy_the_default_outputs_are_those_that_need_none():
    res = pc.price_portfolio(book(3), as_of=DAY, progress=False)
    assert "premium" not in res.columns
    assert "expected_insured" not in res.columns
    for name in ("expected_ground_up", "recommended_limit", "statutory_minimum", "obligation"):
        assert res[name].shape == (3,)


def test_a_column_of_no_incidents_alone_is_no_history():
    # incidents 0 without years_observed says nothing: priced as without the column.
    day = DAY
    table = {"records": [40_000], "annual_sales": [3e9], "sector": ["retail"]}
    plain = pc.price_portfolio(table, pc.Policy(limit=1e9), outputs=("premium",), as_of=day)
    zero = pc.price_portfolio(table | {"incidents": [0]}, pc.Policy(limit=1e9),
                              outputs=("premium",), as_of=day)  # fmt: skip
    assert zero["premium"].tolist() == plain["premium"].tolist()


BIG = pc.Organisation(records=30_000_000, annual_sales=9e11, sector="online_platform")
SHOP = pc.Organisation(records=5_000, annual_sales=2e8, sector="retail")


def table_of(orgs: list[pc.Organisation]) -> dict[str, list]:
    return {"records": [o.records for o in orgs], "annual_sales": [o.annual_sales for o in orgs],
            "sector": [o.sector for o in orgs]}  # fmt: skip


@pytest.mark.parametrize("workers", [None, 2])
def test_a_book_warns_once_of_the_rows_whose_limit_misses_the_target(workers):
    # On a ladder ending at 1e8 the big platform's best (its statutory minimum of
    # 1e9 above the ladder) still misses 1%: recommend_coverage warns, and so does
    # the book, once for all six such rows (in threads too: rows counted across blocks).
    ladder = [5e7, 1e8]
    with pytest.warns(RuntimeWarning, match="no limit on the ladder meets the target"):
        rec = pc.recommend_coverage(BIG, ladder=ladder, as_of=DAY)
    orgs = [BIG, SHOP, BIG, BIG, SHOP, BIG, BIG, BIG]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = pc.price_portfolio(table_of(orgs), outputs=("recommended_limit",), ladder=ladder,
                                 as_of=DAY, workers=workers)  # fmt: skip
    assert [type(w.message) for w in caught] == [RuntimeWarning]
    assert str(caught[0].message) == (
        "no limit on the ladder meets the target for 6 of 8 organisations (rows 0, 2, 3, 5, 6 "
        "and 1 more): P(loss > limit) is above 0.01 at the recommended limit (row 0: "
        f"P(loss > 1,000,000,000) = {rec.exceedance:.3g} against 0.01; the ladder ends at "
        "100,000,000 KRW); give a ladder reaching higher"
    )
    assert res["recommended_limit"].tolist() == [rec.limit if o is BIG else 5e7 for o in orgs]
    # A ladder reaching high enough: no warning (warnings are errors in the tests).
    pc.price_portfolio(table_of([BIG, SHOP]), outputs=("recommended_limit",), as_of=DAY)


@pytest.mark.parametrize(
    ("premium", "match"),
    [
        ("x", r"^premium must be a PremiumBasis or None; got str 'x'$"),
        (pc.PremiumBasis, r"got the class PremiumBasis itself; pass an instance: PremiumBasis\(\)"),
        (pc.ExpectedValue(0.1), r"got the principle ExpectedValue\(loading=0\.1\): wrap it as "
         r"PremiumBasis\(ExpectedValue\(loading=0\.1\)\)$"),
        (pc.CostOfCapital, r"got the class CostOfCapital itself; pass an instance wrapped in a "
         r"basis: PremiumBasis\(CostOfCapital\(\.\.\.\)\)$"),
    ],
)  # fmt: skip
def test_a_premium_that_is_no_basis_is_refused_by_name(premium, match):
    # Refused before any work, whatever the outputs (one that sets no premium too),
    # with the words recommend_coverage and quote use for theirs.
    for outputs in (("premium",), ("obligation",)):
        with pytest.raises(TypeError, match=match):
            pc.price_portfolio(table_of([SHOP]), pc.Policy(limit=1e9), premium=premium,
                               outputs=outputs, as_of=DAY)  # fmt: skip
    for rule in ("cost_of_risk", "exceedance"):
        with pytest.raises(TypeError, match=match):
            pc.recommend_coverage(SHOP, rule=rule, premium=premium, as_of=DAY)
    with pytest.raises(TypeError, match=match):
        pc.quote(SHOP, pc.Policy(limit=1e9), premium=premium, as_of=DAY)


def test_masked_cells_are_missing_values_not_data():
    # np.asarray hands on the data under the mask: it would be priced (or, in a
    # column carried through, returned) as if it were the organisation's.
    base = {"records": np.array([10, 20, 30, 40]), "annual_sales": np.full(4, 1e9),
            "sector": np.array(["retail"] * 4)}  # fmt: skip
    for name, column, row in [
        ("records", np.ma.array([10, 20, 30, 40], mask=[0, 0, 0, 1]), 3),
        ("annual_sales", np.ma.array(np.full(4, 1e9), mask=[0, 0, 1, 1]), 2),
        ("sector", np.ma.array(["retail"] * 4, mask=[0, 1, 0, 1]), 1),
        ("customer_id", np.ma.array([7, 8, 9, 10], mask=[1, 0, 0, 0]), 0),
    ]:
        with pytest.raises(
            ValueError,
            match=rf"^row {row}, column '{name}': the value is "
            r"masked \(missing\); give a value, or leave the row out",
        ):
            pc.price_portfolio(base | {name: column}, outputs=("expected_ground_up",), as_of=DAY)
    # numpy's masked constant among a list's values (numpy would make it NaN), or a row's.
    with pytest.raises(ValueError, match="row 1, column 'annual_sales': the value is missing"):
        pc.price_portfolio(base | {"annual_sales": [1e9, np.ma.masked, 1e9, 1e9]},
                           outputs=("expected_ground_up",), as_of=DAY)  # fmt: skip
    rows = [{k: v[i].item() for k, v in base.items()} for i in range(4)]
    rows[2]["records"] = np.ma.masked
    with pytest.raises(ValueError, match="row 2, column 'records': the value is missing"):
        pc.price_portfolio(rows, outputs=("expected_ground_up",), as_of=DAY)
    # A masked array with nothing masked is its data.
    plain = pc.price_portfolio(base, outputs=("expected_ground_up",), as_of=DAY)
    unmasked = pc.price_portfolio(base | {"records": np.ma.array(base["records"], mask=False)},
                                  outputs=("expected_ground_up",), as_of=DAY)  # fmt: skip
    assert unmasked["expected_ground_up"].tolist() == plain["expected_ground_up"].tolist()


@pytest.mark.parametrize("missing", [None, math.nan, np.ma.masked])
def test_a_missing_sector_or_flag_is_called_missing(missing):
    # Not "unknown value 'None'" (or 'nan'): that reads as a sector someone wrote.
    table = {"records": [10, 20], "annual_sales": [1e9, 1e9]}
    with pytest.raises(ValueError, match=r"^row 1, column 'sector': the value is missing; "
                       "known: education, finance"):  # fmt: skip
        pc.price_portfolio(table | {"sector": ["retail", missing]}, outputs=("obligation",),
                           as_of=DAY)  # fmt: skip
    with pytest.raises(ValueError, match=r"^row 0, column 'entity_type': the value is missing; "
                       "known: non_profit"):  # fmt: skip
        pc.price_portfolio(table | {"sector": ["retail"] * 2, "entity_type": [missing, "public"]},
                           outputs=("obligation",), as_of=DAY)  # fmt: skip
    with pytest.raises(ValueError, match=r"^row 1, column 'ict_provider': the value is "
                       "missing; give True or False"):  # fmt: skip
        pc.price_portfolio(table | {"sector": ["retail"] * 2, "ict_provider": [True, missing]},
                           outputs=("obligation",), as_of=DAY)  # fmt: skip
    # The text 'None' is a value that was written: named as such.
    with pytest.raises(ValueError, match="row 1, column 'sector': unknown value 'None'"):
        pc.price_portfolio(table | {"sector": ["retail", "None"]}, outputs=("obligation",),
                           as_of=DAY)  # fmt: skip


def test_a_dataframes_rows_are_named_by_its_index():
    pd = pytest.importorskip("pandas")
    table = {"records": [10, 20, -5], "annual_sales": [1e9] * 3, "sector": ["retail"] * 3}

    def error(frame) -> str:
        with pytest.raises(ValueError, match=r"^row .*, column '") as info:
            pc.price_portfolio(frame, outputs=("expected_ground_up",), as_of=DAY)
        return str(info.value)

    tail = ", column 'records': -5 is not allowed; expected a whole number in [1, 1e+10]"
    # The default index is the positions: "row 2" says all.
    assert error(pd.DataFrame(table)) == "row 2" + tail
    # Any other index: its label (for df.loc), and the position (for df.iloc).
    assert error(pd.DataFrame(table, index=[101, 102, 103])) == "row 103 (position 2)" + tail
    assert error(pd.DataFrame(table, index=["a", "b", "c"])) == "row 'c' (position 2)" + tail
    assert error(pd.DataFrame(table).iloc[1:]) == "row 2 (position 1)" + tail
    sector = pd.DataFrame(table | {"records": [10] * 3, "sector": ["retail", None, "retail"]},
                          index=["a", "b", "c"])  # fmt: skip
    assert error(sector).startswith("row 'b' (position 1), column 'sector': the value is missing")
    # The book's warning names its rows alike.
    book_ = pd.DataFrame(table_of([BIG, SHOP, BIG]), index=["p1", "s1", "p2"])
    with pytest.warns(
        RuntimeWarning,
        match=r"for 2 of 3 organisations \(rows 'p1' \(position "
        r"0\), 'p2' \(position 2\)\).*\(row 'p1' \(position 0\): P\(loss > ",
    ):
        pc.price_portfolio(book_, outputs=("recommended_limit",), ladder=[5e7, 1e8], as_of=DAY)


def test_equal_policies_are_priced_together_whether_or_not_one_object(monkeypatch):
    # A per-row list built row by row holds equal but distinct objects: they are
    # one policy, priced in one vectorised pass (grouped by identity, each row
    # was priced alone: 4,000 rows took seconds), with the shared object's figures.
    from picover.analysis import batch

    every = list(MODEL.costs)  # fines by endorsement: the ground-up total adds them too

    def make(coinsurance: float = 0.9) -> pc.Policy:
        return pc.Policy(sublimits={"investigation": 5e7}, coinsurance=coinsurance,
                         covers=every)  # fmt: skip

    passes, endorsed = [], []
    expected, borne = batch._expected, batch.borne
    monkeypatch.setattr(batch, "_expected", lambda model, part, *rest: (
        passes.append(len(part["records"])) or expected(model, part, *rest)))  # fmt: skip
    monkeypatch.setattr(batch, "borne", lambda model, p: endorsed.append(p) or borne(model, p))
    cols = book(60, seed=5)
    outputs = ("expected_ground_up", "expected_insured")
    shared = make()
    assert shared.pays_in_closed_form
    one = pc.price_portfolio(cols, [shared] * 60, outputs=outputs, as_of=DAY)
    copies = pc.price_portfolio(cols, [make() for _ in range(60)], outputs=outputs, as_of=DAY)
    assert (passes, len(endorsed)) == ([60, 60], 2)  # one pass a book
    for name in outputs:
        assert copies[name].tolist() == one[name].tolist(), name
    # Two values, alternating, in fresh objects: two groups, each a pass over its rows.
    passes.clear()
    mixed = [make() if i % 2 else make(0.8) for i in range(60)]
    res = pc.price_portfolio(cols, mixed, outputs=outputs, as_of=DAY)
    assert passes == [30, 30]
    assert res["expected_insured"][1::2].tolist() == one["expected_insured"][1::2].tolist()


def test_policies_that_cannot_be_hashed_are_grouped_by_identity():
    class Unhashable(pc.Policy):
        __hash__ = None  # type: ignore[assignment]

    cols = book(6, seed=6)
    terms = {"sublimits": {"investigation": 5e7}, "coinsurance": 0.9}
    got = pc.price_portfolio(cols, [Unhashable(**terms) for _ in range(6)],
                             outputs=("expected_insured",), as_of=DAY)  # fmt: skip
    want = pc.price_portfolio(cols, pc.Policy(**terms), outputs=("expected_insured",), as_of=DAY)
    assert got["expected_insured"].tolist() == want["expected_insured"].tolist()
