"""Simulated cars: Model 3 Long Range cars that park, drive loops through central Berlin, charge on AC and
DC, and sleep, sending what Tesla's fleet-telemetry MQTT dispatcher would send for them.

`SimulatedCar` is a pure model: deterministic for a seed, advanced in simulated time, and it reports the
fields that changed as the dispatcher's plain JSON (miles, mph, enum names with their type prefix, None for
an invalid value). Like a real car it sends a field only when it changes, at most once a second. Its
`journal` keeps the truth of each phase (what its physics knows, exactly, not what it reports), so what is
derived from its telemetry can be checked against it.
`run_in_process` feeds the cars into a `Pipeline` directly; `run_over_mqtt` publishes them to a broker on
the dispatcher's topics, so the whole ingest path can be exercised without a car.

Physics, briefly: speed follows an accelerate / cruise / brake profile between the route's nodes (traffic
lights and corners); the odometer is the integral of speed; the pack loses what traction (rolling, air,
acceleration less regeneration), electronics and HVAC draw, and gains what the charger delivers less its
losses; state of charge, energy remaining and the ranges are all derived from the one energy figure.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import math
import random
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import unquote, urlsplit

import aiomqtt

from teslasync.telemetry.model import JSON, Form, Observation, Source
from teslasync.telemetry.pipeline import Batch, Pipeline
from teslasync.telemetry.records import Event

KM_PER_MI = 1.609344
MIN_INTERVAL_S = 1.0  # a car sends a field at most once a second
MAX_SUBSTEP_S = 1.0  # physics resolution: longer steps are split

# A Model 3 Long Range.
USABLE_KWH = 75.0
BUFFER_KWH = 2.5  # below 0 % usable; counted in EnergyRemaining and BatteryLevel, not in Soc
RATED_WH_PER_MI = 210.0  # 75 kWh -> 357 rated miles
MASS_KG = 1900.0
ROLLING = 0.011
DRAG_AREA_M2 = 0.51  # Cd 0.23 x 2.22 m2
AIR_DENSITY = 1.2
DRIVE_EFFICIENCY = 0.90
REGEN_EFFICIENCY = 0.65
MAX_REGEN_KW = 60.0
ELECTRONICS_KW = 0.2
SENTRY_KW = 0.15
ASLEEP_KW = 0.03
AC_EFFICIENCY = 0.90  # wall to pack
DC_EFFICIENCY = 0.98  # DCChargingEnergyIn is measured at the battery; the rest warms the cells
AC_PHASES = 3
AC_AMPS = 16
CHARGE_LIMIT = 80
JOURNAL_PHASES = 256  # the truth of this many latest phases is kept
MARK_EVERY_S = 900  # and of every quarter hour (UTC, so every local quarter hour too) a phase lasts past
VERSION = "2025.20.6 b3f2a1c9d8e7"
NAMES = ("Roadrunner", "Blue Thunder", "Volta", "Sparky", "Ampere", "Silent Bob", "Kilowatt", "Nikola")

# Driving behaviour.
ACCELERATION = 1.8  # m/s2
BRAKING = 2.0  # m/s2, comfortable; used to plan stops
TURN_SPEED = 20 / 3.6  # m/s through a corner
LIGHT_SPACING_M = 600.0  # a traffic light about every 600 m
RED_LIGHT_CHANCE = 0.4
CABIN_TARGET_C = 21.0

# DC taper of a Model 3 LR on a V3 Supercharger: (battery level %, kW)
DC_TAPER = (
    (0.0, 170.0),
    (25.0, 170.0),
    (45.0, 125.0),
    (60.0, 85.0),
    (75.0, 50.0),
    (80.0, 40.0),
    (90.0, 25.0),
)
DC_TAPER_END = (100.0, 8.0)

DOORS = ("DriverFront", "DriverRear", "PassengerFront", "PassengerRear", "TrunkFront", "TrunkRear")
TYRES = ("Fl", "Fr", "Rl", "Rr")

# A loop through central Berlin: (latitude, longitude, speed limit in km/h of the leg that starts there).
BERLIN_LOOP: tuple[tuple[float, float, float], ...] = (
    (52.52190, 13.41320, 50),  # Alexanderplatz
    (52.51830, 13.42900, 60),  # Strausberger Platz, Karl-Marx-Allee
    (52.51580, 13.45410, 50),  # Frankfurter Tor
    (52.50590, 13.44970, 50),  # Warschauer Strasse
    (52.50210, 13.44570, 50),  # Oberbaumbruecke
    (52.49900, 13.41800, 50),  # Kottbusser Tor
    (52.49770, 13.39120, 50),  # Hallesches Tor
    (52.50960, 13.37600, 50),  # Potsdamer Platz
    (52.51450, 13.35010, 60),  # Grosser Stern, Strasse des 17. Juni
    (52.51600, 13.37700, 50),  # Ebertstrasse
    (52.51700, 13.38890, 50),  # Unter den Linden / Friedrichstrasse
    (52.51860, 13.40050, 50),  # Lustgarten
)


class Phase(StrEnum):
    PARKED = "parked"
    DRIVING = "driving"
    AC_CHARGING = "ac_charging"
    DC_CHARGING = "dc_charging"
    ASLEEP = "asleep"


# One cycle of a car's day, compressed: a drive home, a top-up there, a drive to a Supercharger, then sleep.
CYCLE = (
    Phase.PARKED,
    Phase.DRIVING,
    Phase.PARKED,
    Phase.AC_CHARGING,
    Phase.DRIVING,
    Phase.DC_CHARGING,
    Phase.PARKED,
    Phase.ASLEEP,
)


@dataclass(frozen=True, slots=True)
class Durations:
    """Simulated seconds per phase (each car varies them by +-15 %). A drive lasts until the car has stopped
    after its duration; charging ends early only if the charge limit is reached (the car stays plugged in).
    The defaults make a cycle of about 19.5 simulated minutes."""

    parked_s: float = 90.0
    driving_s: float = 210.0
    ac_charging_s: float = 180.0
    dc_charging_s: float = 180.0
    asleep_s: float = 120.0

    def of(self, phase: Phase) -> float:
        return {
            Phase.PARKED: self.parked_s,
            Phase.DRIVING: self.driving_s,
            Phase.AC_CHARGING: self.ac_charging_s,
            Phase.DC_CHARGING: self.dc_charging_s,
            Phase.ASLEEP: self.asleep_s,
        }[phase]

    def cycle_s(self) -> float:
        return sum(self.of(phase) for phase in CYCLE)


@dataclass(frozen=True, slots=True)
class _Node:
    """A point of the route: a corner (waypoint) or a traffic light between corners."""

    lat: float
    lon: float
    corner: bool
    limit_ms: float  # speed limit of the leg starting here
    length_m: float  # length of that leg
    heading: float  # its bearing, degrees clockwise from north


def _leg_metres(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """(east, north) metres from a to b; an equirectangular projection is plenty within a city."""
    mid = math.radians((a[0] + b[0]) / 2)
    return (b[1] - a[1]) * 111_320.0 * math.cos(mid), (b[0] - a[0]) * 110_574.0


def _route(waypoints: Sequence[tuple[float, float, float]]) -> tuple[_Node, ...]:
    nodes: list[_Node] = []
    for index, (lat, lon, limit) in enumerate(waypoints):
        nlat, nlon, _ = waypoints[(index + 1) % len(waypoints)]
        east, north = _leg_metres((lat, lon), (nlat, nlon))
        length = math.hypot(east, north)
        heading = math.degrees(math.atan2(east, north)) % 360
        pieces = max(1, math.ceil(length / LIGHT_SPACING_M))
        for piece in range(pieces):
            share = piece / pieces
            nodes.append(
                _Node(
                    lat + (nlat - lat) * share,
                    lon + (nlon - lon) * share,
                    corner=piece == 0,
                    limit_ms=limit / 3.6,
                    length_m=length / pieces,
                    heading=heading,
                )
            )
    return tuple(nodes)


ROUTE = _route(BERLIN_LOOP)


def _toward(value: float, target: float, dt_s: float, tau_s: float) -> float:
    """First-order lag: where `value` is after `dt_s` when it relaxes to `target` with time constant tau."""
    return target + (value - target) * math.exp(-dt_s / tau_s)


def dc_taper_kw(battery_level: float) -> float:
    """What a Supercharger delivers at this battery level (kW)."""
    points = (*DC_TAPER, DC_TAPER_END)
    for (low, low_kw), (high, high_kw) in itertools.pairwise(points):
        if battery_level <= high:
            share = max(0.0, (battery_level - low) / (high - low))
            return low_kw + (high_kw - low_kw) * share
    return DC_TAPER_END[1]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The car at one instant as its physics knows it: exact, where what it reports is rounded and sent
    only on change."""

    at: datetime
    odometer_km: float
    energy_kwh: float  # in the pack, the buffer included (what EnergyRemaining reports)
    battery_level: float  # % (what BatteryLevel reports)
    added_kwh: float  # into the pack by a charger since the phase began (what DCChargingEnergyIn counts)
    delivered_kwh: float  # by the charger since the phase began: from the wall on AC (ACChargingEnergyIn)

    def toward(self, later: Snapshot, at: datetime) -> Snapshot:
        """The snapshot at `at`, between this one and `later` (within one physics step, where every rate is
        constant: exact)."""
        span = (later.at - self.at).total_seconds()
        share = (at - self.at).total_seconds() / span if span > 0 else 1.0

        def mix(a: float, b: float) -> float:
            return a + (b - a) * share

        return Snapshot(
            at,
            mix(self.odometer_km, later.odometer_km),
            mix(self.energy_kwh, later.energy_kwh),
            mix(self.battery_level, later.battery_level),
            mix(self.added_kwh, later.added_kwh),
            mix(self.delivered_kwh, later.delivered_kwh),
        )


