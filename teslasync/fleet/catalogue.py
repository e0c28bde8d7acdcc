"""The vehicle command catalogue: every Fleet API vehicle command TeslaSync can send, as data.

Each `CommandSpec` names a command (`POST /api/1/vehicles/{VIN}/command/<name>`), its category, what it
does, and its JSON parameters with their types, ranges, choices and units. The GraphQL API (the
`VehicleCommand` enum and the `commandCatalogue` query), parameter validation (`validate`) and the command
reference in docs/commands.md (`render_markdown`) are all generated from `CATALOGUE`, so a command is
added or changed here and nowhere else.

Sources: the commands of the facts file (Tesla's Fleet API docs, the tesla_fleet_api Python library and
the vehicle-command proxy's pkg/proxy/command.go). Where they give no range, the range is TeslaSync's
conservative choice and the parameter's description says so.

Step-up (`sensitive`): a command needs a fresh two-factor code when it
- opens a way into the car or the owner's property (doors, trunk, frunk, tonneau, the garage through
  HomeLink; venting a window or the sunroof, or opening the charge port, gives no way in and does not count),
- lets the car be driven (remote start), or
- removes or weakens a restriction someone set up: valet mode, PIN to drive, speed limit mode, guest mode,
  parental controls (including raising a limit or switching one of their settings off), or
- destroys data (erasing the user data).
Sentry mode is surveillance, not a barrier, so switching it off does not need step-up.

Signing (`signed`): commands go through Tesla's vehicle-command proxy, which signs them end to end with
the app's key; since 2024 most cars refuse anything else. `signed=False` marks the commands the proxy
refuses to sign and forwards as plain REST (`navigation_request` and the fleet-only `set_managed_*`), and
`remote_boombox`, which the proxy answers with "not implemented", so TeslaSync sends it as plain REST
(only cars that still accept unsigned commands obey it). `proxy_only=True` marks commands that exist only
in the proxy, not in Tesla's REST API.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "CATALOGUE",
    "Category",
    "CommandSpec",
    "Param",
    "ParamKind",
    "ParamProblem",
    "command",
    "redacted",
    "render_markdown",
    "validate",
]


class Category(StrEnum):
    CHARGING = "charging"
    CLIMATE = "climate"
    SECURITY = "security"
    ALERTS = "alerts"
    CLOSURES = "closures"
    MEDIA = "media"
    NAVIGATION = "navigation"
    SOFTWARE = "software"
    OTHER = "other"


class ParamKind(StrEnum):
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    STRING = "string"
    ENUM = "enum"
    OBJECT = "object"
    LIST = "list"


@dataclass(frozen=True)
class Param:
    name: str  # the Fleet API JSON name
    kind: ParamKind
    description: str
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str | int, ...] = ()
    unit: str | None = None
    max_length: int | None = None
    secret: bool = False  # PINs and credentials: never stored or logged (see `redacted`)

    def __post_init__(self) -> None:
        numeric = self.kind in (ParamKind.INT, ParamKind.FLOAT)
        if (self.kind is ParamKind.ENUM) != bool(self.choices):
            raise ValueError(f"{self.name}: choices are required for ENUM and only allowed there")
        if not numeric and (self.minimum is not None or self.maximum is not None or self.unit is not None):
            raise ValueError(f"{self.name}: minimum, maximum and unit are for INT and FLOAT")
        if self.kind is not ParamKind.STRING and (self.max_length is not None or self.secret):
            raise ValueError(f"{self.name}: max_length and secret are for STRING")


@dataclass(frozen=True)
class CommandSpec:
    name: str  # the Fleet API name
    category: Category
    description: str  # one plain sentence
    params: tuple[Param, ...] = ()
    sensitive: bool = False  # needs two-factor step-up (rule in the module docstring)
    signed: bool = True  # sent through the vehicle-command proxy
    proxy_only: bool = False  # exists only in the proxy

    def __post_init__(self) -> None:
        names = [param.name for param in self.params]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.name}: parameter names must be unique")
        if self.proxy_only and not self.signed:
            raise ValueError(f"{self.name}: a proxy-only command is always signed")

    @property
    def graphql_name(self) -> str:
        return self.name.upper()


@dataclass(frozen=True)
class ParamProblem:
    field: str  # "params", "params.<name>"
    message: str  # starts with the field and names the allowed range or choices


# --- parameter helpers ---------------------------------------------------------------------------------

_MINUTES = "minutes after midnight"
# The proxy reads every JSON number as a float64, so larger ids would not survive it exactly.
_MAX_ID = 2**53 - 1


def _bool(name: str, description: str, *, required: bool = True) -> Param:
    return Param(name, ParamKind.BOOL, description, required=required)


def _int(
    name: str,
    description: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    unit: str | None = None,
    required: bool = True,
) -> Param:
    return Param(
        name, ParamKind.INT, description, required=required, minimum=minimum, maximum=maximum, unit=unit
    )


def _float(
    name: str, description: str, *, minimum: float, maximum: float, unit: str | None, required: bool = True
) -> Param:
    return Param(
        name, ParamKind.FLOAT, description, required=required, minimum=minimum, maximum=maximum, unit=unit
    )


def _enum(name: str, description: str, choices: tuple[str | int, ...], *, required: bool = True) -> Param:
    return Param(name, ParamKind.ENUM, description, required=required, choices=choices)


def _string(
    name: str, description: str, *, max_length: int, required: bool = True, secret: bool = False
) -> Param:
    return Param(name, ParamKind.STRING, description, required=required, max_length=max_length, secret=secret)


def _on(description: str) -> Param:
    return _bool("on", description)


def _lat(description: str = "Latitude (WGS 84).", *, required: bool = True) -> Param:
    return _float("lat", description, minimum=-90, maximum=90, unit="°", required=required)


def _lon(description: str = "Longitude (WGS 84).", *, required: bool = True) -> Param:
    return _float("lon", description, minimum=-180, maximum=180, unit="°", required=required)


def _minutes(name: str, description: str, *, required: bool = True) -> Param:
    return _int(name, description, minimum=0, maximum=1439, unit=_MINUTES, required=required)


def _pin(name: str = "pin", description: str = "The four-digit PIN.", *, required: bool = True) -> Param:
    return _string(name, description, max_length=4, required=required, secret=True)


def _schedule_id(*, required: bool) -> Param:
    if required:
        return _int("id", "The schedule's id.", minimum=1, maximum=_MAX_ID)
    return _int(
        "id",
        "The schedule's id: an existing id replaces that schedule; left out or 0, the proxy picks a new one.",
        minimum=0,
        maximum=_MAX_ID,
        required=False,
    )


def _days_of_week() -> Param:
    return _string(
        "days_of_week",
        "The days it applies (day names are case-insensitive).",
        max_length=100,
    )


def _manual_override(*, required: bool = False) -> Param:
    return _bool("manual_override", "Whether this overrides the car's automatic setting.", required=required)


def _location_flags() -> tuple[Param, ...]:
    return (
        _bool("home", "Remove the schedules at home.", required=False),
        _bool("work", "Remove the schedules at work.", required=False),
        _bool("other", "Remove the schedules at other locations.", required=False),
    )


_LEVEL_0_3 = "0 off, 1 low, 2 medium, 3 high."
_SPEED_LIMIT_MPH = "The limit in mph, 50-90 (the range of Tesla's Speed Limit Mode)."

# Value formats of some STRING parameters, by name: the Fleet API uses each of these names for one thing.
_DAY_NAMES = ("SUN", "MON", "TUES", "WED", "THURS", "FRI", "SAT", "ALL", "WEEKDAYS")
# The proxy also accepts the full day names; it does not know TUE or THU.
_FULL_DAY_NAMES = ("SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY")
_PIN = re.compile(r"[0-9]{4}")


def _is_day_list(value: str) -> bool:
    days = [part.strip().upper() for part in value.split(",")]
    return all(day in _DAY_NAMES or day in _FULL_DAY_NAMES for day in days)


_FORMATS: Mapping[str, tuple[Callable[[str], bool], str]] = {
    "pin": (lambda value: _PIN.fullmatch(value) is not None, "exactly 4 digits"),
    "password": (lambda value: _PIN.fullmatch(value) is not None, "exactly 4 digits"),
    "days_of_week": (_is_day_list, "comma-separated " + ", ".join(_DAY_NAMES) + " (or full day names)"),
}


# --- the catalogue ---------------------------------------------------------------------------------------

_SPECS: tuple[CommandSpec, ...] = (
    # Charging
    CommandSpec("charge_start", Category.CHARGING, "Starts charging."),
    CommandSpec("charge_stop", Category.CHARGING, "Stops charging."),
    CommandSpec(
        "charge_standard", Category.CHARGING, "Sets the charge limit back to the standard (daily) level."
    ),
    CommandSpec(
        "charge_max_range", Category.CHARGING, "Sets the charge limit to maximum range, meant for long trips."
    ),
    CommandSpec("charge_port_door_open", Category.CHARGING, "Opens the charge port door."),
    CommandSpec("charge_port_door_close", Category.CHARGING, "Closes the charge port door."),
    CommandSpec(
        "set_charge_limit",
        Category.CHARGING,
        "Sets the charge limit.",
        (_int("percent", "The charge limit.", minimum=50, maximum=100, unit="%"),),
    ),
    CommandSpec(
        "set_charging_amps",
        Category.CHARGING,
        "Sets the charging current.",
        (
            _int(
                "charging_amps",
                "The current; TeslaSync's range is 0-48 A (today's cars and Wall Connectors), the car clamps"
                " to what the charger offers.",
                minimum=0,
                maximum=48,
                unit="A",
            ),
        ),
    ),
    CommandSpec(
        "set_scheduled_charging",
        Category.CHARGING,
        "Turns scheduled charging on at a start time, or off.",
        (
            _bool("enable", "Whether scheduled charging is on."),
            _minutes("time", "When charging starts; required when enable is true.", required=False),
        ),
    ),
    CommandSpec(
        "set_scheduled_departure",
        Category.CHARGING,
        "Sets a departure time the car charges and preconditions for, or turns it off.",
        (
            _bool("enable", "Whether scheduled departure is on."),
            _minutes("departure_time", "The departure time; required when enable is true.", required=False),
            _bool("preconditioning_enabled", "Precondition the cabin for the departure.", required=False),
            _bool("preconditioning_weekdays_only", "Precondition on weekdays only.", required=False),
            _bool("off_peak_charging_enabled", "Charge in off-peak hours.", required=False),
            _bool("off_peak_charging_weekdays_only", "Charge off-peak on weekdays only.", required=False),
            _minutes(
                "end_off_peak_time",
                "When off-peak hours end; required when off-peak charging is on.",
                required=False,
            ),
        ),
    ),
    CommandSpec(
        "add_charge_schedule",
        Category.CHARGING,
        "Adds a charge schedule at a location, or replaces the schedule with the given id.",
        (
            _days_of_week(),
            _bool("enabled", "Whether the schedule is active."),
            _lat("Latitude of the place the schedule applies to."),
            _lon("Longitude of the place the schedule applies to."),
            _minutes(
                "start_time", "When charging starts; required when start_enabled is true.", required=False
            ),
            _minutes("end_time", "When charging ends; required when end_enabled is true.", required=False),
            _bool("start_enabled", "Whether the schedule has a start time."),
            _bool("end_enabled", "Whether the schedule has an end time."),
            _bool("one_time", "Run once instead of every week.", required=False),
            _schedule_id(required=False),
            _string(
                "name",
                "A name for the schedule (at most 40 characters, TeslaSync's limit; the proxy ignores it).",
                max_length=40,
                required=False,
            ),
        ),
    ),
    CommandSpec(
        "remove_charge_schedule",
        Category.CHARGING,
        "Removes one charge schedule.",
        (_schedule_id(required=True),),
    ),
    CommandSpec(
        "batch_remove_charge_schedules",
        Category.CHARGING,
        "Removes all charge schedules at home, at work and/or at other locations.",
        _location_flags(),
    ),
    # The managed-charging commands are for fleet accounts; the proxy refuses to sign them. No source
    # documents their parameters, so TeslaSync sends an empty body until they are verified.
    CommandSpec(
        "set_managed_charge_current_request",
        Category.CHARGING,
        "Requests a charging current under fleet managed charging (REST only, fleet accounts only).",
        signed=False,
    ),
    CommandSpec(
        "set_managed_charger_location",
        Category.CHARGING,
        "Sets the charger location for fleet managed charging (REST only, fleet accounts only).",
        signed=False,
    ),
    CommandSpec(
        "set_managed_scheduled_charging_time",
        Category.CHARGING,
        "Sets the scheduled charging time under fleet managed charging (REST only, fleet accounts only).",
        signed=False,
    ),
    # Climate
    CommandSpec("auto_conditioning_start", Category.CLIMATE, "Starts climate control (preconditioning)."),
    CommandSpec("auto_conditioning_stop", Category.CLIMATE, "Stops climate control."),
    CommandSpec(
        "set_temps",
        Category.CLIMATE,
        "Sets the driver and passenger cabin temperatures.",
        (
            # Both required: the proxy sends 0 °C for one that is left out.
            _float("driver_temp", "Driver side, 15-28 °C.", minimum=15, maximum=28, unit="°C"),
            _float("passenger_temp", "Passenger side, 15-28 °C.", minimum=15, maximum=28, unit="°C"),
        ),
    ),
    CommandSpec(
        "set_preconditioning_max",
        Category.CLIMATE,
        "Turns max defrost (maximum preconditioning) on or off.",
        (_on("Whether max defrost is on."), _manual_override()),
    ),
    CommandSpec(
        "set_bioweapon_mode",
        Category.CLIMATE,
        "Turns Bioweapon Defense Mode on or off.",
        (_on("Whether Bioweapon Defense Mode is on."), _manual_override(required=True)),
    ),
    CommandSpec(
        "set_climate_keeper_mode",
        Category.CLIMATE,
        "Sets the climate keeper mode (off, keep, dog or camp).",
        (
            _enum("climate_keeper_mode", "0 off, 1 keep, 2 dog, 3 camp.", (0, 1, 2, 3)),
            _manual_override(),
        ),
    ),
    CommandSpec(
        "set_cabin_overheat_protection",
        Category.CLIMATE,
        "Turns cabin overheat protection on or off.",
        (
            _on("Whether cabin overheat protection is on."),
            _bool("fan_only", "Use the fan only, without air conditioning.", required=False),
        ),
    ),
    CommandSpec(
        "set_cop_temp",
        Category.CLIMATE,
        "Sets the temperature at which cabin overheat protection starts. Numbered as the vehicle-command"
        " proxy reads it (1-3); Tesla's REST docs number the same levels 0-2.",
        # The proxy (command.go) casts cop_temp straight onto the car's protobuf enum, where 0 is
        # "unspecified" and 1-3 are low/medium/high: signed commands need 1-3.
        (_enum("cop_temp", "1 = 30 °C, 2 = 35 °C, 3 = 40 °C.", (1, 2, 3)),),
    ),
    CommandSpec(
        "remote_seat_heater_request",
        Category.CLIMATE,
        "Sets one seat's heater level; the body uses the proxy's names {seat_position, level}, not the"
        " {heater, level} of Tesla's REST docs.",
        (
            _enum(
                "seat_position",
                "0 front left, 1 front right, 2 rear left, 3 rear left back, 4 rear center, 5 rear right,"
                " 6 rear right back, 7 third row left, 8 third row right.",
                tuple(range(9)),
            ),
            _enum("level", _LEVEL_0_3, (0, 1, 2, 3)),
        ),
    ),
    CommandSpec(
        "remote_seat_cooler_request",
        Category.CLIMATE,
        "Sets a front seat's cooling (ventilation) level.",
        (
            _enum("seat_position", "1 front left, 2 front right.", (1, 2)),
            # The proxy passes this number through to the car's enum, where 1 is off and 4 high.
            _enum(
                "seat_cooler_level", "1 off, 2 low, 3 medium, 4 high (as the proxy reads it).", (1, 2, 3, 4)
            ),
        ),
    ),
    CommandSpec(
        "remote_auto_seat_climate_request",
        Category.CLIMATE,
        "Turns automatic seat heating and cooling on or off for a front seat.",
        (
            _enum("auto_seat_position", "1 front left, 2 front right.", (1, 2)),
            _bool("auto_climate_on", "Whether automatic seat climate is on."),
        ),
    ),
    CommandSpec(
        "remote_steering_wheel_heater_request",
        Category.CLIMATE,
        "Turns the steering wheel heater on or off.",
        (_on("Whether the steering wheel heater is on."),),
    ),
    CommandSpec(
        "remote_steering_wheel_heat_level_request",
        Category.CLIMATE,
        "Sets the steering wheel heat level on cars that have levels.",
        (_enum("level", _LEVEL_0_3 + " Not every car has every level.", (0, 1, 2, 3)),),
    ),
    CommandSpec(
        "remote_auto_steering_wheel_heat_climate_request",
        Category.CLIMATE,
        "Turns automatic steering wheel heating on or off.",
        (_on("Whether automatic steering wheel heating is on."),),
    ),
    CommandSpec(
        "add_precondition_schedule",
        Category.CLIMATE,
        "Adds a preconditioning schedule at a location, or replaces the schedule with the given id.",
        (
            _days_of_week(),
            _bool("enabled", "Whether the schedule is active."),
            _lat("Latitude of the place the schedule applies to."),
            _lon("Longitude of the place the schedule applies to."),
            _minutes("precondition_time", "When the cabin should be ready."),
            _bool("one_time", "Run once instead of every week.", required=False),
            _schedule_id(required=False),
        ),
    ),
    CommandSpec(
        "remove_precondition_schedule",
        Category.CLIMATE,
        "Removes one preconditioning schedule.",
        (_schedule_id(required=True),),
    ),
    CommandSpec(
        "batch_remove_precondition_schedules",
        Category.CLIMATE,
        "Removes all preconditioning schedules at home, at work and/or at other locations.",
        _location_flags(),
    ),
    # Security
    CommandSpec("door_lock", Category.SECURITY, "Locks the car."),
    CommandSpec("door_unlock", Category.SECURITY, "Unlocks the car.", sensitive=True),
    CommandSpec(
        "remote_start_drive",
        Category.SECURITY,
        "Allows keyless driving for a short time, so the car can be driven without a key.",
        sensitive=True,
    ),
    CommandSpec(
        "set_sentry_mode",
        Category.SECURITY,
        "Turns Sentry Mode on or off.",
        (_on("Whether Sentry Mode is on."),),
    ),
    CommandSpec(
        "set_valet_mode",
        Category.SECURITY,
        "Turns Valet Mode on with a PIN, or off.",
        (
            _on("Whether Valet Mode is on."),
            _pin("password", "The four-digit valet PIN; required when on is true.", required=False),
        ),
        sensitive=True,
    ),
    CommandSpec("reset_valet_pin", Category.SECURITY, "Clears the Valet Mode PIN.", sensitive=True),
    CommandSpec(
        "set_pin_to_drive",
        Category.SECURITY,
        "Turns PIN to Drive on with a PIN, or off.",
        (
            _on("Whether PIN to Drive is on."),
            _pin("password", "The four-digit PIN to drive; required when on is true.", required=False),
        ),
        sensitive=True,
    ),
    CommandSpec(
        "reset_pin_to_drive_pin",
        Category.SECURITY,
        "Clears the PIN to Drive PIN (while PIN to Drive is not active).",
        sensitive=True,
    ),
    CommandSpec(
        "clear_pin_to_drive_admin",
        Category.SECURITY,
        "Turns PIN to Drive off and clears its PIN, as the owner or fleet manager.",
        sensitive=True,
    ),
    CommandSpec(
        "speed_limit_activate",
        Category.SECURITY,
        "Turns Speed Limit Mode on, protected by a PIN.",
        (_pin(description="The four-digit Speed Limit Mode PIN."),),
    ),
    CommandSpec(
        "speed_limit_deactivate",
        Category.SECURITY,
        "Turns Speed Limit Mode off.",
        (_pin(description="The four-digit Speed Limit Mode PIN."),),
        sensitive=True,
    ),
    CommandSpec(
        "speed_limit_clear_pin",
        Category.SECURITY,
        "Turns Speed Limit Mode off and clears its PIN.",
        (_pin(description="The current four-digit Speed Limit Mode PIN."),),
        sensitive=True,
    ),
    CommandSpec(
        "speed_limit_clear_pin_admin",
        Category.SECURITY,
        "Turns Speed Limit Mode off and clears its PIN without it, as the owner or fleet manager.",
        sensitive=True,
    ),
    CommandSpec(
        "speed_limit_set_limit",
        Category.SECURITY,
        "Sets the maximum speed of Speed Limit Mode.",
        (_float("limit_mph", _SPEED_LIMIT_MPH, minimum=50, maximum=90, unit="mph"),),
        sensitive=True,
    ),
    CommandSpec(
        "guest_mode",
        Category.SECURITY,
        "Turns Guest Mode (restricted use by a guest driver) on or off.",
        (_bool("enable", "Whether Guest Mode is on."),),
        sensitive=True,
    ),
    CommandSpec(
        "erase_user_data",
        Category.SECURITY,
        "Erases the user data (profiles, history) from the car's screen; the car must be parked.",
        sensitive=True,
    ),
    # Parental controls exist only in newer proxy versions (vehicle-command pull request 449).
    CommandSpec(
        "parental_controls_activate",
        Category.SECURITY,
        "Turns parental controls on, protected by a PIN.",
        (_pin(description="The four-digit parental controls PIN."),),
        proxy_only=True,
    ),
    CommandSpec(
        "parental_controls_deactivate",
        Category.SECURITY,
        "Turns parental controls off.",
        (_pin(description="The four-digit parental controls PIN."),),
        sensitive=True,
        proxy_only=True,
    ),
    CommandSpec(
        "parental_controls_enable_setting",
        Category.SECURITY,
        "Switches one parental controls setting on or off.",
        (
            _enum(
                "setting",
                "The setting.",
                (
                    "SpeedLimit",
                    "Acceleration",
                    "SafetyFeatures",
                    "Curfew",
                    "BrowserBlocked",
                    "TheaterBlocked",
                    "ArcadeBlocked",
                ),
            ),
            _bool("enable", "Whether the setting is on."),
        ),
        sensitive=True,
        proxy_only=True,
    ),
    CommandSpec(
        "parental_controls_set_speed_limit",
        Category.SECURITY,
        "Sets the top speed allowed under parental controls.",
        (
            _float(
                "limit_mph",
                "The limit in mph; TeslaSync allows 50-90, the range of Speed Limit Mode.",
                minimum=50,
                maximum=90,
                unit="mph",
            ),
        ),
        sensitive=True,
        proxy_only=True,
    ),
    CommandSpec(
        "parental_controls_clear_pin_admin",
        Category.SECURITY,
        "Clears the parental controls PIN without it, as the owner or fleet manager.",
        sensitive=True,
        proxy_only=True,
    ),
    # Alerts
    CommandSpec("honk_horn", Category.ALERTS, "Honks the horn."),
    CommandSpec("flash_lights", Category.ALERTS, "Flashes the headlights."),
    CommandSpec(
        "remote_boombox",
        Category.ALERTS,
        "Plays a sound through the external speaker; the proxy does not implement it, so it goes as plain"
        " REST, which only cars that still accept unsigned commands obey.",
        (_enum("sound", "0 a random fart, 2000 the locate ping (Tesla's docs).", (0, 2000)),),
        signed=False,
    ),
    # Closures
    CommandSpec(
        "actuate_trunk",
        Category.CLOSURES,
        "Opens the frunk, or opens or closes the (powered) rear trunk.",
        (_enum("which_trunk", "Which trunk.", ("front", "rear")),),
        sensitive=True,
    ),
    CommandSpec(
        "window_control",
        Category.CLOSURES,
        "Vents or closes all windows.",
        (
            _enum("command", "What to do.", ("vent", "close")),
            _lat(
                "The user's latitude, for older cars that check the user is near; give lat and lon together.",
                required=False,
            ),
            _lon("The user's longitude; give lat and lon together.", required=False),
        ),
    ),
    CommandSpec(
        "sun_roof_control",
        Category.CLOSURES,
        "Vents, closes or stops the sunroof on cars that have a moving one.",
        (_enum("state", "What to do.", ("stop", "close", "vent")),),
    ),
    CommandSpec("open_tonneau", Category.CLOSURES, "Opens the Cybertruck's tonneau cover.", sensitive=True),
    CommandSpec("close_tonneau", Category.CLOSURES, "Closes the Cybertruck's tonneau cover."),
    CommandSpec("stop_tonneau", Category.CLOSURES, "Stops the Cybertruck's tonneau cover moving."),
    CommandSpec(
        "trigger_homelink",
        Category.CLOSURES,
        "Triggers HomeLink, which opens or closes the garage door the car is near.",
        (
            _lat("The car's latitude; HomeLink only works near the programmed location."),
            _lon("The car's longitude."),
            _string(
                "token",
                "The HomeLink token of older cars (the proxy ignores it).",
                max_length=200,
                required=False,
                secret=True,
            ),
        ),
        sensitive=True,
    ),
    # Media
    CommandSpec(
        "adjust_volume",
        Category.MEDIA,
        "Sets the media volume.",
        (
            # Tesla's docs and the Python library say 0-11; the proxy's SDK refuses anything above 10.
            _float("volume", "The volume, 0-10 (the proxy refuses more).", minimum=0, maximum=10, unit=None),
        ),
    ),
    CommandSpec("media_toggle_playback", Category.MEDIA, "Plays or pauses the media."),
    CommandSpec("media_next_track", Category.MEDIA, "Skips to the next track."),
    CommandSpec("media_prev_track", Category.MEDIA, "Goes back to the previous track."),
    CommandSpec("media_next_fav", Category.MEDIA, "Skips to the next favorite."),
    CommandSpec("media_prev_fav", Category.MEDIA, "Goes back to the previous favorite."),
    CommandSpec("media_volume_down", Category.MEDIA, "Turns the volume down one step."),
    CommandSpec("media_volume_up", Category.MEDIA, "Turns the volume up one step.", proxy_only=True),
    # Navigation
    CommandSpec(
        "navigation_request",
        Category.NAVIGATION,
        "Shares an address or place with the car's navigation, as the phone app's share does (REST only).",
        (
            _enum("type", "Always share_ext_content_raw.", ("share_ext_content_raw",)),
            Param(
                "value",
                ParamKind.OBJECT,
                'The shared text, as {"android.intent.extra.TEXT": "<address or place>"}.',
            ),
            _string("locale", "The language of the text, e.g. en-US.", max_length=35, required=False),
            _int("timestamp_ms", "When it was shared.", minimum=0, unit="ms since the epoch", required=False),
        ),
        signed=False,
    ),
    CommandSpec(
        "navigation_gps_request",
        Category.NAVIGATION,
        "Navigates to coordinates.",
        (
            _lat(),
            _lon(),
            _enum(
                "order",
                "1 replaces the trip, 2 adds the stop first, 3 adds it last (per the tesla_fleet_api"
                " library).",
                (1, 2, 3),
                required=False,
            ),
        ),
    ),
    CommandSpec(
        "navigation_sc_request",
        Category.NAVIGATION,
        "Navigates to a Supercharger (and preconditions the battery for it where the car does that).",
        (
            _int("id", "The Supercharger's id.", minimum=0, maximum=_MAX_ID),
            _enum(
                "order",
                "Where the stop goes in the trip, as for navigation_gps_request.",
                (1, 2, 3),
                required=False,
            ),
        ),
    ),
    CommandSpec(
        "navigation_waypoints_request",
        Category.NAVIGATION,
        "Sends a trip with several stops to the car's navigation.",
        (
            _string(
                "waypoints",
                "Comma-separated Google Maps place ids, each as refId:<place id> (at most 2048 characters,"
                " TeslaSync's limit).",
                max_length=2048,
            ),
        ),
    ),
    # Software
    CommandSpec(
        "schedule_software_update",
        Category.SOFTWARE,
        "Schedules the installation of a downloaded software update.",
        (
            _int(
                "offset_sec",
                "Seconds from now; TeslaSync allows up to 24 hours.",
                minimum=0,
                maximum=86_400,
                unit="s",
            ),
        ),
    ),
    CommandSpec("cancel_software_update", Category.SOFTWARE, "Cancels a scheduled software update."),
    # Other
    CommandSpec(
        "set_vehicle_name",
        Category.OTHER,
        "Renames the car.",
        (_string("vehicle_name", "The new name (at most 40 characters, TeslaSync's limit).", max_length=40),),
    ),
    CommandSpec(
        "take_drivenote",
        Category.OTHER,
        "Records a drive note in the car.",
        (_string("note", "The note, at most 80 characters.", max_length=80),),
    ),
    CommandSpec(
        "upcoming_calendar_entries",
        Category.OTHER,
        "Sends the upcoming calendar entries to the car.",
        (
            _string(
                "calendar_data",
                "The calendar payload (at most 64 KiB, TeslaSync's limit).",
                max_length=65_536,
            ),
        ),
    ),
    CommandSpec(
        "update_calendar_entries",
        Category.OTHER,
        "Updates the calendar entries stored in the car.",
        (
            _string(
                "calendar_data",
                "The calendar payload (at most 64 KiB, TeslaSync's limit).",
                max_length=65_536,
            ),
        ),
    ),
    CommandSpec(
        "set_low_power_mode",
        Category.OTHER,
        "Turns low power mode (lower standby consumption) on or off.",
        (_bool("enable", "Whether low power mode is on."),),
        proxy_only=True,
    ),
    CommandSpec(
        "keep_accessory_power_mode",
        Category.OTHER,
        "Keeps the accessory power (USB, outlets) on after leaving the car, or stops doing so.",
        (_bool("enable", "Whether accessory power stays on."),),
        proxy_only=True,
    ),
)

_CATEGORY_ORDER = {category: index for index, category in enumerate(Category)}

CATALOGUE: tuple[CommandSpec, ...] = tuple(
    sorted(_SPECS, key=lambda spec: (_CATEGORY_ORDER[spec.category], spec.name))
)
_BY_NAME: Mapping[str, CommandSpec] = {spec.name: spec for spec in CATALOGUE}
if len(_BY_NAME) != len(CATALOGUE):
    raise ValueError("command names must be unique")


def command(name: str) -> CommandSpec | None:
    """The command with this Fleet API name or GraphQL enum name (case-insensitive), or None."""
    return _BY_NAME.get(name.lower())


# --- validation ------------------------------------------------------------------------------------------

_Rule = Callable[[Mapping[str, object], Mapping[str, object]], list[ParamProblem]]


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _number(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _shown(value: object) -> str:
    """The value as it may appear in a message: JSON, shortened."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _choices_text(choices: tuple[str | int, ...]) -> str:
    return ", ".join(str(choice) for choice in choices)


