from __future__ import annotations

import random

import pytest

from teslasync.analytics.polyline import decode, encode

# the worked example of Google's polyline algorithm documentation
EXAMPLE = [(38.5, -120.2), (40.7, -120.95), (43.252, -126.453)]


def test_the_documented_example() -> None:
    assert encode(EXAMPLE) == "_p~iF~ps|U_ulLnnqC_mqNvxq`@"
    assert decode("_p~iF~ps|U_ulLnnqC_mqNvxq`@") == EXAMPLE


def test_round_trip_within_the_precision() -> None:
    rng = random.Random(4)
    points = [(rng.uniform(-90, 90), rng.uniform(-180, 180)) for _ in range(500)]
    for (lat, lon), (back_lat, back_lon) in zip(points, decode(encode(points)), strict=True):
        assert back_lat == pytest.approx(lat, abs=0.5e-5)
        assert back_lon == pytest.approx(lon, abs=0.5e-5)


def test_empty() -> None:
    assert encode([]) == ""
    assert decode("") == []
