"""A user's display preferences in the schema: `Me.preferences` and `setPreferences`."""

from __future__ import annotations

import strawberry

from teslasync.resolvers import preferences as resolvers
from teslasync.resolvers.preferences import DistanceUnit, PressureUnit, TemperatureUnit
from teslasync.schema.context import Info
from teslasync.schema.costs import MutationProblem, refusal_problem

strawberry.enum(DistanceUnit, description="Kilometres or miles.")
strawberry.enum(TemperatureUnit, description="Degrees Celsius or Fahrenheit.")
strawberry.enum(PressureUnit, description="Tyre pressures in bar, psi or kPa.")


@strawberry.type(
    name="Preferences",
    description="How a user wants things shown, on every device they use; null: the client's default "
    "(from the browser's locale).",
)
class PreferencesType:
    locale: str | None = strawberry.field(description="Language and region, a BCP 47 tag such as 'en-GB'.")
    distance_unit: DistanceUnit | None = strawberry.field(description="Distances and speeds.")
    temperature_unit: TemperatureUnit | None = strawberry.field(description="Temperatures.")
    pressure_unit: PressureUnit | None = strawberry.field(description="Tyre pressures.")
    currency: str | None = strawberry.field(description="ISO 4217 code for amounts without their own.")
    time_zone: str | None = strawberry.field(description="IANA time zone for dates and times.")
    map_tile_url: str | None = strawberry.field(
        description="The user's own map tiles (an XYZ template); null: the server's (`clientConfig`)."
    )
    map_tile_attribution: str | None = strawberry.field(description="The credit those tiles ask for.")

    @classmethod
    def of(cls, preferences: resolvers.Preferences) -> PreferencesType:
        return cls(
            locale=preferences.locale,
            distance_unit=preferences.distance_unit,
            temperature_unit=preferences.temperature_unit,
            pressure_unit=preferences.pressure_unit,
            currency=preferences.currency,
            time_zone=preferences.time_zone,
            map_tile_url=preferences.map_tile_url,
            map_tile_attribution=preferences.map_tile_attribution,
        )


@strawberry.input(description="Preferences, whole: a field left null (or empty) is unset.")
class PreferencesInput:
    locale: str | None = strawberry.field(default=None, description="A BCP 47 tag, e.g. 'de' or 'en-US'.")
    distance_unit: DistanceUnit | None = strawberry.field(default=None, description="KM or MI.")
    temperature_unit: TemperatureUnit | None = strawberry.field(
        default=None, description="CELSIUS or FAHRENHEIT."
    )
    pressure_unit: PressureUnit | None = strawberry.field(default=None, description="BAR, PSI or KPA.")
    currency: str | None = strawberry.field(default=None, description="An ISO 4217 code, e.g. 'EUR'.")
    time_zone: str | None = strawberry.field(default=None, description="An IANA zone, e.g. 'Europe/Berlin'.")
    map_tile_url: str | None = strawberry.field(
        default=None, description="An http(s) XYZ template with {z}, {x} and {y}."
    )
    map_tile_attribution: str | None = strawberry.field(default=None, description="One line of plain text.")


@strawberry.type(description="The result of saving preferences.")
class PreferencesPayload:
    preferences: PreferencesType | None = strawberry.field(description="As stored; null if refused.")
    errors: list[MutationProblem] = strawberry.field(description="Empty when they were saved.")


@strawberry.type
class PreferencesMutations:
    @strawberry.mutation(
        description="Save your display preferences (replacing them whole); they need a user, not demo "
        "mode's anonymous caller."
    )
    async def set_preferences(self, info: Info, input: PreferencesInput) -> PreferencesPayload:
        result = await resolvers.set_preferences(
            info.context,
            resolvers.Preferences(
                locale=input.locale,
                distance_unit=input.distance_unit,
                temperature_unit=input.temperature_unit,
                pressure_unit=input.pressure_unit,
                currency=input.currency,
                time_zone=input.time_zone,
                map_tile_url=input.map_tile_url,
                map_tile_attribution=input.map_tile_attribution,
            ),
        )
        if isinstance(result, list):
            return PreferencesPayload(preferences=None, errors=[refusal_problem(r) for r in result])
        return PreferencesPayload(preferences=PreferencesType.of(result), errors=[])
