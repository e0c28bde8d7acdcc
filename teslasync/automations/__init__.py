"""Automations: user rules that watch the telemetry and what analytics derives from it, and ask for
notifications, vehicle commands or webhooks when they fire.

This package is pure logic: rule models and their validation (`rules`), the engine that turns inputs into
firings (`engine`) and the dry run over stored history (`dryrun`). Running the actions, storing rules and
feeding the engine live belong to the jobs and resolvers that use it.
"""

from teslasync.automations.actions import Action, CommandAction, NotifyAction, WebhookAction
from teslasync.automations.conditions import (
    BatteryCondition,
    Condition,
    LocationCondition,
    SignalCondition,
    TimeWindow,
)
from teslasync.automations.dryrun import AlertRaised, ChargingChange, StateChange, dry_run
from teslasync.automations.engine import Firing, RuleEngine
from teslasync.automations.geofences import Circle
from teslasync.automations.model import Problem
from teslasync.automations.rules import Rule, RuleInvalid, StoredRule, Target, parse_rule
from teslasync.automations.triggers import (
    AlertTrigger,
    ChargingTrigger,
    EqualsTrigger,
    GeofenceTrigger,
    ScheduleTrigger,
    StateTrigger,
    ThresholdTrigger,
    Trigger,
)

__all__ = [
    "Action",
    "AlertRaised",
    "AlertTrigger",
    "BatteryCondition",
    "ChargingChange",
    "ChargingTrigger",
    "Circle",
    "CommandAction",
    "Condition",
    "EqualsTrigger",
    "Firing",
    "GeofenceTrigger",
    "LocationCondition",
    "NotifyAction",
    "Problem",
    "Rule",
    "RuleEngine",
    "RuleInvalid",
    "ScheduleTrigger",
    "SignalCondition",
    "StateChange",
    "StateTrigger",
    "StoredRule",
    "Target",
    "ThresholdTrigger",
    "TimeWindow",
    "Trigger",
    "WebhookAction",
    "dry_run",
    "parse_rule",
]
