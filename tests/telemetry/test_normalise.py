from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from teslasync.telemetry.model import Form, Observation, Reason, Rejected, Signal
from teslasync.telemetry.normalise import normalise, render

VIN = "5YJ3E7EA3LF700000"
AT = datetime(2025, 1, 2, 18, 4, 53, tzinfo=UTC)


def typed(field: str, value: object) -> Signal:
    return normalise(Observation(VIN, field, value, Form.TYPED, AT))


def mqtt(field: str, value: object) -> Signal:
    return normalise(Observation(VIN, field, value, Form.MQTT, AT))


def shown(signal: Signal) -> object:
    return render(signal.field, signal.num, signal.txt, signal.doc)


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        # a car that displays km sends mph: 6.2137119223733395 mph is exactly 10 km/h
        ("VehicleSpeed", {"stringValue": "6.2137119223733395"}, 10.0),
        ("VehicleSpeed", {"doubleValue": 0.621371192237334}, 1.0),
        ("Odometer", {"stringValue": "100"}, 160.9344),
        ("RatedRange", {"doubleValue": 151.41552172975454}, 243.67966),
        ("ChargeRateMilePerHour", {"doubleValue": 10}, 16.09344),
        ("BatteryLevel", {"stringValue": "80.5"}, 80.5),
        ("ACChargingPower", {"stringValue": "0.20000000298023224"}, 0.2),
        ("TpmsPressureFl", {"doubleValue": 2.9}, 2.9),
        ("InsideTemp", {"floatValue": 21.5}, 21.5),
    ],
)
def test_numbers_are_converted_to_metric(field: str, raw: object, expected: float) -> None:
    value = shown(typed(field, raw))
    assert isinstance(value, float)
    assert math.isclose(value, expected, rel_tol=1e-6)


def test_mqtt_numbers_and_numeric_strings() -> None:
    assert math.isclose(shown(mqtt("VehicleSpeed", 62.137119223733395)), 100.0)  # type: ignore[arg-type]
    assert math.isclose(shown(mqtt("VehicleSpeed", "62.137119223733395")), 100.0)  # type: ignore[arg-type]


def test_integers_render_as_integers() -> None:
    assert shown(typed("ChargeLimitSoc", {"intValue": 90})) == 90
    assert shown(typed("SoftwareUpdateDownloadPercentComplete", {"intValue": 33})) == 33


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ("Gear", {"shiftStateValue": "ShiftStateD"}, "D"),
        ("Gear", {"stringValue": "D"}, "D"),
        ("Gear", {"stringValue": "R"}, "R"),
        ("DetailedChargeState", {"detailedChargeStateValue": "DetailedChargeStateCharging"}, "Charging"),
        ("DetailedChargeState", {"stringValue": "DetailedChargeStateStopped"}, "Stopped"),
        ("FastChargerType", {"fastChargerValue": "FastChargerCombo"}, "Combo"),
        ("SentryMode", {"sentryModeStateValue": "SentryModeStateOff"}, "Off"),
        ("SentryMode", {"stringValue": "Armed"}, "Armed"),
        ("HvacAutoMode", {"hvacAutoModeValue": "HvacAutoModeStateOverride"}, "Override"),
        ("FdWindow", {"stringValue": "Closed"}, "Closed"),
        ("HvacPower", {"hvacPowerValue": "HvacPowerStateOn"}, "On"),
        ("HvacPower", {"hvacPowerValue": "HvacPowerStateOverheatProtect"}, "OverheatProtect"),
        # legacy ChargeState words are kept as they are: they are not the enum's names
        ("ChargeState", {"stringValue": "Enable"}, "Enable"),
        ("ChargeState", {"stringValue": "QualifyLineConfig"}, "QualifyLineConfig"),
    ],
)
def test_enums_are_decoded_from_both_forms(field: str, raw: object, expected: str) -> None:
    assert shown(typed(field, raw)) == expected


def test_mqtt_enum_names() -> None:
    assert shown(mqtt("Gear", "ShiftStateP")) == "P"
    assert shown(mqtt("DetailedChargeState", "DetailedChargeStateComplete")) == "Complete"


def test_enum_numbers_follow_the_current_proto() -> None:
    assert shown(typed("Gear", {"shiftStateValue": 5})) == "D"
    with pytest.raises(Rejected) as raised:
        typed("Gear", {"shiftStateValue": 99})
    assert raised.value.reason is Reason.OUT_OF_RANGE


