"""Notifiable events detected in one vehicle's telemetry, derived states and alerts.

`VehicleDetector(vin, DetectorSettings())` per vehicle; see `detector` for the rules on ordering, first
values and seeding, and `messages` for every title, body and dedup key (including `stream_stale_event` and
`command_failed_event`, whose events are detected elsewhere).
"""

from teslasync.notify.detect.detector import VehicleDetector
from teslasync.notify.detect.messages import command_failed_event, stream_stale_event
from teslasync.notify.detect.settings import DetectorSettings

__all__ = ["DetectorSettings", "VehicleDetector", "command_failed_event", "stream_stale_event"]
