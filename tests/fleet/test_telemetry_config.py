"""The Fleet Telemetry configuration: the default field set, the config shape, validation and parsing back."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from teslasync.fleet.telemetry_config import (
    DEFAULT_FIELDS,
    ConfigProblem,
    FieldInterval,
    build_config,
    fields_of,
    request_body,
)
from teslasync.telemetry.catalogue import Kind, spec

CA = """-----BEGIN CERTIFICATE-----
MIIBszCCAVmgAwIBAgIUQ2hhaW4tbGVhZi1jZXJ0aWZpY2F0ZS1mb3ItdGVzdHMw
CgYIKoZIzj0EAwIwFzEVMBMGA1UEAwwMVGVzbGFTeW5jIENBMB4XDTI2MDEwMTAw
-----END CERTIFICATE-----
-----BEGIN CERTIFICATE-----
MIIBrjCCAVOgAwIBAgIUSW50ZXJtZWRpYXRlLWNlcnRpZmljYXRlLWZvci10ZXN0
cwYIKoZIzj0EAwIwFzEVMBMGA1UEAwwMVGVzbGFTeW5jIENBMB4XDTI2MDEwMTAw
-----END CERTIFICATE-----
"""
EXPIRES = datetime(2099, 1, 1, tzinfo=UTC)
VIN = "5YJ3E1EA7KF000001"


def build(**overrides: Any) -> dict[str, object]:
    settings: dict[str, Any] = {
        "hostname": "telemetry.example.com",
        "port": 443,
        "ca": CA,
        "expires_at": EXPIRES,
        **overrides,
    }
    return build_config(**settings)


def refused(where: str, **overrides: Any) -> ConfigProblem:
    with pytest.raises(ConfigProblem) as problem:
        build(**overrides)
    assert problem.value.where == where
    assert str(problem.value).startswith(f"{where}: ")
    return problem.value


def test_every_default_field_is_a_catalogued_signal() -> None:
    for field in DEFAULT_FIELDS:
        known = spec(field.name)
        assert known is not None, field.name
        assert known.kind is not Kind.PLACEHOLDER, field.name
    names = [field.name for field in DEFAULT_FIELDS]
    assert len(names) == len(set(names))
    assert 40 <= len(names) <= 60


def test_default_intervals_are_sane() -> None:
    by_name = {field.name: field for field in DEFAULT_FIELDS}
    for name in ("VehicleSpeed", "Location", "Gear"):
        assert 1 <= by_name[name].interval_seconds <= 5
    for name in ("OutsideTemp", "InsideTemp", "TpmsPressureFl", "IdealBatteryRange", "VehicleName"):
        assert 30 <= by_name[name].interval_seconds <= 600
    assert by_name["OutsideTemp"].minimum_delta == 0.5
    assert by_name["Location"].minimum_delta is None
    for field in DEFAULT_FIELDS:
        assert field.interval_seconds >= 1
        assert field.minimum_delta is None or field.minimum_delta > 0


def test_the_fields_the_derivations_read_are_all_configured() -> None:
    names = {field.name for field in DEFAULT_FIELDS}
    wanted = {
        "Location", "VehicleSpeed", "Gear", "Odometer", "BatteryLevel", "Soc", "RatedRange",
        "IdealBatteryRange", "EstBatteryRange", "DetailedChargeState", "ChargeState", "ACChargingPower",
        "DCChargingPower", "ChargerVoltage", "ChargeAmps", "ChargerPhases", "ACChargingEnergyIn",
        "DCChargingEnergyIn", "FastChargerPresent", "FastChargerType", "PackVoltage", "PackCurrent",
        "EnergyRemaining", "ChargeLimitSoc", "ChargePortDoorOpen", "TimeToFullCharge", "InsideTemp",
        "OutsideTemp", "HvacPower", "Locked", "SentryMode", "DoorState", "FdWindow", "FpWindow", "RdWindow",
        "RpWindow", "TpmsPressureFl", "TpmsPressureFr", "TpmsPressureRl", "TpmsPressureRr", "Version",
        "SoftwareUpdateVersion", "SoftwareUpdateDownloadPercentComplete",
        "SoftwareUpdateInstallationPercentComplete",
    }  # fmt: skip
    assert wanted <= names


def test_config_shape_matches_the_fleet_telemetry_request() -> None:
    config = build(
        fields=[
            FieldInterval("VehicleSpeed", 2),
            FieldInterval("OutsideTemp", 60, minimum_delta=0.5),
            FieldInterval("BatteryLevel", 30, resend_interval_seconds=600),
            FieldInterval("Odometer", 10, 0.1, 300),
        ]
    )
    assert config == {
        "hostname": "telemetry.example.com",
        "port": 443,
        "ca": CA,
        "exp": 4070908800,
        "alert_types": ["service"],
        "prefer_typed": True,
        "fields": {
            "VehicleSpeed": {"interval_seconds": 2},
            "OutsideTemp": {"interval_seconds": 60, "minimum_delta": 0.5},
            "BatteryLevel": {"interval_seconds": 30, "resend_interval_seconds": 600},
            "Odometer": {"interval_seconds": 10, "minimum_delta": 0.1, "resend_interval_seconds": 300},
        },
    }
    assert list(config) == ["hostname", "port", "ca", "exp", "alert_types", "prefer_typed", "fields"]
    assert isinstance(config["exp"], int)


def test_the_default_config() -> None:
    before = int(time.time())
    config = build_config(hostname="telemetry.example.com", port=4443, ca=CA, prefer_typed=False)
    year = 365 * 24 * 3600
    assert isinstance(config["exp"], int)
    assert before + year <= config["exp"] <= int(time.time()) + year
    assert config["prefer_typed"] is False
    assert config["alert_types"] == ["service"]
    fields = config["fields"]
    assert isinstance(fields, dict)
    assert list(fields) == [field.name for field in DEFAULT_FIELDS]


def test_expiry_with_another_time_zone() -> None:
    cest = timezone(timedelta(hours=2))
    config = build(expires_at=datetime(2099, 1, 1, 2, 0, tzinfo=cest))
    assert config["exp"] == 4070908800


@pytest.mark.parametrize(
    "hostname",
    [
        "",
        "https://telemetry.example.com",
        "telemetry.example.com/path",
        "telemetry.example.com:443",
        "user@telemetry.example.com",
        "tele metry.example.com",
        " telemetry.example.com",
        "-bad.example.com",
        "a..b",
    ],
)
def test_hostname_must_be_bare(hostname: str) -> None:
    refused("hostname", hostname=hostname)


@pytest.mark.parametrize("port", [0, 65536, -1, True, "443", 443.0])
def test_port_must_be_valid(port: object) -> None:
    refused("port", port=port)


def test_port_limits_are_accepted() -> None:
    assert build(port=1)["port"] == 1
    assert build(port=65535)["port"] == 65535


@pytest.mark.parametrize(
    "ca",
    [
        "",
        "not a certificate",
        "-----BEGIN CERTIFICATE-----\nMIIB\n",  # never closed
        "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n",
        CA + "-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n",
        CA + "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n",
    ],
)
def test_ca_must_be_a_certificate_chain(ca: str) -> None:
    refused("ca", ca=ca)


def test_a_private_key_in_the_ca_is_named() -> None:
    problem = refused("ca", ca=CA + "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n")
    assert "private key" in problem.problem


def test_unknown_field_is_refused_by_name() -> None:
    problem = refused("fields.Foo", fields=[FieldInterval("VehicleSpeed", 1), FieldInterval("Foo", 10)])
    assert str(problem) == "fields.Foo: not a Fleet Telemetry field"


@pytest.mark.parametrize("name", ["Unknown", "Deprecated_2", "Experimental_7"])
def test_placeholder_slots_are_refused(name: str) -> None:
    refused(f"fields.{name}", fields=[FieldInterval(name, 10)])


def test_duplicate_field_is_refused() -> None:
    problem = refused(
        "fields.Gear", fields=[FieldInterval("Gear", 1), FieldInterval("Soc", 10), FieldInterval("Gear", 5)]
    )
    assert "twice" in str(problem)


def test_no_fields_is_refused() -> None:
    refused("fields", fields=[])


@pytest.mark.parametrize("interval", [0, -5, 1.5, True])
def test_interval_must_be_a_whole_second_or_more(interval: object) -> None:
    refused("fields.Soc.interval_seconds", fields=[FieldInterval("Soc", interval)])  # type: ignore[arg-type]


@pytest.mark.parametrize("delta", [0, -0.5, float("nan"), float("inf")])
def test_minimum_delta_must_be_positive_and_finite(delta: float) -> None:
    refused("fields.OutsideTemp.minimum_delta", fields=[FieldInterval("OutsideTemp", 60, delta)])


def test_resend_must_not_be_shorter_than_the_interval() -> None:
    problem = refused("fields.Soc.resend_interval_seconds", fields=[FieldInterval("Soc", 60, None, 30)])
    assert "60" in str(problem)
    assert build(fields=[FieldInterval("Soc", 60, None, 60)])["fields"] == {
        "Soc": {"interval_seconds": 60, "resend_interval_seconds": 60}
    }


def test_expiry_must_be_in_the_future_and_zoned() -> None:
    refused("exp", expires_at=datetime.now(UTC) - timedelta(seconds=1))
    refused("exp", expires_at=datetime(2099, 1, 1))  # naive: which 1 January?


@pytest.mark.parametrize("alert_types", ["service", [""], ["service", "service"]])
def test_alert_types_are_checked(alert_types: Sequence[str]) -> None:
    with pytest.raises(ConfigProblem, match=r"^alert_types"):
        build(alert_types=alert_types)


def test_no_alert_types_is_allowed() -> None:
    assert build(alert_types=())["alert_types"] == []


def test_fields_round_trip() -> None:
    custom = (
        FieldInterval("Location", 2),
        FieldInterval("OutsideTemp", 60, minimum_delta=0.5),
        FieldInterval("BatteryLevel", 30, resend_interval_seconds=600),
        FieldInterval("Odometer", 10, 0.1, 300),
    )
    assert fields_of(build(fields=custom)) == list(custom)
    assert fields_of(build()) == list(DEFAULT_FIELDS)


def test_fields_of_tolerates_what_the_car_reports() -> None:
    answer: dict[str, Any] = {
        "response": {
            "synced": True,
            "config": {
                "hostname": "telemetry.example.com",
                "fields": {
                    "Soc": {"interval_seconds": 30},
                    "OutsideTemp": {"interval_seconds": 60.0, "minimum_delta": 1},
                    "Gear": {"interval_seconds": 1, "minimum_delta": None, "resend_interval_seconds": 0},
                    "SomeFutureField": {"interval_seconds": 5, "minimum_delta": 0},
                },
            },
        }
    }
    expected = [
        FieldInterval("Soc", 30),
        FieldInterval("OutsideTemp", 60, 1.0),
        FieldInterval("Gear", 1),
        FieldInterval("SomeFutureField", 5),
    ]
    assert fields_of(answer) == expected
    config = answer["response"]["config"]
    assert fields_of(config) == expected
    assert fields_of({"hostname": "telemetry.example.com"}) == []


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ([], "fields"),
        ({"Soc": 30}, "fields.Soc"),
        ({"Soc": {}}, "fields.Soc.interval_seconds"),
        ({"Soc": {"interval_seconds": 1.5}}, "fields.Soc.interval_seconds"),
        ({"Soc": {"interval_seconds": 10, "minimum_delta": "1"}}, "fields.Soc.minimum_delta"),
        (
            {"Soc": {"interval_seconds": 10, "resend_interval_seconds": "x"}},
            "fields.Soc.resend_interval_seconds",
        ),
    ],
)
def test_fields_of_refuses_malformed_settings(fields: object, where: str) -> None:
    with pytest.raises(ConfigProblem) as problem:
        fields_of({"fields": fields})
    assert problem.value.where == where


def test_request_body_uppercases_and_checks_vins() -> None:
    config = build(fields=[FieldInterval("Soc", 30)])
    body = request_body([VIN.lower(), " 5YJ3E1EA7KF000002 "], config)
    assert body == {"vins": [VIN, "5YJ3E1EA7KF000002"], "config": config}
    assert list(body) == ["vins", "config"]


@pytest.mark.parametrize(
    ("vins", "where"),
    [
        ([], "vins"),
        (VIN, "vins"),  # one string, not a list
        ([VIN, "5YJ3E1EA7KF00000"], "vins[1]"),  # 16 characters
        (["5YJ3E1EA7KF0000011"], "vins[0]"),  # 18
        (["5YJ3E1EA7KF00000O"], "vins[0]"),  # O is not in the VIN alphabet
        ([VIN, VIN.lower()], "vins[1]"),  # the same car twice
    ],
)
def test_request_body_refuses_bad_vins(vins: Sequence[str], where: str) -> None:
    with pytest.raises(ConfigProblem) as problem:
        request_body(vins, build(fields=[FieldInterval("Soc", 30)]))
    assert problem.value.where == where


def test_field_interval_is_immutable() -> None:
    field = FieldInterval("Soc", 30)
    with pytest.raises(AttributeError):
        field.interval_seconds = 5  # type: ignore[misc]
    assert replace(field, interval_seconds=5) == FieldInterval("Soc", 5)
