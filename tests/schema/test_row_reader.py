"""Compiled readers of lists of plain objects: the same values graphql-core's completion gives, or None
where it must complete them itself (the executor's side of it is in test_execution.py)."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

from graphql import GraphQLFloat, GraphQLInt, GraphQLString

from teslasync.schema import row_reader


def test_readers_are_compiled_once_per_selection_shape_and_bounded(monkeypatch: Any) -> None:
    monkeypatch.setattr(row_reader, "_readers", row_reader.OrderedDict())
    monkeypatch.setattr(row_reader, "MAX_READERS", 2)
    leaf = (getattr, "latitude", float, False, float)
    first = row_reader.row_reader([("latitude", leaf)])
    assert row_reader.row_reader([("latitude", leaf)]) is first
    assert first([SimpleNamespace(latitude=1.5)]) == [{"latitude": 1.5}]
    row_reader.row_reader([("lat", leaf)])
    row_reader.row_reader([("y", leaf)])
    assert len(row_reader._readers) == 2
    assert row_reader.row_reader([("latitude", leaf)]) is not first  # the oldest shape went first


def test_a_reader_reads_attributes_that_are_not_identifiers_through_the_reader_given() -> None:
    reader = row_reader.row_reader(
        [("from", (getattr, "from", str, True, str)), ("x", (lambda o, n: o[n], "x", int, False, int))]
    )
    assert reader([type("Row", (dict,), {"from": "a"})(x=2)]) == [{"from": "a", "x": 2}]
    assert reader([None]) is None  # a null item: graphql-core's way


def test_each_kind_of_value_passes_or_coerces_or_hands_back() -> None:
    reader = row_reader.row_reader(
        [
            ("f", (getattr, "f", GraphQLFloat.serialize, False, float)),
            ("i", (getattr, "i", GraphQLInt.serialize, True, int)),
            ("s", (getattr, "s", GraphQLString.serialize, True, str)),
        ]
    )
    assert reader([SimpleNamespace(f=1, i=True, s=5), SimpleNamespace(f=2.5, i=None, s=None)]) == [
        {"f": 1.0, "i": 1, "s": "5"},
        {"f": 2.5, "i": None, "s": None},
    ]
    assert reader([SimpleNamespace(f=None, i=1, s="a")]) is None  # a null where none may be
    assert reader([SimpleNamespace(f=math.nan, i=1, s="a")]) is None  # does not coerce
    assert reader([SimpleNamespace(f=1.0, i=2**31, s="a")]) is None  # beyond 32 bits
