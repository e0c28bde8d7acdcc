"""A user's display preferences: language and region, units, currency, time zone and map tiles. They are kept
with the user so every browser they sign in on shows the same; a value not set leaves the client's own
default (from the browser's locale). Each value is checked here, by name, before it is stored."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from enum import Enum
from zoneinfo import available_timezones

from teslasync.auth.principal import Scope
from teslasync.config import check_tile_template
from teslasync.context import Context
from teslasync.db.repositories import users as repo
from teslasync.errors import require_scope
from teslasync.resolvers.users import Refusal

LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")  # a BCP 47 tag's shape, e.g. en-GB, de, pt-BR
CURRENCY = re.compile(r"^[A-Z]{3}$")  # ISO 4217
MAX_ATTRIBUTION = 300
MAX_LOCALE = 100  # a tag with extensions (calendar, numbering, hour cycle) passes the 35 of RFC 5646 §4.4.1


class DistanceUnit(Enum):
    KM = "km"
    MI = "mi"


class TemperatureUnit(Enum):
    CELSIUS = "C"
    FAHRENHEIT = "F"


class PressureUnit(Enum):
    BAR = "bar"
    PSI = "psi"
    KPA = "kPa"


@dataclass(frozen=True)
class Preferences:
    locale: str | None = None
    distance_unit: DistanceUnit | None = None
    temperature_unit: TemperatureUnit | None = None
    pressure_unit: PressureUnit | None = None
    currency: str | None = None
    time_zone: str | None = None
    map_tile_url: str | None = None
    map_tile_attribution: str | None = None

    @classmethod
    def from_doc(cls, doc: object) -> Preferences:
        """What is stored; a value that no longer reads (an enum value renamed) is left unset."""
        if not isinstance(doc, dict):
            return cls()
        values: dict[str, object] = {}
        for field in fields(cls):
            raw = doc.get(field.name)
            unit = UNITS.get(field.name)
            if unit is not None:
                values[field.name] = next((member for member in unit if member.value == raw), None)
            elif isinstance(raw, str):
                values[field.name] = raw
        return cls(**values)  # type: ignore[arg-type]

    def to_doc(self) -> dict[str, object]:
        return {
            name: value.value if isinstance(value, Enum) else value
            for name, value in asdict(self).items()
            if value is not None
        }


UNITS: dict[str, type[Enum]] = {
    "distance_unit": DistanceUnit,
    "temperature_unit": TemperatureUnit,
    "pressure_unit": PressureUnit,
}


def problems(preferences: Preferences) -> list[Refusal]:
    """Every value that cannot be stored, each naming its input field."""
    found: list[Refusal] = []
    if preferences.locale is not None and (
        len(preferences.locale) > MAX_LOCALE or not LOCALE.match(preferences.locale)
    ):
        found.append(Refusal("locale", "locale: not a language tag such as 'en-GB' or 'de'"))
    if preferences.currency is not None and not CURRENCY.match(preferences.currency):
        found.append(Refusal("currency", "currency: not an ISO 4217 code such as 'EUR' or 'USD'"))
    if preferences.time_zone is not None and preferences.time_zone not in _zones():
        found.append(Refusal("timeZone", "timeZone: not an IANA time zone such as 'Europe/Berlin'"))
    if preferences.map_tile_url is not None:
        try:
            check_tile_template(preferences.map_tile_url)
        except ValueError as exc:
            found.append(Refusal("mapTileUrl", f"mapTileUrl: {exc}"))
    attribution = preferences.map_tile_attribution
    if attribution is not None and (
        len(attribution) > MAX_ATTRIBUTION or any(ord(c) < 32 for c in attribution)
    ):
        found.append(
            Refusal(
                "mapTileAttribution", f"mapTileAttribution: one line of at most {MAX_ATTRIBUTION} characters"
            )
        )
    return found


_ZONES: frozenset[str] | None = None


def _zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def _blank_to_none(preferences: Preferences) -> Preferences:
    blank = [
        field.name
        for field in fields(preferences)
        if isinstance(getattr(preferences, field.name), str) and not getattr(preferences, field.name).strip()
    ]
    return replace(preferences, **dict.fromkeys(blank))


async def set_preferences(context: Context, preferences: Preferences) -> Preferences | list[Refusal]:
    """Replace the caller's preferences (a value left null or empty is unset)."""
    require_scope(context.principal, Scope.READ)
    user_id = context.principal.user_id
    if user_id is None:
        return [Refusal("input", "preferences belong to a user: use a user's API token or sign in")]
    preferences = _blank_to_none(preferences)
    found = problems(preferences)
    if found:
        return found
    user = await repo.by_id(context.session, user_id)
    if user is None:
        return [Refusal("input", "the user is gone", not_found=True)]
    user.preferences = preferences.to_doc()
    return preferences
