"""Frozen results and inputs keep their arrays read-only through pickle (dask, saved files)."""

from __future__ import annotations

import copy
import datetime
import pickle
from collections.abc import Mapping

import attrs
import numpy as np
import pytest

import picover as pc
from picover.engine.counts import PmfFrequency

DAY = datetime.date(2025, 1, 1)


def arrays_in(value: object) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, tuple | list):
        return [a for item in value for a in arrays_in(item)]
    return []


def arrays_of(obj: object) -> list[np.ndarray]:
    return [a for field in attrs.fields(type(obj)) for a in arrays_in(getattr(obj, field.name))]


def objects() -> list[object]:
    shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
    book = pc.price_portfolio(
        {"records": [5_000, 40_000], "annual_sales": [2e8, 3e9], "sector": ["retail"] * 2},
        pc.Policy(limit=5e7), outputs=("premium",), as_of=DAY,
    )  # fmt: skip
    return [
        pc.quote(shop, pc.Policy(limit=5e7), as_of=DAY).loss,
        book,
        book.table(),
        pc.empirical([1.0, 2.0, 2.0, 5.0]),
        pc.EmpiricalSize(fractions=[0.1, 0.5], probs=[0.5, 0.5]),
        PmfFrequency([0.5, 0.3, 0.2]),
    ]


@pytest.mark.parametrize("obj", objects(), ids=lambda o: type(o).__name__)
def test_unpickled_arrays_are_read_only_and_the_same(obj):
    arrays = arrays_of(obj)
    assert arrays, "the case holds arrays"
    assert not any(a.flags.writeable for a in arrays)
    for twin in (pickle.loads(pickle.dumps(obj, protocol=4)),
                 pickle.loads(pickle.dumps(obj, protocol=5)), copy.deepcopy(obj)):  # fmt: skip
        again = arrays_of(twin)
        assert [a.tolist() for a in again] == [a.tolist() for a in arrays]
        # numpy pickles no flags: without the class's own state these came back writeable.
        assert not any(a.flags.writeable for a in again)
        with pytest.raises(ValueError, match="read-only"):
            again[0][...] = 0


def test_an_unpickled_distribution_answers_as_the_original():
    shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
    loss = pc.quote(shop, pc.Policy(limit=5e7), as_of=DAY).loss
    twin = pickle.loads(pickle.dumps(loss))
    q = [0.5, 0.9, 0.99, 0.999]
    assert twin.ppf(q).tolist() == loss.ppf(q).tolist()
    assert (twin.mean(), twin.tvar(0.99)) == (loss.mean(), loss.tvar(0.99))


def test_an_empirical_severity_keeps_its_own_samples():
    # Draws come from the samples, exact figures from the atoms: an edit of the
    # caller's array after the fact must move neither.
    data = np.array([1.0, 2.0, 3.0])
    sev = pc.empirical(data)
    data[:] = 100.0
    draws = sev.rvs(1_000, seed=1)
    assert set(draws.tolist()) <= {1.0, 2.0, 3.0}
    assert sev.mean() == 2.0


def test_an_empirical_severity_holds_one_copy_of_its_samples():
    sev = pc.empirical(np.arange(1_000.0))
    assert sev.samples is sev.values
    assert not sev.samples.flags.writeable


def test_an_empirical_breach_size_leaves_the_callers_array_alone():
    fractions = np.array([0.1, 0.5])
    size = pc.EmpiricalSize(fractions=fractions, probs=[0.5, 0.5])
    assert fractions.flags.writeable
    assert size.fractions is not fractions
    fractions[0] = 0.9
    assert size.fractions.tolist() == [0.1, 0.5]