def _range_text(param: Param) -> str:
    unit = f" ({param.unit})" if param.unit else ""
    if param.minimum is not None and param.maximum is not None:
        return f"between {_number(param.minimum)} and {_number(param.maximum)}{unit}"
    if param.minimum is not None:
        return f"at least {_number(param.minimum)}{unit}"
    return f"at most {_number(param.maximum or 0)}{unit}"


def _check(param: Param, value: object) -> str | None:
    """What is wrong with a present, non-null value, or None. Never quotes a secret value."""
    got = "" if param.secret else f", got {_shown(value)}"
    kind = param.kind
    if kind is ParamKind.BOOL:
        return None if isinstance(value, bool) else f"must be true or false, got {_json_type(value)}"
    if kind is ParamKind.ENUM:
        # `type(...) is` keeps True from passing as 1 and 1.0 from passing as 1.
        if any(type(value) is type(choice) and value == choice for choice in param.choices):
            return None
        return f"must be one of {_choices_text(param.choices)}{got}"
    if kind is ParamKind.OBJECT:
        return None if isinstance(value, Mapping) else f"must be an object, got {_json_type(value)}"
    if kind is ParamKind.LIST:
        return None if isinstance(value, list) else f"must be an array, got {_json_type(value)}"
    if kind is ParamKind.STRING:
        if not isinstance(value, str):
            return f"must be a string, got {_json_type(value)}"
        if not value.strip():
            return "must not be empty"
        check = _FORMATS.get(param.name)
        if check is not None and not check[0](value):
            return f"must be {check[1]}{got}"
        if param.max_length is not None and len(value) > param.max_length:
            return f"must be at most {param.max_length} characters, got {len(value)}"
        return None
    if kind is ParamKind.INT:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be an integer, got {_json_type(value)}"
    elif isinstance(value, bool) or not isinstance(value, int | float):
        return f"must be a number, got {_json_type(value)}"
    elif not math.isfinite(value):
        return "must be a finite number"
    if (param.minimum is not None and value < param.minimum) or (
        param.maximum is not None and value > param.maximum
    ):
        return f"must be {_range_text(param)}{got}"
    return None


