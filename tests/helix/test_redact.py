"""Redaction: values planted in realistic texts (an owner's question, a tool result, a support paste) are all
gone from what would leave the machine, while the numbers that make the data useful survive."""

from __future__ import annotations

import json

import pytest

from teslasync.helix.redact import Redactor, StreamRestorer

VIN_A = "5YJ3E1EA7KF317000"
VIN_B = "7SAYGDEE1PF123456"

PLANTED_SECRETS = {
    "our API token": "tsk_a1b2c3d4_9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c",
    "an OpenAI key": "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34",
    "an Anthropic key": "sk-ant-api03-AbCdEf0123456789xyz",
    "a JWT": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "an AWS key id": "AKIAIOSFODNN7EXAMPLE",
    "an AWS secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "a hex secret": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "a base64 secret": "QmFzZTY0U2VjcmV0S2V5VGhhdElzTG9uZ0Vub3VnaA==",
    "a GitHub token": "ghp_R2d2C3poR2d2C3poR2d2C3poR2d2C3poAbCd",
}


def redactor() -> Redactor:
    return Redactor(location_decimals=2)


def test_vins_become_stable_pseudonyms_and_come_back() -> None:
    r = redactor()
    text = f"Compare {VIN_A} with {VIN_B}: is {VIN_A} charging less efficiently than {VIN_B.lower()}?"
    out = r.text(text)
    assert VIN_A not in out and VIN_B not in out and VIN_B.lower() not in out
    assert out == "Compare VIN-1 with VIN-2: is VIN-1 charging less efficiently than VIN-2?"
    answer = "VIN-1 used 14% more energy per km than VIN-2; VIN-3 is unknown."
    assert r.restore(answer) == f"{VIN_A} used 14% more energy per km than {VIN_B}; VIN-3 is unknown."
    assert r.vins == {"VIN-1": VIN_A, "VIN-2": VIN_B}
    assert redactor().text(f"just {VIN_B}") == "just VIN-1"  # numbering belongs to one redactor


def test_not_every_17_characters_are_a_vin() -> None:
    r = redactor()
    kept = "12345678901234567 ABCDEFGHJKLMNPRST and the word INTERNATIONALIZED"
    assert r.text(kept) == kept
    assert r.text("VIN: 5YJ3E1EA7KF3170001") == "VIN: 5YJ3E1EA7KF3170001"  # 18 characters: not a VIN


def test_coordinates_are_rounded() -> None:
    r = redactor()
    out = r.text(
        "Parked at 52.520008, 13.404954 overnight; earlier lat=48.137154&lon=11.576124, "
        'then "latitude": 40.712776, "longitude": -74.005974 and 51.507351° N, and -33.868820 (lat)'
    )
    for precise in (
        "52.520008",
        "13.404954",
        "48.137154",
        "11.576124",
        "40.712776",
        "-74.005974",
        "51.507351",
    ):
        assert precise not in out
    assert "-33.868820" not in out
    assert "52.52, 13.40" in out and "lat=48.14&lon=11.58" in out and '"longitude": -74.01' in out
    assert "51.51° N" in out and "-33.87 (lat)" in out
    assert Redactor(0).text("at 52.520008, 13.404954") == "at 53, 13"
    assert Redactor(4).text("at 52.520008, 13.404954") == "at 52.5200, 13.4050"


def test_addresses_are_removed() -> None:
    r = redactor()
    text = (
        "Home is 221B Baker Street, work at Hauptstraße 5 in Munich, my parents live at Berliner Straße 12a, "
        "the charger is at Karl-Marx-Allee 90, I stayed at 12 rue de Rivoli and Via Roma 10, "
        "and the office is 1600 Pennsylvania Avenue NW, near 10 Downing St."
    )
    out = r.text(text)
    for street in (
        "Baker",
        "Hauptstraße",
        "Berliner",
        "Karl-Marx",
        "Rivoli",
        "Roma",
        "Pennsylvania",
        "Downing",
    ):
        assert street not in out, street
    assert "Munich" in out  # cities are kept, on purpose


def test_contacts_and_secrets_are_removed() -> None:
    r = redactor()
    phones = ["+49 30 1234567", "+4915112345678", "0049 171 1234567", "030 1234567", "0171-1234567"]
    phones += ["(555) 123-4567", "+1 555 123 4567", "555-123-4567"]
    for phone in phones:
        out = r.text(f"Call me on {phone} after the drive.")
        assert out == "Call me on [phone] after the drive.", phone
    out = r.text("Write to jane.doe+tesla@example.co.uk or ops@fleet.example.com.")
    assert out == "Write to [email] or [email]."
    for what, secret in PLANTED_SECRETS.items():
        out = r.text(f"my config has {secret} in it")
        assert secret not in out, what
        assert "[token]" in out, what
    assert r.text("Authorization: Bearer abc.DEF-123_xyz") == "Authorization: Bearer [token]"
    assert r.text("password=hunter2&api_key: abc123") == "password=[redacted]&api_key: [redacted]"