@dataclass(slots=True)
class PhaseTruth:
    """One phase of a car's cycle as it really happened, filled in while it lasts (`end` is None until it
    is over). The snapshots of one phase count energy added and delivered from the phase's start."""

    phase: Phase
    start: Snapshot
    end: Snapshot | None = None
    # driving: the gear left P / went back to P; charging: the cable was plugged in / energy stopped flowing
    # (the charge limit was reached, or the charge was stopped before unplugging)
    active_from: Snapshot | None = None
    active_until: Snapshot | None = None
    max_power_kw: float = 0.0  # charging: the charger's peak (what ACChargingPower / DCChargingPower report)
    # at each quarter hour the phase lasted past (when it ended on one: there and at `end`)
    marks: list[Snapshot] = dataclasses.field(default_factory=list)

    @property
    def started_at(self) -> datetime:
        return self.start.at

    @property
    def ended_at(self) -> datetime | None:
        return self.end.at if self.end is not None else None


@dataclass(slots=True)
class _Session:
    """A charging session from plug-in to unplugging. `status` is DetailedChargeState without its prefix."""

    kind: Phase
    status: str = "Starting"
    legacy: str = "Startup"  # the ChargeState word
    power_kw: float = 0.0  # at the charger (AC input) or the battery (DC)
    amps: float = 0.0
    volts: float = 0.0

    @property
    def efficiency(self) -> float:
        return AC_EFFICIENCY if self.kind is Phase.AC_CHARGING else DC_EFFICIENCY


