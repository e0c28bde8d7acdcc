"""SQLAlchemy models. Time-series tables whose DDL depends on the storage strategy are created in the
migrations (see `db/storage.py`); they are mapped here as plain tables for the repositories."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Computed,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    Time,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from teslasync.db.stored_json import StoredJSON

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Vehicle(Base):
    __tablename__ = "vehicles"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    vin: Mapped[str] = mapped_column(String(17), unique=True)
    display_name: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text, server_default="unknown")
    state_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    tesla_account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("tesla_accounts.id", ondelete="SET NULL")
    )


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    username: Mapped[str] = mapped_column(Text, unique=True)
    email: Mapped[str | None] = mapped_column(Text)
    display_name: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    is_admin: Mapped[bool] = mapped_column(Boolean, server_default="false")
    groups: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_secret: Mapped[str | None] = mapped_column(Text)  # an encrypted envelope
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # display preferences (auth/preferences.py); {}: the client's own defaults
    preferences: Mapped[dict[str, object]] = mapped_column(JSONB, server_default="{}")


class RecoveryCode(Base):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(Text)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class VehicleAccess(Base):
    __tablename__ = "vehicle_access"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    vehicle_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("vehicles.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class StepUp(Base):
    __tablename__ = "step_ups"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    credential: Mapped[str] = mapped_column(Text, primary_key=True)
    verified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"))
    principal: Mapped[str] = mapped_column(Text)
    token_id: Mapped[int | None] = mapped_column(BigInteger)
    address: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    target: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, object] | None] = mapped_column(JSONB)


class TeslaAccount(Base):
    """A user's connection to Tesla through their own developer app. Secrets are encrypted envelopes."""

    __tablename__ = "tesla_accounts"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(Text)
    client_secret: Mapped[str] = mapped_column(Text)
    redirect_uri: Mapped[str] = mapped_column(Text)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    china: Mapped[bool] = mapped_column(Boolean, server_default="false")
    status: Mapped[str] = mapped_column(Text, server_default="pending")
    pending_state_hash: Mapped[str | None] = mapped_column(Text)
    pending_state_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    region: Mapped[str | None] = mapped_column(Text)
    fleet_api_base_url: Mapped[str | None] = mapped_column(Text)
    access_token: Mapped[str | None] = mapped_column(Text)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    generation: Mapped[int] = mapped_column(BigInteger, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class VehicleCommandRow(Base):
    __tablename__ = "vehicle_commands"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("vehicles.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"))
    principal: Mapped[str] = mapped_column(Text)
    principal_key: Mapped[str] = mapped_column(Text)
    command: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, object]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text, server_default="pending")
    steps: Mapped[list[dict[str, object]]] = mapped_column(JSONB, server_default="[]")
    error_code: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(Text)
    billed: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TelemetryConfigRow(Base):
    __tablename__ = "telemetry_configs"

    vehicle_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("vehicles.id", ondelete="CASCADE"), primary_key=True
    )
    config: Mapped[dict[str, object]] = mapped_column(JSONB)
    pushed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    synced: Mapped[bool] = mapped_column(Boolean, server_default="false")
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StorageSetting(Base):
    """What the migrations chose (`strategy`: timescale or plain) and other facts about the store."""

    __tablename__ = "storage_settings"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Signal(Base):
    """One value of one telemetry field at one time. Idempotent on (vehicle, field, ts)."""

    __tablename__ = "signals"

    vehicle_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("vehicles.id"), primary_key=True)
    field: Mapped[str] = mapped_column(Text, primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    num: Mapped[float | None] = mapped_column(Double)
    txt: Mapped[str | None] = mapped_column(Text)
    doc: Mapped[object | None] = mapped_column(JSONB)
    approx: Mapped[bool] = mapped_column(Boolean, server_default="false")
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SignalRollupHourly(Base):
    """Hourly rollup of numeric signals: a table kept up to date incrementally (plain PostgreSQL) or a
    continuous aggregate (TimescaleDB). Same columns either way."""

    __tablename__ = "signal_rollups_hourly"

    vehicle_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    field: Mapped[str] = mapped_column(Text, primary_key=True)
    bucket: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    vmin: Mapped[float | None] = mapped_column(Double)
    vmax: Mapped[float | None] = mapped_column(Double)
    vsum: Mapped[float | None] = mapped_column(Double)
    last_ts: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_num: Mapped[float | None] = mapped_column(Double)


class SignalLatest(Base):
    """The latest value per vehicle and field; an upsert never moves it backwards in time."""

    __tablename__ = "signal_latest"

    vehicle_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("vehicles.id"), primary_key=True)
    field: Mapped[str] = mapped_column(Text, primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    num: Mapped[float | None] = mapped_column(Double)
    txt: Mapped[str | None] = mapped_column(Text)
    doc: Mapped[object | None] = mapped_column(JSONB)
    approx: Mapped[bool] = mapped_column(Boolean, server_default="false")


class DeadLetterRow(Base):
    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    source: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)
    vin: Mapped[str | None] = mapped_column(Text)
    field: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)