def validate(spec: CommandSpec, params: object) -> tuple[dict[str, object], list[ParamProblem]]:
    """Check what a client sent as the command's parameters (a JSON object, or null for none).

    Returns the body to send and every problem found. The body holds the valid parameters the client gave,
    unchanged (an optional one left out or null stays out); send it only when there are no problems.
    """
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        return {}, [ParamProblem("params", f"params: must be an object, got {_json_type(params)}")]
    problems: list[ParamProblem] = []
    known = {param.name for param in spec.params}
    for key in params:
        if key not in known:
            allowed = ", ".join(param.name for param in spec.params) or "none"
            field = f"params.{key}"
            problems.append(
                ParamProblem(field, f"{field}: {spec.name} has no such parameter (allowed: {allowed})")
            )
    body: dict[str, object] = {}
    for param in spec.params:
        field = f"params.{param.name}"
        value = params.get(param.name)
        if value is None:
            if param.required:
                problems.append(ParamProblem(field, f"{field}: required"))
            continue
        problem = _check(param, value)
        if problem is None:
            body[param.name] = value
        else:
            problems.append(ParamProblem(field, f"{field}: {problem}"))
    for rule in _RULES.get(spec.name, ()):
        problems.extend(rule(body, params))
    return body, problems


def _required_when(flags: tuple[str, ...], needed: str) -> _Rule:
    """`needed` must be given when any of the boolean `flags` is true."""

    def rule(body: Mapping[str, object], sent: Mapping[str, object]) -> list[ParamProblem]:
        on = [flag for flag in flags if body.get(flag) is True]
        if not on or sent.get(needed) is not None:
            return []
        field = f"params.{needed}"
        return [ParamProblem(field, f"{field}: required when {' or '.join(on)} is true")]

    return rule


