"""Persisted queries: an allow-list of documents by sha256, which can be made mandatory.

A client sends `{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}}` with or
without the query text (Apollo's protocol). Without the text the document comes from the list; with it,
the hash must match. With `TESLASYNC_PERSISTED_QUERIES_ONLY=true` a document not on the list is refused,
whichever way it was sent, so a stolen token cannot run arbitrary queries.

The list is a JSON file (`TESLASYNC_PERSISTED_QUERIES`): either `{"<sha256>": "<document>", ...}` (GraphQL
Code Generator's persisted documents) or Apollo's manifest (`{"operations": [{"id", "body"}, ...]}`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import GraphQLError, parse
from strawberry.extensions import SchemaExtension

from teslasync.errors import TeslaSyncError

HASH = re.compile(r"[0-9a-f]{64}")
_STAND_IN = parse("{ __typename }")  # what runs instead of a refused document: nothing


class PersistedQueryError(TeslaSyncError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ManifestError(Exception):
    pass


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


@dataclass(frozen=True)
class PersistedQueries:
    documents: Mapping[str, str]
    mandatory: bool = False

    @classmethod
    def load(cls, path: Path, *, mandatory: bool) -> PersistedQueries:
        try:
            raw: Any = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ManifestError(f"{path}: cannot read the persisted queries ({exc})") from None
        pairs = dict(_pairs(raw, path))
        for digest, document in pairs.items():
            if sha256(document) != digest:
                raise ManifestError(f"{path}: {digest} is not the sha256 of its document")
        return cls(pairs, mandatory)

    def resolve(self, query: str | None, extensions: Mapping[str, Any] | None) -> str:
        """The document to run, or a refusal with its code."""
        wanted = (extensions or {}).get("persistedQuery")
        digest = wanted.get("sha256Hash") if isinstance(wanted, dict) else None
        if wanted is not None and not (isinstance(digest, str) and HASH.fullmatch(digest)):
            raise PersistedQueryError(
                "BAD_PERSISTED_QUERY", "persistedQuery.sha256Hash: 64 lowercase hex digits"
            )
        if digest is not None:
            if query:
                if sha256(query) != digest:
                    raise PersistedQueryError("BAD_PERSISTED_QUERY", "the query's sha256 is not sha256Hash")
            elif digest in self.documents:
                query = self.documents[digest]
            else:
                raise PersistedQueryError("PERSISTED_QUERY_NOT_FOUND", f"no persisted query {digest}")
        if self.mandatory and (not query or sha256(query) not in self.documents):
            raise PersistedQueryError(
                "PERSISTED_QUERY_REQUIRED", "only persisted queries are allowed here (by sha256Hash)"
            )
        if not query:
            raise PersistedQueryError("BAD_REQUEST", "no query and no persistedQuery.sha256Hash")
        return query


def _pairs(raw: Any, path: Path) -> Iterator[tuple[str, str]]:
    if isinstance(raw, dict) and isinstance(raw.get("operations"), list):
        for operation in raw["operations"]:
            if not (isinstance(operation, dict) and isinstance(operation.get("body"), str)):
                raise ManifestError(f"{path}: every operation needs a body")
            yield sha256(operation["body"]), operation["body"]  # the manifest's id is that hash
    elif isinstance(raw, dict) and all(isinstance(v, str) for v in raw.values()):
        yield from raw.items()
    else:
        raise ManifestError(f"{path}: expected {{sha256: document}} or an Apollo manifest")


class PersistedQueryCheck(SchemaExtension):
    """Puts the listed document in place of a hash, or refuses the operation (before it is parsed)."""

    def __init__(self, store: PersistedQueries) -> None:
        self.store = store

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.query = self.store.resolve(context.query, context.operation_extensions)
        except PersistedQueryError as exc:
            context.graphql_document = _STAND_IN
            context.pre_execution_errors = [GraphQLError(exc.message, original_error=exc)]
        yield
