from __future__ import annotations

import pytest

from teslasync.analytics.units import UnitSystem, convert


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (160.9344, "km", (100.0, "mi")),
        (100.0, "km/h", (62.137119, "mph")),
        (20.0, "°C", (68.0, "°F")),
        (-40.0, "°C", (-40.0, "°F")),
        (2.9, "bar", (42.060944, "psi")),
        (150.0, "Wh/km", (241.4016, "Wh/mi")),
        (55.0, "kWh", (55.0, "kWh")),
        (80.0, "%", (80.0, "%")),
    ],
)
def test_imperial(value: float, unit: str, expected: tuple[float, str]) -> None:
    converted, to_unit = convert(value, unit, UnitSystem.IMPERIAL)
    assert to_unit == expected[1]
    assert converted == pytest.approx(expected[0], rel=1e-6)


def test_metric_is_as_stored_and_none_stays_none() -> None:
    assert convert(12.5, "km", UnitSystem.METRIC) == (12.5, "km")
    assert convert(None, "km", UnitSystem.IMPERIAL) == (None, "mi")
    assert convert(3.0, None, UnitSystem.IMPERIAL) == (3.0, None)