def _one_true(*flags: str) -> _Rule:
    """At least one of the boolean `flags` must be true (the command would do nothing otherwise)."""

    def rule(body: Mapping[str, object], sent: Mapping[str, object]) -> list[ParamProblem]:
        if any(body.get(flag) is True for flag in flags) or any(
            sent.get(flag) is not None and flag not in body for flag in flags
        ):
            return []
        return [ParamProblem("params", f"params: at least one of {', '.join(flags)} must be true")]

    return rule


def _together(*names: str) -> _Rule:
    def rule(body: Mapping[str, object], sent: Mapping[str, object]) -> list[ParamProblem]:
        given = [name for name in names if sent.get(name) is not None]
        if not given or len(given) == len(names):
            return []
        missing = next(name for name in names if name not in given)
        field = f"params.{missing}"
        return [ParamProblem(field, f"{field}: {' and '.join(names)} must be given together")]

    return rule


_SHARE_KEY = "android.intent.extra.TEXT"


def _share_value(body: Mapping[str, object], sent: Mapping[str, object]) -> list[ParamProblem]:
    value = body.get("value")
    if not isinstance(value, Mapping):
        return []
    text = value.get(_SHARE_KEY)
    if set(value) == {_SHARE_KEY} and isinstance(text, str) and text.strip():
        return []
    return [
        ParamProblem(
            "params.value", f'params.value: must be {{"{_SHARE_KEY}": "<text>"}} with a non-empty text'
        )
    ]