class SimulatedCar:
    """One car. Deterministic for a given seed and sequence of steps; the clock starts at `start`."""

    def __init__(
        self,
        vin: str,
        seed: int,
        start: datetime,
        *,
        name: str | None = None,
        durations: Durations | None = None,
        speedup: float = 1.0,
        phase: Phase | None = None,
    ) -> None:
        """`speedup` divides every phase's duration (a demo cycle in less simulated time); the physics is
        unchanged, so shorter phases mean shorter drives and smaller charges. `phase`: start at that phase's
        first place in the cycle, lasting its whole duration; by default the car starts parked, for a random
        part of the parking time (so that a fleet's cars do not move in step)."""
        if not speedup > 0:
            raise ValueError("speedup must be positive")
        self.vin = vin
        self.name = name or NAMES[seed % len(NAMES)]
        self.start = start if start.tzinfo is not None else start.replace(tzinfo=UTC)
        self.durations = durations or Durations()
        self.speedup = speedup
        # a simulation, not cryptography
        self._rng = random.Random(seed)  # noqa: S311
        self._clock = 0.0
        self._cycle_index = 0 if phase is None else CYCLE.index(phase)
        self._phase_t = 0.0
        if phase is None:
            self._phase_len = self._duration(Phase.PARKED) * self._rng.uniform(0.3, 1.0)
        else:
            self._phase_len = self._duration(phase) * self._rng.uniform(0.85, 1.15)
        self._arrived = False  # this phase began at the end of a drive
        self._parked_at: float | None = None  # when the drive's final stop was reached
        self._stopping = False
        # the car
        self._usable_kwh = USABLE_KWH * self._rng.uniform(0.35, 0.65)
        self._odometer_mi = self._rng.uniform(3_000.0, 40_000.0)
        self._wh_per_mi = 250.0  # recent consumption, for EstBatteryRange
        self._pack_kw = 0.0  # positive into the pack
        self._gear = "P"
        self._locked = True
        self._open_doors: frozenset[str] = frozenset()
        self._outside_offset = self._rng.uniform(-3.0, 3.0)
        self._cabin_c = self._outside_c() + self._rng.uniform(0.0, 3.0)
        self._tyre_base = {tyre: self._rng.uniform(2.85, 2.95) for tyre in TYRES}
        self._tyre_warmth = 0.0
        self._tpms = self._tyre_pressures()
        self._session: _Session | None = None
        self._ac_in_kwh = 0.0
        self._dc_in_kwh = 0.0
        # where it is on the route
        self._node = self._rng.randrange(len(ROUTE))  # the next node ahead
        self._to_node_m = ROUTE[self._node - 1].length_m  # parked on the node before it
        self._next_red = False
        self._target_ms = ROUTE[self._node - 1].limit_ms
        self._speed_ms = 0.0
        self._wait_s = 0.0
        # what has been sent, and when
        self._sent: dict[str, JSON] = {}
        self._sent_at: dict[str, float] = {}
        # the truth, for checking what is derived from the telemetry
        self._start_s = self.start.timestamp()
        self._phase_added_kwh = 0.0
        self._phase_delivered_kwh = 0.0
        self.journal: deque[PhaseTruth] = deque([PhaseTruth(self.phase, self.snapshot())], JOURNAL_PHASES)

    # -- public -------------------------------------------------------------------------------------------

    @property
    def phase(self) -> Phase:
        return CYCLE[self._cycle_index]

    @property
    def asleep(self) -> bool:
        return self.phase is Phase.ASLEEP

    @property
    def now(self) -> datetime:
        """The car's simulated clock."""
        return self.start + timedelta(seconds=self._clock)

    def snapshot(self) -> Snapshot:
        """The car now, exactly."""
        return Snapshot(
            self.now,
            self._odometer_mi * KM_PER_MI,
            self._usable_kwh + BUFFER_KWH,
            self._battery_level(),
            self._phase_added_kwh,
            self._phase_delivered_kwh,
        )

    def step(self, dt_s: float) -> list[tuple[str, JSON]]:
        """Advance `dt_s` simulated seconds; the fields that changed, as the MQTT dispatcher's JSON values.
        An asleep car sends nothing."""
        if not dt_s >= 0 or math.isinf(dt_s):
            raise ValueError("dt_s must be a finite, non-negative number of seconds")
        remaining = dt_s
        while remaining > 1e-12:
            substep = min(remaining, MAX_SUBSTEP_S)
            self._tick(substep)
            remaining -= substep
        return [] if self.asleep else self._changes()

    # -- phases -------------------------------------------------------------------------------------------

    def _duration(self, phase: Phase) -> float:
        return self.durations.of(phase) / self.speedup

    def _next_phase_is(self, phase: Phase) -> bool:
        return CYCLE[(self._cycle_index + 1) % len(CYCLE)] is phase

    def _tick(self, dt: float) -> None:
        # a quarter hour this step crosses, with the car before it; what was going on before it
        mark_s = math.floor((self._start_s + self._clock + dt) / MARK_EVERY_S) * MARK_EVERY_S
        before = self.snapshot() if mark_s > self._start_s + self._clock else None
        was_active = self._active()
        self._clock += dt
        self._phase_t += dt
        phase = self.phase
        if phase is Phase.DRIVING:
            self._drive(dt)
        else:
            self._speed_ms = 0.0
            if phase in (Phase.AC_CHARGING, Phase.DC_CHARGING):
                self._charge(dt)
            self._idle(dt)
        self._climate(dt)
        self._record(before, mark_s, was_active)
        if self._phase_over():
            self._next_phase()

    def _phase_over(self) -> bool:
        if self.phase is Phase.DRIVING:
            return self._parked_at is not None and self._phase_t >= self._parked_at + 3.0
        return self._phase_t >= self._phase_len

    def _active(self) -> bool:
        """Out of P, or plugged in and charging (or about to)."""
        session = self._session
        return self._gear != "P" or (session is not None and session.status in ("Starting", "Charging"))

    def _record(self, before: Snapshot | None, mark_s: float, was_active: bool) -> None:
        """Keep the truth of the step just made (called before a phase change)."""
        truth = self.journal[-1]
        if before is not None:
            at = datetime.fromtimestamp(mark_s, UTC)
            truth.marks.append(before.toward(self.snapshot(), at))
        if self._session is not None:
            truth.max_power_kw = max(truth.max_power_kw, self._session.power_kw)
        active = self._active()
        if active and not was_active and truth.active_from is None:
            truth.active_from = self.snapshot()
        elif was_active and not active:
            truth.active_until = self.snapshot()

    def _next_phase(self) -> None:
        self.journal[-1].end = self.snapshot()
        self._phase_added_kwh = self._phase_delivered_kwh = 0.0
        self._arrived = self.phase is Phase.DRIVING
        self._cycle_index = (self._cycle_index + 1) % len(CYCLE)
        phase = self.phase
        self._phase_t = 0.0
        self._phase_len = self._duration(phase) * self._rng.uniform(0.85, 1.15)
        self._session = None  # unplugged (a drive or sleep follows a charge)
        self._parked_at = None
        self._stopping = False
        self._wait_s = 0.0
        if phase is Phase.ASLEEP:
            self._open_doors = frozenset()
            self._locked = True
        self.journal.append(PhaseTruth(phase, self.snapshot()))

    def _arrival(self) -> None:
        """The first seconds after a drive: the driver gets out and the car locks itself."""
        if not self._arrived:
            return
        self._open_doors = frozenset({"DriverFront"}) if 1.0 <= self._phase_t < 5.0 else frozenset()
        if self._phase_t >= 8.0:
            self._locked = True

    # -- driving ------------------------------------------------------------------------------------------

    def _drive(self, dt: float) -> None:
        t = self._phase_t
        self._locked = False
        self._open_doors = frozenset({"DriverFront"}) if 1.0 <= t < 5.0 else frozenset()
        if t >= 7.0 and self._parked_at is None:
            self._gear = "D"
        v0 = self._speed_ms
        if t >= 8.0 and self._parked_at is None:
            self._stopping = self._stopping or t >= self._phase_len
            v1 = max(0.0, v0 + self._acceleration(dt) * dt)
        else:
            v1 = 0.0
        self._speed_ms = v1
        metres = (v0 + v1) / 2 * dt
        self._advance(metres)
        self._odometer_mi += metres / 1000 / KM_PER_MI
        if self._stopping and v1 == 0.0 and self._parked_at is None:
            self._parked_at = t
        if self._parked_at is not None and t >= self._parked_at + 1.0:
            self._gear = "P"
        self._tyre_warmth = _toward(self._tyre_warmth, 1.0, dt, 600.0)
        if v1 > 0:
            self._tpms = self._tyre_pressures()
        self._draw(self._traction_kw(v0, v1, dt) + ELECTRONICS_KW + self._hvac_kw(), dt, metres)

    def _acceleration(self, dt: float) -> float:
        v = self._speed_ms
        if self._stopping:
            return -min(BRAKING, v / dt)
        if self._wait_s > 0:
            self._wait_s -= dt
            return 0.0
        if self._next_red and self._to_node_m <= max(v * dt, 15.0):
            if v == 0.0:
                self._next_red = False  # stopped at the light: wait for green
                self._wait_s = self._rng.uniform(8.0, 30.0)
                return 0.0
            if self._to_node_m <= v * dt:
                return -v / dt  # reaches the stop line in this step
        node_speed = 0.0 if self._next_red else TURN_SPEED if ROUTE[self._node].corner else math.inf
        if v > node_speed and (v * v - node_speed**2) / (2 * BRAKING) >= self._to_node_m - v * dt:
            return max(-3.0, (node_speed**2 - v * v) / (2 * max(self._to_node_m, 0.5)))
        self._target_ms += self._rng.uniform(-0.15, 0.15)  # nobody holds a speed exactly
        limit = ROUTE[self._node - 1].limit_ms
        self._target_ms = min(limit * 1.05, max(limit * 0.85, self._target_ms))
        return max(-1.5, min(ACCELERATION, (self._target_ms - v) / dt))

    def _advance(self, metres: float) -> None:
        self._to_node_m -= metres
        if self._next_red:
            # the car stops at a red light; the odometer keeps the last centimetres it rolled
            self._to_node_m = max(self._to_node_m, 0.0)
            return
        while self._to_node_m <= 0:
            leg = ROUTE[self._node]
            self._node = (self._node + 1) % len(ROUTE)
            self._to_node_m += leg.length_m
            self._next_red = self._rng.random() < RED_LIGHT_CHANCE
            self._target_ms = leg.limit_ms * self._rng.uniform(0.9, 1.04)

    def _traction_kw(self, v0: float, v1: float, dt: float) -> float:
        speed = (v0 + v1) / 2
        if speed <= 0:
            return 0.0
        force = (
            MASS_KG * (v1 - v0) / dt + ROLLING * MASS_KG * 9.81 + AIR_DENSITY * DRAG_AREA_M2 * speed**2 / 2
        )
        wheel_kw = force * speed / 1000
        if wheel_kw >= 0:
            return wheel_kw / DRIVE_EFFICIENCY
        return max(wheel_kw * REGEN_EFFICIENCY, -MAX_REGEN_KW)

    def _location(self) -> tuple[float, float, float]:
        """(latitude, longitude, heading) between the previous node and the next."""
        leg, ahead = ROUTE[self._node - 1], ROUTE[self._node]
        share = 1.0 - self._to_node_m / leg.length_m
        return leg.lat + (ahead.lat - leg.lat) * share, leg.lon + (ahead.lon - leg.lon) * share, leg.heading

    # -- standing still, charging ---------------------------------------------------------------------------

    def _idle(self, dt: float) -> None:
        self._tyre_warmth = _toward(self._tyre_warmth, 0.0, dt, 1800.0)
        if self.asleep:
            self._draw(ASLEEP_KW, dt, 0.0)
            return
        self._arrival()
        if self._session is None:
            self._draw(ELECTRONICS_KW + (SENTRY_KW if self._sentry() else 0.0), dt, 0.0)

    def _sentry(self) -> bool:
        parked = self.phase in (Phase.PARKED, Phase.DC_CHARGING)
        return parked and self._locked and not self._next_phase_is(Phase.ASLEEP)

    def _charge(self, dt: float) -> None:
        t, session = self._phase_t, self._session
        if session is None:
            if t < 10.0:
                return
            session = self._plug_in()
        start_after = 16.0 if session.kind is Phase.AC_CHARGING else 22.0
        if session.status == "Starting" and t >= start_after:
            session.status, session.legacy = "Charging", "Enable"
        if session.status == "Charging" and self._battery_level() >= CHARGE_LIMIT:
            session.status, session.legacy = "Complete", "Idle"
        elif session.status == "Charging" and t >= self._phase_len - 6.0:
            session.status, session.legacy = "Stopped", "Idle"  # unplugged before the limit
        if session.kind is Phase.AC_CHARGING:
            self._ac_power(session, dt)
            self._ac_in_kwh += session.power_kw * dt / 3600  # charger side
        else:
            self._dc_power(session, dt)
        self._phase_delivered_kwh += session.power_kw * dt / 3600
        self._pack_kw = session.power_kw * session.efficiency
        # DCChargingEnergyIn is measured at the battery, in AC and DC sessions alike (as Tesla documents)
        self._dc_in_kwh += self._pack_kw * dt / 3600
        before = self._usable_kwh
        self._usable_kwh = min(USABLE_KWH, self._usable_kwh + self._pack_kw * dt / 3600)
        self._phase_added_kwh += self._usable_kwh - before

    def _plug_in(self) -> _Session:
        session = _Session(self.phase, volts=230.0 if self.phase is Phase.AC_CHARGING else 0.0)
        # the car restarts its session counters when a charge cable is connected
        self._ac_in_kwh = 0.0
        self._dc_in_kwh = 0.0
        self._session = session
        return session

    def _ac_power(self, session: _Session, dt: float) -> None:
        session.volts = min(234.0, max(226.0, session.volts + self._rng.uniform(-0.6, 0.6)))
        charging = session.status == "Charging"
        session.amps = min(float(AC_AMPS), session.amps + 2.0 * dt) if charging else 0.0
        session.power_kw = AC_PHASES * session.volts * session.amps / 1000

    def _dc_power(self, session: _Session, dt: float) -> None:
        if session.status != "Charging":
            session.power_kw = 0.0
            return
        session.power_kw = min(dc_taper_kw(self._battery_level()), session.power_kw + 30.0 * dt)

    def _draw(self, kw: float, dt: float, metres: float) -> None:
        """Take `kw` from the pack for `dt`; while driving, fold it into the recent consumption."""
        self._pack_kw = -kw
        self._usable_kwh = max(0.0, self._usable_kwh - kw * dt / 3600)
        if metres > 0:
            miles = metres / 1000 / KM_PER_MI
            # a distance-weighted moving average over about the last 30 miles
            self._wh_per_mi += (kw * dt / 3.6 - self._wh_per_mi * miles) / 30.0
            self._wh_per_mi = min(450.0, max(150.0, self._wh_per_mi))

    # -- climate ------------------------------------------------------------------------------------------

    def _outside_c(self) -> float:
        """A day's temperature curve in Berlin (UTC+1): coolest at 3:00, warmest at 15:00."""
        now = self.now
        hour = (now.hour + 1 + now.minute / 60 + now.second / 3600) % 24
        return 11.0 + self._outside_offset + 6.0 * math.sin(2 * math.pi * (hour - 9) / 24)

    def _hvac_kw(self) -> float:
        return (
            0.25 + 0.06 * abs(CABIN_TARGET_C - self._outside_c()) + 0.05 * abs(CABIN_TARGET_C - self._cabin_c)
        )

    def _climate(self, dt: float) -> None:
        if self.phase is Phase.DRIVING:
            self._cabin_c = _toward(self._cabin_c, CABIN_TARGET_C, dt, 240.0)
        else:
            self._cabin_c = _toward(self._cabin_c, self._outside_c(), dt, 1500.0)

    def _tyre_pressures(self) -> dict[str, float]:
        """TPMS sensors report only while the wheels turn; warm tyres read up to 0.15 bar higher."""
        ambient = 0.004 * (self._outside_c() - 15.0)
        return {
            tyre: round(base * (1 + 0.05 * self._tyre_warmth) + ambient, 2)
            for tyre, base in self._tyre_base.items()
        }

    # -- what the car reports -----------------------------------------------------------------------------

    def _soc(self) -> float:
        return self._usable_kwh / USABLE_KWH * 100

    def _battery_level(self) -> float:
        return (self._usable_kwh + BUFFER_KWH) / (USABLE_KWH + BUFFER_KWH) * 100

    def _changes(self) -> list[tuple[str, JSON]]:
        changes: list[tuple[str, JSON]] = []
        for field, value in self._values().items():
            if field in self._sent and self._sent[field] == value:
                continue
            if self._clock - self._sent_at.get(field, -math.inf) < MIN_INTERVAL_S - 1e-6:
                continue  # changed again within the second: sent with a later step
            self._sent[field], self._sent_at[field] = value, self._clock
            changes.append((field, value))
        return changes

    def _values(self) -> dict[str, JSON]:
        return {
            "VehicleName": self.name,
            "Version": VERSION,
            "ChargeLimitSoc": CHARGE_LIMIT,
            **self._motion_values(),
            "Locked": self._locked,
            "DoorState": {door: door in self._open_doors for door in DOORS},
            "SentryMode": "SentryModeStateArmed" if self._sentry() else "SentryModeStateOff",
            "InsideTemp": round(self._cabin_c, 1),
            "OutsideTemp": round(self._outside_c() * 2) / 2,
            **{f"TpmsPressure{tyre}": bar for tyre, bar in self._tpms.items()},
            **self._battery_values(),
            **self._charging_values(),
        }

    def _motion_values(self) -> dict[str, JSON]:
        lat, lon, heading = self._location()
        return {
            "Gear": f"ShiftState{self._gear}",
            # in park the car reports no speed; moving, mph that were whole km/h on its display
            "VehicleSpeed": None if self._gear == "P" else round(self._speed_ms * 3.6) / KM_PER_MI,
            "Odometer": round(self._odometer_mi, 2),
            "Location": {"latitude": round(lat, 6), "longitude": round(lon, 6)},
            "GpsHeading": round(heading) % 360,
        }

    def _battery_values(self) -> dict[str, JSON]:
        rated_mi = self._usable_kwh * 1000 / RATED_WH_PER_MI
        ocv = 320.0 + 0.8 * self._soc()
        amps = self._pack_kw * 1000 / ocv
        return {
            "Soc": round(self._soc(), 1),
            "BatteryLevel": round(self._battery_level(), 1),
            "EnergyRemaining": round(self._usable_kwh + BUFFER_KWH, 2),
            "RatedRange": round(rated_mi, 1),
            "IdealBatteryRange": round(rated_mi, 1),
            "EstBatteryRange": round(self._usable_kwh * 1000 / self._wh_per_mi, 1),
            "PackVoltage": round(ocv + 0.08 * amps, 1),
            "PackCurrent": round(amps, 1),
        }

    def _charging_values(self) -> dict[str, JSON]:
        session = self._session
        ac = session if session is not None and session.kind is Phase.AC_CHARGING else None
        dc = session if session is not None and session.kind is Phase.DC_CHARGING else None
        return {
            "DetailedChargeState": f"DetailedChargeState{session.status if session else 'Disconnected'}",
            "ChargeState": session.legacy if session else "Idle",
            "ChargePortDoorOpen": session is not None,
            "ChargePortLatch": f"ChargePortLatch{'Engaged' if session else 'Disengaged'}",
            "ChargingCableType": "CableTypeIEC" if ac else None,
            "ChargerPhases": AC_PHASES if ac else None,
            "ChargerVoltage": round(ac.volts) if ac else 0,
            "ChargeAmps": round(ac.amps) if ac else 0,
            "ChargeCurrentRequest": AC_AMPS,
            "ACChargingPower": round(ac.power_kw, 1) if ac else 0.0,
            "ACChargingEnergyIn": round(self._ac_in_kwh, 2),
            "FastChargerPresent": dc is not None,
            "FastChargerType": "FastChargerSupercharger" if dc else None,
            "DCChargingPower": round(dc.power_kw, 1) if dc else 0.0,
            "DCChargingEnergyIn": round(self._dc_in_kwh, 2),
            "TimeToFullCharge": self._hours_to_limit(),
        }

    def _hours_to_limit(self) -> float:
        session = self._session
        if session is None or session.status != "Charging" or session.power_kw <= 0:
            return 0.0
        target_kwh = CHARGE_LIMIT / 100 * (USABLE_KWH + BUFFER_KWH) - BUFFER_KWH
        missing = max(0.0, target_kwh - self._usable_kwh)
        return round(missing / (session.power_kw * session.efficiency), 2)


