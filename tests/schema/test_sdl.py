from __future__ import annotations

from pathlib import Path

from teslasync.schema import schema

COMMITTED = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_sdl_matches_the_code() -> None:
    committed = COMMITTED.read_text()
    assert committed == schema.as_str() + "\n", "schema.graphql is stale: run `make schema` and commit it"


def test_every_type_and_field_is_described() -> None:
    from graphql import GraphQLEnumType, GraphQLObjectType

    missing = []
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or name in {"String", "Boolean", "Int", "Float", "ID"}:
            continue
        if not graphql_type.description:
            missing.append(name)
        if isinstance(graphql_type, GraphQLObjectType):
            missing += [
                f"{name}.{field}" for field, spec in graphql_type.fields.items() if not spec.description
            ]
        if isinstance(graphql_type, GraphQLEnumType):
            continue
    assert missing == []
