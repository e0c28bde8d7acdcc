"""The storage strategy for time series, chosen once at migration time and recorded in `storage_settings`.

- timescale: `signals` is a hypertable with compression (and retention when configured); the hourly rollup is
  a continuous aggregate with real-time aggregation.
- plain: `signals` is range-partitioned by month (a default partition catches anything outside the prepared
  months, and is drained into a proper partition when that month is prepared), with BRIN on time; the hourly
  rollup is a table the ingest keeps up to date incrementally.

Both expose the same tables and columns, so repositories query them alike.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Connection, text

from teslasync.config import StorageMode


class Strategy(StrEnum):
    TIMESCALE = "timescale"
    PLAIN = "plain"


class StorageError(Exception):
    pass


SIGNAL_COLUMNS = """
    vehicle_id bigint NOT NULL REFERENCES vehicles(id) ON DELETE CASCADE,
    field text NOT NULL,
    ts timestamptz NOT NULL,
    num double precision,
    txt text,
    doc jsonb,
    approx boolean NOT NULL DEFAULT false,
    received_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_signals PRIMARY KEY (vehicle_id, field, ts)
"""

PLAIN_DDL = [
    f"CREATE TABLE signals ({SIGNAL_COLUMNS}) PARTITION BY RANGE (ts)",
    "CREATE TABLE signals_default PARTITION OF signals DEFAULT",
    "CREATE INDEX ix_signals_ts_brin ON signals USING brin (ts)",
    """
    CREATE FUNCTION teslasync_ensure_signal_partition(month_start date) RETURNS boolean
    LANGUAGE plpgsql AS $$
    DECLARE
        part text := format('signals_%s', to_char(month_start, 'YYYY_MM'));
        lo timestamptz := make_timestamptz(
            extract(year FROM month_start)::int, extract(month FROM month_start)::int, 1, 0, 0, 0, 'UTC');
        hi timestamptz := lo + interval '1 month';
    BEGIN
        IF to_regclass(part) IS NOT NULL THEN
            RETURN false;
        END IF;
        EXECUTE format('CREATE TABLE %I (LIKE signals INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
        -- rows that landed in the default partition move into their month before it is attached
        EXECUTE format(
            'WITH moved AS (DELETE FROM signals_default WHERE ts >= %L AND ts < %L RETURNING *) '
            'INSERT INTO %I SELECT * FROM moved', lo, hi, part);
        EXECUTE format('ALTER TABLE signals ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
        RETURN true;
    END $$
    """,
    """
    CREATE FUNCTION teslasync_ensure_signal_partitions(months_back int, months_ahead int) RETURNS int
    LANGUAGE plpgsql AS $$
    DECLARE
        created int := 0;
        first_month date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
    BEGIN
        FOR i IN -months_back..months_ahead LOOP
            IF teslasync_ensure_signal_partition((first_month + make_interval(months => i))::date) THEN
                created := created + 1;
            END IF;
        END LOOP;
        RETURN created;
    END $$
    """,
    "SELECT teslasync_ensure_signal_partitions(1, 3)",
    """
    CREATE TABLE signal_rollups_hourly (
        vehicle_id bigint NOT NULL,
        field text NOT NULL,
        bucket timestamptz NOT NULL,
        n integer NOT NULL,
        vmin double precision,
        vmax double precision,
        vsum double precision,
        last_ts timestamptz NOT NULL,
        last_num double precision,
        CONSTRAINT pk_signal_rollups_hourly PRIMARY KEY (vehicle_id, field, bucket)
    )
    """,
]

TIMESCALE_DDL = [
    "CREATE EXTENSION IF NOT EXISTS timescaledb",
    f"CREATE TABLE signals ({SIGNAL_COLUMNS})",
    "SELECT create_hypertable('signals', 'ts', chunk_time_interval => interval '1 day')",
    """
    ALTER TABLE signals SET (
        timescaledb.compress,
        timescaledb.compress_segmentby = 'vehicle_id, field',
        timescaledb.compress_orderby = 'ts'
    )
    """,
    "SELECT add_compression_policy('signals', interval '7 days')",
    """
    CREATE MATERIALIZED VIEW signal_rollups_hourly WITH (timescaledb.continuous) AS
    SELECT vehicle_id, field, time_bucket(interval '1 hour', ts) AS bucket,
           count(num)::integer AS n, min(num) AS vmin, max(num) AS vmax, sum(num) AS vsum,
           max(ts) AS last_ts, last(num, ts) AS last_num
    FROM signals WHERE num IS NOT NULL
    GROUP BY vehicle_id, field, bucket
    WITH NO DATA
    """,
    "ALTER MATERIALIZED VIEW signal_rollups_hourly SET (timescaledb.materialized_only = false)",
    """
    SELECT add_continuous_aggregate_policy('signal_rollups_hourly',
        start_offset => interval '3 days', end_offset => interval '1 hour',
        schedule_interval => interval '30 minutes')
    """,
]


def timescale_available(connection: Connection) -> bool:
    found = connection.execute(
        text("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
    ).scalar()
    return found is not None


def choose_strategy(connection: Connection, mode: StorageMode) -> Strategy:
    available = timescale_available(connection)
    if mode is StorageMode.TIMESCALE and not available:
        raise StorageError("TESLASYNC_STORAGE=timescale but the timescaledb extension is not available")
    if mode is StorageMode.PLAIN or not available:
        return Strategy.PLAIN
    return Strategy.TIMESCALE


def create_time_series(connection: Connection, strategy: Strategy) -> None:
    statements = TIMESCALE_DDL if strategy is Strategy.TIMESCALE else PLAIN_DDL
    for statement in statements:
        connection.execute(text(statement))
    connection.execute(
        text("INSERT INTO storage_settings (key, value) VALUES ('strategy', :strategy)"),
        {"strategy": strategy.value},
    )


def drop_time_series(connection: Connection) -> None:
    if recorded_strategy(connection) is Strategy.TIMESCALE:
        connection.execute(text("DROP MATERIALIZED VIEW IF EXISTS signal_rollups_hourly CASCADE"))
    else:
        connection.execute(text("DROP TABLE IF EXISTS signal_rollups_hourly"))
        connection.execute(text("DROP FUNCTION IF EXISTS teslasync_ensure_signal_partitions(int, int)"))
        connection.execute(text("DROP FUNCTION IF EXISTS teslasync_ensure_signal_partition(date)"))
    connection.execute(text("DROP TABLE IF EXISTS signals CASCADE"))
    connection.execute(text("DELETE FROM storage_settings WHERE key = 'strategy'"))


def recorded_strategy(connection: Connection) -> Strategy:
    value = connection.execute(text("SELECT value FROM storage_settings WHERE key = 'strategy'")).scalar()
    if value is None:
        raise StorageError("the database has no storage strategy recorded; run `teslasync migrate`")
    return Strategy(value)
