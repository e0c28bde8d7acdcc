"""The Fleet Telemetry configuration TeslaSync pushes to cars (`POST /api/1/vehicles/fleet_telemetry_config`,
through the vehicle-command proxy, which signs `config`).

A car sends a field when it has changed, and never more often than its `interval_seconds`; `minimum_delta`
sets how much a number must change to count (in the unit the car SENDS: miles, mph, metres for Location),
and `resend_interval_seconds` makes the car repeat an unchanged value. Discrete signals (gear, charge state,
locks) therefore cost nothing while they hold still, and get short intervals so that drive and charging
boundaries are precise; continuously drifting ones (ranges, temperatures, pressures) get long intervals.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from teslasync.telemetry.catalogue import Kind, spec
from teslasync.vin import is_valid_vin

__all__ = [
    "DEFAULT_FIELDS",
    "ConfigProblem",
    "FieldInterval",
    "build_config",
    "fields_of",
    "request_body",
]

DEFAULT_VALIDITY = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class FieldInterval:
    name: str  # Fleet Telemetry field name, e.g. "BatteryLevel"
    interval_seconds: int  # >= 1
    minimum_delta: float | None = None
    resend_interval_seconds: int | None = None


def _f(
    name: str, interval_seconds: int, minimum_delta: float | None = None, resend: int | None = None
) -> FieldInterval:
    return FieldInterval(name, interval_seconds, minimum_delta, resend)


DEFAULT_FIELDS: tuple[FieldInterval, ...] = (
    # Driving: drives, their path and the live car page.
    _f("Gear", 1),
    _f("VehicleSpeed", 2),  # no minimum_delta: the final 0 at a stop must always arrive
    _f("Location", 2),
    _f("GpsHeading", 5, 5.0),  # degrees
    _f("Odometer", 10, 0.1),  # miles; the firmware default since 2025.2.6, set for older firmware too
    # Battery and range: consumption, battery health, the live page.
    _f("BatteryLevel", 10),
    _f("Soc", 10),
    _f("EnergyRemaining", 30, 0.1),  # kWh
    _f("PackVoltage", 5, 0.5),
    _f("PackCurrent", 5, 1.0),  # amps; also the charge/discharge sign the derivations read
    _f("RatedRange", 30, 0.5),  # miles
    _f("IdealBatteryRange", 60, 0.5),
    _f("EstBatteryRange", 60, 1.0),  # follows recent consumption, so it wanders more
    # Charging sessions and their costs. Both charge-state fields: DetailedChargeState needs fw 2024.38+.
    _f("DetailedChargeState", 1),
    _f("ChargeState", 1),
    _f("FastChargerPresent", 1),
    _f("FastChargerType", 10),
    _f("ChargingCableType", 10),
    _f("ChargePortDoorOpen", 1),
    _f("ChargePortLatch", 5),
    _f("ChargeLimitSoc", 10),
    _f("DCChargingPower", 5, 0.5),  # kW; a 5 s charging curve
    _f("ACChargingPower", 10, 0.1),
    _f("DCChargingEnergyIn", 30),  # kWh at the battery, valid for AC too
    _f("ACChargingEnergyIn", 30),
    _f("ChargerVoltage", 10, 1.0),  # jitters even when idle (firmware default 0.3 V is still chatty)
    _f("ChargeAmps", 10),
    _f("ChargeCurrentRequest", 10),
    _f("ChargerPhases", 10),
    _f("TimeToFullCharge", 60),
    _f("BatteryHeaterOn", 10),
    # Climate.
    _f("InsideTemp", 60, 0.5),  # noisy
    _f("OutsideTemp", 60, 0.5),
    _f("HvacPower", 5),
    _f("HvacLeftTemperatureRequest", 10),
    _f("ClimateKeeperMode", 10),
    # Security and closures (DoorState covers both trunks).
    _f("Locked", 1),
    _f("SentryMode", 1),
    _f("DoorState", 1),
    _f("FdWindow", 5),
    _f("FpWindow", 5),
    _f("RdWindow", 5),
    _f("RpWindow", 5),
    # Tyres: pressures in bar drift with temperature; 0.05 bar still shows a slow leak.
    _f("TpmsPressureFl", 300, 0.05),
    _f("TpmsPressureFr", 300, 0.05),
    _f("TpmsPressureRl", 300, 0.05),
    _f("TpmsPressureRr", 300, 0.05),
    _f("TpmsSoftWarnings", 60),
    _f("TpmsHardWarnings", 60),
    # Software (the states derivation follows updates).
    _f("Version", 60),
    _f("SoftwareUpdateVersion", 60),
    _f("SoftwareUpdateDownloadPercentComplete", 30),
    _f("SoftwareUpdateInstallationPercentComplete", 30),
    _f("SoftwareUpdateScheduledStartTime", 60),
    # The car, and where it is parked (home charging is priced differently).
    _f("VehicleName", 300),
    _f("LocatedAtHome", 10),
)


class ConfigProblem(Exception):
    """A configuration (or request) TeslaSync refuses to send; `where` names the offending part."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}")


