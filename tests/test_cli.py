"""The command line end to end, on the example files, against direct calls."""

from __future__ import annotations

import csv
import datetime
import io
import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import picover as pc
from picover.cli import run
from picover.files import read

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DAY = datetime.date(2025, 3, 1)  # the examples' [settings].as_of


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = run([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_quote_matches_the_library(capsys):
    code, out, err = cli(capsys, "quote", EXAMPLES / "retailer.toml", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    case = read(EXAMPLES / "retailer.toml")
    q = pc.quote(case.organisation, case.policy, premium=case.premium, as_of=DAY)
    assert data["premium_krw"]["gross"] == pytest.approx(q.premium.gross, rel=1e-12)
    assert data["expected_insured_krw"]["total"] == pytest.approx(q.loss.mean(), rel=1e-12)
    assert data["statutory"]["required"] is True
    assert data["statutory"]["minimum_coverage_krw"] == 1e9
    code, table, _ = cli(capsys, "quote", EXAMPLES / "retailer.toml")
    assert code == 0
    assert f"{round(q.premium.gross):,}" in table
    assert "gross premium" in table


def test_units_and_csv(capsys):
    code, out, _ = cli(capsys, "quote", EXAMPLES / "retailer.toml", "--unit", "1e6", "--format",
                       "csv")  # fmt: skip
    assert code == 0
    first = next(csv.reader(io.StringIO(out)))
    assert first == ["category", "ground_up_million_krw", "insured_million_krw"]
    case = read(EXAMPLES / "retailer.toml")
    total = pc.BreachModel.preset("kr").expected_losses(case.organisation)["total"]
    # One block per table, each with its own header and as many fields per row.
    blocks = out.strip().split("\n\n")
    assert len(blocks) == 3
    for block in blocks:
        assert len({len(r) for r in csv.reader(io.StringIO(block))}) == 1
    rows = list(csv.reader(io.StringIO(out)))
    total_row = next(r for r in rows if r and r[0] == "total (without fines)")
    assert float(total_row[1]) == pytest.approx(total / 1e6, rel=1e-12)


def test_recommend_and_check(capsys):
    code, out, _ = cli(capsys, "recommend", EXAMPLES / "small_shop.toml", "--format", "json")
    assert code == 0
    data = json.loads(out)
    case = read(EXAMPLES / "small_shop.toml")
    rec = pc.recommend_coverage(case.organisation, as_of=DAY)
    assert data["limit_krw"] == rec.limit
    assert data["rule"] == rec.rule
    code, out, _ = cli(capsys, "check", EXAMPLES / "platform.toml", "--format", "json")
    data = json.loads(out)
    duty = pc.statutory.kr.obligation(read(EXAMPLES / "platform.toml").organisation, as_of=DAY)
    assert data["required"] == duty.required
    assert data["minimum_coverage_krw"] == duty.minimum_coverage
    assert data["reasons"] == list(duty.reasons)


def test_platform_history_and_overrides(capsys):
    case = read(EXAMPLES / "platform.toml")
    assert case.organisation.history.total_incidents == 3
    assert case.model.costs["consolation"].award == 3e5
    code, out, _ = cli(capsys, "quote", EXAMPLES / "platform.toml", "--format", "json")
    assert code == 0
    data = json.loads(out)
    est = case.model.frequency(case.organisation)
    assert data["frequency"]["posterior_mean"] == pytest.approx(est.posterior_mean, rel=1e-12)
    assert data["frequency"]["credibility"] > 0


def test_compare(capsys, tmp_path):
    plot = tmp_path / "offers.png"
    code, out, err = cli(capsys, "compare", EXAMPLES / "offers.toml", "--format", "json",
                         "--sort-by", "value_ratio", "--plot", plot)  # fmt: skip
    assert code == 0, err
    rows = json.loads(out)["offers"]
    assert json.loads(out)["currency"] == "KRW"  # the unit of the records' amounts
    case = read(EXAMPLES / "offers.toml")
    direct = pc.compare(case.organisation, case.offers, as_of=DAY).sorted("value_ratio")
    assert [r["insurer"] for r in rows] == [r.insurer for r in direct]
    assert rows[0]["value_ratio"] == pytest.approx(direct[0].value_ratio, rel=1e-12)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sensitivity(capsys, tmp_path):
    plot = tmp_path / "tornado.svg"
    argv = ["sensitivity", EXAMPLES / "retailer.toml", "--param", "consolation.award=1e5:3e5",
            "--param", "litigation.q_liable=0.3:0.8", "--output", "expected_ground_up",
            "--format", "json", "--plot", plot]  # fmt: skip
    code, out, err = cli(capsys, *argv)
    assert code == 0, err
    bars = json.loads(out)["bars"]
    assert json.loads(out)["currency"] == "KRW"
    case = read(EXAMPLES / "retailer.toml")
    t = pc.sensitivity.tornado(case.organisation, case.policy, output="expected_ground_up",
                               params={"consolation.award": (1e5, 3e5),
                                       "litigation.q_liable": (0.3, 0.8)}, as_of=DAY)  # fmt: skip
    assert bars[0]["param"] == t.bars[0].param
    assert bars[0]["swing"] == pytest.approx(t.bars[0].swing, rel=1e-12)
    # A single amount ends in _krw, as every other command's do.
    assert json.loads(out)["base_value_krw"] == pytest.approx(t.base_value, rel=1e-12)
    assert "<svg" in plot.read_text()


def test_the_recommendation_climbs_the_files_ladder(capsys, tmp_path):
    # A ladder of two rungs and a target of 1e-9 that neither meets: the top rung
    # is recommended, the warning says where the ladder ends and how to raise it.
    shop = (EXAMPLES / "small_shop.toml").read_text(encoding="utf-8")
    case = write(tmp_path, "short.toml", shop + "target = 1e-9\nladder = [5e7, 1e8]\n")
    code, out, err = cli(capsys, "recommend", case, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["limit_krw"] == 1e8
    assert "the ladder ends at 100,000,000 KRW" in err
    assert "[settings].ladder in the case file" in err
    with pytest.warns(RuntimeWarning, match="give a ladder reaching higher"):
        lib = pc.recommend_coverage(read(case).organisation, target=1e-9, ladder=[5e7, 1e8],
                                    as_of=DAY)  # fmt: skip
    assert lib.limit == 1e8
    # The sensitivity of the recommended limit climbs the same ladder: its base is
    # recommend's limit, not the default ladder's (1 billion for this target).
    code, out, err = cli(capsys, "sensitivity", case, "--param", "consolation.award=5e4:3e5",
                         "--output", "recommended_limit", "--format", "json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["base_value_krw"] == 1e8
    for bad, match in (("[1e8, 5e7]", "ladder must be strictly increasing"),
                       ("1e8", "ladder must be a list of limits"),
                       ("[0, 1e8]", "ladder must be finite and > 0"),
                       ("[true, 1e8]", "ladder must be a number or an array")):  # fmt: skip
        code, out, err = cli(
            capsys, "recommend", write(tmp_path, "bad.toml", shop + f"ladder = {bad}\n")
        )
        assert code == 2
        assert match in err
        assert "[settings]." in err
        assert err.count("\n") == 1


def test_sensitivity_of_the_recommended_limit_aims_at_the_files_target(capsys, tmp_path):
    shop = (EXAMPLES / "small_shop.toml").read_text(encoding="utf-8") + "target = 0.0001\n"
    case = write(tmp_path, "strict.toml", shop)
    code, out, err = cli(capsys, "recommend", case, "--format", "json")
    assert code == 0, err
    limit = json.loads(out)["limit_krw"]
    code, out, err = cli(capsys, "sensitivity", case, "--param", "consolation.award=5e4:3e5",
                         "--output", "recommended_limit", "--format", "json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["base_value_krw"] == limit
    default = pc.recommend_coverage(read(case).organisation, as_of=DAY).limit
    assert limit > default  # the file's 1e-4 target, not the default 1%, was used


def test_unit_is_refused_where_it_would_change_nothing(capsys):
    # check and presets show amounts as written (KRW): --unit would be ignored.
    for argv in (["check", EXAMPLES / "small_shop.toml"], ["presets", "kr"]):
        code, out, err = cli(capsys, *argv, "--unit", "1e6")
        assert code == 2
        assert out == ""
        assert err.count("\n") == 1
        assert f"--unit 1e6 does not apply to '{argv[0]}'" in err
        code, _, _ = cli(capsys, *argv, "--unit", "KRW")  # as written: nothing to refuse
        assert code == 0
        # Nor does their help offer it; quote's does.
        code, out, _ = cli(capsys, argv[0], "--help")
        assert code == 0
        assert "--unit" not in out
    code, out, _ = cli(capsys, "quote", "--help")
    assert "--unit" in out


def test_recommend_says_the_policy_is_not_used_and_shows_no_minimum_as_n_a(capsys, tmp_path):
    small = tmp_path / "tiny.toml"
    small.write_text(
        '[organisation]\nrecords = 5_000\nannual_sales = 9e8\nsector = "retail"\n'
        "[policy]\nlimit = 1e8\nretention = 1e6\n[settings]\nas_of = 2025-03-01\n"
    )
    code, out, err = cli(capsys, "recommend", small)
    assert code == 0, err
    assert "statutory minimum" in out
    assert "n/a" in out.split("Decision")[0]  # below the thresholds: no minimum
    assert "not used: the cover is for the ground-up loss" in out
    code, out, _ = cli(capsys, "recommend", small, "--format", "json")
    assert json.loads(out)["currency"] == "KRW"
    assert json.loads(out)["statutory_minimum_krw"] is None


def test_quote_plot(capsys, tmp_path):
    plot = tmp_path / "quote.png"
    code, _, err = cli(capsys, "quote", EXAMPLES / "retailer.toml", "--plot", plot)
    assert code == 0, err
    assert plot.stat().st_size > 5000


def test_portfolio(capsys):
    code, out, err = cli(capsys, "portfolio", EXAMPLES / "portfolio.csv", "--policy",
                         EXAMPLES / "portfolio_policy.toml", "--format", "json")  # fmt: skip
    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert json.loads(out)["currency"] == "KRW"
    assert [r["name"] for r in rows][:2] == ["corner shop", "clinic"]
    retailer = next(r for r in rows if r["name"] == "online retailer")
    history = pc.IncidentHistory.from_rows(
        {"year": 2020 + y, "records_held": 3_000_000, "incidents": 1 if y == 0 else 0}
        for y in range(5)
    )
    org = pc.Organisation(3_000_000, 120e9, "retail", history=history, ict_provider=True)
    q = pc.quote(org, pc.Policy(limit=1e9, retention=1e7), as_of=DAY)
    assert retailer["premium"] == pytest.approx(q.premium.gross, rel=1e-12)
    assert retailer["obligation"] is True
    # The corner shop need not insure: no minimum, shown as no value in every format
    # (null in JSON, an empty CSV cell, "-" in a table), never as "nan".
    assert rows[0]["statutory_minimum"] is None
    args = ("portfolio", EXAMPLES / "portfolio.csv", "--policy", EXAMPLES / "portfolio_policy.toml",
            "--outputs", "statutory_minimum")  # fmt: skip
    code, out, err = cli(capsys, *args, "--format", "csv")
    assert code == 0, err
    shop = next(csv.DictReader(io.StringIO(out)))
    assert (shop["name"], shop["statutory_minimum_krw"]) == ("corner shop", "")
    code, out, err = cli(capsys, *args)
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("corner shop"))
    assert line.split()[-1] == "-"
    assert "nan" not in out.split()  # ("finance" holds the letters)


def test_portfolio_in_threads_prints_the_same_rows(capsys):
    args = ("portfolio", EXAMPLES / "portfolio.csv", "--policy",
            EXAMPLES / "portfolio_policy.toml", "--format", "json")  # fmt: skip
    code, one, err = cli(capsys, *args)
    assert (code, err) == (0, "")
    code, two, err = cli(capsys, *args, "--workers", "2")
    assert (code, err) == (0, "")
    assert json.loads(two) == json.loads(one)
    code, _, err = cli(capsys, *args, "--workers", "0")
    assert code == 2
    assert err.startswith("picover: error: --workers: workers must be a positive count of threads")
    assert len(err.strip().splitlines()) == 1


def test_sensitivity_in_threads_prints_the_same_bars(capsys):
    args = ("sensitivity", EXAMPLES / "retailer.toml", "--param", "consolation.award=5e4:2e5",
            "--param", "frequency.modifier=0.5:2", "--format", "json")  # fmt: skip
    code, one, err = cli(capsys, *args)
    assert (code, err) == (0, "")
    code, two, err = cli(capsys, *args, "--workers", "-1")
    assert (code, err) == (0, "")
    assert json.loads(two) == json.loads(one)
    code, _, err = cli(capsys, *args, "--workers", "-99")
    assert code == 2
    assert err.startswith("picover: error: --workers: workers must be a positive count")


def test_portfolio_says_which_sections_of_the_policy_file_are_not_used(capsys, tmp_path):
    plain = EXAMPLES / "portfolio_policy.toml"
    code, expected, err = cli(capsys, "portfolio", EXAMPLES / "portfolio.csv", "--policy", plain)
    assert (code, err) == (0, "")
    offer = '[[offers]]\ninsurer = "A"\npremium = 3e7\npolicy = { limit = 1e9 }\n'
    for extra, unused in [
        (offer, "[[offers]]"),
        (GOOD.split("[policy]")[0], "[organisation]"),
        (GOOD.split("[policy]")[0] + offer, "[organisation] and [[offers]]"),
    ]:
        both = write(tmp_path, "both.toml", plain.read_text(encoding="utf-8") + extra)
        code, out, err = cli(capsys, "portfolio", EXAMPLES / "portfolio.csv", "--policy", both)
        assert code == 0, err
        assert out == expected  # the rows as priced without the extra sections
        assert err == (
            f"picover: warning: {both}: {unused} not used: portfolio prices the table's "
            "organisations under the file's [policy]\n"
        )
    # A failed run gives its one error line only.
    code, _, err = cli(capsys, "portfolio", EXAMPLES / "nothing.csv", "--policy", both)
    assert code == 2
    assert err == f"picover: error: {EXAMPLES / 'nothing.csv'}: no such file\n"


def test_portfolio_warns_once_of_limits_short_of_the_files_target(capsys, tmp_path):
    # A 1e-7 target: the platform's best rung (the ladder's top, 1e11) still misses
    # it. recommend warns of it; portfolio does too, in one line for the book.
    platform = "30000000,900000000000,online_platform\n"
    table = write(tmp_path, "book.csv", "records,annual_sales,sector\n" + platform
                  + "5000,200000000,retail\n" + platform)  # fmt: skip
    strict = write(tmp_path, "strict.toml", (EXAMPLES / "portfolio_policy.toml").read_text(
        encoding="utf-8").replace("[settings]\n", "[settings]\ntarget = 1e-7\n"))  # fmt: skip
    code, out, err = cli(capsys, "portfolio", table, "--policy", strict, "--outputs",
                         "recommended_limit", "--format", "json")  # fmt: skip
    assert code == 0, err
    limits = [r["recommended_limit"] for r in json.loads(out)["rows"]]
    assert (limits[0], limits[2]) == (1e11, 1e11)
    assert limits[1] < 1e11  # the shop's rung meets the target: not named below
    assert err.startswith(
        "picover: warning: no limit on the ladder meets the target for 2 of 3 organisations "
        "(rows 0, 2): P(loss > limit) is above 1e-07 at the recommended limit (row 0: "
        "P(loss > 100,000,000,000) = "
    )
    assert err.endswith("give a ladder reaching higher ([settings].ladder in the case file)\n")
    assert err.count("\n") == 1


def test_presets(capsys):
    code, out, _ = cli(capsys, "presets")
    assert code == 0
    assert "kr" in out
    code, out, _ = cli(capsys, "presets", "kr", "--format", "json")
    data = json.loads(out)
    assert data["parameters"]["consolation.award"] == 1e5
    assert "PIPA" in data["sources"]["consolation.award_cap"]


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


GOOD = (EXAMPLES / "retailer.toml").read_text(encoding="utf-8")
GOOD_JSON = json.dumps({"organisation": {"records": 40_000, "annual_sales": 120e9,
                                         "sector": "retail"}})  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (None, None, "no such file"),
        ("typo.toml", GOOD.replace("annual_sales", "anual_sales"), "unknown key(s) anual_sales"),
        ("neg.toml", GOOD.replace("records = 3_000_000", "records = -5"),
         "[organisation]: Organisation.records must be a whole number"),
        ("text.toml", GOOD.replace("records = 3_000_000", 'records = "many"'),
         "Organisation.records must be a whole number; got 'many'"),
        ("empty.toml", "", "the file is empty"),
        ("binary.toml", bytes(range(256)) * 4, "not a text file"),
        ("huge.toml", GOOD.replace("records = 3_000_000", "records = 1e30"),
         "Organisation.records must be a whole number in [1, 10000000000]"),
        ("zero.toml", GOOD.replace("limit = 1_000_000_000", "limit = 0"),
         "[policy]: Policy.limit must be > 0; got 0"),
        ("sector.toml", GOOD.replace('sector = "retail"', 'sector = "bakery"'),
         "unknown sector 'bakery'"),
        ("bad.toml", "[organisation\nrecords = 1", "not valid TOML"),
        ("bad.json", '{"organisation": {"records": 10,', "not valid JSON"),
        ("bad.yaml", "organisation: 1", "unknown file type '.yaml'"),
        ("nopolicy.toml", GOOD.split("[policy]")[0], "'quote' needs a [policy] section"),
        ("date.toml", GOOD.replace("as_of = 2025-03-01", 'as_of = "March"'),
         "[settings].as_of must be a date"),
        ("twice.json", '{"policy": {"limit": 1e9, "retention": 1e7, "retention": 0}}',
         "the key 'retention' appears twice in one table"),
        ("huge.json", '{"policy": {"limit": 1e999}}',
         "huge.json: [policy].limit: the number 1e999 is too large for a float"),
        # TOML reads 1e400 as inf: a typo must not pass for "no limit".
        ("inf.toml", GOOD.replace("limit = 1_000_000_000", "limit = 1e400"),
         "inf.toml: [policy].limit: the number 1e400 is too large for a float; write inf if"),
        ("sublimit.toml", GOOD.replace("investigation = 50_000_000", "investigation = 5e400"),
         "[policy].sublimits.investigation: the number 5e400 is too large for a float"),
        # And 1e-400 as 0: a typo must not pass for no retention.
        ("tiny.toml", GOOD.replace("retention = 10_000_000", "retention = 1e-400"),
         "tiny.toml: [policy].retention: the number 1e-400 is too small for a float (it would "
         "read as 0); write 0 if"),
        ("tiny.json", '{"policy": {"limit": 1e9, "retention": 2.5e-999}}',
         "[policy].retention: the number 2.5e-999 is too small for a float"),
        ("param.toml", GOOD + '[model]\nparameters = { "consolation.award_cap" = -1e400 }\n',
         '[model].parameters."consolation.award_cap": the number -1e400 is too large'),
        ("offer.json", json.dumps(json.loads(GOOD_JSON) | {"offers": [{"policy": {}}]})
         .replace("{}", '{"per_incident_limit": 1e999}'),
         "offers[0].policy.per_incident_limit: the number 1e999 is too large for a float"),
        ("nan.json", '{"policy": {"limit": NaN}}', "NaN is not a number picover accepts"),
        ("digits.json", GOOD_JSON.replace("120000000000.0", "9" * 400),
         "Organisation.annual_sales must be finite; got a number of 400 digits"),
        ("digits.toml", GOOD.replace("records = 3_000_000", "records = " + "9" * 5000),
         "a number has more than 4,300 digits"),
        ("principle.toml", GOOD.replace('principle = "cost_of_capital"', 'principle = ["wang"]'),
         "[premium].principle must be one of"),
        ("premium.json", json.dumps(json.loads(GOOD_JSON) | {"premium": "x"}),
         "[premium] must be a table; got 'x'"),
        # The library's own checks name the file too.
        ("late.toml", GOOD + "\n[[history]]\nyear = 2030\nrecords_held = 1000\nincidents = 1\n",
         "late.toml: Organisation.history holds year 2030"),
        ("bigint.toml", GOOD.replace("records = 3_000_000", "records = " + "9" * 400),
         "Organisation.records must be a whole number in [1, 10000000000]; got a number of "
         "400 digits"),
    ],
)  # fmt: skip
def test_bad_input_gives_one_line_and_exit_2(capsys, tmp_path, name, content, message):
    path = tmp_path / "missing.toml" if name is None else write(tmp_path, name, content)
    code, out, err = cli(capsys, "quote", path)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("picover: error: ")
    assert message in lines[0]
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sensitivity", EXAMPLES / "retailer.toml"], "needs at least one --param"),
        (["sensitivity", EXAMPLES / "retailer.toml", "--param", "award=1"], "NAME=LOW:HIGH"),
        (["sensitivity", EXAMPLES / "retailer.toml", "--param", "consolation.award=1e5:x"],
         "picover: error: --param consolation.award: HIGH must be a number; got 'x'"),
        (["sensitivity", EXAMPLES / "retailer.toml", "--param", "consolation.award=nan:3e5"],
         "picover: error: --param consolation.award: LOW must be a number; got 'nan'"),
        # float() reads 1e400 as inf: a typo must not pass for "no limit".
        (["sensitivity", EXAMPLES / "retailer.toml", "--param", "policy.limit=1e7:1e400"],
         "picover: error: --param policy.limit: HIGH 1e400 is too large for a float; write inf"),
        # And 1e-400 as 0.
        (["sensitivity", EXAMPLES / "retailer.toml", "--param", "policy.retention=1e-400:2e7"],
         "picover: error: --param policy.retention: LOW 1e-400 is too small for a float"),
        # The closest paths and where to find the rest, not all ~60 of them.
        (["sensitivity", EXAMPLES / "retailer.toml", "--param", "consolation.awards=1:2"],
         "picover: error: --param consolation.awards: unknown parameter; did you mean "
         "consolation.award, consolation.award_cap, consolation.claim_rate, "
         "organisation.records? 'picover presets kr' lists the model's parameters; the others "
         "are policy.<term>, policy.sublimits.<category>, premium.<setting>, "
         "organisation.records and organisation.annual_sales\n"),
        (["sensitivity", EXAMPLES / "retailer.toml", "--param", "zzz=1:2"],
         "picover: error: --param zzz: unknown parameter; 'picover presets kr' lists"),
        (["compare", EXAMPLES / "retailer.toml"], "needs a [[offers]] section"),
        (["quote", EXAMPLES / "retailer.toml", "--plot", "out.pdf"], "must end in .png or .svg"),
        (["presets", "jp"], "unknown preset 'jp'"),
        # An empty path is the current folder to pathlib: name the argument instead.
        (["quote", ""], "picover: error: the case file path is empty\n"),
        (["portfolio", "", "--policy", EXAMPLES / "portfolio_policy.toml"],
         "picover: error: the CSV table path is empty\n"),
        (["portfolio", EXAMPLES / "portfolio.csv", "--policy", ""],
         "picover: error: --policy: the case file path is empty\n"),
        (["portfolio", EXAMPLES / "nothing.csv", "--policy", EXAMPLES / "portfolio_policy.toml"],
         "no such file"),
        (["portfolio", EXAMPLES, "--policy", EXAMPLES / "portfolio_policy.toml"], "not a file"),
        (["quote", EXAMPLES / "retailer.toml", "--plot", "/no/such/folder/q.png"],
         "the folder /no/such/folder does not exist"),
        # Checked before any work: a folder, or nothing, is no file to draw in.
        (["quote", EXAMPLES / "retailer.toml", "--plot", EXAMPLES], "must end in .png or .svg"),
        (["quote", EXAMPLES / "retailer.toml", "--plot", ""], "--plot '': the file must end in"),
        (["portfolio", EXAMPLES / "portfolio.csv", "--policy", EXAMPLES / "portfolio_policy.toml",
          "--outputs", ""], "--outputs: '' is not an output; choose from expected_ground_up"),
        (["portfolio", EXAMPLES / "portfolio.csv", "--policy", EXAMPLES / "portfolio_policy.toml",
          "--outputs", "premium,premium"], "--outputs names 'premium' more than once"),
        # The flag's mistake, not the table's: the message does not start with its file.
        (["portfolio", EXAMPLES / "portfolio.csv", "--policy", EXAMPLES / "portfolio_policy.toml",
          "--outputs", "premium,foo"], "picover: error: --outputs: 'foo' is not an output"),
        # The ranges' mistakes are the flag's, not the case file's.
        (["sensitivity", EXAMPLES / "retailer.toml", "--param", "consolation.award=3e5:1e5"],
         "picover: error: --param consolation.award: low 300,000 must be below high 100,000\n"),
        (["sensitivity", EXAMPLES / "retailer.toml", "--param", "policy.limit=2e9:3e9"],
         "picover: error: --param policy.limit: the range 2,000,000,000 to 3,000,000,000 must "
         "contain the base value, 1,000,000,000\n"),
        (["sensitivity", EXAMPLES / "retailer.toml", "--param", "litigation.q_liable=0.3:1.5"],
         "picover: error: --param litigation.q_liable: Litigation.q_liable must be in [0, 1]; "
         "got 1.5\n"),
        # The value as typed, not as the float the check was given (-1.0).
        (["sensitivity", EXAMPLES / "retailer.toml", "--param", "policy.limit=-1:2e9"],
         "picover: error: --param policy.limit: Policy.limit must be > 0; got -1\n"),
        (["sensitivity", EXAMPLES / "retailer.toml", "--param", "consolation.award=-5:3e5"],
         "picover: error: --param consolation.award: ConsolationCost.award must be in "
         "[0, 1e+18]; got -5\n"),
        (["sensitivity", EXAMPLES / "retailer.toml", "--param", "organisation.records=-5.0:2e7"],
         "organisation.records must be a whole number in [1, 10000000000]; got -5.0\n"),
        # A bound at which the output has no value is the flag's mistake, not the file's.
        (["sensitivity", EXAMPLES / "retailer.toml", "--param", "policy.limit=5e8:inf",
          "--output", "rate_on_line"],
         "picover: error: --param policy.limit: HIGH inf: output 'rate_on_line' needs a policy "
         "with a finite limit (it is the premium over the limit), not inf\n"),
    ],
)  # fmt: skip
def test_bad_arguments(capsys, argv, message):
    code, _, err = cli(capsys, *argv)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_plot_that_cannot_be_written_is_refused_before_any_work(capsys):
    code, out, err = cli(capsys, "quote", EXAMPLES / "retailer.toml", "--plot", "/proc/x.png")
    assert code == 2
    assert out == ""  # not the whole report first
    assert err == (
        "picover: error: --plot /proc/x.png: the file cannot be written (No such file or "
        "directory)\n"
    )


def test_the_plot_check_leaves_no_file_behind(capsys, tmp_path):
    new, old = tmp_path / "new.png", tmp_path / "old.png"
    old.write_bytes(b"an earlier figure")
    for plot in (new, old):
        code, _, err = cli(capsys, "quote", tmp_path / "missing.toml", "--plot", plot)
        assert code == 2
        assert "missing.toml: no such file" in err
    assert not new.exists()
    assert old.read_bytes() == b"an earlier figure"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["quote"], "picover quote: error: the following arguments are required: file"),
        (["quote", EXAMPLES / "retailer.toml", "--format", "xml"], "invalid choice: 'xml'"),
        (["quote", EXAMPLES / "retailer.toml", "--unit", "1e7"], "invalid choice: '1e7'"),
        (["bake"], "picover: error: argument COMMAND: invalid choice: 'bake'"),
    ],
)
def test_argparse_errors_are_one_line_and_exit_2(capsys, argv, message):
    code, out, err = cli(capsys, *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert message in err
    assert "--help" in err


def test_the_literal_inf_is_no_limit(capsys, tmp_path):
    case = write(tmp_path, "open.toml", GOOD.replace("limit = 1_000_000_000", "limit = inf"))
    assert read(case).policy.limit == float("inf")
    code, out, err = cli(capsys, "quote", case, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["p_exhaust"] is None
    code, out, err = cli(capsys, "sensitivity", EXAMPLES / "retailer.toml", "--param",
                         "policy.limit=5e8:inf", "--format", "json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["bars"][0]["high"] == "inf"


def test_an_output_undefined_at_a_bound_is_refused_before_any_pricing(
    capsys, tmp_path, monkeypatch
):
    # Told before the first setting is priced, and blamed on what made it so: the
    # --param bound, or the case file's own unlimited policy.
    from picover.analysis import sensitivity

    priced = []
    monkeypatch.setattr(sensitivity, "evaluate", lambda s, output: priced.append(s) or 1.0)
    open_case = write(tmp_path, "open.toml", GOOD.replace("limit = 1_000_000_000", "limit = inf"))
    for case, param, blamed in [
        (EXAMPLES / "retailer.toml", "policy.limit=5e8:inf", "--param policy.limit: HIGH inf: "),
        (open_case, "consolation.award=5e4:2e5", f"{open_case}: "),
    ]:
        code, out, err = cli(capsys, "sensitivity", case, "--param", param, "--output",
                             "rate_on_line")  # fmt: skip
        assert (code, out) == (2, "")
        assert err == (f"picover: error: {blamed}output 'rate_on_line' needs a policy with a "
                       "finite limit (it is the premium over the limit), not inf\n")  # fmt: skip
        assert priced == []


def test_files_with_a_byte_order_mark_are_read(capsys, tmp_path):
    # Excel and Notepad start UTF-8 files with a byte-order mark.
    bom = "\ufeff"
    code, out, _ = cli(capsys, "quote", write(tmp_path, "bom.toml", bom + GOOD), "--format", "json")
    assert code == 0
    reference = json.loads(cli(capsys, "quote", EXAMPLES / "retailer.toml", "--format", "json")[1])
    assert json.loads(out) == reference
    case = json.dumps({"organisation": {"records": 40_000, "annual_sales": 3e9,
                                        "sector": "retail"},
                       "settings": {"as_of": "2025-03-01"}})  # fmt: skip
    assert cli(capsys, "check", write(tmp_path, "bom.json", bom + case))[0] == 0
    table = write(tmp_path, "bom.csv", bom + "records,annual_sales,sector\n10,1e9,retail\n")
    code, out, err = cli(capsys, "portfolio", table, "--policy", EXAMPLES / "portfolio_policy.toml")
    assert code == 0, err


def test_bad_portfolio_rows(capsys, tmp_path):
    table = write(
        tmp_path, "book.csv", "records,annual_sales,sector\n10,1e9,retail\n-3,1e9,retail\n"
    )
    code, _, err = cli(capsys, "portfolio", table, "--policy", EXAMPLES / "portfolio_policy.toml")
    assert code == 2
    assert "row 1, column 'records': -3 is not allowed" in err  # as written, not -3.0
    extra = write(tmp_path, "extra.csv", "records,annual_sales,sector\n10,1e9,retail,7\n")
    code, _, err = cli(capsys, "portfolio", extra, "--policy", EXAMPLES / "portfolio_policy.toml")
    assert code == 2
    assert "row 0: 4 cell(s) for 3 column names" in err
    # A short row is not padded (a missing sector read as 'None'), nor is a
    # repeated column name resolved by keeping the last.
    short = write(tmp_path, "short.csv", "name,records,annual_sales,sector\n10,1e9,retail\n")
    code, _, err = cli(capsys, "portfolio", short, "--policy", EXAMPLES / "portfolio_policy.toml")
    assert (code, "row 0: 3 cell(s) for 4 column names" in err) == (2, True)
    twice = write(tmp_path, "twice.csv", "records,records,annual_sales,sector\n1,5,1e9,retail\n")
    code, _, err = cli(capsys, "portfolio", twice, "--policy", EXAMPLES / "portfolio_policy.toml")
    assert (code, "'records' appear more than once" in err) == (2, True)


def test_python_dash_m_entry_point():
    done = subprocess.run(
        [sys.executable, "-m", "picover", "check", str(EXAMPLES / "small_shop.toml")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "required" in done.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "picover", "check", "no-such-file.toml"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1


ORG = {"records": 1000, "annual_sales": 1e9, "sector": "retail"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"organisation": {"records": 1000, "annual_sales": 1e9}},
         "[organisation]: missing key(s) sector"),
        ({"organisation": ORG, "premium": {"principle": "wang"}}, "[premium]: missing key(s) lam"),
        ({"organisation": ORG, "policy": {"sublimits": {"investigaton": 1e7}}},
         "[policy]: the policy names an unknown cost category 'investigaton'"),
        ({"organisation": ORG, "policy": {"sublimits": 5}},
         "[policy]: Policy.sublimits must be a mapping"),
        ({"organisation": ORG, "history": [{"year": 2023, "records_held": 1000, "incidents": 1,
                                            "costs": [{"investigaton": 5.0}]}]},
         "[[history]] year 2023, incident 1: unknown cost category 'investigaton'"),
        ({"organisation": ORG, "history": [{"year": 2023, "records_held": 1000, "incidents": 1,
                                            "records_affected": 5}]},
         "records_affected must be a list with one entry per incident; got 5"),
        ({"organisation": ORG, "settings": {"target": 2}}, "(0, 1); got 2"),
        ({"organisation": {**ORG, "sector": 3}}, "Organisation.sector must be a str; got int 3"),
    ],
)  # fmt: skip
def test_case_files_name_the_section_and_the_key(data, message):
    from picover.files import InputError, parse

    with pytest.raises(InputError) as info:
        parse(data, source="case.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("case.toml: ")
    assert "\n" not in str(info.value)


def test_numerical_warnings_are_one_line_each(capsys, tmp_path):
    # A retention that takes nearly everything: the figure is rough, and the
    # user hears it as one line (no source path, no second line), output intact.
    case = write(tmp_path, "far.toml", "[organisation]\nrecords = 1000\nannual_sales = 5e10\n"
                 'sector = "retail"\n[policy]\naggregate_retention = 1e10\n'
                 "[settings]\nas_of = 2025-03-01\n")  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # run() records warnings itself, whatever the filters
        code, out, err = cli(capsys, "quote", case)
    assert code == 0
    assert "Premium" in out
    lines = err.strip().splitlines()
    assert lines
    assert all(line.startswith("picover: warning: ") for line in lines)
    assert any("the figure is rough" in line for line in lines)


def test_sensitivity_needs_a_policy_and_each_parameter_once(capsys, tmp_path):
    bare = write(tmp_path, "bare.toml", "[organisation]\nrecords = 1000\nannual_sales = 1e9\n"
                 'sector = "retail"\n')  # fmt: skip
    code, _, err = cli(capsys, "sensitivity", bare, "--param", "consolation.award=5e4:2e5")
    assert code == 2
    assert "needs a [policy] section" in err
    code, _, err = cli(capsys, "sensitivity", EXAMPLES / "retailer.toml",
                       "--param", "consolation.award=5e4:2e5",
                       "--param", "consolation.award=1e4:3e5")  # fmt: skip
    assert code == 2
    assert "--param consolation.award is given more than once" in err


def test_options_that_would_be_ignored_are_refused(capsys):
    code, _, err = cli(capsys, "quote", EXAMPLES / "retailer.toml", "--format", "json",
                       "--unit", "1e6")  # fmt: skip
    assert (code, "--unit applies to the table and csv formats" in err) == (2, True)
    table = {"records": [10], "annual_sales": [1e9], "sector": ["retail"]}
    with pytest.raises(ValueError, match="partitions applies to engine='dask' only"):
        pc.price_portfolio(table, pc.Policy(), outputs=("expected_ground_up",), partitions=0)


def test_a_closed_standard_output_is_one_line_and_exit_2():
    done = subprocess.run(
        [sys.executable, "-c", "from picover.cli import main; main()", "presets"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False,
        close_fds=True, preexec_fn=lambda: __import__("os").close(1),
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == "picover: error: standard output is closed"