class VehicleEvent(Base):
    """Connectivity changes, alerts and errors the car reports. Idempotent on (vehicle, kind, name, ts)."""

    __tablename__ = "vehicle_events"

    vehicle_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("vehicles.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    doc: Mapped[object | None] = mapped_column(JSONB)


class VehicleStream(Base):
    """Per vehicle and source, by TeslaSync's clock: when it last delivered anything (`last_seen_at`), a
    value (`last_data_at`), and the last connectivity status the car reported (and when it arrived)."""

    __tablename__ = "vehicle_streams"

    vehicle_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("vehicles.id"), primary_key=True)
    source: Mapped[str] = mapped_column(Text, primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_data_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    connectivity: Mapped[str | None] = mapped_column(Text)
    connectivity_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DriveRow(Base):
    """A derived drive; rebuilt from signals by recompute (unique per vehicle and start)."""

    __tablename__ = "drives"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("vehicles.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Double)
    longitude: Mapped[float | None] = mapped_column(Double)
    end_latitude: Mapped[float | None] = mapped_column(Double)
    end_longitude: Mapped[float | None] = mapped_column(Double)
    start_odometer_km: Mapped[float | None] = mapped_column(Double)
    end_odometer_km: Mapped[float | None] = mapped_column(Double)
    distance_km: Mapped[float] = mapped_column(Double)
    max_speed_kmh: Mapped[float | None] = mapped_column(Double)
    start_battery_level: Mapped[float | None] = mapped_column(Double)
    end_battery_level: Mapped[float | None] = mapped_column(Double)
    start_rated_range_km: Mapped[float | None] = mapped_column(Double)
    end_rated_range_km: Mapped[float | None] = mapped_column(Double)
    energy_used_kwh: Mapped[float | None] = mapped_column(Double)
    outside_temp_avg_c: Mapped[float | None] = mapped_column(Double)
    track: Mapped[object] = mapped_column(StoredJSON)  # a JSONText when read: parsed where used


class ChargingSessionRow(Base):
    """A derived charging session; `ended_at` is null while it is still charging."""

    __tablename__ = "charging_sessions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("vehicles.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    charger_type: Mapped[str] = mapped_column(Text)
    fast_charger_type: Mapped[str | None] = mapped_column(Text)
    energy_added_kwh: Mapped[float | None] = mapped_column(Double)
    energy_from_wall_kwh: Mapped[float | None] = mapped_column(Double)
    max_power_kw: Mapped[float | None] = mapped_column(Double)
    start_battery_level: Mapped[float | None] = mapped_column(Double)
    end_battery_level: Mapped[float | None] = mapped_column(Double)
    start_rated_range_km: Mapped[float | None] = mapped_column(Double)
    end_rated_range_km: Mapped[float | None] = mapped_column(Double)
    latitude: Mapped[float | None] = mapped_column(Double)
    longitude: Mapped[float | None] = mapped_column(Double)
    curve: Mapped[object] = mapped_column(StoredJSON)  # a JSONText when read: parsed where used
    geofence_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("geofences.id"))
    cost_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    cost_currency: Mapped[str | None] = mapped_column(String(3))
    cost_breakdown: Mapped[object | None] = mapped_column(JSONB)


class VehicleStateRow(Base):
    """The states timeline: one row per span (unique per vehicle and start); `ended_at` is null for the
    current state."""

    __tablename__ = "vehicle_states"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("vehicles.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(Text)


class TariffRow(Base):
    """Prices of charging: base prices, a session fee, and time-of-use windows (JSON, see analytics/costs)."""

    __tablename__ = "tariffs"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(Text)
    price_per_kwh: Mapped[Decimal | None] = mapped_column(Numeric(12, 5))
    price_per_minute: Mapped[Decimal | None] = mapped_column(Numeric(12, 5))
    session_fee: Mapped[Decimal | None] = mapped_column(Numeric(12, 5))
    windows: Mapped[object] = mapped_column(JSONB)
    free_supercharging: Mapped[bool] = mapped_column(Boolean, server_default="false")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class GeofenceRow(Base):
    __tablename__ = "geofences"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    latitude: Mapped[float] = mapped_column(Double)
    longitude: Mapped[float] = mapped_column(Double)
    radius_m: Mapped[float] = mapped_column(Double)
    tariff_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("tariffs.id"))


class VehicleTag(Base):
    """Free-form labels ("work", "fleet-north") an automation rule can target instead of naming vehicles."""

    __tablename__ = "vehicle_tags"

    vehicle_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("vehicles.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(Text, primary_key=True)


class SchedulerRun(Base):
    """One scheduled task's run for one time slot; the primary key is what keeps two replicas from both
    running it."""

    __tablename__ = "scheduler_runs"

    task: Mapped[str] = mapped_column(Text, primary_key=True)
    slot_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    runner: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)


class ExportRow(Base):
    __tablename__ = "exports"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    spec: Mapped[dict[str, object]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text, server_default="queued")
    rows: Mapped[int] = mapped_column(BigInteger, server_default="0")
    bytes: Mapped[int | None] = mapped_column(BigInteger)
    file_name: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NotificationChannelRow(Base):
    """A user's way of being reached. `config` holds what may be shown back; `secrets` the encrypted rest."""

    __tablename__ = "notification_channels"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    config: Mapped[dict[str, object]] = mapped_column(JSONB)
    secrets: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class NotificationSubscriptionRow(Base):
    """Which events (of which vehicles; all a user sees when `vins` is null) go to which channel."""

    __tablename__ = "notification_subscriptions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("notification_channels.id", ondelete="CASCADE")
    )
    events: Mapped[list[str]] = mapped_column(ARRAY(Text))
    vins: Mapped[list[str] | None] = mapped_column(ARRAY(Text))


