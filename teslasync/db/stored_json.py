"""JSONB columns read as their text and parsed where they are used.

A drive's track and a charging session's curve are the largest values of their rows (hundreds of points),
and a page of drives or sessions rarely shows them: parsing each as it is fetched was ~7% of a page's
time with nothing asking for the points. These columns are selected as text (`column::text`, the same
bytes PostgreSQL would send for JSONB) and kept as a `JSONText`, parsed once, on first use.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Text, cast, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator


class JSONText:
    """A stored JSON document as its text; `value` parses it, once."""

    __slots__ = ("_value", "text")

    _UNPARSED: Any = object()

    def __init__(self, text: str) -> None:
        self.text = text
        self._value = self._UNPARSED

    @property
    def value(self) -> Any:
        if self._value is self._UNPARSED:
            self._value = orjson.loads(self.text)
        return self._value

    def __eq__(self, other: object) -> bool:
        return bool(self.value == parsed(other))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"JSONText({self.text[:40]!r}{'…' if len(self.text) > 40 else ''})"


class Unread:
    """A column of this type that a page left out because its query did not ask for it. Reading it is a bug,
    and fails loudly rather than passing for an empty track."""

    __slots__ = ("column",)

    def __init__(self, column: str) -> None:
        self.column = column

    @property
    def value(self) -> Any:
        raise LookupError(f"{self.column} was not read: the query that loaded this row did not ask for it")

    def __repr__(self) -> str:
        return f"Unread({self.column!r})"


def parsed(stored: object) -> Any:
    """The document of a column of this type: parsed from a row read back, as written on a row not yet."""
    return stored.value if isinstance(stored, JSONText | Unread) else stored


class StoredJSON(TypeDecorator[Any]):
    """JSONB in the table; a `JSONText` when read, any JSON-able value (or a `JSONText`) when written."""

    impl = JSONB
    cache_ok = True

    def column_expression(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        # typed as this type again, so that its rows come back through `process_result_value`
        return type_coerce(cast(column, Text), self)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return value.value if isinstance(value, JSONText) else value

    def process_result_value(self, value: Any, dialect: Dialect) -> JSONText | None:
        return None if value is None else JSONText(value)
