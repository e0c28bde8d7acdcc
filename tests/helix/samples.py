"""Requests the provider adapter tests share: a tool, a strict schema, a conversation with a tool round trip."""

from __future__ import annotations

from typing import Any

from teslasync.helix.providers.base import ChatRequest, Message, Role, Tool, ToolCall

DRIVES_TOOL = Tool(
    name="get_drives",
    description="The owner's drives in a period.",
    parameters={
        "type": "object",
        "properties": {
            "vin": {"type": "string"},
            "limit": {"type": "integer", "minimum": 1},
        },
        "required": ["vin", "limit"],
        "additionalProperties": False,
    },
)
SUMMARY_SCHEMA: dict[str, Any] = {
    "title": "drive summary",
    "type": "object",
    "properties": {
        "headline": {"type": "string"},
        "distance_km": {"type": "number"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["headline", "distance_km", "tags"],
    "additionalProperties": False,
}
CALL = ToolCall(id="call_7", name="get_drives", arguments={"vin": "5YJ3E7EB7KF000001", "limit": 2})
ROUND_TRIP = (
    Message(Role.SYSTEM, "You explain the owner's own Tesla data."),
    Message(Role.USER, "How far did I drive this week?"),
    Message(Role.ASSISTANT, "", tool_calls=(CALL,)),
    Message(Role.TOOL, '[{"distance_km": 12.5}, {"distance_km": 30.1}]', tool_call_id="call_7"),
)


def ask(model: str, text: str = "Hello there", **options: Any) -> ChatRequest:
    return ChatRequest(model=model, messages=(Message(Role.USER, text),), **options)


def round_trip(model: str, **options: Any) -> ChatRequest:
    return ChatRequest(model=model, messages=ROUND_TRIP, tools=(DRIVES_TOOL,), **options)