def test_the_numbers_that_matter_survive() -> None:
    r = redactor()
    text = (
        "On 2024-05-01 at 12:30 (2024-05-01T12:30:00Z, 01.05.2024, 05/01/2024) the battery went from 80 % "
        "to 95 %, +12.3 kWh in 0:42 h at 11 kW, odometer 12345.6 km, 1717245600 in epoch seconds, "
        "efficiency 152.3456 Wh/km, 3 Drive modes, 1 place to charge, during 5 minutes, and "
        "https://example.com/Docs/Charging2024/OverviewPageSection /api/v1/Vehicles/Charging2024/Sessions99"
    )
    assert r.text(text) == text


def test_a_realistic_support_paste() -> None:
    """Everything planted at once, the way a log excerpt pasted into a question looks."""
    r = redactor()
    paste = (
        f"Hi, my Model 3 ({VIN_A}) stopped charging at 52.520008, 13.404954 (Hauptstraße 5) on 2024-05-01 "
        f"12:30 with 80 % SoC after 12.3 kWh. Contact jane.doe@example.com, +49 171 1234567. "
        f"Request: GET /api/1/vehicles/{VIN_A}/vehicle_data Authorization: Bearer "
        f"{PLANTED_SECRETS['a JWT']} and my TeslaSync token {PLANTED_SECRETS['our API token']}."
    )
    out = r.text(paste)
    planted = [VIN_A, "52.520008", "13.404954", "Hauptstraße", "jane.doe@example.com", "171 1234567"]
    planted += [PLANTED_SECRETS["a JWT"], PLANTED_SECRETS["our API token"]]
    for value in planted:
        assert value not in out, value
    for kept in ("Model 3", "2024-05-01", "12:30", "80 % SoC", "12.3 kWh", "/api/1/vehicles/VIN-1/"):
        assert kept in out, kept


def test_json_values() -> None:
    r = redactor()
    data = {
        "vin": VIN_A,
        "vehicleVin": VIN_B,
        "vins": [VIN_A, VIN_B],
        "drive": {
            "start": {"latitude": 52.520008, "longitude": 13.404954, "address": "Hauptstraße 5, Berlin"},
            "end": {"lat": "48.137154", "lng": 11.576124},
            "startLatitude": 40.712776,
            "distance_km": 12.3456,
            "battery_level": 80,
            "note": f"{VIN_A} parked at 52.520008, 13.404954",
        },
        VIN_B: {"access_token": "opaque-secret-value", "input_tokens": 1234, "password": "hunter2"},
        "flat": 1.234567,
        "tags": ["owner jane@example.com", 42, None, True],
    }
    out = r.value(data)
    dumped = json.dumps(out)
    for value in (VIN_A, VIN_B, "52.520008", "13.404954", "48.137154", "11.576124", "40.712776"):
        assert value not in dumped, value
    for value in ("Hauptstraße", "opaque-secret-value", "hunter2", "jane@example.com"):
        assert value not in dumped, value
    assert out["vin"] == "VIN-1" and out["vehicleVin"] == "VIN-2" and out["vins"] == ["VIN-1", "VIN-2"]
    assert out["drive"]["start"]["latitude"] == 52.52 and out["drive"]["end"]["lat"] == "48.14"
    assert out["drive"]["startLatitude"] == 40.71
    assert out["drive"]["distance_km"] == 12.3456 and out["drive"]["battery_level"] == 80
    assert out["flat"] == 1.234567  # not a coordinate key
    assert out["VIN-2"]["input_tokens"] == 1234 and out["VIN-2"]["access_token"] == "[redacted]"
    assert out["tags"][1:] == [42, None, True]
    assert r.restore_value(out)["vins"] == [VIN_A, VIN_B]
    assert VIN_B in r.restore_value(out)


def test_a_tool_result_is_redacted_as_json_when_it_is_json() -> None:
    r = redactor()
    result = json.dumps({"vin": "not-a-real-vin", "location": {"lat": 52.520008, "lon": 13.404954}})
    out = json.loads(r.json_text(result))
    assert out == {"vin": "VIN-1", "location": {"lat": 52.52, "lon": 13.4}}
    assert r.json_text(f"plain text about {VIN_A}") == "plain text about VIN-2"
    assert r.json_text("42.123456") == "42.123456"


@pytest.mark.parametrize(
    "pieces",
    [
        ["Car VIN-1 is fine"],
        ["Car V", "I", "N-", "1 is fine"],
        ["Car VIN-", "1", " is fine"],
        ["Car VIN-1", " is fine"],
    ],
)
def test_pseudonyms_split_across_stream_pieces_are_restored(pieces: list[str]) -> None:
    r = redactor()
    r.text(VIN_A)
    restorer = StreamRestorer(r.restore)
    out = "".join(restorer.feed(piece) for piece in pieces) + restorer.flush()
    assert out == f"Car {VIN_A} is fine"


def test_stream_restorer_does_not_eat_text() -> None:
    r = redactor()
    r.text(VIN_A)
    restorer = StreamRestorer(r.restore)
    assert restorer.feed("An EV") == "An E"  # the V may start a pseudonym: held back
    assert restorer.feed(" and VIN-1") == "V and "
    assert restorer.feed("0") == ""
    assert restorer.flush() == "VIN-10"  # not one handed out: left as it is


def test_location_decimals_are_checked() -> None:
    with pytest.raises(ValueError, match="location_decimals"):
        Redactor(7)
