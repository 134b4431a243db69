"""Input files: an organisation, its history, a policy, offers, model and premium settings.

One TOML or JSON file describes a case; every section is optional except
``[organisation]``::

    [organisation]            # records, annual_sales (KRW), sector, name, entity_type,
    records = 3_000_000       # ict_provider, equivalent_cover, processing_outsourced
    annual_sales = 120e9
    sector = "retail"

    [[history]]               # one table per observed year
    year = 2023
    records_held = 2_800_000
    incidents = 1

    [policy]                  # limit, retention, per_incident_limit, aggregate_retention,
    limit = 1e9               # coinsurance, sublimits, covers, investigation
    retention = 1e7

    [[offers]]                # insurer, premium (KRW) and a policy table each
    insurer = "A"
    premium = 3e7
    policy = { limit = 1e9, retention = 1e7 }

    [model]                   # preset and parameter overrides by dotted path
    preset = "kr"
    parameters = { "consolation.award" = 2e5 }

    [premium]                 # principle and its settings, expenses, profit, minimum
    principle = "cost_of_capital"

    [settings]                # as_of (date of the statutory check), target, ladder
    as_of = 2025-03-01
    ladder = [1e8, 5e8, 1e9, 5e9]   # limits (KRW) a recommendation climbs

Unknown keys are errors (a typo must not be ignored), and so is a number
beyond what a float holds, which the parsers would read as infinity
(``1e400``; in TOML, infinity is written ``inf``) or as 0 (``1e-400``). Every
error names the file, the key path and what is allowed.
"""

from __future__ import annotations

import datetime
import json
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs

from picover.model.breach_model import BreachModel
from picover.model.exposure import IncidentHistory, Organisation
from picover.model.policy import Policy
from picover.pricing.compare import Offer
from picover.pricing.coverage import DEFAULT_LADDER, limits_ladder
from picover.pricing.premium import (
    CostOfCapital,
    ExpectedValue,
    PremiumBasis,
    StandardDeviation,
    WangTransform,
)

T = TypeVar("T")

SECTIONS = ("organisation", "history", "policy", "offers", "model", "premium", "settings")
ORGANISATION_KEYS = (
    "records", "annual_sales", "sector", "name", "entity_type", "ict_provider",
    "equivalent_cover", "processing_outsourced",
)  # fmt: skip
POLICY_KEYS = (
    "limit", "retention", "per_incident_limit", "aggregate_retention", "coinsurance",
    "sublimits", "covers", "investigation",
)  # fmt: skip
PRINCIPLES: dict[str, tuple[Callable[..., Any], tuple[str, ...]]] = {
    "expected_value": (ExpectedValue, ("loading",)),
    "standard_deviation": (StandardDeviation, ("multiple",)),
    "cost_of_capital": (CostOfCapital, ("rate", "level", "measure")),
    "wang": (WangTransform, ("lam",)),
}


class InputError(ValueError):
    """A problem with an input file: the message names the file and the key path.

    Examples
    --------
    >>> org = {"records": 40_000, "annual_sales": 3e9, "sector": "retail", "colour": "red"}
    >>> try:
    ...     parse({"organisation": org}, source="shop.toml")
    ... except InputError as exc:
    ...     print(exc)  # doctest: +ELLIPSIS
    shop.toml: unknown key(s) colour in [organisation]; allowed: records, annual_sales, ...
    >>> issubclass(InputError, ValueError)
    True
    """


@attrs.frozen
class Case:
    """Everything an input file describes (missing sections are None or defaults).

    Examples
    --------
    >>> case = parse({
    ...     "organisation": {"records": 40_000, "annual_sales": 3e9, "sector": "retail"},
    ...     "policy": {"limit": 5e7},  # KRW
    ...     "settings": {"as_of": "2025-03-01"},
    ... })
    >>> case.policy.limit, case.as_of, case.target
    (50000000.0, datetime.date(2025, 3, 1), 0.01)
    >>> case.offers, case.model.name  # no [[offers]]; the default preset
    ((), 'kr')
    """

    organisation: Organisation | None
    policy: Policy | None
    offers: tuple[Offer, ...]
    model: BreachModel
    premium: PremiumBasis
    as_of: datetime.date | None
    target: float
    source: str
    #: The limits (KRW) a recommendation climbs, increasing.
    ladder: tuple[float, ...] = DEFAULT_LADDER