def demo_vins(count: int) -> list[str]:
    """Distinct Model 3 VINs for simulated cars; the first is the one demo mode registers."""
    if not 0 <= count <= 999_999:
        raise ValueError("between 0 and 999999 cars")
    return [f"5YJ3E7EB2NF{serial:06d}" for serial in range(1, count + 1)]


# -- drivers ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Connectivity:
    vin: str
    status: str  # CONNECTED or DISCONNECTED
    at: datetime
    doc: dict[str, str]


@dataclass(frozen=True, slots=True)
class _CarTick:
    vin: str
    changes: list[tuple[str, JSON]]
    connectivity: _Connectivity | None  # sent before the changes


class _Fleet:
    """The cars and their connections to the (imaginary) fleet-telemetry server."""

    def __init__(self, cars: Sequence[SimulatedCar]) -> None:
        self.cars = list(cars)
        self._connection: dict[str, str] = {}
        self._last_at: datetime | None = None

    def stamp(self) -> datetime:
        """Now, strictly later than the previous stamp (a value's time is part of its identity)."""
        now = datetime.now(UTC)
        if self._last_at is not None and now <= self._last_at:
            now = self._last_at + timedelta(microseconds=1)
        self._last_at = now
        return now

    def _status(self, car: SimulatedCar, status: str, at: datetime) -> _Connectivity:
        if status == "CONNECTED":
            self._connection[car.vin] = str(uuid.uuid4())
        connection = self._connection.get(car.vin, "")
        doc = {"ConnectionId": connection, "Status": status, "CreatedAt": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
        return _Connectivity(car.vin, status, at, doc)

    def connect(self, at: datetime) -> list[_Connectivity]:
        return [self._status(car, "CONNECTED", at) for car in self.cars if not car.asleep]

    def disconnect(self, at: datetime) -> list[_Connectivity]:
        return [self._status(car, "DISCONNECTED", at) for car in self.cars if not car.asleep]

    def step(self, dt_s: float, at: datetime) -> list[_CarTick]:
        ticks = []
        for car in self.cars:
            was_asleep = car.asleep
            changes = car.step(dt_s)
            connectivity = None
            if car.asleep != was_asleep:
                connectivity = self._status(car, "DISCONNECTED" if car.asleep else "CONNECTED", at)
            ticks.append(_CarTick(car.vin, changes, connectivity))
        return ticks


class _Ticker:
    """Wakes every `tick_s` seconds of real time without drifting; never bursts to catch up."""

    def __init__(self, tick_s: float, stop: asyncio.Event) -> None:
        if not tick_s > 0:
            raise ValueError("tick_s must be positive")
        self._loop = asyncio.get_running_loop()
        self._tick_s = tick_s
        self._next = self._loop.time()
        self._stop = stop

    async def wait(self) -> bool:
        """Until the next tick; False once `stop` is set."""
        self._next = max(self._next + self._tick_s, self._loop.time())
        if self._stop.is_set():
            return False
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=self._next - self._loop.time())
        except TimeoutError:
            return True
        return False


