from __future__ import annotations

import pytest

from teslasync.vin import is_valid_vin, model_from_vin


@pytest.mark.parametrize(
    ("vin", "model"),
    [
        ("5YJ3E7EB2NF000001", "Model 3"),
        ("7SAYGDEE1PF000002", "Model Y"),
        ("5YJSA1E26MF000003", "Model S"),
        ("7SAXCBE51NF000004", "Model X"),
        ("7G2CEHED1RA000005", "Cybertruck"),
    ],
)
def test_model_from_vin(vin: str, model: str) -> None:
    assert is_valid_vin(vin)
    assert model_from_vin(vin) == model


@pytest.mark.parametrize(
    "vin", ["", "5YJ3E7EB2NF00000", "5YJ3E7EB2NF0000011", "5YJ3E7EB2NF00000O", "5yj3e7eb2nf000001"]
)
def test_invalid_vins(vin: str) -> None:
    assert not is_valid_vin(vin)
    assert model_from_vin(vin) is None
