"""The thresholds of the event detectors, with defaults a user rarely needs to change."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class DetectorSettings:
    """Thresholds for one vehicle's detectors. Times in seconds, levels in %, pressures in bar."""

    # LEFT_UNLOCKED: parked and unlocked (nobody in the driver's seat) for this long
    unlocked_after_s: float = 600.0
    # DOOR_OPEN_PARKED / WINDOW_OPEN_PARKED: a door or window open while parked for this long
    open_after_s: float = 300.0
    # a vented window (PartiallyOpen) counts as open: rain gets in either way
    partly_open_windows: bool = True
    # CHARGE_STOPPED_UNEXPECTEDLY: only when the level is below the charge limit by more than this
    stop_margin_pct: float = 2.0
    # CHARGE_LIMIT_REACHED: the level is within this of the limit (the car rounds what it shows)
    limit_tolerance_pct: float = 0.5
    # TYRE_PRESSURE_LOW: below this pressure. 2.2 bar is about 25 % under the 2.9 bar most Teslas are
    # inflated to, the point at which a TPMS must warn (FMVSS 138); a cold morning alone does not reach it.
    tyre_low_bar: float = 2.2
    # ... and told again only after it has been back above `tyre_low_bar + tyre_recover_bar`
    tyre_recover_bar: float = 0.2
    # SENTRY_ALERT: a new Aware within this long of the last one told is not told again (Panic always is)
    sentry_repeat_s: float = 600.0

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, bool) and value < 0:
                raise ValueError(f"{item.name} must not be negative, got {value}")
