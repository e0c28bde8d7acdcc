"""A fake OpenAI and Azure OpenAI server: the Chat Completions and Embeddings wire APIs, over real HTTP.

    async with served(FakeOpenAI()) as fake:
        AsyncOpenAI(api_key=OPENAI_KEY, base_url=f"{fake.base_url}/v1")
        AsyncAzureOpenAI(azure_endpoint=fake.base_url, api_key=AZURE_KEY, api_version=AZURE_API_VERSION)

- **OpenAI** `POST /v1/chat/completions`, `POST /v1/embeddings`: `Authorization: Bearer OPENAI_KEY` (401
  `invalid_api_key`, quoting the key masked, as OpenAI does); a known `model` (404 `model_not_found`).
- **Azure** `POST /openai/deployments/{deployment}/chat/completions|embeddings?api-version=`: the
  `api-key` header (401), `api-version` (404 `Resource not found`), a known deployment (404
  `DeploymentNotFound`); the answer names the deployment's underlying model.

Chat checks what the API checks: messages with known roles; an assistant turn's `tool_calls` with string
`arguments`, each answered by a `tool` message before the next turn, and no `tool` message without one;
tools as `{"type": "function", "function": {"name", "parameters"}}`; `tool_choice` only with tools;
`response_format` `json_schema` with a name and, when `strict`, a schema strict mode accepts (every object
`additionalProperties: false` and all its properties required); `stream_options` only when streaming.
Errors come as `{"error": {"message", "type", "param", "code"}}`. Streaming is SSE: `chat.completion.chunk`s
(role, content pieces, tool call pieces, the finish reason), with `include_usage` a last chunk without
choices carrying the usage, then `data: [DONE]`. Embeddings take a string or a list of non-empty strings
and answer floats or, with `encoding_format: base64`, little-endian float32 in base64.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import struct
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from tests.helix.fakes import TOOL_NAME, FakeServer, Reply, json_response, vector, words

OPENAI_KEY = "sk-proj-FAKEopenaiKEY0123456789abcdefghijklmnop"
AZURE_KEY = "0123456789abcdef0123456789abcdef"
AZURE_API_VERSION = "2024-10-21"
CHAT_MODEL = "gpt-4o-mini"
EMBEDDING_MODEL = "text-embedding-3-small"
AZURE_DEPLOYMENTS = {"chat-prod": "gpt-4o-2024-08-06", "embed-prod": "text-embedding-3-small"}
ROLES = {"system", "developer", "user", "assistant", "tool"}


def error(
    status: int, message: str, kind: str = "invalid_request_error", code: str | None = None
) -> Response:
    document = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return json_response(status, document)


def strict_problem(schema: Mapping[str, Any], context: str = "()") -> str | None:
    """Why strict structured output would refuse `schema`, as OpenAI words it; None when it is fine."""
    if schema.get("type") == "object" or "properties" in schema:
        if schema.get("additionalProperties") is not False:
            return f"In context={context}, 'additionalProperties' is required to be supplied and to be false."
        properties = schema.get("properties", {})
        missing = [name for name in properties if name not in schema.get("required", [])]
        if missing:
            return (
                f"In context={context}, 'required' is required to be supplied and to be an array including "
                f"every key in properties. Missing '{missing[0]}'."
            )
        for name, sub in properties.items():
            if problem := strict_problem(sub, f"('properties', '{name}')"):
                return problem
    if isinstance(schema.get("items"), Mapping):
        return strict_problem(schema["items"], f"{context}, 'items'")
    for sub in schema.get("anyOf", []):
        if problem := strict_problem(sub, context):
            return problem
    for name, sub in schema.get("$defs", {}).items():
        if problem := strict_problem(sub, f"('$defs', '{name}')"):
            return problem
    return None


def message_problem(messages: Any) -> str | None:
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array"
    pending: list[str] = []
    for index, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ROLES:
            return f"Invalid value for 'messages[{index}].role'"
        if role == "tool":
            if message.get("tool_call_id") not in pending:
                return (
                    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message "
                    "with 'tool_calls'."
                )
            pending.remove(message["tool_call_id"])
            continue
        if pending:
            return (
                "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
                f"'tool_call_id'. The following tool_call_ids did not have response messages: {pending[0]}"
            )
        calls = message.get("tool_calls") if role == "assistant" else None
        if calls:
            for call in calls:
                function = call.get("function", {})
                if call.get("type") != "function" or not isinstance(function.get("arguments"), str):
                    return f"Invalid type for 'messages[{index}].tool_calls': arguments must be a string"
                pending.append(call.get("id"))
        elif not isinstance(message.get("content"), str):
            return f"Invalid type for 'messages[{index}].content': expected a string"
    return None


def tools_problem(body: dict[str, Any]) -> str | None:
    tools = body.get("tools")
    if tools is None:
        return "tool_choice is only allowed when tools are specified" if "tool_choice" in body else None
    for index, tool in enumerate(tools):
        function = tool.get("function", {})
        if tool.get("type") != "function" or not TOOL_NAME.match(str(function.get("name", ""))):
            return f"Invalid 'tools[{index}].function.name': string does not match pattern"
        if not isinstance(function.get("parameters", {}), dict):
            return f"Invalid type for 'tools[{index}].function.parameters': expected an object"
    return None


def format_problem(body: dict[str, Any]) -> str | None:
    response_format = body.get("response_format")
    if response_format is None or response_format.get("type") in ("text", "json_object"):
        return None
    spec = response_format.get("json_schema", {})
    if response_format.get("type") != "json_schema" or not TOOL_NAME.match(str(spec.get("name", ""))):
        return "Invalid 'response_format.json_schema.name'"
    if spec.get("strict") and (problem := strict_problem(spec.get("schema", {}))):
        return f"Invalid schema for response_format '{spec['name']}': {problem}"
    return None


def text_of(messages: list[dict[str, Any]], role: str | None = None) -> str:
    return " ".join(str(m.get("content") or "") for m in messages if role is None or m.get("role") == role)


@dataclass
class FakeOpenAI(FakeServer):
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def asgi(self) -> Starlette:
        return Starlette(
            routes=[
                self.route("/v1/chat/completions", lambda r, b: self._chat(r, b, None)),
                self.route("/v1/embeddings", lambda r, b: self._embeddings(r, b, None)),
                self.route(
                    "/openai/deployments/{deployment}/chat/completions",
                    lambda r, b: self._chat(r, b, r.path_params["deployment"]),
                ),
                self.route(
                    "/openai/deployments/{deployment}/embeddings",
                    lambda r, b: self._embeddings(r, b, r.path_params["deployment"]),
                ),
            ]
        )

    def _refusal(self, request: Request, deployment: str | None) -> Response | None:
        """Auth, then the model (OpenAI) or api-version and deployment (Azure): None when all is well."""
        if deployment is None:
            if request.headers.get("authorization") != f"Bearer {OPENAI_KEY}":
                given = request.headers.get("authorization", "").removeprefix("Bearer ")
                masked = given[:8] + "*" * 20 + given[-4:]
                return error(401, f"Incorrect API key provided: {masked}.", code="invalid_api_key")
            return None
        if request.headers.get("api-key") != AZURE_KEY:
            return json_response(
                401,
                {
                    "error": {
                        "code": "401",
                        "message": "Access denied due to invalid subscription key or wrong API endpoint.",
                    }
                },
            )
        if not request.query_params.get("api-version"):
            return json_response(404, {"error": {"code": "404", "message": "Resource not found"}})
        if deployment not in AZURE_DEPLOYMENTS:
            message = "The API deployment for this resource does not exist."
            return json_response(404, {"error": {"code": "DeploymentNotFound", "message": message}})
        return None

    def _model(self, body: dict[str, Any], deployment: str | None, known: str) -> str | Response:
        if deployment is not None:
            return AZURE_DEPLOYMENTS[deployment]
        model = body.get("model")
        if not model:
            return error(400, "you must provide a model parameter")
        if model != known:
            message = f"The model `{model}` does not exist or you do not have access to it."
            return error(404, message, code="model_not_found")
        return str(model)

    async def _chat(self, request: Request, body: Any, deployment: str | None) -> Response:
        if (refused := self._refusal(request, deployment)) is not None:
            return refused
        if not isinstance(body, dict):
            return error(400, "We could not parse the JSON body of your request.")
        model = self._model(body, deployment, CHAT_MODEL)
        if isinstance(model, Response):
            return model
        problem = message_problem(body.get("messages")) or tools_problem(body) or format_problem(body)
        if problem is None and "stream_options" in body and not body.get("stream"):
            problem = "The 'stream_options' parameter is only allowed when 'stream' is enabled."
        if problem is not None:
            return error(400, problem)
        messages = body["messages"]
        reply = self.next_reply(text_of(messages[-1:], "user"))
        structured = (body.get("response_format") or {}).get("type") == "json_schema" and not reply.raw
        content = (
            json.dumps(reply.structured if reply.structured is not None else {})
            if structured
            else reply.content
        )
        calls: list[dict[str, Any]] = [
            {
                "id": f"call_{next(self._ids)}",
                "type": "function",
                "function": {"name": n, "arguments": json.dumps(a)},
            }
            for n, a in reply.tool_calls
        ]
        finish = reply.finish or ("tool_calls" if calls else "stop")
        prompt = len(words(text_of(messages)))
        completion = len(words(content)) + sum(len(words(c["function"]["arguments"])) for c in calls)
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        ident = f"chatcmpl-{next(self._ids)}"
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            events = self._chunks(
                ident, model, content, calls, finish, usage if include_usage else None, reply
            )
            return StreamingResponse(events, media_type="text/event-stream")
        message: dict[str, Any] = {"role": "assistant", "content": content or None, "refusal": None}
        if calls:
            message["tool_calls"] = calls
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
        document = {
            "id": ident,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [choice],
            "usage": usage,
            "system_fingerprint": "fp_fake",
        }
        return json_response(200, document)

    async def _chunks(
        self,
        ident: str,
        model: str,
        content: str,
        calls: list[dict[str, Any]],
        finish: str,
        usage: dict[str, int] | None,
        reply: Reply,
    ) -> AsyncIterator[bytes]:
        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
            document: dict[str, Any] = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
            }
            if usage is not None:
                document["usage"] = None
            return f"data: {json.dumps(document)}\n\n".encode()

        yield chunk({"role": "assistant", "content": "", "refusal": None})
        for number, piece in enumerate(words(content) if content else []):
            yield chunk({"content": piece})
            if number == 0 and reply.stall_s:
                await asyncio.sleep(reply.stall_s)
            if number == 0 and reply.stream_error is not None:
                yield f"data: {json.dumps({'error': reply.stream_error})}\n\n".encode()
                return
        for index, call in enumerate(calls):
            head = {"index": index, "id": call["id"], "type": "function"}
            yield chunk(
                {"tool_calls": [{**head, "function": {"name": call["function"]["name"], "arguments": ""}}]}
            )
            for piece in words(call["function"]["arguments"]):
                yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
        yield chunk({}, finish)
        if usage is not None:
            document = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [],
                "usage": usage,
            }
            yield f"data: {json.dumps(document)}\n\n".encode()
        yield b"data: [DONE]\n\n"

    async def _embeddings(self, request: Request, body: Any, deployment: str | None) -> Response:
        if (refused := self._refusal(request, deployment)) is not None:
            return refused
        if not isinstance(body, dict):
            return error(400, "We could not parse the JSON body of your request.")
        model = self._model(body, deployment, EMBEDDING_MODEL)
        if isinstance(model, Response):
            return model
        texts = body.get("input")
        texts = [texts] if isinstance(texts, str) else texts
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t for t in texts):
            return error(400, "'$.input' is invalid. Please check the API reference.")
        encoding = body.get("encoding_format", "float")
        if encoding not in ("float", "base64"):
            return error(400, f"Invalid value for 'encoding_format': {encoding}")
        data = []
        for index, text in enumerate(texts):
            values = vector(text)
            embedded: Any = values
            if encoding == "base64":
                embedded = base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()
            data.append({"object": "embedding", "index": index, "embedding": embedded})
        tokens = sum(len(words(text)) for text in texts)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return json_response(200, {"object": "list", "data": data, "model": model, "usage": usage})
