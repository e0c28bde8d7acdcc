from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from teslasync.db.embedded import EmbeddedPostgres
from tests.cli_helpers import run_cli
from tests.conftest import create_database
from tests.services import free_port


def _one_line_failure(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr
    assert len(lines) == 1, stderr
    return lines[0]


def test_help_explains_each_command(tmp_path: Path) -> None:
    result = run_cli("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("serve", "migrate", "export-schema", "token"):
        assert command in result.stdout
    token_help = run_cli("token", "--help", cwd=tmp_path).stdout
    for verb in ("create", "list", "revoke"):
        assert verb in token_help


def test_bad_setting_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli("serve", cwd=tmp_path, TESLASYNC_PORT="eighty")
    assert result.returncode == 2
    line = _one_line_failure(result.stderr)
    assert line.startswith("teslasync: invalid setting TESLASYNC_PORT:")


def test_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_cli("serve", cwd=tmp_path, TESLASYNC_PORT=str(port), TESLASYNC_DATA_DIR=str(tmp_path))
    assert result.returncode == 1
    assert (
        _one_line_failure(result.stderr)
        == f"teslasync: port {port} on 127.0.0.1 is already in use (set TESLASYNC_PORT)"
    )
    assert not (tmp_path / "pg").exists(), "the database must not be started when the port is taken"


def test_unreachable_database_is_one_clear_line_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://owner:s3cret-pass@127.0.0.1:{free_port()}/teslasync"
    result = run_cli(
        "serve", cwd=tmp_path, TESLASYNC_DATABASE_URL=url, TESLASYNC_PORT=str(free_port()), timeout=60
    )
    assert result.returncode == 1
    line = _one_line_failure(result.stderr.replace("\r", ""))
    assert line.startswith("teslasync: cannot reach the database at postgresql://owner:***@127.0.0.1:")
    assert "s3cret-pass" not in result.stderr + result.stdout


def test_export_schema_matches_committed(tmp_path: Path) -> None:
    result = run_cli("export-schema", "-", cwd=tmp_path)
    assert result.returncode == 0
    committed = (Path(__file__).resolve().parents[1] / "schema.graphql").read_text()
    assert result.stdout == committed


def test_migrate_then_token_create_list_revoke(tmp_path: Path, cli_database: str) -> None:
    env = {"TESLASYNC_DATABASE_URL": cli_database}
    assert run_cli("migrate", cwd=tmp_path, **env).stdout.strip() == "migrations applied"

    created = run_cli("token", "create", "--name", "home-assistant", "--scope", "read", cwd=tmp_path, **env)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("tsk_") and len(token) > 40
    assert "not shown again" in created.stderr

    listed = run_cli("token", "list", cwd=tmp_path, **env)
    assert "home-assistant\tread\t" in listed.stdout
    assert token.split("_", 2)[2] not in listed.stdout
    token_id = listed.stdout.splitlines()[1].split("\t")[0]

    assert run_cli("token", "revoke", token_id, cwd=tmp_path, **env).returncode == 0
    assert "\trevoked" in run_cli("token", "list", cwd=tmp_path, **env).stdout
    again = run_cli("token", "revoke", token_id, cwd=tmp_path, **env)
    assert again.returncode == 1
    assert _one_line_failure(again.stderr) == f"teslasync: no active token with id {token_id}"


def test_token_create_refuses_an_unknown_scope(tmp_path: Path) -> None:
    result = run_cli("token", "create", "--name", "x", "--scope", "root", cwd=tmp_path)
    assert result.returncode == 2
    assert "root" in result.stderr


def test_replay_feeds_files_through_the_pipeline(
    tmp_path: Path, cli_database: str, fixtures_dir: Path
) -> None:
    env = {"TESLASYNC_DATABASE_URL": cli_database}
    fixture = fixtures_dir / "DrivingByGear_typed.txt"
    lines = [line for line in fixture.read_text().splitlines() if line.strip()]
    broken = tmp_path / "broken.txt"
    broken.write_text(lines[0] + "\nthis line is not a record\n")
    result = run_cli("replay", str(fixture), str(broken), cwd=tmp_path, **env)
    assert result.returncode == 0, result.stderr
    values = sum(line.count('"key"') for line in lines) + lines[0].count('"key"')
    assert (
        result.stdout.strip() == f"replayed {len(lines) + 1} records ({values} values); 1 lines dead-lettered"
    )
    again = run_cli("replay", "--speed", "sideways", str(fixture), cwd=tmp_path, **env)
    assert again.returncode == 2
    assert _one_line_failure(again.stderr) == "teslasync: --speed must be 'full' or 'original'"
    missing = run_cli("replay", str(tmp_path / "nope.txt"), cwd=tmp_path, **env)
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_simulate_publishes_over_mqtt(tmp_path: Path, mqtt_port: int) -> None:
    import asyncio

    import aiomqtt

    received: list[str] = []

    async def listen_while_simulating() -> subprocess.CompletedProcess[str]:
        async with aiomqtt.Client("127.0.0.1", mqtt_port, identifier="cli-test-listener") as client:
            await client.subscribe("sim/#", qos=1)

            async def collect() -> None:
                async for message in client.messages:
                    received.append(str(message.topic))

            collector = asyncio.create_task(collect())
            url = f"mqtt://127.0.0.1:{mqtt_port}"
            result = await asyncio.to_thread(
                run_cli,
                "simulate",
                "--vehicles",
                "2",
                "--duration",
                "3",
                "--mqtt-url",
                url,
                "--topic-base",
                "sim",
                cwd=tmp_path,
            )
            await asyncio.sleep(0.5)  # the last messages in flight
            collector.cancel()
            return result

    result = asyncio.run(listen_while_simulating())
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("published ")
    vins = {topic.split("/")[1] for topic in received}
    assert vins == {"5YJ3E7EB2NF000001", "5YJ3E7EB2NF000002"}
    assert any(topic.endswith("/v/VehicleName") for topic in received)
    assert any(topic.endswith("/connectivity") for topic in received)


def test_simulate_needs_a_broker(tmp_path: Path) -> None:
    result = run_cli("simulate", "--duration", "1", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        _one_line_failure(result.stderr) == "teslasync: no broker: pass --mqtt-url or set TESLASYNC_MQTT_URL"
    )


def test_recompute_command(tmp_path: Path, cli_database: str, fixtures_dir: Path) -> None:
    env = {"TESLASYNC_DATABASE_URL": cli_database}
    assert run_cli("replay", str(fixtures_dir / "DrivingByGear.txt"), cwd=tmp_path, **env).returncode == 0
    result = run_cli("recompute", "--vin", "5yj3e7ea3lf700000", cwd=tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "rebuilt 1 drives, 0 charging sessions and 3 state spans"
    unknown = run_cli("recompute", "--vin", "5YJ3E7EB2NF999999", cwd=tmp_path, **env)
    assert unknown.returncode == 1
    assert _one_line_failure(unknown.stderr) == "teslasync: no vehicle 5YJ3E7EB2NF999999"
    bad = run_cli("recompute", "--vin", "5YJ3E7EA3LF700000", "--since", "yesterday", cwd=tmp_path, **env)
    assert bad.returncode == 2


def test_backup_then_restore_elsewhere(tmp_path: Path, cli_database: str, postgres: EmbeddedPostgres) -> None:
    import asyncio

    env = {"TESLASYNC_DATABASE_URL": cli_database}
    home, away = tmp_path / "home", tmp_path / "away"
    home.mkdir()
    away.mkdir()
    assert run_cli("token", "create", "--name", "grafana", "--scope", "read", cwd=home, **env).returncode == 0
    assert run_cli("keys", "rotate", cwd=home, **env).returncode == 0  # so there are keys to carry over
    made = run_cli("backup", "backups", cwd=home, **env)
    assert made.returncode == 0, made.stderr
    [archive] = (home / "backups").glob("teslasync-backup-*.tar")
    assert made.stdout.startswith(f"wrote backups/{archive.name}:")

    other = asyncio.run(create_database(postgres, "teslasync_cli_restore")).replace(
        "postgresql+asyncpg://", "postgresql://"
    )
    restored = run_cli("restore", str(archive), cwd=away, TESLASYNC_DATABASE_URL=other)
    assert restored.returncode == 0, restored.stderr
    assert "grafana\tread\t" in run_cli("token", "list", cwd=away, TESLASYNC_DATABASE_URL=other).stdout
    for key_file in ("secret.key", "keyring.json"):
        assert (away / ".data" / key_file).read_bytes() == (home / ".data" / key_file).read_bytes()
    again = run_cli("restore", str(archive), cwd=away, TESLASYNC_DATABASE_URL=other)
    assert again.returncode == 1 and "holds data" in again.stderr


def test_export_writes_a_redacted_file(tmp_path: Path, cli_database: str, fixtures_dir: Path) -> None:
    import csv

    import pyarrow.parquet as pq

    env = {"TESLASYNC_DATABASE_URL": cli_database}
    assert run_cli("replay", str(fixtures_dir / "DrivingByGear.txt"), cwd=tmp_path, **env).returncode == 0
    since = ["--since", "2000-01-01T00:00:00Z"]
    parquet = run_cli("export", "signals", "-o", "signals.parquet", *since, cwd=tmp_path, **env)
    assert parquet.returncode == 0, parquet.stderr
    table = pq.read_table(tmp_path / "signals.parquet")
    assert parquet.stdout.startswith(f"wrote {table.num_rows} rows") and table.num_rows > 10
    assert set(table.column("vin").to_pylist()) == {"5YJ3***********00"}  # masked: 5YJ3E7EA3LF700000

    located = run_cli(
        "export",
        "positions",
        "--format",
        "csv",
        "-o",
        "where.csv",
        "--exact-locations",
        *since,
        cwd=tmp_path,
        **env,
    )
    assert located.returncode == 0, located.stderr
    assert "exact locations" in located.stderr
    with (tmp_path / "where.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(len(row["latitude"].split(".")[-1]) > 3 for row in rows[:20])

    refused = run_cli("export", "signals", "-o", "x.csv", "--vin", "5YJ3E7EA3LF799999", cwd=tmp_path, **env)
    assert refused.returncode == 1 and "no vehicle 5YJ3E7EA3LF799999" in refused.stderr
    bad = run_cli("export", "nonsense", "-o", "x.csv", cwd=tmp_path, **env)
    assert bad.returncode == 2


def test_notify_vapid_keys_prints_a_pair_that_signs(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    from teslasync.auth.secrets import b64url_decode

    result = run_cli("notify", "vapid-keys", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(": ", 1) for line in result.stdout.strip().splitlines())
    private = b64url_decode(lines["private key (keep it secret)"])
    public = b64url_decode(lines["public key (applicationServerKey)"])
    assert private is not None and public is not None and len(public) == 65 and public[0] == 4
    key = ec.derive_private_key(int.from_bytes(private, "big"), ec.SECP256R1())
    assert ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public) == key.public_key()


def test_helix_index_is_idempotent(tmp_path: Path, cli_database: str) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "one.md").write_text(
        "# One\n\nIntro.\n\n## Backups\n\nRun teslasync backup.\n\n## Restore\n\nRun restore.\n"
    )
    first = run_cli("helix", "index", "--docs", str(docs), cwd=tmp_path, TESLASYNC_DATABASE_URL=cli_database)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("3 added, 0 updated, 0 unchanged, 0 removed, 0 embedded")
    again = run_cli("helix", "index", "--docs", str(docs), cwd=tmp_path, TESLASYNC_DATABASE_URL=cli_database)
    assert again.stdout.startswith("0 added, 0 updated, 3 unchanged, 0 removed")
