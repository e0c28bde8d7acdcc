"""The Grafana dashboards and the Prometheus/Grafana provisioning in deploy/.

Every PostgreSQL query of every dashboard (and the `vin` variable's) is run against a migrated database holding
a little of everything, on plain PostgreSQL and on TimescaleDB (PGlite), as a role with exactly the grants
deploy/grafana/README.md documents. Template variables are interpolated as Grafana's frontend does and the
macros expanded as Grafana's PostgreSQL datasource does (pkg/tsdb/grafana-postgresql-datasource/macros.go,
with `timescaledb: false` as provisioned). The PromQL may name only metrics TeslaSync exports."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import PROCESS_COLLECTOR
from prometheus_client.metrics import MetricWrapperBase
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from teslasync.app import KNOWN_ROUTES
from teslasync.config import StorageMode
from teslasync.db import migrate
from teslasync.db.embedded import EmbeddedPostgres
from teslasync.db.engine import Database, make_engine
from teslasync.db.repositories.signals import SignalRow, write_signals
from teslasync.db.storage import recorded_strategy
from teslasync.observability import metrics
from teslasync.telemetry import catalogue
from teslasync.telemetry.streams import StreamFacts, stream_state
from tests.conftest import TEMPLATE_DATABASE, create_database
from tests.services import pglite_timescale

ROOT = Path(__file__).resolve().parents[1]
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARD_FILES = sorted((GRAFANA / "dashboards").glob("*.json"))
DATASOURCES_FILE = GRAFANA / "provisioning" / "datasources" / "datasources.yaml"
PROVIDERS_FILE = GRAFANA / "provisioning" / "dashboards" / "dashboards.yaml"
PROMETHEUS_FILE = ROOT / "deploy" / "prometheus" / "prometheus.yml"

POSTGRES_TYPES = {"grafana-postgresql-datasource", "postgres"}
GRAFANA_BUILTIN_UID = "-- Grafana --"

TIME_FROM = datetime(2026, 1, 1, tzinfo=UTC)
TIME_TO = datetime(2026, 2, 1, tzinfo=UTC)
INTERVAL = "1h"  # what $__interval is taken to be
VIN = "5YJ3E7EB2NF000301"
ROLE = "teslasync_dashboards_ro"  # stands in for grafana_ro, with exactly the README's grants


# ---------------------------------------------------------------------------------------------------------
# reading the dashboards
# ---------------------------------------------------------------------------------------------------------

Json = dict[str, Any]


def load(path: Path) -> Json:
    loaded: Json = json.loads(path.read_text())
    return loaded


@cache
def datasources() -> dict[str, Json]:
    config = yaml.safe_load(DATASOURCES_FILE.read_text())
    return {source["uid"]: source for source in config["datasources"]}


def all_panels(panels: list[Json]) -> Iterator[Json]:
    """Every panel, those inside rows (collapsed rows keep theirs in `panels`) included."""
    for panel in panels:
        yield panel
        yield from all_panels(panel.get("panels", []))


def datasource_uid(panel: Json, target: Json | None = None) -> str:
    chosen = (target or {}).get("datasource") or panel.get("datasource") or {}
    uid: str = chosen.get("uid", "")
    return uid


def is_postgres(uid: str) -> bool:
    return datasources().get(uid, {}).get("type") in POSTGRES_TYPES


@dataclass(frozen=True)
class SqlPanel:
    dashboard: Json
    panel: Json
    targets: list[Json]

    @property
    def name(self) -> str:
        return f"{self.dashboard['uid']}: {self.panel['title']}"


def sql_panels() -> list[SqlPanel]:
    found = []
    for path in DASHBOARD_FILES:
        dashboard = load(path)
        for panel in all_panels(dashboard["panels"]):
            targets = [t for t in panel.get("targets", []) if is_postgres(datasource_uid(panel, t))]
            if targets:
                found.append(SqlPanel(dashboard, panel, targets))
    return found


def prometheus_targets() -> list[Json]:
    found = []
    for path in DASHBOARD_FILES:
        dashboard = load(path)
        for panel in all_panels(dashboard["panels"]):
            for target in panel.get("targets", []):
                if datasources().get(datasource_uid(panel, target), {}).get("type") == "prometheus":
                    found.append(
                        {**target, "where": f"{dashboard['uid']}: {panel['title']} ({target['refId']})"}
                    )
    return found


# ---------------------------------------------------------------------------------------------------------
# what Grafana does to a query before PostgreSQL sees it
# ---------------------------------------------------------------------------------------------------------

VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)\b(?!\()")
MACRO = re.compile(r"\$([_a-zA-Z0-9]+)\(([^\)]*)\)")  # as in macros.go: arguments cannot contain ')'
ALLOWED_MACROS = {"__timeFilter", "__timeFrom", "__timeTo", "__timeGroup", "__timeGroupAlias"}
UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def interpolate(sql: str, values: dict[str, str]) -> str:
    """The frontend's part: a single-value variable in an SQL datasource is inserted as is, with its single
    quotes doubled."""

    def replace(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group)
        assert name in values, f"${name} is not a variable of the dashboard"
        return values[name].replace("'", "''")

    return VARIABLE.sub(replace, sql)


def interval_seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d|w)", value.strip("'"))
    assert match, f"interval {value!r}: use a number and one of {', '.join(UNITS)}"
    return int(match.group(1)) * UNITS[match.group(2)]


def expand_macros(sql: str, start: datetime, end: datetime) -> str:
    """The backend's part, for `timescaledb: false`."""

    def stamp(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        args = [arg.strip() for arg in match.group(2).split(",")]
        if name == "__timeGroup":  # pre-5.3 compatibility: a ',' right after it makes it the alias form
            index = sql.find(match.group(0)) + len(match.group(0))
            if sql[index : index + 1] == ",":
                name = "__timeGroupAlias"
        assert name in ALLOWED_MACROS, f"macro ${name} is not one the dashboards may use"
        if name == "__timeFilter":
            return f"{args[0]} BETWEEN '{stamp(start)}' AND '{stamp(end)}'"
        if name == "__timeFrom":
            return f"'{stamp(start)}'"
        if name == "__timeTo":
            return f"'{stamp(end)}'"
        assert len(args) == 2, f"${name} takes a column and an interval (no fill mode): {match.group(0)}"
        seconds = f"{interval_seconds(args[1]):g}"
        grouped = f"floor(extract(epoch from {args[0]})/{seconds})*{seconds}"
        return grouped + (' AS "time"' if name == "__timeGroupAlias" else "")

    return MACRO.sub(replace, sql)


def variable_values(dashboard: Json) -> dict[str, str]:
    values = {"__interval": INTERVAL, "__interval_ms": str(int(interval_seconds(INTERVAL) * 1000))}
    for variable in dashboard.get("templating", {}).get("list", []):
        current = variable.get("current", {}).get("value")
        values[variable["name"]] = VIN if variable["name"] == "vin" else str(current)
    return values


def as_run(dashboard: Json, sql: str) -> str:
    return expand_macros(interpolate(sql, variable_values(dashboard)), TIME_FROM, TIME_TO)


def test_the_macro_expansion_matches_grafanas() -> None:
    sql = (
        "SELECT $__timeGroupAlias(r.bucket, $__interval), $__timeGroup(ts, '1d') FROM t "
        "WHERE $__timeFilter(r.bucket) AND a < $__timeTo() AND v = '${vin}' AND w = '$vin' GROUP BY 1"
    )
    expanded = expand_macros(interpolate(sql, {"__interval": "1h", "vin": "X'Y"}), TIME_FROM, TIME_TO)
    assert expanded == (
        'SELECT floor(extract(epoch from r.bucket)/3600)*3600 AS "time", '
        "floor(extract(epoch from ts)/86400)*86400 FROM t "
        "WHERE r.bucket BETWEEN '2026-01-01T00:00:00Z' AND '2026-02-01T00:00:00Z' "
        "AND a < '2026-02-01T00:00:00Z' AND v = 'X''Y' AND w = 'X''Y' GROUP BY 1"
    )
    assert expand_macros("$__timeGroup(ts, '5m'), x", TIME_FROM, TIME_TO).endswith('AS "time", x')


# ---------------------------------------------------------------------------------------------------------
# the dashboards' structure, the provisioning files
# ---------------------------------------------------------------------------------------------------------


def test_there_are_the_three_dashboards() -> None:
    assert [path.name for path in DASHBOARD_FILES] == [
        "service-health.json",
        "telemetry-pipeline.json",
        "vehicle-overview.json",
    ]
    uids = [load(path)["uid"] for path in DASHBOARD_FILES]
    assert len(set(uids)) == len(uids)


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda path: path.name)
def test_a_dashboard_is_well_formed(path: Path) -> None:
    dashboard = load(path)
    assert re.fullmatch(r"[a-z0-9-]{1,40}", dashboard["uid"])
    assert dashboard["title"].startswith("TeslaSync / ")
    assert dashboard["schemaVersion"] >= 36
    assert dashboard.get("id") is None  # provisioned: Grafana assigns it
    panels = list(all_panels(dashboard["panels"]))
    ids = [panel["id"] for panel in panels]
    assert len(set(ids)) == len(ids), "panel ids repeat"
    known = datasources()
    for panel in panels:
        assert panel.get("title"), f"panel {panel['id']} has no title"
        assert {"h", "w", "x", "y"} <= set(panel["gridPos"])
        if panel["type"] == "row":
            continue
        assert panel.get("targets"), f"{panel['title']}: no queries"
        for target in panel["targets"]:
            uid = datasource_uid(panel, target)
            assert uid in known, f"{panel['title']}: datasource {uid!r} is not provisioned"
            kind = target["datasource"]["type"]
            assert kind == known[uid]["type"] or (is_postgres(uid) and kind in POSTGRES_TYPES), panel["title"]
            if is_postgres(uid):
                assert target.get("rawQuery") is True and target.get("editorMode") == "code"
                assert target["format"] in {"time_series", "table"}
                assert target["rawSql"].strip()
            else:
                assert target["expr"].strip()
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            assert variable["datasource"]["uid"] in known, f"variable {variable['name']}: unknown datasource"
            assert variable["datasource"]["type"] in {known[variable["datasource"]["uid"]]["type"]}
    for annotation in dashboard["annotations"]["list"]:
        assert annotation["datasource"]["uid"] in {*known, GRAFANA_BUILTIN_UID}


