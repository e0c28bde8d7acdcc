"""Automation jobs (filled in by the automations slice)."""

from __future__ import annotations

from teslasync.jobs.worker import JobFunction

FUNCTIONS: dict[str, JobFunction] = {}
