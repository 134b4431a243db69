"""Who is exposed: an organisation, the personal data it holds, and its incident history.

Amounts are in the model's currency (KRW by default); record counts are the
number of distinct data subjects (people) whose information is held.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from picover import _checks, _csv
from picover._frozen import FrozenMap

#: Kinds of entity the statutory rules distinguish.
ENTITY_TYPES = ("private", "public", "non_profit", "small_business")

#: The most data subjects an organisation may hold (beyond any real one).
MAX_RECORDS = 10**10
#: The years a history may hold.
FIRST_HISTORY_YEAR = 1900
LAST_HISTORY_YEAR = 2200


def _cost_dict(value: Mapping[str, float]) -> FrozenMap[str, float]:
    if not isinstance(value, Mapping):
        raise TypeError(f"incident costs must be a mapping of category to amount; got {value!r}")
    return FrozenMap(value)


def _non_negative_costs(_instance: Any, _attribute: Any, costs: Mapping[str, float]) -> None:
    for category, amount in costs.items():
        if not isinstance(category, str) or not category:
            raise TypeError(f"cost category names must be non-empty strings; got {category!r}")
        _checks.number(f"cost of {category!r}", amount, low=0.0)


@attrs.frozen
class Incident:
    """One past incident: records affected and what it cost, by category.

    Parameters
    ----------
    records_affected : int or None
        Data subjects whose information leaked (None when unknown).
    costs : mapping of str to float
        Paid costs by cost category (currency units), e.g. ``{"consolation": 5e7}``.

    Examples
    --------
    >>> Incident(records_affected=12_000, costs={"investigation": 3e7}).records_affected
    12000
    """

    records_affected: int | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(_checks.whole(low=1)),
    )
    costs: Mapping[str, float] = attrs.field(
        factory=dict, converter=_cost_dict, validator=_non_negative_costs
    )


def _incidents(value: Iterable[Incident]) -> tuple[Incident, ...]:
    return tuple(value)


@attrs.frozen
class HistoryYear:
    """One observed policy year of an organisation.

    Parameters
    ----------
    year : int
        Calendar year.
    records_held : int
        Data subjects held that year (the exposure of that year).
    incidents : int
        Number of leak incidents in the year.
    details : tuple of Incident
        Optional detail per incident (either none or one per incident). Kept
        with the history for the underwriter's file; the model does not use
        it: the frequency's credibility update counts incidents, and one
        organisation's few past costs are not credible enough to move the
        severity, which comes from the preset. A quote refuses costs under
        a category its model does not know (a misspelt one, most likely).

    Examples
    --------
    >>> HistoryYear(2023, 2_000_000, 1).incidents
    1
    """

    year: int = attrs.field(validator=_checks.whole(low=FIRST_HISTORY_YEAR, high=LAST_HISTORY_YEAR))
    records_held: int = attrs.field(validator=_checks.whole(low=0, high=MAX_RECORDS))
    incidents: int = attrs.field(validator=_checks.whole(low=0))
    details: tuple[Incident, ...] = attrs.field(default=(), converter=_incidents)

    def __attrs_post_init__(self) -> None:
        if self.incidents > 0 and self.records_held == 0:
            raise ValueError(f"year {self.year}: {self.incidents} incidents but records_held is 0")
        if self.details and len(self.details) != self.incidents:
            raise ValueError(
                f"year {self.year}: {len(self.details)} incident details for "
                f"{self.incidents} incidents; give one per incident or none"
            )
        for i, incident in enumerate(self.details):
            if not isinstance(incident, Incident):
                raise TypeError(f"year {self.year}: detail {i} must be an Incident")
            k = incident.records_affected
            if k is not None and k > self.records_held:
                raise ValueError(
                    f"year {self.year}, incident {i + 1}: records_affected ({k:,}) exceeds "
                    f"records_held ({self.records_held:,})"
                )


def _years(value: Iterable[HistoryYear]) -> tuple[HistoryYear, ...]:
    years = tuple(value)
    seen: set[int] = set()
    for y in years:
        if not isinstance(y, HistoryYear):
            raise TypeError(f"history years must be HistoryYear objects; got {type(y).__name__}")
        if y.year in seen:
            raise ValueError(f"history: year {y.year} appears more than once")
        seen.add(y.year)
    return tuple(sorted(years, key=lambda y: y.year))


_ROW_KEYS = {"year", "records_held", "incidents", "records_affected", "costs"}


@attrs.frozen
class IncidentHistory:
    """An organisation's observed policy years.

    The frequency model uses the incident counts and the records held each
    year (see :func:`picover.model.frequency.estimate`); per-incident
    details are validated and kept but do not enter any figure.

    Examples
    --------
    >>> h = IncidentHistory.from_rows([
    ...     {"year": 2022, "records_held": 2_500_000, "incidents": 0},
    ...     {"year": 2023, "records_held": 3_000_000, "incidents": 1,
    ...      "records_affected": [40_000], "costs": [{"investigation": 2.5e7}]},
    ... ])
    >>> h.total_incidents, len(h.years)
    (1, 2)
    """

    years: tuple[HistoryYear, ...] = attrs.field(default=(), converter=_years)

    @property
    def total_incidents(self) -> int:
        """Incidents over all observed years.

        Examples
        --------
        >>> h = IncidentHistory.from_rows([{"year": y, "records_held": 10_000, "incidents": n}
        ...                                for y, n in [(2022, 1), (2023, 2)]])
        >>> h.total_incidents
        3
        """
        return sum(y.incidents for y in self.years)

    def unknown_costs(self, categories: Iterable[str]) -> tuple[int, int, list[str]] | None:
        """The first incident with past costs under categories not among
        ``categories``, as (year, incident counting from 1, those categories
        sorted), or None when there is none.

        Examples
        --------
        >>> h = IncidentHistory.from_rows([{"year": 2023, "records_held": 10, "incidents": 1,
        ...                                 "costs": [{"consolaton": 1e6}]}])
        >>> h.unknown_costs(["investigation", "consolation"])
        (2023, 1, ['consolaton'])
        """
        known = set(categories)
        for year in self.years:
            for i, incident in enumerate(year.details, start=1):
                unknown = sorted(set(incident.costs) - known)
                if unknown:
                    return year.year, i, unknown
        return None

    def exposure(self, records: float, size_elasticity: float) -> float:
        """Observed exposure in units of the current year: sum of (R_t / R) ** elasticity.

        A year holding no records exposed nothing, whatever the elasticity (with
        elasticity 0, (0 / R) ** 0 would count it a full year).

        Examples
        --------
        >>> h = IncidentHistory.from_rows([{"year": 2022, "records_held": 0, "incidents": 0},
        ...                                {"year": 2023, "records_held": 40, "incidents": 0}])
        >>> h.exposure(160, 0.5), h.exposure(160, 0.0)  # (40 / 160) ** 0.5; one year
        (0.5, 1.0)
        """
        return math.fsum(
            (y.records_held / records) ** size_elasticity for y in self.years if y.records_held > 0
        )

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> IncidentHistory:
        """Build from one mapping per year.

        Each row has ``year``, ``records_held`` and ``incidents``, and
        optionally ``records_affected`` (a list, one per incident) and
        ``costs`` (a list of ``{category: amount}``, one per incident;
        currency units). Errors name the row (counting from 1) and the field.

        Examples
        --------
        >>> h = IncidentHistory.from_rows([
        ...     {"year": 2023, "records_held": 3_000_000, "incidents": 1,
        ...      "records_affected": [40_000], "costs": [{"investigation": 2.5e7}]},
        ...     {"year": 2022, "records_held": 2_500_000, "incidents": 0},
        ... ])
        >>> [y.year for y in h.years], h.years[1].details[0].costs["investigation"]  # KRW
        ([2022, 2023], 25000000.0)
        >>> IncidentHistory.from_rows([{"year": 2023, "records_held": 10}])
        Traceback (most recent call last):
        ...
        ValueError: history row 1: missing field(s) ['incidents']
        """
        if isinstance(rows, Mapping | str | bytes):
            raise TypeError(
                "history rows must be a sequence of mappings, one per year; got a single "
                f"{type(rows).__name__}"
            )
        years = []
        for i, row in enumerate(rows, start=1):
            if not isinstance(row, Mapping):
                raise TypeError(f"history row {i} must be a mapping; got {type(row).__name__}")
            unknown = set(row) - _ROW_KEYS
            if unknown:
                raise ValueError(
                    f"history row {i}: unknown field(s) {sorted(unknown)}; allowed are "
                    f"{sorted(_ROW_KEYS)}"
                )
            missing = {"year", "records_held", "incidents"} - set(row)
            if missing:
                raise ValueError(f"history row {i}: missing field(s) {sorted(missing)}")
            try:
                years.append(_year_from_row(row))
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"history row {i}: {exc}") from None
        return cls(years)

    @classmethod
    def from_csv(cls, path: str | Path) -> IncidentHistory:
        r"""Read a CSV with columns ``year, records_held, incidents`` (one row per year).

        Optional columns: ``records_affected`` (semicolon-separated, one per
        incident) and ``cost_<category>`` (semicolon-separated amounts, one
        per incident, currency units), e.g. ``cost_consolation``. The file
        must be UTF-8 (a byte-order mark is fine); errors name the file and the row at fault.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> text = (
        ...     "year,records_held,incidents,records_affected,cost_consolation\n"
        ...     "2022,2500000,0,,\n"
        ...     "2023,3000000,2,40000;1200,5e7;0\n"
        ... )
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     path = pathlib.Path(tmp) / "history.csv"
        ...     _ = path.write_text(text, encoding="utf-8")
        ...     h = IncidentHistory.from_csv(path)
        >>> h.total_incidents, h.years[1].details[0].costs["consolation"]  # KRW
        (2, 50000000.0)
        """
        p = Path(path)
        try:
            with p.open(newline="", encoding="utf-8-sig") as fh:  # Excel writes a byte-order mark
                text = fh.read()
        except UnicodeDecodeError as exc:
            raise ValueError(f"{p}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
        try:
            table = _csv.records(text, first_row=1)
        except ValueError as exc:
            raise ValueError(f"{p}: {exc}") from None
        if not table:
            raise ValueError(f"{p}: no rows; a history needs at least one year")
        rows = []
        for i, raw in enumerate(table, start=1):
            try:
                rows.append(_csv_row(raw))
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"{p}: row {i}: {exc}") from None
        try:
            return cls.from_rows(rows)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{p}: {exc}") from None


def _is_list(value: Any) -> bool:
    return isinstance(value, list | tuple)


def _year_from_row(row: Mapping[str, Any]) -> HistoryYear:
    incidents = _checks.integer("incidents", row["incidents"], low=0)
    affected = row.get("records_affected")
    costs = row.get("costs")
    details: list[Incident] = []
    if affected is not None or costs is not None:
        for name, value in (("records_affected", affected), ("costs", costs)):
            if value is not None and (isinstance(value, str | Mapping) or not _is_list(value)):
                raise TypeError(f"{name} must be a list with one entry per incident; got {value!r}")
        affected_list = list(affected) if affected is not None else [None] * incidents
        costs_list = list(costs) if costs is not None else [{}] * incidents
        for name, lst in (("records_affected", affected_list), ("costs", costs_list)):
            if len(lst) != incidents:
                raise ValueError(f"{name} has {len(lst)} entries for {incidents} incidents")
        for j, (k, c) in enumerate(zip(affected_list, costs_list, strict=True), start=1):
            if k is not None:
                k = _checks.integer(f"records_affected[{j}]", k, low=1)
            if not isinstance(c, Mapping):
                raise TypeError(f"costs[{j}] must be a mapping of category to amount")
            details.append(Incident(records_affected=k, costs=c))
    return HistoryYear(
        year=_checks.integer("year", row["year"], low=FIRST_HISTORY_YEAR, high=LAST_HISTORY_YEAR),
        records_held=_checks.integer("records_held", row["records_held"], low=0, high=MAX_RECORDS),
        incidents=incidents,
        details=tuple(details),
    )


def _split(cell: str, key: str) -> list[str]:
    """The entries of a semicolon-separated cell; an empty one is refused, not skipped
    (it would shift every later entry to the wrong incident)."""
    parts = [part.strip() for part in cell.split(";")]
    if not all(parts):
        raise ValueError(f"{key}: an empty entry in {cell!r}; give one value per incident")
    return parts


def _csv_row(raw: Mapping[str, str]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    costs: dict[str, list[float]] = {}
    for key, cell in raw.items():
        text = cell.strip()
        if key in ("year", "records_held", "incidents"):
            if not text:
                raise ValueError(f"{key} is empty")
            row[key] = _checks.text_number(key, text)
        elif key == "records_affected":
            if text:
                row[key] = [_checks.text_number(key, t) for t in _split(text, key)]
        elif key.startswith("cost_") and len(key) > 5:
            if text:
                costs[key[5:]] = [_checks.text_number(key, t) for t in _split(text, key)]
        else:
            raise ValueError(
                f"unknown column {key!r}; allowed are year, records_held, incidents, "
                "records_affected and cost_<category>"
            )
    if costs and "incidents" in row:  # (a missing column is reported with the others)
        # Checked here, before it counts the amounts (from_rows would check it only after).
        n = _checks.integer("incidents", row["incidents"], low=0)
        for category, amounts in costs.items():
            if len(amounts) != n:
                raise ValueError(f"cost_{category} has {len(amounts)} amounts for {n} incidents")
        row["costs"] = [{c: amounts[j] for c, amounts in costs.items()} for j in range(n)]
    return row


def _history(value: Any) -> IncidentHistory | None:
    if value is None or isinstance(value, IncidentHistory):
        return value
    raise TypeError(
        f"Organisation.history must be an IncidentHistory (see IncidentHistory.from_rows) "
        f"or None; got {type(value).__name__}"
    )


def _exact_int(value: Any) -> Any:
    # 3e6 means 3,000,000 exactly; anything else is left for the validator to judge.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@attrs.frozen
class Organisation:
    """An organisation that holds personal information.

    Parameters
    ----------
    records : int
        Distinct data subjects whose personal information it stores (the law
        counts the daily average over the last three months of the previous
        year); from 1 to 10^10.
    annual_sales : float
        Previous year's sales (currency units), at most 10^16.
    sector : str
        A key of the model's sector table (e.g. ``"retail"``); checked by the model.
    history : IncidentHistory, optional
        Observed past years, used for the credibility update of the frequency.
    name : str, optional
        A label for reports.
    entity_type : {"private", "public", "non_profit", "small_business"}
        Kind of entity, for the statutory exemptions (default "private");
        ``"small_business"`` is a micro enterprise (small business owner) as
        the Framework Act on Micro Enterprises, Art. 2(1), defines it.
    ict_provider : bool
        Whether it provides information and communications services (the
        2019 rule applied only to these); default False.
    equivalent_cover : bool
        Already holds equivalent cover under another law (an exemption).
    processing_outsourced : bool
        It has entrusted its processing to a processor the Enforcement Decree
        prescribes: with ``entity_type="small_business"`` an exemption (PIPA
        Art. 39-7(2)), alone none.

    Examples
    --------
    >>> org = Organisation(records=3_000_000, annual_sales=120e9, sector="retail")
    >>> org.records
    3000000
    """

    # Bounds of plausibility: more people than on Earth, or sales of ten
    # quadrillion KRW, are input errors, not organisations.
    records: int = attrs.field(
        converter=_exact_int, validator=_checks.whole(low=1, high=MAX_RECORDS)
    )
    annual_sales: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, high=1e16)
    )
    sector: str = attrs.field(validator=_checks.kind(str))
    history: IncidentHistory | None = attrs.field(default=None, converter=_history)
    name: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(_checks.kind(str))
    )
    entity_type: str = attrs.field(default="private", validator=_checks.among(ENTITY_TYPES))
    ict_provider: bool = attrs.field(default=False, validator=_checks.kind(bool))
    equivalent_cover: bool = attrs.field(default=False, validator=_checks.kind(bool))
    processing_outsourced: bool = attrs.field(default=False, validator=_checks.kind(bool))
