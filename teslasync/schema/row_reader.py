"""Readers of lists of plain objects, compiled for the fields a query selects.

A drive's track or a series is thousands of objects whose selected fields are all plain leaves. Reading them
leaf by leaf through one generic function costs a call, a tuple unpacking and a few checks per value (~1 µs
each on the reference machine, most of a tracks page). A reader is instead generated once per selection
shape, as Python source with each field's read and check written out, the way graphql-jit compiles queries
for JavaScript: the same decisions, a third of the time.

What the reader gives is exactly what graphql-core's completion would give, or None when a value needs it
(a null where none may be, a value that does not coerce): the caller then completes the whole list the full
way, so errors and their paths stay graphql-core's own.
"""

from __future__ import annotations

import keyword
from collections import OrderedDict
from collections.abc import Callable, Sequence
from math import isfinite
from typing import Any

from graphql.pyutils import Undefined

# how to read one leaf: the attribute reader, the attribute's name, the type's output coercion, may be null,
# and the Python type whose values the coercion gives back unchanged (checked exactly; None: always coerce)
Leaf = tuple[Callable[[Any, str], Any], str, Callable[[Any], Any], bool, type | None]
RowReader = Callable[[Sequence[Any]], list[dict[str, Any]] | None]

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
MAX_READERS = 512  # selection shapes kept (aliases make them the client's choice, so they are bounded)

_readers: OrderedDict[tuple[tuple[str, Leaf], ...], RowReader] = OrderedDict()


def row_reader(leaves: Sequence[tuple[str, Leaf]]) -> RowReader:
    """The reader of a list whose items have these leaves (response key, how to read it), compiled once."""
    key = tuple(leaves)
    reader = _readers.get(key)
    if reader is None:
        reader = _compile(key)
        _readers[key] = reader
        if len(_readers) > MAX_READERS:
            _readers.popitem(last=False)
    else:
        _readers.move_to_end(key)
    return reader


def _compile(leaves: tuple[tuple[str, Leaf], ...]) -> RowReader:
    namespace: dict[str, Any] = {
        "isfinite": isfinite,
        "Undefined": Undefined,
        "INT_MIN": INT_MIN,
        "INT_MAX": INT_MAX,
    }
    body = ["def read_rows(items):", "    rows = []", "    append = rows.append", "    for item in items:"]
    body.append("        if item is None:")
    body.append("            return None")
    for index, (_, (read, attribute, coerce, nullable, unchanged)) in enumerate(leaves):
        value = f"v{index}"
        namespace[f"coerce{index}"] = coerce
        if read is getattr and attribute.isidentifier() and not keyword.iskeyword(attribute):
            body.append(f"        {value} = item.{attribute}")
        else:
            namespace[f"read{index}"], namespace[f"attribute{index}"] = read, attribute
            body.append(f"        {value} = read{index}(item, attribute{index})")
        body.append(f"        if {value} is None:")
        body.append("            pass" if nullable else "            return None")
        if unchanged is float:
            body.append(f"        elif type({value}) is float and isfinite({value}):")
            body.append("            pass")
        elif unchanged is int:
            body.append(f"        elif type({value}) is int and INT_MIN <= {value} <= INT_MAX:")
            body.append("            pass")
        elif unchanged is not None:
            namespace[f"unchanged{index}"] = unchanged
            body.append(f"        elif type({value}) is unchanged{index}:")
            body.append("            pass")
        body.append("        else:")
        body.append("            try:")
        body.append(f"                {value} = coerce{index}({value})")
        body.append("            except Exception:")
        body.append("                return None")
        body.append(f"            if {value} is None or {value} is Undefined:")
        body.append("                return None")
    row = ", ".join(f"{name!r}: v{index}" for index, (name, _) in enumerate(leaves))
    body.append(f"        append({{{row}}})")
    body.append("    return rows")
    exec("\n".join(body), namespace)  # noqa: S102 - source built above from the schema's names, not input
    reader: RowReader = namespace["read_rows"]
    return reader
