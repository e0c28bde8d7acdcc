"""A query cost limit: the number of objects and values an operation may ask for, estimated from the
document before it runs, so one request cannot ask for millions of rows (depth and alias limits alone
allow `vehicles { drives(first: 100) { track } }` thirty times over).

Each field costs 1; the fields under a list count once per item expected: `first` items for the edges of
a page, `len(names)` for series (and `maxPoints` points in each), `maxPoints` for positions, and 20 for any
other list. Variables are read; a document the schema does not know costs what it would, field by field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from teslasync.errors import TeslaSyncError

DEFAULT_LIST = 20


class QueryTooCostly(TeslaSyncError):
    code = "QUERY_TOO_COSTLY"


class _Estimate:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any]) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    def operation(self, operation: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(operation.operation)
        return self.selections(operation.selection_set, root, None, frozenset())

    def selections(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType | None,
        inherited: int | None,
        seen: frozenset[str],
    ) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, inherited, seen)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                named = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(selection.selection_set, named, inherited, seen)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    named = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.selections(
                        fragment.selection_set, named, inherited, seen | {selection.name.value}
                    )
        return total

    def field(
        self, node: FieldNode, parent: GraphQLNamedType | None, inherited: int | None, seen: frozenset[str]
    ) -> int:
        definition = parent.fields.get(node.name.value) if isinstance(parent, GraphQLObjectType) else None
        if node.selection_set is None:
            return 1
        arguments = {
            a.name.value: value_from_ast_untyped(a.value, self.variables) for a in node.arguments or ()
        }
        names, points = arguments.get("names"), arguments.get("maxPoints")
        returns_list = definition is not None and is_list_type(get_nullable_type(definition.type))
        factor, passed_down = 1, inherited
        if isinstance(first := arguments.get("first"), int):  # a page: its edges are the list
            factor, passed_down = (first, None) if returns_list else (1, first)
        elif isinstance(names, list):
            factor, passed_down = len(names), points if isinstance(points, int) else None
        elif returns_list:
            factor, passed_down = inherited or (points if isinstance(points, int) else DEFAULT_LIST), None
        child = get_named_type(definition.type) if definition is not None else None
        return 1 + max(factor, 1) * self.selections(node.selection_set, child, passed_down, seen)


def estimate(schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any] | None) -> int:
    """The cost of the most expensive operation in `document`."""
    estimate_ = _Estimate(schema, document, dict(variables or {}))
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return max((estimate_.operation(operation) for operation in operations), default=0)


class CostLimit(SchemaExtension):
    def __init__(self, max_cost: int) -> None:
        self.max_cost = max_cost

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            cost = estimate(context.schema._schema, document, context.variables)
            if cost > self.max_cost:
                error = QueryTooCostly(f"query cost {cost} is over the limit of {self.max_cost}")
                context.pre_execution_errors = [GraphQLError(error.message, original_error=error)]
        yield