@pytest.mark.parametrize("raw", [{}, {"invalid": True}, {"stringValue": ""}])
def test_no_valid_value_is_not_zero(raw: object) -> None:
    signal = typed("TimeToFullCharge", raw)
    assert not signal.valid
    assert (signal.num, signal.txt, signal.doc) == (None, None, None)


def test_mqtt_null_is_no_valid_value() -> None:
    assert not mqtt("VehicleSpeed", None).valid
    assert not mqtt("Location", None).valid


def test_booleans() -> None:
    assert shown(typed("Locked", {"stringValue": "true"})) is True
    assert shown(typed("Locked", {"booleanValue": False})) is False
    assert shown(mqtt("FastChargerPresent", True)) is True


def test_locations() -> None:
    point = {"latitude": 49.993946, "longitude": 9.070725}
    assert shown(typed("Location", {"locationValue": point})) == point
    assert shown(mqtt("Location", {"latitude": 37.7749, "longitude": -122.4194})) == {
        "latitude": 37.7749,
        "longitude": -122.4194,
    }
    # the form the fleet-telemetry server logs for legacy string locations
    assert shown(typed("Location", {"stringValue": "(37.412374 S, 122.145867 E)"})) == {
        "latitude": -37.412374,
        "longitude": 122.145867,
    }


def test_doors_from_objects_and_legacy_strings() -> None:
    closed = dict.fromkeys(
        ("DriverFront", "DriverRear", "PassengerFront", "PassengerRear", "TrunkFront", "TrunkRear"), False
    )
    assert shown(typed("DoorState", {"doorValue": {}})) == closed
    assert shown(typed("DoorState", {"doorValue": {"DriverFront": True, "TrunkFront": True}})) == {
        **closed,
        "DriverFront": True,
        "TrunkFront": True,
    }
    assert shown(typed("DoorState", {"stringValue": ""})) == closed
    assert shown(typed("DoorState", {"stringValue": "DriverFront"})) == {**closed, "DriverFront": True}


def test_time_of_day() -> None:
    assert shown(typed("RouteLastUpdated", {"timeValue": {"hour": 7, "minute": 5}})) == "07:05:00"
    assert shown(mqtt("RouteLastUpdated", "23:59:01")) == "23:59:01"


def test_unknown_and_placeholder_fields_are_kept_raw() -> None:
    raw = {"doubleValue": 1.5}
    unknown = typed("FieldFromTheFuture", raw)
    assert unknown.doc == raw and unknown.valid
    assert typed("Experimental_1", {"stringValue": "x"}).doc == {"stringValue": "x"}
    assert mqtt("FieldFromTheFuture", [1, 2]).doc == [1, 2]


@pytest.mark.parametrize(
    ("field", "raw", "form", "reason"),
    [
        ("VehicleSpeed", {"stringValue": "fast"}, Form.TYPED, Reason.WRONG_TYPE),
        ("VehicleSpeed", {"booleanValue": True}, Form.TYPED, Reason.WRONG_TYPE),
        ("VehicleSpeed", "NaN", Form.MQTT, Reason.NOT_FINITE),
        ("VehicleSpeed", float("inf"), Form.MQTT, Reason.NOT_FINITE),
        ("VehicleSpeed", {"doubleValue": 1, "stringValue": "1"}, Form.TYPED, Reason.BAD_SHAPE),
        ("VehicleSpeed", [1], Form.TYPED, Reason.BAD_SHAPE),
        ("Locked", {"stringValue": "maybe"}, Form.TYPED, Reason.WRONG_TYPE),
        ("Location", {"locationValue": {"latitude": 91, "longitude": 0}}, Form.TYPED, Reason.OUT_OF_RANGE),
        ("Location", "somewhere", Form.MQTT, Reason.WRONG_TYPE),
        ("DoorState", {"doorValue": {"Sunroof": True}}, Form.TYPED, Reason.WRONG_TYPE),
        ("Gear", {"stringValue": ""}, Form.TYPED, Reason.WRONG_TYPE),
        ("RouteLastUpdated", "25:00:00", Form.MQTT, Reason.OUT_OF_RANGE),
    ],
)
def test_bad_values_are_rejected_with_a_reason(field: str, raw: object, form: Form, reason: Reason) -> None:
    with pytest.raises(Rejected) as raised:
        normalise(Observation(VIN, field, raw, form, AT))
    assert raised.value.reason is reason
