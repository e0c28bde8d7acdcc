"""What a rule asks for when it fires. The engine only returns actions; the caller carries them out (notify
through the notification channels, commands through the commands path, webhooks from a job).

Notification texts are templates with `{placeholder}`s, checked when the rule is saved: only plain names
that the rule's trigger provides, so a template can neither fail at firing time nor reach into objects the way
`str.format` attribute and index lookups could.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field

from teslasync.automations.fields import display
from teslasync.automations.model import Model, Problem
from teslasync.fleet.catalogue import command, validate


def template_problems(
    template: str, available: frozenset[str], trigger_kind: str, path: str
) -> list[Problem]:
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as error:
        return [Problem(path, f"bad template: {error} (write {{{{ or }}}} for a literal brace)")]
    problems: list[Problem] = []
    listed = ", ".join(sorted(available))
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not name.isidentifier():
            problems.append(
                Problem(path, f"placeholder {{{name}}}: only plain names like {{vin}} are allowed")
            )
        elif spec or conversion:
            problems.append(
                Problem(path, f"placeholder {{{name}}}: format specs and conversions are not supported")
            )
        elif name not in available:
            problems.append(
                Problem(
                    path,
                    f"placeholder {{{name}}} is not available to {trigger_kind} triggers (available: {listed})",
                )
            )
    return problems


class _Values(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def render(template: str, values: Mapping[str, Any]) -> str:
    """Fill a checked template; a placeholder without a value becomes empty."""
    return template.format_map(_Values({key: display(value) for key, value in values.items()}))


class NotifyAction(Model):
    kind: Literal["notify"]
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=2000)
    channel_ids: list[Annotated[int, Field(ge=1)]] | None = None  # none: the user's default channels

    def problems(self, path: str, available: frozenset[str], trigger_kind: str) -> list[Problem]:
        return [
            *template_problems(self.title, available, trigger_kind, f"{path}.title"),
            *template_problems(self.body, available, trigger_kind, f"{path}.body"),
        ]

    def rendered(self, values: Mapping[str, Any]) -> NotifyAction:
        return self.model_copy(
            update={"title": render(self.title, values), "body": render(self.body, values)}
        )


class CommandAction(Model):
    """A vehicle command from the command catalogue. Commands that need two-factor step-up are refused:
    nobody is there to confirm one when a rule fires."""

    kind: Literal["command"]
    name: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)

    def problems(self, path: str, available: frozenset[str], trigger_kind: str) -> list[Problem]:
        spec = command(self.name)
        if spec is None:
            return [Problem(f"{path}.name", f"unknown vehicle command '{self.name}'")]
        if spec.sensitive:
            return [
                Problem(f"{path}.name", f"'{spec.name}' needs two-factor step-up, so a rule cannot send it")
            ]
        _, problems = validate(spec, self.params)
        return [
            Problem(f"{path}.{problem.field}", problem.message.split(": ", 1)[-1]) for problem in problems
        ]

    def rendered(self, values: Mapping[str, Any]) -> CommandAction:
        return self


class WebhookAction(Model):
    """POST the firing as JSON to `url`; with `secret_id`, signed with that stored secret."""

    kind: Literal["webhook"]
    url: str = Field(min_length=1, max_length=2000)
    secret_id: int | None = Field(default=None, ge=1)

    def problems(self, path: str, available: frozenset[str], trigger_kind: str) -> list[Problem]:
        try:
            parts = urlsplit(self.url)
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            return [Problem(f"{path}.url", f"'{self.url}' is not an http or https URL")]
        return []

    def rendered(self, values: Mapping[str, Any]) -> WebhookAction:
        return self


Action = Annotated[NotifyAction | CommandAction | WebhookAction, Field(discriminator="kind")]