_RULES: Mapping[str, tuple[_Rule, ...]] = {
    "set_scheduled_charging": (_required_when(("enable",), "time"),),
    "set_scheduled_departure": (
        _required_when(("enable",), "departure_time"),
        _required_when(("off_peak_charging_enabled", "off_peak_charging_weekdays_only"), "end_off_peak_time"),
    ),
    "add_charge_schedule": (
        _required_when(("start_enabled",), "start_time"),
        _required_when(("end_enabled",), "end_time"),
        _one_true("start_enabled", "end_enabled"),
    ),
    "batch_remove_charge_schedules": (_one_true("home", "work", "other"),),
    "batch_remove_precondition_schedules": (_one_true("home", "work", "other"),),
    "set_valet_mode": (_required_when(("on",), "password"),),
    "set_pin_to_drive": (_required_when(("on",), "password"),),
    "window_control": (_together("lat", "lon"),),
    "navigation_request": (_share_value,),
}


def redacted(spec: CommandSpec, body: Mapping[str, object]) -> dict[str, object]:
    """The body as it may be stored and logged: the values of secret parameters replaced by "***"."""
    secret = {param.name for param in spec.params if param.secret}
    return {key: "***" if key in secret else value for key, value in body.items()}


# --- documentation ---------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _param_doc(param: Param) -> str:
    facts = [param.kind.value]
    if param.kind is ParamKind.ENUM:
        facts.append("one of " + ", ".join(f"`{choice}`" for choice in param.choices))
    if param.minimum is not None or param.maximum is not None:
        if param.minimum is not None and param.maximum is not None:
            bounds = f"{_number(param.minimum)} to {_number(param.maximum)}"
        elif param.minimum is not None:
            bounds = f"≥ {_number(param.minimum)}"
        else:
            bounds = f"≤ {_number(param.maximum or 0)}"
        facts.append(bounds + (f" {param.unit}" if param.unit else ""))
    elif param.unit:
        facts.append(param.unit)
    check = _FORMATS.get(param.name)
    if param.kind is ParamKind.STRING and check is not None:
        facts.append(check[1])
    if param.max_length is not None:
        facts.append(f"≤ {param.max_length} chars")
    if param.secret:
        facts.append("secret, never stored")
    facts.append("required" if param.required else "optional")
    return f"`{param.name}` ({'; '.join(facts)}): {param.description}"


def render_markdown() -> str:
    """The command reference of docs/commands.md: per category a heading and a table of its commands."""
    lines = [
        "<!-- Generated by teslasync.fleet.catalogue.render_markdown(); edit the catalogue, not this. -->",
        "",
        "Step-up: the command needs a TOTP code verified in the last few minutes. Signed: the command goes",
        "through the vehicle-command proxy, signed end to end; *proxy only* commands exist only there, and",
        "*REST* ones are sent unsigned.",
    ]
    for category in Category:
        lines += [
            "",
            f"## {category.value.capitalize()}",
            "",
            "| Command | What it does | Parameters | Step-up | Signed |",
            "| --- | --- | --- | --- | --- |",
        ]
        for spec in CATALOGUE:
            if spec.category is not category:
                continue
            params = "<br>".join(_cell(_param_doc(param)) for param in spec.params) or "none"
            signed = "yes, proxy only" if spec.proxy_only else "yes" if spec.signed else "no (REST)"
            lines.append(
                f"| `{spec.graphql_name}`<br>`{spec.name}` | {_cell(spec.description)} | {params} | "
                f"{'yes' if spec.sensitive else 'no'} | {signed} |"
            )
    return "\n".join(lines) + "\n"