# A bare DNS name or IPv4 address: no scheme, port, path, user or whitespace.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$", re.ASCII)
_PEM_CERTIFICATE = re.compile(
    r"-----BEGIN CERTIFICATE-----\s*[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----", re.ASCII
)


def build_config(
    *,
    hostname: str,
    port: int,
    ca: str,
    fields: Sequence[FieldInterval] = DEFAULT_FIELDS,
    expires_at: datetime | None = None,
    alert_types: Sequence[str] = ("service",),
    prefer_typed: bool = True,
) -> dict[str, object]:
    """The `config` object of a fleet_telemetry_config request, after checking every part of it."""
    _check_hostname(hostname)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ConfigProblem("port", f"must be an integer from 1 to 65535, got {port!r}")
    _check_ca(ca)
    now = datetime.now(UTC)
    if expires_at is None:
        expires_at = now + DEFAULT_VALIDITY
    elif expires_at.tzinfo is None or expires_at.utcoffset() is None:
        raise ConfigProblem("exp", "expires_at needs a time zone")
    if expires_at <= now:
        raise ConfigProblem("exp", f"{expires_at.isoformat()} is not in the future")
    if not isinstance(prefer_typed, bool):
        raise ConfigProblem("prefer_typed", f"must be true or false, got {prefer_typed!r}")
    return {
        "hostname": hostname,
        "port": port,
        "ca": ca,
        "exp": int(expires_at.timestamp()),
        "alert_types": _alert_types(alert_types),
        "prefer_typed": prefer_typed,
        "fields": _fields(fields),
    }


def request_body(vins: Sequence[str], config: Mapping[str, object]) -> dict[str, object]:
    """`{"vins": [...], "config": config}`, with the VINs checked and uppercased."""
    if isinstance(vins, str):
        raise ConfigProblem("vins", "must be a list of VINs, not one string")
    if not vins:
        raise ConfigProblem("vins", "at least one VIN is needed")
    checked: list[str] = []
    for index, vin in enumerate(vins):
        if not isinstance(vin, str) or not is_valid_vin(vin.strip().upper()):
            raise ConfigProblem(f"vins[{index}]", f"{vin!r} is not a 17-character VIN")
        vin = vin.strip().upper()
        if vin in checked:
            raise ConfigProblem(f"vins[{index}]", f"{vin} is listed twice")
        checked.append(vin)
    return {"vins": checked, "config": dict(config)}


def fields_of(config: Mapping[str, object]) -> list[FieldInterval]:
    """The fields of a config as GET fleet_telemetry_config returns it (the `config` object; the whole
    `{"response": {"synced", "config"}}` answer is unwrapped too). Optional keys may be missing or null, and
    names the catalogue does not know are kept: the car may run a newer field list than TeslaSync."""
    config = _unwrap(config)
    raw = config.get("fields")
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        raise ConfigProblem("fields", "must be an object of field name to settings")
    parsed: list[FieldInterval] = []
    for name, settings in raw.items():
        where = f"fields.{name}"
        if not isinstance(settings, Mapping):
            raise ConfigProblem(where, "settings must be an object")
        interval = _whole(settings.get("interval_seconds"), f"{where}.interval_seconds")
        if interval is None or interval < 1:
            raise ConfigProblem(f"{where}.interval_seconds", "must be an integer >= 1")
        delta = settings.get("minimum_delta")
        if delta is not None and (isinstance(delta, bool) or not isinstance(delta, int | float)):
            raise ConfigProblem(f"{where}.minimum_delta", f"must be a number, got {delta!r}")
        resend = _whole(settings.get("resend_interval_seconds"), f"{where}.resend_interval_seconds")
        parsed.append(
            FieldInterval(
                name=str(name),
                interval_seconds=interval,
                # A zero means "not set" (protobuf-style zero values), as does a missing key.
                minimum_delta=float(delta) if isinstance(delta, int | float) and delta else None,
                resend_interval_seconds=resend or None,
            )
        )
    return parsed


