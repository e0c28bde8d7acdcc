"""What the rendered telemetry values mean to the detectors: charge phases, gears, doors, windows, tyres.

Values arrive as the API renders them (see `teslasync.telemetry.normalise.render`): enums without their type
prefix ("Charging", "P", "Opened", "Aware"), booleans, numbers in metric units, DoorState as an object of six
door flags, the TPMS warnings as an object of tyre flags. The helpers also accept a prefixed enum name, so a
value stored before the normaliser stripped prefixes (or a legacy `ChargeState` carried as a string) still reads.
"""

from __future__ import annotations

import re
from typing import Any

from teslasync.analytics.states import State

CHARGE_PHASES = frozenset({"Disconnected", "NoPower", "Starting", "Charging", "Complete", "Stopped"})
STOP_PHASES = frozenset({"Stopped", "Disconnected", "NoPower"})
STOP_REASONS = {
    "Stopped": "charging was stopped",
    "Disconnected": "the cable was disconnected",
    "NoPower": "the charger has no power",
}
DRIVING_GEARS = frozenset({"R", "N", "D"})
# derived states in which the car stands still (`offline` may be mid-drive: only a gear says)
PARKED_STATES = frozenset(
    {State.ONLINE.value, State.CHARGING.value, State.ASLEEP.value, State.UPDATING.value}
)
SENTRY_LEVELS = {"Aware": 1, "Panic": 2}

DOOR_LABELS = {
    "DriverFront": "driver front door",
    "DriverRear": "driver rear door",
    "PassengerFront": "passenger front door",
    "PassengerRear": "passenger rear door",
    "TrunkFront": "frunk",
    "TrunkRear": "trunk",
}
WINDOW_LABELS = {
    "FdWindow": "front driver window",
    "FpWindow": "front passenger window",
    "RdWindow": "rear driver window",
    "RpWindow": "rear passenger window",
}
TYRE_LABELS = {"Fl": "front left", "Fr": "front right", "Rl": "rear left", "Rr": "rear right"}
PRESSURE_FIELDS = {f"TpmsPressure{tyre}": tyre for tyre in TYRE_LABELS}
TPMS_WARNING_FIELDS = ("TpmsSoftWarnings", "TpmsHardWarnings")
# TireLocation flags: proto names (front_left) from MQTT, camelCase (frontLeft) from protobuf JSON
_TIRE_KEYS = {"frontleft": "Fl", "frontright": "Fr", "rearleft": "Rl", "rearright": "Rr"}
_PREFIX = re.compile(r"^(DetailedChargeState|ChargeState|ShiftState|WindowState|SentryModeState)(?=[A-Z])")


def enum_word(value: Any) -> str | None:
    """The enum value without its type prefix ("DetailedChargeStateCharging" -> "Charging"); None if no text."""
    if not isinstance(value, str) or not value.strip():
        return None
    return _PREFIX.sub("", value.strip())


def charge_phase(value: Any) -> str | None:
    """A DetailedChargeState word, or None for `Unknown` and the legacy ChargeState words (Idle, Enable,
    Startup...), which cannot tell charging from preconditioning or a finished charge from an interrupted one."""
    word = enum_word(value)
    return word if word in CHARGE_PHASES else None


def parked(gear: Any, state: str | None) -> bool:
    """Parked: the gear says P; without a gear (a sleeping car reports none) the derived state must say the
    car is not driving. Gear out of P wins over a state that has not caught up yet."""
    word = enum_word(gear)
    if word in DRIVING_GEARS:
        return False
    if word == "P":
        return True
    return state in PARKED_STATES


def open_doors(value: Any) -> tuple[str, ...]:
    """The DoorState flags that are set, in the catalogue's order."""
    if not isinstance(value, dict):
        return ()
    return tuple(door for door in DOOR_LABELS if value.get(door) is True)


def window_open(value: Any, *, partly_counts: bool) -> bool:
    word = enum_word(value)
    return word == "Opened" or (partly_counts and word == "PartiallyOpen")


def warned_tyres(value: Any) -> frozenset[str] | None:
    """The tyres a TpmsSoft/HardWarnings object flags (Fl, Fr, Rl, Rr); None when the value is no object."""
    if not isinstance(value, dict):
        return None
    flagged = (
        _TIRE_KEYS.get(str(key).replace("_", "").lower()) for key, flag in value.items() if flag is True
    )
    return frozenset(tyre for tyre in flagged if tyre is not None)


def version(value: Any) -> str | None:
    """The version number of a firmware string ("2025.2.6 7910d26d5c64" -> "2025.2.6"); None when blank
    (the car sends " " when no update is offered)."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.split()[0]
