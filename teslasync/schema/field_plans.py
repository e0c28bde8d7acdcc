"""How the executor reads each field of a selection: directly when it can, else graphql-core's full way.

A plan is made once per selection on an object type (execution.py keeps them per operation). Each key is
one of: a plain leaf (an attribute read and coerced as graphql-core would), a plain object (an attribute read
whose selection is executed directly), a direct resolver (a resolver without arguments called without
Strawberry's per-call argument handling), or graphql-core's `execute_field`.
"""

from __future__ import annotations

from collections.abc import Callable
from math import isfinite
from types import FunctionType
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Undefined
from strawberry.types.field import StrawberryField

from teslasync.schema.row_reader import INT_MAX, INT_MIN, Leaf, RowReader, row_reader

# what graphql-core's built-in scalars return as they are: a float when finite, an int within 32 bits
_UNCHANGED: dict[GraphQLScalarType, type] = {
    GraphQLFloat: float,
    GraphQLInt: int,
    GraphQLString: str,
    GraphQLBoolean: bool,
    GraphQLID: str,
}

# how to read an object field directly: the attribute reader, the attribute, the field's type as declared
# and the object type it names (one that does not check its values)
ObjectField = tuple[Callable[[Any, str], Any], str, GraphQLOutputType, GraphQLObjectType]
# how to complete a leaf value: the type's output coercion, may be null, the type passed through unchanged
LeafCompletion = tuple[Callable[[Any], Any], bool, type | None]
# how to call a resolver directly: its function, the name it takes the info as (None: it takes none), the
# field, its Strawberry definition, and how to complete its value when its type is a leaf
DirectResolver = tuple[Callable[..., Any], str | None, GraphQLField, StrawberryField, LeafCompletion | None]
PlanEntry = tuple[str, FieldDetailsList, Leaf | None, ObjectField | None, DirectResolver | None]


class Plan:
    """A selection on one object type: each response key, its fields and how to read it if it is plain."""

    __slots__ = ("_reader", "entries", "leaves")

    def __init__(self, entries: list[PlanEntry]) -> None:
        self.entries = entries
        # every key a plain leaf: the whole object can be read without graphql-core
        self.leaves = [(name, leaf) for name, _, leaf, _, _ in entries if leaf is not None]
        if len(self.leaves) != len(entries):
            self.leaves = []
        self._reader: RowReader | None = None

    @property
    def reader(self) -> RowReader:
        """The compiled reader of a list of such objects (only when every key is a plain leaf)."""
        if self._reader is None:
            self._reader = row_reader(self.leaves)
        return self._reader


def field_without_arguments(
    parent_type: GraphQLObjectType, field_details_list: FieldDetailsList
) -> tuple[GraphQLField, StrawberryField] | None:
    """The selected field and its Strawberry definition, when it takes no arguments."""
    node = field_details_list[0].node
    field_def = parent_type.fields.get(node.name.value)
    if field_def is None or node.arguments or field_def.args:
        return None
    definition = field_def.extensions.get("strawberry-definition")
    if not isinstance(definition, StrawberryField):
        return None
    return field_def, definition


def attribute_field(
    parent_type: GraphQLObjectType, field_details_list: FieldDetailsList
) -> tuple[GraphQLField, StrawberryField] | None:
    """The field, when reading it is reading an attribute: no arguments, Strawberry's default resolver, and no
    field extension (a permission check) that the resolver would run."""
    field = field_without_arguments(parent_type, field_details_list)
    if field is None or not field[1].is_basic_field or not getattr(field[0].resolve, "_is_default", False):
        return None
    return field


def leaf_completion(output_type: GraphQLOutputType) -> LeafCompletion | None:
    """How graphql-core completes a value of this type when it is a leaf (scalar or enum); None otherwise."""
    field_type = get_nullable_type(output_type)
    if not is_leaf_type(field_type):
        return None
    unchanged = _UNCHANGED.get(field_type) if isinstance(field_type, GraphQLScalarType) else None
    return field_type.coerce_output_value, not is_non_null_type(output_type), unchanged


def plain_leaf(parent_type: GraphQLObjectType, field_details_list: FieldDetailsList) -> Leaf | None:
    """How to read the field directly, or None when it needs graphql-core's full path."""
    attribute = attribute_field(parent_type, field_details_list)
    if attribute is None:
        return None
    field_def, definition = attribute
    completion = leaf_completion(field_def.type)
    if completion is None:
        return None
    return (definition.default_resolver, definition.python_name, *completion)


def direct_resolver(
    schema: GraphQLSchema, parent_type: GraphQLObjectType, field_details_list: FieldDetailsList
) -> DirectResolver | None:
    """How to call the field's resolver directly, or None when Strawberry's wrapper must call it.

    A method resolver without arguments, without field extensions, in a schema without exception handlers,
    takes nothing but the object and perhaps the info: what the wrapper does per call (converting arguments,
    chaining extensions, binding the reserved parameters) then comes down to that call."""
    field = field_without_arguments(parent_type, field_details_list)
    if field is None:
        return None
    field_def, definition = field
    if definition.extensions or definition.is_subscription:
        return None
    resolver = definition.base_resolver
    if resolver is None or resolver.self_parameter is None or resolver.arguments:
        return None
    if resolver.root_parameter is not None or resolver.parent_parameter is not None:
        return None
    converter = getattr(getattr(schema, "_strawberry_schema", None), "schema_converter", None)
    if getattr(converter, "_exception_handler_specs", None) != ():
        return None  # handlers, or a Strawberry that keeps them elsewhere: its wrapper knows
    function = resolver.wrapped_func
    if not isinstance(function, FunctionType):
        return None  # a static or class method: bound by Strawberry's wrapper
    info = resolver.info_parameter
    return (
        function,
        info.name if info else None,
        field_def,
        definition,
        leaf_completion(field_def.type),
    )


def plain_object(parent_type: GraphQLObjectType, field_details_list: FieldDetailsList) -> ObjectField | None:
    """How to read an object field directly, or None when it needs graphql-core's full path."""
    attribute = attribute_field(parent_type, field_details_list)
    if attribute is None:
        return None
    field_def, definition = attribute
    object_type = unchecked_object_type(field_def.type)
    if object_type is None:
        return None
    return definition.default_resolver, definition.python_name, field_def.type, object_type


def unchecked_object_type(output_type: GraphQLOutputType) -> GraphQLObjectType | None:
    """The object type a field or list item of this type holds, when it takes any value (no `is_type_of`)."""
    named = get_nullable_type(output_type)
    if is_object_type(named) and named.is_type_of is None:
        return named
    return None


def read_leaf(leaf: Leaf, source: Any) -> Any:
    """The leaf's output value, or Undefined when graphql-core must complete it (to report the error)."""
    read, attribute, coerce, nullable, unchanged = leaf
    return complete_leaf(read(source, attribute), coerce, nullable, unchanged)


def complete_leaf(value: Any, coerce: Callable[[Any], Any], nullable: bool, unchanged: type | None) -> Any:
    """A leaf value as graphql-core's completion gives it, or Undefined when that completion must report it."""
    if value is None:
        return None if nullable else Undefined
    kind = type(value)
    # what the coercion would give, without its checks and calls (a track's 10,000 floats)
    if kind is unchanged:
        if kind is float:
            if isfinite(value):
                return value
        elif kind is not int or INT_MIN <= value <= INT_MAX:
            return value
    try:
        coerced = coerce(value)
    except Exception:
        return Undefined
    return Undefined if coerced is None else coerced