def _event(connectivity: _Connectivity) -> Event:
    return Event(connectivity.vin, "connectivity", connectivity.status, connectivity.at, connectivity.doc)


async def run_in_process(
    pipeline: Pipeline,
    cars: list[SimulatedCar],
    *,
    tick_s: float = 1.0,
    stop: asyncio.Event | None = None,
) -> None:
    """Every `tick_s` of real time, advance every car by `tick_s` and submit what changed as one batch,
    stamped with the current time. Runs until `stop` is set (or the task is cancelled)."""
    stop = stop or asyncio.Event()
    ticker = _Ticker(tick_s, stop)
    fleet = _Fleet(cars)
    source = Source.SIMULATOR.value
    await _submit(pipeline, Batch(source, events=[_event(c) for c in fleet.connect(fleet.stamp())]))
    while await ticker.wait():
        now = fleet.stamp()
        batch = Batch(source)
        for tick in fleet.step(tick_s, now):
            if tick.connectivity is not None:
                batch.events.append(_event(tick.connectivity))
            batch.observations.extend(
                Observation(tick.vin, field, value, Form.MQTT, now) for field, value in tick.changes
            )
        await _submit(pipeline, batch)
    await _submit(pipeline, Batch(source, events=[_event(c) for c in fleet.disconnect(fleet.stamp())]))


