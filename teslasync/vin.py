"""VIN checks and what a Tesla VIN tells about the car."""

from __future__ import annotations

import re

_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
# The fourth character of a Tesla VIN is the model line.
_MODEL_BY_CODE = {
    "S": "Model S",
    "X": "Model X",
    "3": "Model 3",
    "Y": "Model Y",
    "C": "Cybertruck",
    "R": "Roadster",
    "T": "Semi",
}


def is_valid_vin(vin: str) -> bool:
    """17 characters of the VIN alphabet (no I, O or Q)."""
    return bool(_VIN.match(vin))


def model_from_vin(vin: str) -> str | None:
    if not is_valid_vin(vin):
        return None
    return _MODEL_BY_CODE.get(vin[3])
