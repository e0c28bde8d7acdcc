"""What an operation asks for below a field, read from its document: so that a resolver can leave out of
its SQL what nothing will show."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)
from strawberry.types import Info


def asks_for(info: Info, path: Sequence[str], names: frozenset[str]) -> bool:
    """Whether the selection of `info`'s field, followed along `path` (schema field names, not aliases),
    holds a field named in `names`. Fragments are followed. `@skip` and `@include` are not evaluated: a field
    they leave out still counts as asked for, which costs a page time, never a wrong answer."""
    raw = info._raw_info
    selections: list[SelectionSetNode | None] = [node.selection_set for node in raw.field_nodes]
    for name in path:
        selections = [
            field.selection_set for field in _fields(selections, raw.fragments) if field.name.value == name
        ]
    return any(field.name.value in names for field in _fields(selections, raw.fragments))


def _fields(
    selection_sets: Iterable[SelectionSetNode | None], fragments: dict[str, FragmentDefinitionNode]
) -> Iterator[FieldNode]:
    for selection_set in selection_sets:
        if selection_set is None:
            continue
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                yield from _fields([selection.selection_set], fragments)
            elif isinstance(selection, FragmentSpreadNode):
                yield from _fields([fragments[selection.name.value].selection_set], fragments)