def test_the_vehicle_dashboard_picks_a_vin() -> None:
    dashboard = load(GRAFANA / "dashboards" / "vehicle-overview.json")
    (vin,) = [v for v in dashboard["templating"]["list"] if v["name"] == "vin"]
    assert vin["datasource"]["uid"] == "teslasync-db"
    assert vin["query"] == "SELECT vin FROM vehicles ORDER BY vin"
    assert vin["multi"] is False and vin["includeAll"] is False  # the queries compare with one VIN
    for panel in sql_panels():
        if panel.dashboard["uid"] == dashboard["uid"]:
            for target in panel.targets:
                assert "$vin" in target["rawSql"] or "${vin}" in target["rawSql"], panel.name


def test_the_datasources_are_provisioned() -> None:
    config = yaml.safe_load(DATASOURCES_FILE.read_text())
    assert config["apiVersion"] == 1
    sources = datasources()
    assert set(sources) == {"prometheus", "teslasync-db"}
    prometheus = sources["prometheus"]
    assert prometheus["type"] == "prometheus" and prometheus["url"] == "http://prometheus:9090"
    db = sources["teslasync-db"]
    assert db["type"] in POSTGRES_TYPES
    assert db["url"] == "db:5432" and db["user"] == "grafana_ro"
    assert db["jsonData"]["database"] == "teslasync"
    assert db["jsonData"]["timescaledb"] is False  # the macro expansion above assumes it
    assert db["secureJsonData"]["password"] in {"$GRAFANA_DB_PASSWORD", "${GRAFANA_DB_PASSWORD}"}


