"""Encoded polylines (Google's algorithm, 5 decimals): a drive's track as one short string that every map
library decodes, instead of thousands of objects in a response."""

from __future__ import annotations

from collections.abc import Iterable


def encode(points: Iterable[tuple[float, float]], precision: int = 5) -> str:
    """(latitude, longitude) pairs as an encoded polyline: each coordinate a rounded delta from the last,
    zig-zag signed, in 5-bit chunks offset into printable ASCII."""
    factor = 10**precision
    out: list[str] = []
    last_lat = last_lon = 0
    for latitude, longitude in points:
        lat, lon = round(latitude * factor), round(longitude * factor)
        for delta in (lat - last_lat, lon - last_lon):
            value = ~(delta << 1) if delta < 0 else delta << 1
            while value >= 0x20:
                out.append(chr((0x20 | (value & 0x1F)) + 63))
                value >>= 5
            out.append(chr(value + 63))
        last_lat, last_lon = lat, lon
    return "".join(out)


def decode(text: str, precision: int = 5) -> list[tuple[float, float]]:
    factor = 10**precision
    values: list[int] = []
    shift = result = 0
    for char in text:
        chunk = ord(char) - 63
        result |= (chunk & 0x1F) << shift
        shift += 5
        if chunk < 0x20:
            values.append(~(result >> 1) if result & 1 else result >> 1)
            shift = result = 0
    points, lat, lon = [], 0, 0
    for index in range(0, len(values) - 1, 2):
        lat += values[index]
        lon += values[index + 1]
        points.append((lat / factor, lon / factor))
    return points
