"""docs/commands.md: its reference is the catalogue's (regenerate with `teslasync export-commands`), and its
GraphQL examples are valid against the schema."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import parse, validate

from teslasync.fleet.catalogue import CATALOGUE, render_markdown
from teslasync.schema import schema

DOC = Path(__file__).resolve().parents[1] / "docs" / "commands.md"


def test_the_reference_is_generated_from_the_catalogue() -> None:
    text = DOC.read_text()
    assert text.rstrip().endswith(render_markdown().rstrip())
    assert all(f"`{spec.graphql_name}`" in text for spec in CATALOGUE)


def test_the_examples_are_valid() -> None:
    examples = re.findall(r"```graphql\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert examples
    for example in examples:
        assert validate(schema._schema, parse(example)) == []
