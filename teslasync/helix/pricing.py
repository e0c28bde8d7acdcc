"""What a provider call costs, in US dollars: known before the call as an estimate (for the budgets), and
after it from the usage the provider reports (for the audit and the spend).

Prices are USD per million tokens, input and output, from the providers' public price lists; an
administrator's rows in `helix_prices` replace them (a new model, a negotiated price, an Azure deployment
name). A model is looked up by its exact name, else by the longest known name it starts with followed by a
separator (`gpt-4o-2024-08-06` is priced as `gpt-4o`, `gpt-4o-mini-2024-07-18` as `gpt-4o-mini`). A model
with no price costs nothing: a local model (Ollama) has none, which is why budgets do not hold back local
use; a paid model missing from the table is counted as free too, so it should be given a row.

The estimate is deliberately pessimistic: the prompt at 4 characters a token (a common rule of thumb for
English; JSON and other languages run denser, so a small overhead per message is added) and the whole
`max_tokens` as output. It only has to keep a call from crossing a budget, not predict the bill.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from teslasync.helix.providers.base import ChatRequest, Usage

MILLION = Decimal(1_000_000)
CENT_FRACTION = Decimal("0.000001")  # costs are kept to 6 places, like `helix_calls.cost`
CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 4  # role and framing of each message
_SEPARATORS = ("-", ":", "@", "/", ".")


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input_per_mtok: Decimal
    output_per_mtok: Decimal


def _usd(input_per_mtok: str, output_per_mtok: str = "0") -> Price:
    return Price(Decimal(input_per_mtok), Decimal(output_per_mtok))


# Public list prices (standard tier, no batch or cache discounts), USD per million tokens.
DEFAULT_PRICES: Mapping[str, Price] = {
    # OpenAI (also the names Azure OpenAI deployments usually take)
    "gpt-4o": _usd("2.50", "10.00"),
    "gpt-4o-mini": _usd("0.15", "0.60"),
    "gpt-4.1": _usd("2.00", "8.00"),
    "gpt-4.1-mini": _usd("0.40", "1.60"),
    "gpt-4.1-nano": _usd("0.10", "0.40"),
    "o3": _usd("2.00", "8.00"),
    "o3-mini": _usd("1.10", "4.40"),
    "o4-mini": _usd("1.10", "4.40"),
    "gpt-3.5-turbo": _usd("0.50", "1.50"),
    "text-embedding-3-small": _usd("0.02"),
    "text-embedding-3-large": _usd("0.13"),
    "text-embedding-ada-002": _usd("0.10"),
    # Anthropic (dated names such as claude-sonnet-4-20250514 match by prefix)
    "claude-opus-4": _usd("15.00", "75.00"),
    "claude-opus-4-1": _usd("15.00", "75.00"),
    "claude-sonnet-4": _usd("3.00", "15.00"),
    "claude-sonnet-4-5": _usd("3.00", "15.00"),
    "claude-haiku-4-5": _usd("1.00", "5.00"),
    "claude-3-7-sonnet": _usd("3.00", "15.00"),
    "claude-3-5-sonnet": _usd("3.00", "15.00"),
    "claude-3-5-haiku": _usd("0.80", "4.00"),
    "claude-3-haiku": _usd("0.25", "1.25"),
    "claude-3-opus": _usd("15.00", "75.00"),
}
FREE = Price(Decimal(0), Decimal(0))


class PriceRow(Protocol):
    """A row of `helix_prices` (`HelixPriceRow`), or anything shaped like one."""

    @property
    def model(self) -> str: ...

    @property
    def input_per_mtok(self) -> Decimal: ...

    @property
    def output_per_mtok(self) -> Decimal: ...


def to_cost(value: Decimal) -> Decimal:
    """Rounded to the 6 places costs are kept in."""
    return value.quantize(CENT_FRACTION, rounding=ROUND_HALF_UP)


def estimate_tokens(text: str) -> int:
    """About 4 characters a token, rounded up."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def prompt_tokens(request: ChatRequest) -> int:
    """An estimate of the input tokens of `request`: messages, tool calls, tool schemas, output schema."""
    tokens = 0
    for message in request.messages:
        tokens += MESSAGE_OVERHEAD_TOKENS + estimate_tokens(message.content)
        for call in message.tool_calls:
            tokens += estimate_tokens(call.name) + estimate_tokens(_json(call.arguments))
    for tool in request.tools:
        tokens += estimate_tokens(tool.name) + estimate_tokens(tool.description)
        tokens += estimate_tokens(_json(tool.parameters))
    if request.output_schema is not None:
        tokens += estimate_tokens(_json(request.output_schema))
    return tokens


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))


class PriceTable:
    """The defaults with an administrator's overrides on top; immutable, cheap to build per call."""

    def __init__(
        self, overrides: Mapping[str, Price] | None = None, defaults: Mapping[str, Price] = DEFAULT_PRICES
    ) -> None:
        self._prices: dict[str, Price] = {**defaults, **(overrides or {})}
        self._by_length = sorted(self._prices, key=len, reverse=True)

    @classmethod
    def from_rows(cls, rows: Iterable[PriceRow]) -> PriceTable:
        return cls({row.model: Price(row.input_per_mtok, row.output_per_mtok) for row in rows})

    def price(self, model: str) -> Price | None:
        """The price of `model`: its own, else that of the longest known name it extends; None if unknown."""
        found = self._prices.get(model)
        if found is not None:
            return found
        for known in self._by_length:
            if model.startswith(known) and model[len(known)] in _SEPARATORS:
                return self._prices[known]
        return None

    def cost(self, model: str, usage: Usage) -> Decimal:
        price = self.price(model) or FREE
        total = usage.input_tokens * price.input_per_mtok + usage.output_tokens * price.output_per_mtok
        return to_cost(total / MILLION)

    def estimate(self, model: str, request: ChatRequest) -> Decimal:
        """The most a chat call may cost: the estimated prompt plus the whole `max_tokens` of output."""
        return self.cost(model, Usage(prompt_tokens(request), max(0, request.max_tokens)))

    def estimate_embed(self, model: str, texts: Sequence[str]) -> Decimal:
        return self.cost(model, Usage(sum(estimate_tokens(text) for text in texts), 0))


DEFAULT_TABLE = PriceTable()


def cost(model: str, usage: Usage, table: PriceTable = DEFAULT_TABLE) -> Decimal:
    """What `usage` of `model` costs, USD to 6 places (the default prices unless `table` is given)."""
    return table.cost(model, usage)


def estimate(model: str, request: ChatRequest, table: PriceTable = DEFAULT_TABLE) -> Decimal:
    """The most `request` may cost before it is made (see `PriceTable.estimate`)."""
    return table.estimate(model, request)
