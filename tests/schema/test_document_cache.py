"""Documents parsed and validated once: the same answers as validating every time, and errors never cached."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse
from httpx import AsyncClient

from teslasync.schema import document_cache
from teslasync.schema.document_cache import Documents

QUERY = "{ vehicles { vin displayName } }"


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts validated, in order."""
    seen: list[str] = []
    original = document_cache.validate_document

    def counting(schema: Any, document: Any, rules: Any) -> Any:
        seen.append(document.loc.source.body)
        return original(schema, document, rules)

    monkeypatch.setattr(document_cache, "validate_document", counting)
    return seen


async def test_a_text_that_passed_is_not_validated_again(client: AsyncClient, validations: list[str]) -> None:
    bodies = [(await client.post("/graphql", json={"query": QUERY})).json() for _ in range(3)]
    assert "errors" not in bodies[0]
    assert bodies[0] == bodies[1] == bodies[2]
    assert validations == [QUERY]
    other = "{ vehicles { vin } }"
    assert "errors" not in (await client.post("/graphql", json={"query": other})).json()
    assert validations == [QUERY, other]


async def test_a_text_with_errors_is_validated_each_time(client: AsyncClient, validations: list[str]) -> None:
    query = "{ vehicles { vin noSuchField } }"
    for _ in range(2):
        [error] = (await client.post("/graphql", json={"query": query})).json()["errors"]
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "noSuchField" in error["message"]
    assert validations == [query, query]


async def test_a_text_that_does_not_parse_is_the_requests_error(client: AsyncClient) -> None:
    for _ in range(2):
        response = await client.post("/graphql", json={"query": "{ vehicles { vin "})
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "Syntax Error" in error["message"]


async def test_a_refusal_before_validation_is_left_alone(client: AsyncClient, validations: list[str]) -> None:
    query = "query($v: String!) { vehicle(vin: $v) { vin } }"
    refused = (await client.post("/graphql", json={"query": query, "variables": {"v": "5YJ\x00"}})).json()
    assert refused["errors"][0]["extensions"]["code"] == "BAD_ARGUMENT"
    assert validations == []  # the NUL check refused it first, and the text was not marked as valid
    served = (
        await client.post("/graphql", json={"query": query, "variables": {"v": "5YJ3E7EB2NF000001"}})
    ).json()
    assert "errors" not in served
    assert validations == [query]


def test_the_same_text_gives_the_same_document_and_options_are_part_of_the_key() -> None:
    documents = Documents()
    first = documents.parse(QUERY, {})
    assert documents.parse(QUERY, {}) is first
    limited = documents.parse(QUERY, {"max_tokens": 100})
    assert limited is not first
    documents.mark_valid(QUERY, {}, first)
    assert documents.valid(QUERY, {}, first)
    assert not documents.valid(QUERY, {"max_tokens": 100}, limited)
    # a document parsed elsewhere from the same text is not the one that was validated
    assert not documents.valid(QUERY, {}, parse(QUERY))


def test_the_cache_is_bounded_in_entries_and_text_length() -> None:
    documents = Documents(max_entries=3, max_text_length=40)
    texts = [f"{{ vehicles {{ vin a{i}: vin }} }}" for i in range(5)]
    parsed = [documents.parse(text, {}) for text in texts]
    assert len(documents) == 3
    assert documents.parse(texts[4], {}) is parsed[4]  # kept
    assert documents.parse(texts[0], {}) is not parsed[0]  # the least recently used went first
    assert len(documents) == 3
    long_text = "{ vehicles { vin " + " ".join(f"a{i}: vin" for i in range(10)) + " } }"
    assert len(long_text) > 40
    assert documents.parse(long_text, {}) is not documents.parse(long_text, {})
    assert len(documents) == 3
