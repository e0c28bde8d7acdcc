"""The feature registry: what each Helix feature takes, the tools it may call, what it answers with, and how it
asks. Every feature is off until an administrator enables it (and Helix itself is on)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from teslasync.helix.tools import TOOLS

ALL_TOOLS = tuple(TOOLS)
GROUNDING = (
    "You are Helix, the assistant inside TeslaSync, a self-hosted logger of the owner's own Tesla. Answer from the "
    "data the tools return and nothing else; never guess a number. Quote the numbers you use with their units "
    "(metric: km, kWh, °C, bar). If the data does not answer the question, say so. Be brief."
)


class FeatureKind(StrEnum):
    USER = "user"
    OPS = "ops"


def _vin_input(**extra: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"vin": {"type": "string"}, **extra},
        "required": ["vin"],
        "additionalProperties": False,
    }


@dataclass(frozen=True)
class Feature:
    name: str
    title: str
    description: str
    input_schema: Mapping[str, Any]
    instructions: str
    tools: tuple[str, ...] = ()
    output_schema: Mapping[str, Any] | None = None
    kind: FeatureKind = FeatureKind.USER
    uses_docs: bool = False  # answers from the documentation index, with citations
    streams: bool = False  # its answer can be streamed (helixStream)
    prompt: Callable[[Mapping[str, Any]], str] = field(default=lambda given: json.dumps(dict(given)))

    def messages(self, given: Mapping[str, Any]) -> tuple[str, str]:
        """(system, user) prompts for this input."""
        return f"{GROUNDING}\n\n{self.instructions}", self.prompt(given)


def _ask(template: str) -> Callable[[Mapping[str, Any]], str]:
    """A prompt from the input: strings as they are, anything else as JSON, a missing key as "(not given)"."""

    def prompt(given: Mapping[str, Any]) -> str:
        values = _Missing(
            {key: value if isinstance(value, str) else json.dumps(value) for key, value in given.items()}
        )
        return template.format_map(values)

    return prompt


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "(not given)"


COMMAND_PROPOSAL = {
    "type": "object",
    "properties": {
        "command": {
            "type": "string",
            "description": "A command name from the catalogue, e.g. set_charge_limit.",
        },
        # a JSON object as text: strict structured output (OpenAI) allows no free-form objects
        "params_json": {
            "type": "string",
            "description": 'Its parameters as a JSON object, e.g. {"percent": 80}.',
        },
        "explanation": {"type": "string", "description": "What the command will do, in one sentence."},
    },
    "required": ["command", "params_json", "explanation"],
    "additionalProperties": False,
}

FEATURES: dict[str, Feature] = {
    feature.name: feature
    for feature in (
        Feature(
            "drive_summary",
            "Drive summary",
            "A short summary of a drive: where time and energy went.",
            _vin_input(driveId={"type": "string"}),
            "Summarise the drive: distance, duration, energy and consumption, speeds, battery used, weather. "
            "Find it with the drives tool (the latest one unless an id is given).",
            ("drives", "series"),
            prompt=_ask("Summarise drive {driveId} of vehicle {vin}."),
            streams=True,
        ),
        Feature(
            "charging_summary",
            "Charging session summary",
            "What a charge added, how fast, and what it cost.",
            _vin_input(sessionId={"type": "string"}),
            "Summarise the charging session: energy added, from the wall, power, duration, battery %, cost.",
            ("charging_sessions", "series"),
            prompt=_ask("Summarise charging session {sessionId} of vehicle {vin}."),
            streams=True,
        ),
        Feature(
            "cost_outlier",
            "Why did this charge cost more?",
            "Compares a charge's cost with the car's usual charges and explains the difference.",
            _vin_input(sessionId={"type": "string"}),
            "Compare this charge's cost per kWh and total with the last 20 charges (charging_sessions) and explain "
            "what made it different: charger type (DC fast charging costs more), tariff, energy lost, session fees.",
            ("charging_sessions",),
            prompt=_ask("Why did charging session {sessionId} of vehicle {vin} cost more than usual?"),
        ),
        Feature(
            "efficiency_explanation",
            "Why did this drive use more energy?",
            "Explains a drive's consumption from speed, temperature, elevation and climate.",
            _vin_input(driveId={"type": "string"}),
            "Compare the drive's consumption (Wh/km) with the car's recent drives and explain it from its speeds, "
            "the outside temperature, elevation change and HVAC use (series of VehicleSpeed, OutsideTemp, "
            "Elevation, HvacPower during the drive).",
            ("drives", "series"),
            prompt=_ask("Why did drive {driveId} of vehicle {vin} use more energy than usual?"),
        ),
        Feature(
            "weekly_digest",
            "Weekly digest",
            "The week in a few lines: distance, energy, charging, costs, anything unusual.",
            _vin_input(weekOf={"type": "string", "description": "A day of the week, YYYY-MM-DD."}),
            "Write a weekly digest from daily_stats for the 7 days (Monday to Sunday) around the day given, and "
            "mention the longest drive and the most expensive charge.",
            ("daily_stats", "drives", "charging_sessions"),
            prompt=_ask("Write the weekly digest of vehicle {vin} for the week of {weekOf}."),
            streams=True,
        ),
        Feature(
            "battery_narrative",
            "Battery health",
            "The battery's health and its trend in plain words.",
            _vin_input(),
            "Explain the battery's health: capacity new and now, degradation, range at 100 %, and whether the "
            "trend is normal for the car's age and mileage. Mention charging habits from the sessions.",
            ("battery_health", "charging_sessions"),
            prompt=_ask("How is the battery of vehicle {vin}?"),
        ),
        Feature(
            "alert_narration",
            "Explain a vehicle alert",
            "What an alert the car raised means and what to do.",
            _vin_input(alert={"type": "object", "description": "The alert: name, startedAt, audiences."}),
            "Explain the vehicle alert in plain words: what it usually means, how serious it is, what the owner can "
            "do. Check the latest values that relate to it. If unsure what an alert name means, say so.",
            ("alerts", "latest_values"),
            prompt=_ask("Vehicle {vin} raised this alert: {alert}. What does it mean?"),
        ),
        Feature(
            "route_comparison",
            "Compare two drives",
            "Two drives between the same places: which was better and why.",
            _vin_input(driveIds={"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2}),
            "Compare the two drives: time, distance, energy, consumption, speeds, temperature; say which was more "
            "efficient and why.",
            ("drives", "series"),
            prompt=_ask("Compare drives {driveIds} of vehicle {vin}."),
        ),
        Feature(
            "maintenance_hints",
            "Maintenance hints",
            "Tyre pressure trends, software and 12 V warnings worth acting on.",
            _vin_input(),
            "Look at the tyre pressures over the last 30 days (series of TpmsPressureFl, TpmsPressureFr, "
            "TpmsPressureRl, TpmsPressureRr: below about 2.6 bar, or one tyre losing faster than the others, is "
            "worth a check), the TPMS warnings (latest_values TpmsSoftWarnings, TpmsHardWarnings), the alerts "
            "of the last 30 days (12 V battery, BMS, charging or thermal faults), the software version and any "
            "update offered (latest_values Version, SoftwareUpdateVersion), and give at most five concrete hints.",
            ("series", "latest_values", "alerts"),
            prompt=_ask("Any maintenance hints for vehicle {vin}? Today is {today}."),
        ),
        Feature(
            "ask_my_data",
            "Ask my data",
            "A question in plain words, answered from the owner's data with the numbers it used.",
            {
                "type": "object",
                "properties": {"question": {"type": "string", "maxLength": 1000}, "vin": {"type": "string"}},
                "required": ["question"],
                "additionalProperties": False,
            },
            "Answer the question with the tools. Cite each number you give with the tool it came from in "
            "brackets, e.g. [drives]. If a vehicle is not found, it is not one the user sees: say so.",
            ALL_TOOLS,
            prompt=_ask("{question} (vin: {vin}; today: {today})"),
            streams=True,
        ),
        Feature(
            "command_assistant",
            "Command assistant",
            "Plain words to a proposed vehicle command, which the user confirms; Helix never sends it.",
            _vin_input(request={"type": "string", "maxLength": 500}),
            "Turn the request into exactly one vehicle command of the Tesla Fleet API (e.g. set_charge_limit with "
            "percent, set_temps with driver_temp and passenger_temp in °C, charge_start, door_lock, "
            "auto_conditioning_start). Answer with the command, its parameters and a one-sentence explanation.",
            (),
            COMMAND_PROPOSAL,
            prompt=_ask("For vehicle {vin}: {request}"),
        ),
        Feature(
            "help_chat",
            "Help",
            "Questions about TeslaSync answered from its documentation, with citations.",
            {
                "type": "object",
                "properties": {"question": {"type": "string", "maxLength": 1000}},
                "required": ["question"],
                "additionalProperties": False,
            },
            "Answer the question about TeslaSync from the numbered documentation excerpts only. Cite the excerpts "
            "you used as [1], [2]. If they do not answer it, say so and suggest where to look.",
            (),
            prompt=_ask("{question}"),
            uses_docs=True,
            streams=True,
        ),
    )
}
