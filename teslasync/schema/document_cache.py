"""Parsed and validated documents kept between requests.

Clients send the same few operations again and again, and graphql-core parses and validates each one from
scratch: for a drives page that is 0.6 ms of parsing and 3.3 ms of validation against this schema, more than
the SQL that serves the page. The schema's validation rules are fixed when it is built (the depth and alias
limits and the introspection switch included: their rule classes are made per request, but always with the
same settings), so a text that validated once validates again; its document is kept and the validation
skipped. Only what passed is kept: a text with errors is validated each time, so no error object is shared
between requests. The cache is bounded in entries and in the length of the texts it keeps, so unique texts
sent on purpose cannot grow it without limit.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import suppress
from typing import Any

from graphql import DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

MAX_ENTRIES = 256
MAX_TEXT_LENGTH = 16_384


class Documents:
    """Texts and their documents, least recently used first; a document whose validation passed is marked."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_text_length: int = MAX_TEXT_LENGTH) -> None:
        self.max_entries = max_entries
        self.max_text_length = max_text_length
        self._entries: OrderedDict[tuple[str, tuple[tuple[str, Any], ...]], tuple[DocumentNode, bool]] = (
            OrderedDict()
        )

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def _key(text: str, options: Mapping[str, Any]) -> tuple[str, tuple[tuple[str, Any], ...]]:
        return text, tuple(sorted(options.items()))

    def parse(self, text: str, options: Mapping[str, Any]) -> DocumentNode:
        key = self._key(text, options)
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            return entry[0]
        document = parse(text, **options)
        if len(text) <= self.max_text_length:
            self._entries[key] = (document, False)
            if len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return document

    def valid(self, text: str, options: Mapping[str, Any], document: DocumentNode) -> bool:
        entry = self._entries.get(self._key(text, options))
        return entry is not None and entry[0] is document and entry[1]

    def mark_valid(self, text: str, options: Mapping[str, Any], document: DocumentNode) -> None:
        key = self._key(text, options)
        entry = self._entries.get(key)
        if entry is not None and entry[0] is document:
            self._entries[key] = (document, True)


class DocumentCache(SchemaExtension):
    """Parses through `documents`, and validates a document only until it has passed once.

    Put it after the extensions whose own checks (rate limit, cost, NUL text) may refuse the request: it
    validates at the start of the validation step, and a refusal already recorded is left alone."""

    def __init__(self, documents: Documents) -> None:
        self.documents = documents

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            # a text that does not parse is left to Strawberry's own parse, next, which reports the error
            with suppress(GraphQLError):
                context.graphql_document = self.documents.parse(context.query, context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document, text = context.graphql_document, context.query
        if (
            context.pre_execution_errors is None
            and document is not None
            and text
            and context.validation_rules
        ):
            if self.documents.valid(text, context.parse_options, document):
                context.pre_execution_errors = []
            else:
                errors = validate_document(context.schema._schema, document, context.validation_rules)
                context.pre_execution_errors = errors
                if not errors:
                    self.documents.mark_valid(text, context.parse_options, document)
        yield