def test_the_dashboards_are_provisioned_from_their_directory() -> None:
    config = yaml.safe_load(PROVIDERS_FILE.read_text())
    assert config["apiVersion"] == 1
    (provider,) = config["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"


def test_prometheus_scrapes_the_api_and_itself() -> None:
    config = yaml.safe_load(PROMETHEUS_FILE.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    api = jobs["teslasync"]
    assert api.get("metrics_path", "/metrics") == "/metrics" and "/metrics" in KNOWN_ROUTES
    assert [target for group in api["static_configs"] for target in group["targets"]] == ["api:8000"]
    assert api.get("scrape_interval", config["global"]["scrape_interval"]) == "15s"
    assert any("localhost:9090" in group["targets"] for group in jobs["prometheus"]["static_configs"])
    # the job the dashboards' $job variable lists is the one scraping the api
    assert "teslasync_build_info" in json.dumps(load(GRAFANA / "dashboards" / "service-health.json"))


# ---------------------------------------------------------------------------------------------------------
# PromQL names only metrics TeslaSync exports, and their labels
# ---------------------------------------------------------------------------------------------------------

KEYWORDS = {
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
}
GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")


def exported() -> dict[str, set[str]]:
    """Each sample name /metrics can carry, with its labels: TeslaSync's metrics (metrics.py), the process
    collector of prometheus_client's default registry, and Prometheus's own `up`."""
    names: dict[str, set[str]] = {"up": set()}
    suffixes = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_count", "_sum"]}
    for metric in vars(metrics).values():
        if isinstance(metric, MetricWrapperBase):
            for suffix in suffixes[str(metric._type)]:
                labels = set(metric._labelnames) | ({"le"} if suffix == "_bucket" else set())
                names[metric._name + suffix] = labels
    for family in PROCESS_COLLECTOR.collect():
        names[family.name + ("_total" if family.type == "counter" else "")] = set()
    return names


def promql_metrics(expr: str) -> tuple[set[str], set[str]]:
    """The metric names an expression selects and the labels it groups by."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", " ", expr)
    grouped = {label.strip() for labels in GROUPING.findall(expr) for label in labels.split(",")}
    expr = GROUPING.sub(" ", expr)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", expr):
        if expr[match.end() :].lstrip().startswith("(") or match.group(0).lower() in KEYWORDS:
            continue  # a function or an aggregation, or an operator
        names.add(match.group(0))
    return names, grouped - {""}


def test_promql_parsing() -> None:
    names, grouped = promql_metrics(
        'histogram_quantile(0.9, sum by (le, route) (rate(a_bucket{x="}", y=~"$i"}[$__rate_interval]))) '
        "/ on (route) group_left count(b) or vector(0)"
    )
    assert names == {"a_bucket", "b"} and grouped == {"le", "route"}


@pytest.mark.parametrize("target", prometheus_targets(), ids=lambda target: target["where"])
def test_promql_names_exported_metrics_and_labels(target: Json) -> None:
    known, name = exported(), target["where"]
    names, grouped = promql_metrics(target["expr"])
    assert names, f"{name}: selects no metric"
    unknown = names - set(known)
    assert not unknown, f"{name}: {sorted(unknown)} are not exported (see teslasync/observability/metrics.py)"
    labels = set().union(*(known[n] for n in names)) | {"instance", "job"}
    assert grouped <= labels, f"{name}: groups by {sorted(grouped - labels)}, which its metrics lack"
    legend = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", target.get("legendFormat", "")))
    assert legend <= labels | grouped, f"{name}: the legend names {sorted(legend - labels)}"


def test_prometheus_variables_name_exported_metrics() -> None:
    known = exported()
    for path in DASHBOARD_FILES:
        for variable in load(path)["templating"]["list"]:
            if variable["type"] == "query" and variable["datasource"]["uid"] == "prometheus":
                match = re.match(r"label_values\((\w+)", variable["definition"])
                assert match and match.group(1) in known, variable["definition"]


# ---------------------------------------------------------------------------------------------------------
# the SQL, run for real
# ---------------------------------------------------------------------------------------------------------


def test_queries_name_catalogue_fields() -> None:
    for panel in sql_panels():
        for target in panel.targets:
            sql = target["rawSql"]
            named = re.findall(r"\bfield\s*=\s*'([^']+)'", sql)
            for listed in re.findall(r"\bfield\s+IN\s*\(([^)]*)\)", sql):
                named += re.findall(r"'([^']+)'", listed)
            for name in named:
                assert catalogue.spec(name) is not None, f"{panel.name}: {name} is not a telemetry field"


def readme_grants() -> list[str]:
    """The GRANT statements of the first SQL block of deploy/grafana/README.md, for ROLE."""
    block = re.search(r"```sql\n(.*?)```", (GRAFANA / "README.md").read_text(), flags=re.DOTALL)
    assert block, "deploy/grafana/README.md has no SQL block"
    statements = [s.strip() for s in block.group(1).split(";") if s.strip()]
    grants = [s for s in statements if s.startswith("GRANT ") and " ON DATABASE " not in s]
    assert any("signal_rollups_hourly" in grant for grant in grants)
    return [re.sub(r"\bgrafana_ro\b", ROLE, grant) for grant in grants]


@dataclass
class Seeded:
    engine: AsyncEngine
    vins: dict[str, str] = field(default_factory=dict)  # what each vehicle's stream state should be


async def seed(engine: AsyncEngine) -> Seeded:
    """A vehicle with a bit of everything in January 2026, and vehicles in each stream state."""
    at = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
    seeded = Seeded(engine, {VIN: "live"})
    async with engine.begin() as connection:
        strategy = await connection.run_sync(recorded_strategy)
        vehicle = await connection.scalar(
            text("INSERT INTO vehicles (vin, state, state_since) VALUES (:vin, 'online', :at) RETURNING id"),
            {"vin": VIN, "at": at + timedelta(hours=4)},
        )
    values = {
        "BatteryLevel": [80.0, 74.0, 71.0, 90.0],
        "RatedRange": [400.0, 370.0, 355.0, 450.0],
        "EstBatteryRange": [380.0, 350.0, 330.0, 430.0],
        "Odometer": [12000.0, 12020.0, 12031.5, 12031.5],
        "InsideTemp": [18.0, 21.5, 22.0, 20.0],
        "OutsideTemp": [4.0, 5.5, 6.0, 5.0],
    }
    rows = [
        SignalRow(vehicle, name, at + timedelta(minutes=40 * i), number, None, None, False)
        for name, numbers in values.items()
        for i, number in enumerate(numbers)
    ]
    rows.append(SignalRow(vehicle, "Gear", at, None, "P", None, False))
    async with Database.from_engine(engine).transaction() as session:
        assert await write_signals(session, rows, strategy) == len(rows)
    async with engine.begin() as connection:
        await seed_derived(connection, vehicle, at)
        await seed_streams(connection, vehicle, seeded)
    return seeded


async def seed_derived(connection: AsyncConnection, vehicle: int, at: datetime) -> None:
    await connection.execute(
        text(
            "INSERT INTO drives (vehicle_id, started_at, ended_at, closed_by, distance_km, max_speed_kmh, "
            "start_odometer_km, end_odometer_km, start_battery_level, end_battery_level, "
            "start_rated_range_km, end_rated_range_km, energy_used_kwh, outside_temp_avg_c, track) "
            "VALUES (:v, :start, :end, 'park', 31.5, 104, 12000, 12031.5, 80, 71, 400, 355, 5.2, 5.1, '[]')"
        ),
        {"v": vehicle, "start": at + timedelta(hours=1), "end": at + timedelta(hours=2)},
    )
    tariff = await connection.scalar(
        text(
            "INSERT INTO tariffs (name, currency, timezone, price_per_kwh, windows) "
            "VALUES ('Home', 'EUR', 'Europe/Berlin', 0.32, '[]') RETURNING id"
        )
    )
    geofence = await connection.scalar(
        text(
            "INSERT INTO geofences (name, latitude, longitude, radius_m, tariff_id) "
            "VALUES ('Home', 52.52, 13.40, 100, :t) RETURNING id"
        ),
        {"t": tariff},
    )
    charges = text(
        "INSERT INTO charging_sessions (vehicle_id, started_at, ended_at, charger_type, fast_charger_type, "
        "energy_added_kwh, energy_from_wall_kwh, max_power_kw, start_battery_level, end_battery_level, "
        "start_rated_range_km, end_rated_range_km, curve, geofence_id, cost_amount, cost_currency) "
        "VALUES (:v, :start, :end, :type, :fast, :added, :wall, :power, 71, 90, 355, 450, '[]', :g, :cost, :cur)"
    )
    await connection.execute(
        charges,
        [
            {
                "v": vehicle,
                "start": at + timedelta(hours=2, minutes=5),
                "end": at + timedelta(hours=3),
                "type": "AC",
                "fast": None,
                "added": 14.2,
                "wall": 15.8,
                "power": 11.0,
                "g": geofence,
                "cost": Decimal("5.06"),
                "cur": "EUR",
            },
            {
                "v": vehicle,
                "start": at + timedelta(days=5),
                "end": None,  # still charging
                "type": "DC",
                "fast": "Tesla",
                "added": 20.0,
                "wall": None,
                "power": 150.0,
                "g": None,
                "cost": None,
                "cur": None,
            },
        ],
    )
    spans = [("asleep", 0, 1), ("driving", 1, 2), ("charging", 2, 3), ("online", 3, None)]
    await connection.execute(
        text(
            "INSERT INTO vehicle_states (vehicle_id, started_at, ended_at, state) VALUES (:v, :s, :e, :state)"
        ),
        [
            {
                "v": vehicle,
                "s": at + timedelta(hours=start),
                "e": None if end is None else at + timedelta(hours=end),
                "state": state,
            }
            for state, start, end in spans
        ],
    )
    await connection.execute(
        text(
            "INSERT INTO dead_letters (received_at, source, reason, detail, vin, field, payload) "
            "VALUES (:at, 'mqtt', :reason, 'seeded', :vin, :field, '{}')"
        ),
        [
            {"at": at, "reason": "not_json", "vin": VIN, "field": None},
            {"at": at + timedelta(minutes=5), "reason": "out_of_range", "vin": VIN, "field": "BatteryLevel"},
            {"at": at + timedelta(days=1), "reason": "bad_vin", "vin": None, "field": None},
        ],
    )


# a vehicle_streams row: source, data seconds ago, connectivity, its seconds ago
StreamSeed = tuple[str, int, str | None, int | None]


async def seed_streams(connection: AsyncConnection, vehicle: int, seeded: Seeded) -> None:
    """Stream facts relative to the database's clock, far from the 300 s boundary."""
    facts: dict[str, tuple[str, list[StreamSeed]]] = {
        VIN: ("live", [("mqtt", 10, "CONNECTED", 3600), ("poll", 7200, None, None)]),
        "5YJ3E7EB2NF000302": ("polling", [("mqtt", 3600, None, None), ("poll", 30, None, None)]),
        "5YJ3E7EB2NF000303": ("asleep", [("records", 7200, "DISCONNECTED", 3600)]),
        "5YJ3E7EB2NF000304": ("stale", [("mqtt", 3600, "CONNECTED", 7200), ("replay", 5, None, None)]),
        "5YJ3E7EB2NF000305": ("never", []),
    }
    for vin, (state, streams) in facts.items():
        seeded.vins[vin] = state
        vehicle_id = vehicle
        if vin != VIN:
            vehicle_id = await connection.scalar(
                text("INSERT INTO vehicles (vin) VALUES (:vin) RETURNING id"), {"vin": vin}
            )
        for source, data_ago, connectivity, connectivity_ago in streams:
            await connection.execute(
                text(
                    "INSERT INTO vehicle_streams (vehicle_id, source, last_seen_at, last_data_at, connectivity, "
                    "connectivity_at) VALUES (:v, :source, now() - make_interval(secs => :data), "
                    "now() - make_interval(secs => :data), :c, now() - make_interval(secs => :c_ago))"
                ),
                {
                    "v": vehicle_id,
                    "source": source,
                    "data": data_ago,
                    "c": connectivity,
                    "c_ago": connectivity_ago,
                },
            )


async def grant_readme_role(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        exists = await connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": ROLE})
        if not exists:
            await connection.execute(text(f"CREATE ROLE {ROLE} NOLOGIN"))
        for grant in readme_grants():
            await connection.execute(text(grant))


async def drop_readme_role(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text(f"DROP OWNED BY {ROLE}"))
        await connection.execute(text(f"DROP ROLE {ROLE}"))


@pytest.fixture(scope="module")
async def plain_db(postgres: EmbeddedPostgres, template_url: str) -> AsyncIterator[Seeded]:
    """A migrated database of its own (plain storage, like `fresh_db`), seeded once for the module."""
    url = await create_database(postgres, "teslasync_dashboards", template=TEMPLATE_DATABASE)
    engine = make_engine(url)
    try:
        seeded = await seed(engine)
        await grant_readme_role(engine)
        yield seeded
        await drop_readme_role(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
async def timescale_db() -> AsyncIterator[Seeded]:
    """TimescaleDB (PGlite, one connection at a time), migrated: signals is a hypertable and the hourly
    rollup a continuous aggregate, answered by real-time aggregation."""
    with pglite_timescale() as port:
        engine = create_async_engine(
            f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres",
            poolclass=NullPool,
            connect_args={"ssl": False},
        )
        try:
            await migrate.upgrade(engine, StorageMode.TIMESCALE)
            seeded = await seed(engine)
            await grant_readme_role(engine)
            yield seeded
        finally:
            await engine.dispose()


async def run(engine: AsyncEngine, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run `sql` as the README's read-only role, in a transaction that is rolled back."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            await connection.exec_driver_sql(f"SET LOCAL ROLE {ROLE}")
            await connection.exec_driver_sql("SET LOCAL transaction_read_only = on")
            result = await connection.exec_driver_sql(sql)  # as is: no bind parameters parsed out of it
            return list(result.keys()), [tuple(row) for row in result.fetchall()]
        finally:
            await transaction.rollback()


NUMBER = (int, float, Decimal, type(None))


def referenced_columns(panel: Json) -> set[str]:
    """Columns the panel's field overrides name."""
    return {
        override["matcher"]["options"]
        for override in panel.get("fieldConfig", {}).get("overrides", [])
        if override["matcher"]["id"] == "byName"
    }


async def check_panel(engine: AsyncEngine, sql_panel: SqlPanel) -> None:
    columns_seen: set[str] = set()
    for target in sql_panel.targets:
        where = f"{sql_panel.name} ({target['refId']})"
        sql = as_run(sql_panel.dashboard, target["rawSql"])
        try:
            columns, rows = await run(engine, sql)
        except Exception as exc:  # name the panel and show the SQL that failed
            raise AssertionError(f"{where} failed: {exc}\n{sql}") from exc
        assert rows, f"{where} returned no rows for the seeded data:\n{sql}"
        assert len(set(columns)) == len(columns), f"{where}: repeated column names {columns}"
        columns_seen |= set(columns)
        if target["format"] == "time_series":
            assert "time" in columns, f"{where}: a time series needs a column named time, got {columns}"
            for index, column in enumerate(columns):
                if column not in {"time", "metric"}:
                    kinds = {type(row[index]).__name__ for row in rows}
                    assert all(isinstance(row[index], NUMBER) for row in rows), (
                        f"{where}: {column} is {kinds}"
                    )
            times = [row[columns.index("time")] for row in rows]
            assert times == sorted(times), f"{where}: a time series must be sorted by time"
        if sql_panel.panel["type"] == "state-timeline":
            assert "time" in columns, where
        if sql_panel.panel["type"] == "stat":
            assert len(rows) == 1, f"{where}: a stat reads one row, got {len(rows)}"
    missing = referenced_columns(sql_panel.panel) - columns_seen
    assert not missing, f"{sql_panel.name}: overrides name columns no query returns: {sorted(missing)}"


SQL_PANELS = sql_panels()


def test_every_dashboard_with_sql_is_covered() -> None:
    assert {panel.dashboard["uid"] for panel in SQL_PANELS} == {"teslasync-telemetry", "teslasync-vehicle"}
    collapsed = [
        p
        for d in map(load, DASHBOARD_FILES)
        for row in d["panels"]
        if row["type"] == "row"
        for p in row["panels"]
    ]
    assert any(p["title"] in {s.panel["title"] for s in SQL_PANELS} for p in collapsed), "rows' panels missed"


@pytest.mark.parametrize("sql_panel", SQL_PANELS, ids=lambda panel: panel.name)
async def test_query_runs_on_plain_postgresql(plain_db: Seeded, sql_panel: SqlPanel) -> None:
    await check_panel(plain_db.engine, sql_panel)


@pytest.mark.parametrize("sql_panel", SQL_PANELS, ids=lambda panel: panel.name)
async def test_query_runs_on_timescaledb(timescale_db: Seeded, sql_panel: SqlPanel) -> None:
    await check_panel(timescale_db.engine, sql_panel)


async def check_variables(seeded: Seeded) -> None:
    for path in DASHBOARD_FILES:
        dashboard = load(path)
        for variable in dashboard["templating"]["list"]:
            if variable["type"] == "query" and is_postgres(variable["datasource"]["uid"]):
                _, rows = await run(seeded.engine, as_run(dashboard, variable["query"]))
                assert [row[0] for row in rows] == sorted(seeded.vins)


async def test_the_vin_variable_lists_the_vehicles(plain_db: Seeded, timescale_db: Seeded) -> None:
    await check_variables(plain_db)
    await check_variables(timescale_db)


async def stream_states(seeded: Seeded) -> dict[str, str]:
    (panel,) = [p for p in SQL_PANELS if p.panel["title"] == "Stream state per vehicle"]
    columns, rows = await run(seeded.engine, as_run(panel.dashboard, panel.targets[0]["rawSql"]))
    return {row[columns.index("vin")]: row[columns.index("stream_state")] for row in rows}


async def test_the_stream_state_column_is_the_apis(plain_db: Seeded, timescale_db: Seeded) -> None:
    assert await stream_states(plain_db) == plain_db.vins
    assert await stream_states(timescale_db) == timescale_db.vins
    # and the API computes the same from the same facts
    async with plain_db.engine.connect() as connection:
        now = await connection.scalar(text("SELECT now()"))
        result = await connection.execute(
            text(
                "SELECT v.vin, s.source, s.last_data_at, s.connectivity, s.connectivity_at "
                "FROM vehicles v LEFT JOIN vehicle_streams s ON s.vehicle_id = v.id"
            )
        )
        facts: dict[str, list[StreamFacts]] = {}
        for vin, source, data_at, connectivity, connectivity_at in result:
            facts.setdefault(vin, [])
            if source is not None:
                facts[vin].append(StreamFacts(source, data_at, connectivity, connectivity_at))
    api = {vin: stream_state(f, now, timedelta(seconds=300)).value for vin, f in facts.items()}
    assert api == plain_db.vins


@pytest.mark.parametrize("table", ["users", "api_tokens", "tesla_accounts", "recovery_codes", "audit_log"])
async def test_the_read_only_role_reads_no_secrets(
    plain_db: Seeded, timescale_db: Seeded, table: str
) -> None:
    for seeded in (plain_db, timescale_db):
        with pytest.raises(Exception, match="permission denied"):
            await run(seeded.engine, f"SELECT count(*) FROM {table}")


async def test_the_rollup_panels_read_the_same_on_both_storages(
    plain_db: Seeded, timescale_db: Seeded
) -> None:
    (panel,) = [p for p in SQL_PANELS if p.panel["title"] == "Battery level and range"]
    sql = as_run(panel.dashboard, panel.targets[0]["rawSql"])
    plain, timescale = await run(plain_db.engine, sql), await run(timescale_db.engine, sql)
    assert plain == timescale
    columns, rows = plain
    hour = datetime(2026, 1, 10, 8, tzinfo=UTC).timestamp()
    # values every 40 minutes from 08:00: the 08:00 bucket holds two, then one each at 09:20 and 10:00
    assert columns == ["time", "battery_level", "rated_range_km", "est_range_km"]
    assert [(float(t) - hour, *values) for t, *values in rows] == [
        (0.0, 77.0, 385.0, 365.0),
        (3600.0, 71.0, 355.0, 330.0),
        (7200.0, 90.0, 450.0, 430.0),
    ]
