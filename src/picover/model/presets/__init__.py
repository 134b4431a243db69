"""Preset models shipped as TOML data files, every parameter with its source."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any

from picover.model import breach as _breach
from picover.model import costs as _costs
from picover.model.consolation import ConsolationCost
from picover.model.frequency import FrequencyModel
from picover.model.litigation import Litigation

if TYPE_CHECKING:
    from picover.model.breach_model import BreachModel

_COST_KINDS: dict[str, Any] = {
    "lognormal": _costs.LognormalCost,
    "consolation": ConsolationCost,
    "linear": _costs.LinearCost,
    "surcharge": _costs.SurchargeCost,
}
_SIZE_KINDS: dict[str, Any] = {
    "power_law": _breach.PowerLawSize,
    "fixed_fraction": _breach.FixedFractionSize,
    "beta_fraction": _breach.BetaFractionSize,
    "empirical": _breach.EmpiricalSize,
}


def available() -> list[str]:
    """Names of the presets shipped with picover.

    Examples
    --------
    >>> "kr" in available()
    True
    """
    root = resources.files(__name__)
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def _build(kinds: Mapping[str, Any], table: Mapping[str, Any], where: str) -> Any:
    table = dict(table)
    kind = table.pop("kind", None)
    if kind not in kinds:
        raise ValueError(f"{where}.kind must be one of {sorted(kinds)}; got {kind!r}")
    try:
        return kinds[kind](**table)
    except TypeError as exc:
        raise TypeError(f"{where}: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def from_mapping(data: Mapping[str, Any], where: str = "preset") -> BreachModel:
    """Build a BreachModel from a preset's parsed TOML (checks every parameter has a source).

    Examples
    --------
    >>> text = resources.files("picover.model.presets").joinpath("kr.toml").read_text("utf-8")
    >>> data = tomllib.loads(text)
    >>> data["costs"]["consolation"]["award"] = 2e5  # KRW per claimant
    >>> from_mapping(data, where="my preset").costs["consolation"].award
    200000.0
    >>> _ = data["sources"].pop("consolation.award")
    >>> from_mapping(data, where="my preset")
    Traceback (most recent call last):
    ...
    ValueError: my preset: parameters without a source: ['consolation.award']
    """
    from picover.model.breach_model import BreachModel

    allowed = {"model", "frequency", "breach_size", "litigation", "costs", "sources"}
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"{where}: unknown table(s) {sorted(unknown)}; allowed {sorted(allowed)}")
    meta = dict(data.get("model", {}))
    unknown_meta = set(meta) - {"name", "currency", "description", "nodes"}
    if unknown_meta:
        raise ValueError(f"{where}: unknown key(s) in [model]: {sorted(unknown_meta)}")
    try:
        freq = FrequencyModel(**data["frequency"])
        lit = Litigation(**data["litigation"])
    except (KeyError, TypeError, ValueError) as exc:
        raise type(exc)(f"{where}: {exc}") from None
    size = _build(_SIZE_KINDS, data["breach_size"], f"{where}: [breach_size]")
    costs = {
        name: _build(_COST_KINDS, table, f"{where}: [costs.{name}]")
        for name, table in data["costs"].items()
    }
    model = BreachModel(
        frequency_model=freq,
        breach_size=size,
        litigation=lit,
        costs=costs,
        currency=meta.get("currency", "KRW"),
        name=meta.get("name", where),
        sources=data.get("sources", {}),
        nodes=meta.get("nodes", _breach.DEFAULT_NODES),
    )
    missing = sorted(set(model.parameters()) - set(model.sources))
    if missing:
        raise ValueError(f"{where}: parameters without a source: {missing}")
    stray = sorted(set(model.sources) - set(model.parameters()))
    if stray:
        raise ValueError(f"{where}: sources for unknown parameters: {stray}")
    return model


@functools.cache  # models are immutable: one load per preset is enough
def load_preset(name: str) -> BreachModel:
    """Load the preset ``name`` (see :func:`available`)."""
    names = available()
    if name not in names:
        raise ValueError(f"unknown preset {name!r}; available presets: {names}")
    text = resources.files(__name__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return from_mapping(tomllib.loads(text), where=f"preset {name!r}")