async def _submit(pipeline: Pipeline, batch: Batch) -> None:
    if batch.observations or batch.events:
        await pipeline.submit(batch)


def _mqtt_client(url: str) -> aiomqtt.Client:
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ValueError("an MQTT URL is mqtt://[user:password@]host[:port] (or mqtts://)")
    tls = aiomqtt.TLSParameters() if parts.scheme == "mqtts" else None
    return aiomqtt.Client(
        hostname=parts.hostname or "localhost",
        port=parts.port or (8883 if tls else 1883),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        identifier=f"teslasync-simulator-{uuid.uuid4().hex[:12]}",
        tls_params=tls,
    )


def _connectivity_message(base: str, connectivity: _Connectivity) -> tuple[str, bytes]:
    return f"{base}/{connectivity.vin}/connectivity", json.dumps(connectivity.doc).encode()


def _tick_messages(base: str, ticks: list[_CarTick]) -> list[tuple[str, bytes]]:
    messages = []
    for tick in ticks:
        if tick.connectivity is not None:
            messages.append(_connectivity_message(base, tick.connectivity))
        messages += [
            (f"{base}/{tick.vin}/v/{field}", json.dumps(value).encode()) for field, value in tick.changes
        ]
    return messages


async def _publish(client: aiomqtt.Client, messages: list[tuple[str, bytes]]) -> int:
    # publish() hands each message to paho before its first await, so the order on the wire is kept
    await asyncio.gather(*(client.publish(topic, payload, qos=1) for topic, payload in messages))
    return len(messages)


