from __future__ import annotations

from datetime import UTC, datetime

import pytest

from teslasync.telemetry.model import Reason, Rejected
from teslasync.telemetry.records import mqtt_event, parse_record_line, parse_topic, record_events

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LINE = (
    '02.01.2025 19:04:43 : #3[:57]: *** FT: { "data": [ { "key": "PackCurrent", "value": { "stringValue": '
    '"-0.4000000059604645" } }, { "key": "TimeToFullCharge", "value": { } } ], "createdAt": '
    '"2025-01-02T18:04:53.232436601Z", "vin": "5YJ3E7EA3LF700000" }'
)


def test_log_prefix_and_nanoseconds() -> None:
    record = parse_record_line(LINE, now=NOW)
    assert record.vin == "5YJ3E7EA3LF700000"
    assert record.created_at == datetime(2025, 1, 2, 18, 4, 53, 232436, tzinfo=UTC)
    assert [o.field for o in record.observations] == ["PackCurrent", "TimeToFullCharge"]
    assert all(o.ts == record.created_at for o in record.observations)


def test_numeric_keys_are_field_numbers() -> None:
    line = '{"data":[{"key":42,"value":{"doubleValue":80}}],"createdAt":"2025-01-02T18:04:53Z","vin":"5YJ3E7EA3LF700000"}'
    assert parse_record_line(line, now=NOW).observations[0].field == "BatteryLevel"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json at all", Reason.NOT_JSON),
        ('{"data": 5, "createdAt": "2025-01-02T18:04:53Z", "vin": "5YJ3E7EA3LF700000"}', Reason.BAD_SHAPE),
        ('{"data": [], "createdAt": "2025-01-02T18:04:53Z", "vin": "SHORTVIN"}', Reason.BAD_VIN),
        ('{"data": [], "createdAt": "2025-01-02T18:04:53Z"}', Reason.BAD_VIN),
        ('{"data": [], "createdAt": "yesterday", "vin": "5YJ3E7EA3LF700000"}', Reason.BAD_TIMESTAMP),
        (
            '{"data": [], "createdAt": "2099-01-01T00:00:00Z", "vin": "5YJ3E7EA3LF700000"}',
            Reason.FUTURE_TIMESTAMP,
        ),
        (
            '{"data": [], "createdAt": "1999-01-01T00:00:00Z", "vin": "5YJ3E7EA3LF700000"}',
            Reason.BAD_TIMESTAMP,
        ),
        (
            '{"data": [{"value": {}}], "createdAt": "2025-01-02T18:04:53Z", "vin": "5YJ3E7EA3LF700000"}',
            Reason.BAD_SHAPE,
        ),
        (
            '{"data": [{"key": "Soc"}], "createdAt": "2025-01-02T18:04:53Z", "vin": "5YJ3E7EA3LF700000"}',
            Reason.BAD_SHAPE,
        ),
        (
            '{"data": [], "createdAt": "2025-01-02T18:04:53Z", "vin": "5YJ3E7EA3LF700000", "x": "'
            + "a" * 1_000_001
            + '"}',
            Reason.TOO_LARGE,
        ),
    ],
)
def test_bad_records(line: str, reason: Reason) -> None:
    with pytest.raises(Rejected) as raised:
        parse_record_line(line, now=NOW)
    assert raised.value.reason is reason


def test_topics() -> None:
    vin = "5YJ3E7EA3LF700000"
    assert parse_topic(f"telemetry/{vin}/v/BatteryLevel", "telemetry").name == "BatteryLevel"
    assert parse_topic(f"a/b/{vin}/v/Gear", "a/b").vin == vin
    alert = parse_topic(f"telemetry/{vin}/alerts/ChargePortFault/current", "telemetry")
    assert (alert.kind, alert.name, alert.variant) == ("alerts", "ChargePortFault", "current")
    assert parse_topic(f"telemetry/{vin}/errors/Cellular", "telemetry").kind == "errors"
    assert parse_topic(f"telemetry/{vin}/connectivity", "telemetry").kind == "connectivity"
    for bad, reason in [
        (f"other/{vin}/v/Soc", Reason.UNKNOWN_TOPIC),
        (f"telemetry/{vin}/x/Soc", Reason.UNKNOWN_TOPIC),
        (f"telemetry/{vin}/v", Reason.UNKNOWN_TOPIC),
        ("telemetry/NOTAVIN/v/Soc", Reason.BAD_VIN),
    ]:
        with pytest.raises(Rejected) as raised:
            parse_topic(bad, "telemetry")
        assert raised.value.reason is reason


def test_mqtt_events() -> None:
    vin = "5YJ3E7EA3LF700000"
    connectivity = parse_topic(f"telemetry/{vin}/connectivity", "telemetry")
    [event] = mqtt_event(
        connectivity,
        {"ConnectionId": "c1", "Status": "DISCONNECTED", "CreatedAt": "2025-01-02T18:00:00Z"},
        NOW,
    )
    assert (event.kind, event.name, event.ts) == (
        "connectivity",
        "DISCONNECTED",
        datetime(2025, 1, 2, 18, tzinfo=UTC),
    )
    history = parse_topic(f"telemetry/{vin}/alerts/Fault/history", "telemetry")
    events = mqtt_event(
        history, [{"StartedAt": "2025-01-02T17:00:00Z"}, {"StartedAt": "2025-01-02T17:30:00Z"}], NOW
    )
    assert [e.name for e in events] == ["Fault", "Fault"]
    with pytest.raises(Rejected):
        mqtt_event(connectivity, {"Status": "MAYBE"}, NOW)


def test_record_events() -> None:
    events = record_events(
        "connectivity",
        {
            "vin": "5YJ3E7EA3LF700000",
            "connectionId": "x",
            "status": "CONNECTED",
            "createdAt": "2025-01-02T18:00:00Z",
        },
    )
    assert events[0].name == "CONNECTED"
    alerts = record_events(
        "alerts",
        {
            "vin": "5YJ3E7EA3LF700000",
            "alerts": [{"name": "A1", "startedAt": "2025-01-02T18:00:00Z"}],
            "createdAt": "2025-01-02T18:00:01Z",
        },
    )
    assert (alerts[0].kind, alerts[0].name) == ("alert", "A1")
