"""The base of every rule part: strict (an unknown key is an error, not silently dropped, because rules are
hand-edited JSON) and immutable (the engine compares rules to know which ones changed)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a rule: where (a dotted path like `trigger.threshold.field`) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message
