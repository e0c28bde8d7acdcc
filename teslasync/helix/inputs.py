"""A feature's input checked against its JSON schema: the subset the registry uses (an object with typed
properties, required keys, no others, string lengths, array sizes), with a message naming the field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def problems(schema: Mapping[str, Any], given: object, path: str = "input") -> list[str]:
    kind = schema.get("type")
    expected = _TYPES.get(str(kind)) if kind else None
    if expected is not None and (
        not isinstance(given, expected) or (kind != "boolean" and isinstance(given, bool))
    ):
        return [f"{path}: must be a{'n' if str(kind)[0] in 'aeiou' else ''} {kind}"]
    found: list[str] = []
    if isinstance(given, dict):
        properties: Mapping[str, Any] = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in given:
                found.append(f"{path}.{name}: is required")
        for name, value in given.items():
            if name in properties:
                found += problems(properties[name], value, f"{path}.{name}")
            elif schema.get("additionalProperties") is False:
                found.append(f"{path}.{name}: is not an input of this feature")
    if isinstance(given, str) and "maxLength" in schema and len(given) > schema["maxLength"]:
        found.append(f"{path}: at most {schema['maxLength']} characters")
    if isinstance(given, list):
        if len(given) < schema.get("minItems", 0) or len(given) > schema.get("maxItems", len(given)):
            found.append(
                f"{path}: {schema.get('minItems', 0)} to {schema.get('maxItems', 'any number of')} items"
            )
        if "items" in schema:
            for index, item in enumerate(given):
                found += problems(schema["items"], item, f"{path}[{index}]")
    return found