class NotificationPreferenceRow(Base):
    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    timezone: Mapped[str] = mapped_column(Text, server_default="UTC")


class NotificationDeliveryRow(Base):
    """One event to one channel; unique per (channel, dedup key), which is the dedup of identical events."""

    __tablename__ = "notification_deliveries"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("notification_channels.id", ondelete="CASCADE")
    )
    event_kind: Mapped[str] = mapped_column(Text)
    vin: Mapped[str | None] = mapped_column(Text)
    dedup_key: Mapped[str] = mapped_column(Text)
    event: Mapped[dict[str, object]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NotificationAttemptRow(Base):
    __tablename__ = "notification_attempts"

    delivery_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("notification_deliveries.id", ondelete="CASCADE"), primary_key=True
    )
    attempt: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    outcome: Mapped[str] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)


class AutomationRuleRow(Base):
    __tablename__ = "automation_rules"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    rule: Mapped[dict[str, object]] = mapped_column(JSONB)
    enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AutomationRunRow(Base):
    """One firing of a rule for one vehicle and what each of its actions did; unique per (rule, vin, time) so
    a redelivered batch does not fire twice."""

    __tablename__ = "automation_runs"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    rule_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("automation_rules.id", ondelete="CASCADE"))
    vin: Mapped[str] = mapped_column(Text)
    fired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    trigger: Mapped[str] = mapped_column(Text)
    values: Mapped[dict[str, object]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text, server_default="pending")
    actions: Mapped[list[dict[str, object]]] = mapped_column(JSONB, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class HelixFeatureRow(Base):
    __tablename__ = "helix_features"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, server_default="false")
    model: Mapped[str | None] = mapped_column(Text)
    monthly_budget: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class HelixSettingRow(Base):
    __tablename__ = "helix_settings"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[object] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class HelixPriceRow(Base):
    """USD per million tokens of a model; a model without a row costs nothing (a local one)."""

    __tablename__ = "helix_prices"

    model: Mapped[str] = mapped_column(Text, primary_key=True)
    input_per_mtok: Mapped[Decimal] = mapped_column(Numeric(12, 6))
    output_per_mtok: Mapped[Decimal] = mapped_column(Numeric(12, 6))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class HelixCallRow(Base):
    """The audit of one provider call: who, which feature and model, tokens, cost, latency, outcome; the
    prompt and response only when an administrator enabled storing them."""

    __tablename__ = "helix_calls"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    feature: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"))
    provider: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    input_tokens: Mapped[int] = mapped_column(Integer, server_default="0")
    output_tokens: Mapped[int] = mapped_column(Integer, server_default="0")
    cost: Mapped[Decimal] = mapped_column(Numeric(14, 6), server_default="0")
    latency_ms: Mapped[int] = mapped_column(Integer, server_default="0")
    outcome: Mapped[str] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(Text)
    prompt: Mapped[object | None] = mapped_column(JSONB)
    response: Mapped[str | None] = mapped_column(Text)


class HelixRunRow(Base):
    __tablename__ = "helix_runs"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    feature: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    input: Mapped[object] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text, server_default="running")
    output: Mapped[str] = mapped_column(Text, server_default="")
    result: Mapped[object | None] = mapped_column(JSONB)
    error_code: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class HelixChunkRow(Base):
    """A section of the docs for retrieval. `tsv` (full-text) is computed by PostgreSQL; `embedding` and
    `dims` exist only where pgvector is installed and are read and written by raw SQL."""

    __tablename__ = "helix_chunks"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    heading: Mapped[str] = mapped_column(Text)
    anchor: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(Text)
    embedding_model: Mapped[str | None] = mapped_column(Text)
    indexed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    tsv: Mapped[str | None] = mapped_column(
        TSVECTOR, Computed("to_tsvector('english', heading || ' ' || content)", persisted=True)
    )