def _check_hostname(hostname: str) -> None:
    if not isinstance(hostname, str) or not hostname:
        raise ConfigProblem("hostname", "is empty")
    if not _HOSTNAME.match(hostname):
        raise ConfigProblem(
            "hostname", f"must be a bare host name (no scheme, port or path), got {hostname!r}"
        )


def _check_ca(ca: str) -> None:
    if not isinstance(ca, str) or not _PEM_CERTIFICATE.search(ca):
        raise ConfigProblem("ca", "must be a PEM certificate chain (-----BEGIN CERTIFICATE----- ...)")
    if "PRIVATE KEY" in ca:
        # The config is signed and sent to Tesla and the car: never let a key pasted by mistake go with it.
        raise ConfigProblem("ca", "contains a private key; give the CA certificate chain only")
    begins = ca.count("-----BEGIN ")
    if begins != ca.count("-----END ") or begins != len(_PEM_CERTIFICATE.findall(ca)):
        raise ConfigProblem("ca", "has PEM blocks that are not certificates or are not closed")


def _alert_types(alert_types: Sequence[str]) -> list[str]:
    if isinstance(alert_types, str):
        raise ConfigProblem("alert_types", "must be a list of alert types, not one string")
    checked: list[str] = []
    for index, alert_type in enumerate(alert_types):
        if not isinstance(alert_type, str) or not alert_type:
            raise ConfigProblem(f"alert_types[{index}]", f"must be a non-empty string, got {alert_type!r}")
        if alert_type in checked:
            raise ConfigProblem(f"alert_types[{index}]", f"{alert_type} is listed twice")
        checked.append(alert_type)
    return checked


def _fields(fields: Sequence[FieldInterval]) -> dict[str, dict[str, object]]:
    if not fields:
        raise ConfigProblem("fields", "at least one field is needed")
    out: dict[str, dict[str, object]] = {}
    for field in fields:
        where = f"fields.{field.name}"
        known = spec(field.name)
        if known is None:
            raise ConfigProblem(where, "not a Fleet Telemetry field")
        if known.kind is Kind.PLACEHOLDER:
            raise ConfigProblem(
                where, "a placeholder slot (Unknown, Deprecated_*, Experimental_*), not a signal"
            )
        if field.name in out:
            raise ConfigProblem(where, "listed twice")
        interval = field.interval_seconds
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise ConfigProblem(f"{where}.interval_seconds", f"must be an integer >= 1, got {interval!r}")
        settings: dict[str, object] = {"interval_seconds": interval}
        delta = field.minimum_delta
        if delta is not None:
            if isinstance(delta, bool) or not isinstance(delta, int | float) or not math.isfinite(delta):
                raise ConfigProblem(f"{where}.minimum_delta", f"must be a finite number, got {delta!r}")
            if delta <= 0:
                raise ConfigProblem(
                    f"{where}.minimum_delta",
                    f"must be > 0 (leave it out to send every change), got {delta!r}",
                )
            settings["minimum_delta"] = delta
        resend = field.resend_interval_seconds
        if resend is not None:
            if isinstance(resend, bool) or not isinstance(resend, int):
                raise ConfigProblem(f"{where}.resend_interval_seconds", f"must be an integer, got {resend!r}")
            if resend < interval:
                raise ConfigProblem(
                    f"{where}.resend_interval_seconds",
                    f"must be at least interval_seconds ({interval}), got {resend}",
                )
            settings["resend_interval_seconds"] = resend
        out[field.name] = settings
    return out


def _unwrap(config: Mapping[str, object]) -> Mapping[str, object]:
    for key in ("response", "config"):
        inner = config.get(key)
        if "fields" not in config and isinstance(inner, Mapping):
            config = inner
    return config


def _whole(value: object, where: str) -> int | None:
    """An integer setting as JSON may carry it (10 or 10.0); None when absent."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigProblem(where, f"must be an integer, got {value!r}")
    if isinstance(value, float):
        if not value.is_integer():
            raise ConfigProblem(where, f"must be an integer, got {value!r}")
        return int(value)
    return value