async def run_over_mqtt(
    url: str,
    topic_base: str,
    cars: list[SimulatedCar],
    *,
    tick_s: float = 1.0,
    rate_multiplier: float = 1.0,
    stop: asyncio.Event | None = None,
) -> int:
    """Publish the cars like Tesla's fleet-telemetry MQTT dispatcher: one QoS 1 message per value on
    `<base>/<VIN>/v/<Field>`, and connection changes on `<base>/<VIN>/connectivity`. Every `tick_s` of real
    time the cars advance `tick_s * rate_multiplier` simulated seconds (above 1: fast-forward). Runs until
    `stop` is set; returns how many messages were published."""
    if not rate_multiplier > 0:
        raise ValueError("rate_multiplier must be positive")
    stop = stop or asyncio.Event()
    base = topic_base.rstrip("/")
    fleet = _Fleet(cars)
    published = 0
    async with _mqtt_client(url) as client:
        ticker = _Ticker(tick_s, stop)
        connected = fleet.connect(fleet.stamp())
        published += await _publish(client, [_connectivity_message(base, c) for c in connected])
        while await ticker.wait():
            ticks = fleet.step(tick_s * rate_multiplier, fleet.stamp())
            published += await _publish(client, _tick_messages(base, ticks))
        gone = fleet.disconnect(fleet.stamp())
        published += await _publish(client, [_connectivity_message(base, c) for c in gone])
    return published
