"""The executor of the schema: graphql-core's, with two changes.

Per-event caches: graphql-core's per-event executor is a shallow copy of the subscription's executor, so each
event's memoised subfields land in a cache shared with the subscription and kept for its whole life: one
entry per delivered update (measured: +230,000 objects in 6 s at 1,000 updates/s). Each event now gets a
cache of its own, dropped with the event.

Plain leaves: graphql-core runs every field through the same machinery (a path, a resolve info, the
resolver, completion by type), which for a drives page with its tracks is 10,000 leaf fields and most of
the response's time. A leaf (scalar or enum) field with no arguments whose resolver is Strawberry's default
attribute read is taken from the object and coerced by its type directly, as graphql-core's completion would;
a list of objects whose selected fields are all such leaves (a track's points) is built row by row (by
row_reader.py), and a list of scalars (a series' column) value by value, without a path per item. Anything
else, and any value that is a null where none may be or does not coerce, goes the full way, so errors and
their paths are graphql-core's own. Resolver middleware (a schema extension's `resolve` hook) turns it off.

Plain objects: an object read by the default resolver with no arguments (an edge's `node`), and each object
of a list (a page's edges), has its selection executed directly, without the resolve info, resolver call and
completion dispatch graphql-core spends on it. Only object types that do not check their values (no
`is_type_of`) go this way; errors are handled at the same path as graphql-core handles them.

Direct resolvers: a resolver without arguments (a drive's track) is called with the object, and the info
when it asks for it, without Strawberry's per-call wrapper. How each field is read is decided once per
selection, in field_plans.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import Any, cast

from graphql import (
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import to_nodes
from graphql.pyutils import AwaitableOrValue, Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info

from teslasync.schema.field_plans import (
    DirectResolver,
    LeafCompletion,
    ObjectField,
    Plan,
    PlanEntry,
    complete_leaf,
    direct_resolver,
    leaf_completion,
    plain_leaf,
    plain_object,
    read_leaf,
    unchecked_object_type,
)


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        self._plain_leaves = manager is None or not manager._middleware_resolvers
        strawberry_schema = getattr(self.schema, "_strawberry_schema", None)
        self._info_class = strawberry_schema.config.info_class if strawberry_schema else Info
        # keyed by the grouped field set's identity; the set is kept alive with its plan (as graphql-core's
        # own subfield memo does), so an id is never reused while its entry exists
        self._plans: dict[int, tuple[GroupedFieldSet, Plan]] = {}

    def build_per_event_executor(self, payload: Any) -> Any:
        executor = cast(ExecutionContext, super().build_per_event_executor(payload))
        executor._relevant_sub_fields = {}
        executor._plans = {}
        return executor

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet) -> Plan:
        cached = self._plans.get(id(grouped_field_set))
        if cached is not None:
            return cached[1]
        entries: list[PlanEntry] = []
        for name, details in grouped_field_set.items():
            leaf = plain = direct = None
            if self._plain_leaves:
                leaf = plain_leaf(parent_type, details)
                plain = plain_object(parent_type, details) if leaf is None else None
                if leaf is None and plain is None:
                    direct = direct_resolver(self.schema, parent_type, details)
            entries.append((name, details, leaf, plain, direct))
        plan = Plan(entries)
        self._plans[id(grouped_field_set)] = (grouped_field_set, plan)
        return plan

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: Iterable[Any],
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        if isinstance(items, list | tuple) and self._plain_leaves:
            completion = leaf_completion(item_type)
            rows = (
                self._plain_values(completion, items)
                if completion is not None
                else self._plain_rows(item_type, field_details_list, info, path, items)
            )
            if rows is not None:
                return rows
        return super().complete_iterable_value(
            item_type, field_details_list, info, path, items, position_context
        )

    def complete_list_item_value(
        self,
        item: Any,
        complete_results: list[Any],
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        item_path: Path,
        position_context: Any,
    ) -> bool:
        object_type = (
            unchecked_object_type(item_type) if item is not None and not isinstance(item, Exception) else None
        )
        if object_type is None:
            return super().complete_list_item_value(
                item, complete_results, item_type, field_details_list, info, item_path, position_context
            )
        completed = self._complete_object(
            object_type, item_type, field_details_list, item_path, item, position_context
        )
        complete_results.append(completed)
        return self.is_awaitable(completed)

    def _complete_object(
        self,
        object_type: GraphQLObjectType,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
        value: Any,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any] | None]:
        """A non-null value of an object type that takes any value, completed as graphql-core's
        `complete_value` would complete it, with its errors handled as `execute_field` handles them."""
        try:
            completed = self.collect_and_execute_subfields(
                object_type, field_details_list, path, value, position_context
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        return self._guarded(completed, return_type, field_details_list, path)

    def _guarded(
        self,
        completed: AwaitableOrValue[Any],
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> AwaitableOrValue[Any]:
        """A completion, with the errors it raises once awaited handled as `execute_field` handles them."""
        if self.is_awaitable(completed):
            return self._await_completed(completed, return_type, field_details_list, path)
        return completed

    async def _await_completed(
        self,
        completed: Awaitable[dict[str, Any]],
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> dict[str, Any] | None:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    @staticmethod
    def _plain_values(completion: LeafCompletion, items: list[Any] | tuple[Any, ...]) -> list[Any] | None:
        """A list of scalars or enums (a series' column) coerced item by item; None when an item needs
        graphql-core's completion (a null where none may be, a value that does not coerce)."""
        values: list[Any] = []
        for item in items:
            value = complete_leaf(item, *completion)
            if value is Undefined:
                return None
            values.append(value)
        return values

    def _plain_rows(
        self,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: list[Any] | tuple[Any, ...],
    ) -> list[dict[str, Any]] | None:
        """The list's objects read directly when every selected field is a plain leaf; None otherwise, or
        when an item or a value needs graphql-core's completion (a null, a type check that fails)."""
        object_type = item_type.of_type if is_non_null_type(item_type) else item_type
        if not is_object_type(object_type):
            return None
        grouped_field_set, defer_usages, _ = self.collect_subfields(object_type, field_details_list)
        if defer_usages or self.get_stream_usage(field_details_list, path) is not None:
            return None
        plan = self._plan(object_type, grouped_field_set)
        leaves = plan.leaves
        if not leaves:
            return None
        is_type_of = object_type.is_type_of
        if is_type_of is None:
            return plan.reader(items)
        rows = []
        for item in items:
            if item is None or is_type_of(item, info) is not True:
                return None
            row = {}
            for name, leaf in leaves:
                value = read_leaf(leaf, item)
                if value is Undefined:
                    return None
                row[name] = value
            rows.append(row)
        return rows

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        results: dict[str, Any] = {}
        awaitable_fields: list[str] = []
        is_awaitable = self.is_awaitable
        try:
            for response_name, field_details_list, leaf, plain, direct in self._plan(
                parent_type, grouped_field_set
            ).entries:
                if leaf is not None:
                    value = read_leaf(leaf, source_value)
                    if value is not Undefined:
                        results[response_name] = value
                        continue
                field_path = Path(path, response_name, parent_type.name)
                if direct is not None:
                    result = self._direct_field(
                        direct, parent_type, source_value, field_details_list, field_path, position_context
                    )
                elif plain is not None:
                    result = self._plain_object_field(
                        plain, parent_type, source_value, field_details_list, field_path, position_context
                    )
                else:
                    result = self.execute_field(
                        parent_type, source_value, field_details_list, field_path, position_context
                    )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return self._gather(results, awaitable_fields)

    def _plain_object_field(
        self,
        plain: ObjectField,
        parent_type: GraphQLObjectType,
        source_value: Any,
        field_details_list: FieldDetailsList,
        field_path: Path,
        position_context: Any,
    ) -> AwaitableOrValue[Any]:
        read, attribute, return_type, object_type = plain
        try:
            value = read(source_value, attribute)
        except Exception:
            value = Undefined
        if value is None and not is_non_null_type(return_type):
            return None
        if value is None or value is Undefined or isinstance(value, Exception):
            # graphql-core reports it (a null where none may be, a read that fails, an error returned)
            return self.execute_field(
                parent_type, source_value, field_details_list, field_path, position_context
            )
        return self._complete_object(
            object_type, return_type, field_details_list, field_path, value, position_context
        )

    def _direct_field(
        self,
        direct: DirectResolver,
        parent_type: GraphQLObjectType,
        source_value: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> AwaitableOrValue[Any]:
        """The field resolved and completed as `execute_field` would, its resolver called directly."""
        function, info_name, field_def, definition, leaf = direct
        return_type = field_def.type
        info = None
        try:
            if info_name is None:
                result = function(source_value)
            else:
                info = self.build_resolve_info(field_def, to_nodes(field_details_list), parent_type, path)
                result = function(
                    source_value, **{info_name: self._info_class(_raw_info=info, _field=definition)}
                )
            if leaf is not None and not self.is_awaitable(result):
                value = complete_leaf(result, *leaf)
                if value is not Undefined:
                    return value
            if info is None:
                info = self.build_resolve_info(field_def, to_nodes(field_details_list), parent_type, path)
            if self.is_awaitable(result):
                return self.complete_awaitable_value(
                    return_type, field_details_list, info, path, result, position_context
                )
            completed = self.complete_value(
                return_type, field_details_list, info, path, result, position_context
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        return self._guarded(completed, return_type, field_details_list, path)

    @staticmethod
    async def _gather(results: dict[str, Any], awaitable_fields: list[str]) -> dict[str, Any]:
        if len(awaitable_fields) == 1:
            field = awaitable_fields[0]
            results[field] = await results[field]
        else:
            awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
            results.update(zip(awaitable_fields, awaited, strict=True))
        return results