def read(path: str | Path) -> Case:
    """Read a case from a TOML (``.toml``) or JSON (``.json``) file.

    Raises
    ------
    InputError
        With one line naming the file, the key path and what is allowed.

    Examples
    --------
    >>> read("examples/small_shop.toml").organisation.records
    40000
    """
    p = _path(path)
    return parse(load(p), source=str(p))


def load(p: str | Path) -> dict[str, Any]:
    """The file's contents as a dict (TOML or JSON by extension).

    Raises
    ------
    InputError
        If the file is missing, empty, not text, of another type, or not valid.

    Examples
    --------
    >>> data = load("examples/small_shop.toml")
    >>> sorted(data), data["policy"]["limit"]  # the limit in KRW, as written in the file
    (['organisation', 'policy', 'settings'], 50000000)
    >>> load(Path("missing.toml"))
    Traceback (most recent call last):
    ...
    picover.files.InputError: missing.toml: no such file
    """
    p = _path(p)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not an input file")
    try:
        # utf-8-sig: Excel and Notepad start UTF-8 files with a byte-order mark.
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{p}: not a text file (expected TOML or JSON)") from None
    if not text.strip():
        raise InputError(f"{p}: the file is empty")
    kind = p.suffix.lower()
    if kind not in (".json", ".toml"):
        raise InputError(f"{p}: unknown file type {kind!r}; use .toml or .json")
    try:
        if kind == ".json":
            data = json.loads(
                text,
                object_pairs_hook=_unique_keys,
                parse_float=_float,
                parse_constant=_no_constant,
            )
        else:
            data = tomllib.loads(text, parse_float=_float)
    except json.JSONDecodeError as exc:
        raise InputError(f"{p}: not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except _JSONValueError as exc:
        raise InputError(f"{p}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{p}: not valid TOML: {exc}") from None
    except ValueError as exc:
        if "digits" not in str(exc):
            raise
        # Python's own limit on reading an int: 4,300 digits.
        raise InputError(f"{p}: a number has more than 4,300 digits") from None
    if not isinstance(data, dict):
        raise InputError(f"{p}: the top level must be a table of sections {list(SECTIONS)}")
    _refuse_unreadable(data, p)
    return data


def _path(path: str | Path) -> Path:
    # Path("") is the current folder: the message would name "." instead of the mistake.
    if isinstance(path, str) and not path:
        raise InputError("the case file path is empty")
    return Path(path)


class _JSONValueError(ValueError):
    """A JSON file that parses but holds what TOML would refuse."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Python's json keeps the last of repeated keys; a repeated key is a typo here.
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _JSONValueError(f"the key {key!r} appears twice in one table")
        out[key] = value
    return out


class _Unreadable(float):
    """A number written beyond what a float holds: ``1e400``, which the parsers
    read as infinity, or ``1e-400``, which they read as 0. Kept as written, to be
    refused with its key (see :func:`_refuse_unreadable`)."""

    text: str

    def __new__(cls, text: str) -> _Unreadable:
        out = super().__new__(cls, text)
        out.text = text
        return out


def _float(text: str) -> float:
    # One rule for TOML and JSON: only the literal inf (TOML's; JSON has none) means
    # infinity, and only a zero written as one means 0. A typo such as 1e400 would
    # otherwise pass for "no limit", and 1e-400 for nothing at all.
    value = float(text)
    if math.isinf(value) and text.lstrip("+-") != "inf":
        return _Unreadable(text)
    mantissa = text.lower().split("e")[0]
    if value == 0.0 and any(d in mantissa for d in "123456789"):
        return _Unreadable(text)
    return value


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _refuse_unreadable(value: Any, source: Path, where: str = "") -> None:
    if isinstance(value, _Unreadable):
        if value == 0.0:
            raise InputError(
                f"{source}: {where}: the number {value.text} is too small for a float (it "
                "would read as 0); write 0 if zero is meant"
            )
        hint = "; write inf if infinity is meant" if source.suffix.lower() == ".toml" else ""
        raise InputError(
            f"{source}: {where}: the number {value.text} is too large for a float{hint}"
        )
    if isinstance(value, Mapping):
        for key, item in value.items():
            if where:
                name = key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
                inner = f"{where}.{name}"
            else:  # a section, named as the other messages name it
                inner = f"[{key}]" if isinstance(item, Mapping) else key
            _refuse_unreadable(item, source, inner)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _refuse_unreadable(item, source, f"{where}[{i}]")


def _no_constant(text: str) -> float:
    raise _JSONValueError(f"{text} is not a number picover accepts (JSON has no NaN or infinity)")


def _keys(table: Any, where: str, allowed: tuple[str, ...], source: str) -> dict[str, Any]:
    if not isinstance(table, Mapping):
        raise InputError(f"{source}: {where} must be a table; got {type(table).__name__}")
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise InputError(
            f"{source}: unknown key(s) {', '.join(unknown)} in {where}; allowed: "
            f"{', '.join(allowed)}"
        )
    return dict(table)


def _build(make: Callable[..., T], where: str, source: str, **kwargs: Any) -> T:
    if isinstance(make, type) and attrs.has(make):
        # Name a missing key as the file knows it, not as Python's signature error.
        missing = [
            f.name
            for f in attrs.fields(make)
            if f.init and f.default is attrs.NOTHING and f.name not in kwargs
        ]
        if missing:
            raise InputError(f"{source}: {where}: missing key(s) {', '.join(missing)}")
    try:
        return make(**kwargs)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{source}: {where}: {exc}") from None


def _check_against(model: BreachModel, where: str, source: str, policy: Policy) -> None:
    """The policy's category names must be the model's (say so with the section)."""
    try:
        policy.covered(model.costs)
    except ValueError as exc:
        raise InputError(f"{source}: {where}: {exc}") from None


def _policy(table: Any, where: str, source: str) -> Policy:
    values = _keys(table, where, POLICY_KEYS, source)
    return _build(Policy, where, source, **values)


def parse(data: Mapping[str, Any], *, source: str = "<input>") -> Case:
    """Build a :class:`Case` from parsed TOML/JSON data.

    Examples
    --------
    >>> case = parse({"organisation": {"records": 40_000, "annual_sales": 3e9,
    ...                                 "sector": "retail"}})
    >>> case.organisation.records, case.policy
    (40000, None)
    """
    top = _keys(data, "the file", SECTIONS, source)
    model_table = _keys(top.get("model", {}), "[model]", ("preset", "parameters"), source)
    preset = model_table.get("preset", "kr")
    model = _build(BreachModel.preset, "[model].preset", source, name=preset)
    overrides = model_table.get("parameters", {})
    if not isinstance(overrides, Mapping):
        raise InputError(f"{source}: [model].parameters must be a table of dotted paths")
    if overrides:
        model = _build(model.with_params, "[model].parameters", source, changes=overrides)

    org = None
    if "organisation" in top:
        values = _keys(top["organisation"], "[organisation]", ORGANISATION_KEYS, source)
        history = None
        if "history" in top:
            rows = top["history"]
            if not isinstance(rows, list):
                raise InputError(f"{source}: [[history]] must be a list of tables, one per year")
            history = _build(IncidentHistory.from_rows, "[[history]]", source, rows=rows)
        org = _build(Organisation, "[organisation]", source, history=history, **values)
        stray = None if history is None else history.unknown_costs(model.costs)
        if stray is not None:
            year, i, unknown = stray
            raise InputError(
                f"{source}: [[history]] year {year}, incident {i}: unknown cost category "
                f"{', '.join(map(repr, unknown))}; the model's categories are "
                f"{', '.join(model.costs)}"
            )
        if org.sector not in model.frequency_model.base_rate:
            known = ", ".join(sorted(model.frequency_model.base_rate))
            raise InputError(
                f"{source}: [organisation].sector: unknown sector {org.sector!r}; known: {known}"
            )
    elif "history" in top:
        raise InputError(f"{source}: [[history]] needs an [organisation]")

    policy = _policy(top["policy"], "[policy]", source) if "policy" in top else None
    if policy is not None:
        _check_against(model, "[policy]", source, policy)
    offers = []
    raw_offers = top.get("offers", [])
    if not isinstance(raw_offers, list):
        raise InputError(f"{source}: [[offers]] must be a list of tables")
    for i, raw in enumerate(raw_offers):
        where = f"offers[{i}]"
        table = _keys(raw, where, ("insurer", "premium", "policy"), source)
        for key in ("insurer", "premium", "policy"):
            if key not in table:
                raise InputError(f"{source}: {where}: missing key {key!r}")
        offer_policy = _policy(table["policy"], f"{where}.policy", source)
        _check_against(model, f"{where}.policy", source, offer_policy)
        offers.append(
            _build(Offer, where, source, insurer=table["insurer"], policy=offer_policy,
                   premium=table["premium"])
        )  # fmt: skip

    basis = _premium(top.get("premium", {}), source)
    settings = _keys(top.get("settings", {}), "[settings]", ("as_of", "target", "ladder"), source)
    as_of = settings.get("as_of")
    if isinstance(as_of, str):
        try:
            as_of = datetime.date.fromisoformat(as_of)
        except ValueError:
            raise InputError(
                f"{source}: [settings].as_of must be a date like 2025-03-01; got {as_of!r}"
            ) from None
    if isinstance(as_of, datetime.datetime):
        as_of = as_of.date()
    if as_of is not None and not isinstance(as_of, datetime.date):
        raise InputError(f"{source}: [settings].as_of must be a date like 2025-03-01")
    target = settings.get("target", 0.01)
    if isinstance(target, bool) or not isinstance(target, int | float) or not 0 < target < 1:
        raise InputError(
            f"{source}: [settings].target must be a probability in (0, 1); got {target!r}"
        )
    ladder = settings.get("ladder", DEFAULT_LADDER)
    if not isinstance(ladder, list | tuple):
        raise InputError(
            f"{source}: [settings].ladder must be a list of limits (KRW), increasing; "
            f"got {ladder!r}"
        )
    try:
        steps = limits_ladder(ladder)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{source}: [settings].{exc}") from None
    return Case(org, policy, tuple(offers), model, basis, as_of, float(target), source, steps)


def _premium(table: Any, source: str) -> PremiumBasis:
    where = "[premium]"
    if not isinstance(table, Mapping):
        raise InputError(f"{source}: {where} must be a table; got {table!r}")
    values = dict(table)
    name = values.get("principle", "cost_of_capital")
    if not isinstance(name, str) or name not in PRINCIPLES:
        raise InputError(
            f"{source}: {where}.principle must be one of {', '.join(PRINCIPLES)}; got {name!r}"
        )
    make, settings = PRINCIPLES[name]
    allowed = ("principle", *settings, "expense_ratio", "profit_margin", "minimum")
    values = _keys(values, where, allowed, source)
    principle = _build(make, where, source, **{k: values[k] for k in settings if k in values})
    extra = {k: values[k] for k in ("expense_ratio", "profit_margin", "minimum") if k in values}
    return _build(PremiumBasis, where, source, principle=principle, **extra)
