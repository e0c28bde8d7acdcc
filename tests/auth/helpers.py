"""Signing in as different people in tests: forward-auth headers from a trusted proxy, and GraphQL calls."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

PROXY = "10.0.0.5"  # inside TRUSTED
TRUSTED = ["10.0.0.0/24"]
OUTSIDER = "192.0.2.7"


def as_user(username: str, groups: str = "family") -> dict[str, str]:
    """Authelia's headers for a user."""
    return {"Remote-User": username, "Remote-Email": f"{username}@example.org", "Remote-Groups": groups}


async def gql(
    client: AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
    )
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or []]
