"""The deployment files, checked without Docker (the machine has none, so the image is not built here).

- deploy/compose/compose.yaml against the Compose Specification's JSON schema (vendored in tests/data with
  its Apache-2.0 notice), and for what the schema cannot say: images, restart policies, health checks,
  declared references, mounted files, published ports, documented variables, the telemetry wiring;
- the Dockerfile and .dockerignore, read statically;
- the scripts run for real: the image's entrypoint (bash and sh), init-secrets.sh (with a TLS handshake
  against the proxy certificate it makes), mqtt-init.sh with a real Mosquitto started with the Compose
  broker configuration and ACL, and Redis with the generated redis.conf and the health check's command.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import shutil
import socket
import ssl
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import paho.mqtt.client as mqtt
import pytest
import yaml

from tests.services import free_port, terminate, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_DIR = ROOT / "deploy" / "compose"
COMPOSE_FILE = COMPOSE_DIR / "compose.yaml"
ENV_EXAMPLE = COMPOSE_DIR / ".env.example"
SCHEMA = ROOT / "tests" / "data" / "compose-spec.json"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENTRYPOINT = ROOT / "deploy" / "docker" / "entrypoint.sh"
INIT_SECRETS = COMPOSE_DIR / "init-secrets.sh"
MQTT_INIT = COMPOSE_DIR / "mqtt-init.sh"
FLEET_TELEMETRY_CONFIG = ROOT / "deploy" / "fleet-telemetry" / "config.json"
MOSQUITTO_COMPOSE_CONF = ROOT / "deploy" / "mosquitto" / "mosquitto.compose.conf"
MOSQUITTO_ACL = ROOT / "deploy" / "mosquitto" / "acl"
CONFIGURATION_DOC = ROOT / "docs" / "configuration.md"

PROFILES = {"ai", "observability", "tracing"}
# services without a health check, and why
NO_HEALTHCHECK = {
    "fleet-telemetry": "distroless image: no shell or client to probe with",
    "vehicle-command-proxy": "distroless image: no shell or client to probe with",
    "jaeger": "no documented probe to run inside the image",
}
# the only port published beyond loopback: the cars connect to it from the internet
PUBLIC_SERVICES = {"fleet-telemetry"}
# gitignored, made per installation, documented in their README.md
LOCAL_DIRS = {COMPOSE_DIR / "secrets", COMPOSE_DIR / "certs"}
# settings whose own names end in _FILE: paths, not Docker-secret indirections
PATH_SETTINGS = {"TESLASYNC_KEY_FILE", "TESLASYNC_COMMAND_PROXY_CA_FILE"}
PASSWORD_PLACEHOLDER = "__FLEET_TELEMETRY_MQTT_PASSWORD__"
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


# ---- helpers -------------------------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE_FILE.read_text()))


def services() -> dict[str, dict[str, Any]]:
    return dict(compose()["services"])


def env_example() -> dict[str, str]:
    """The settings of .env.example, the commented-out examples included."""
    found = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^#?([A-Z][A-Z0-9_]*)=(.*)$", line.strip())
        if match:
            found[match.group(1)] = match.group(2)
    return found


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's variable interpolation: ${NAME}, ${NAME:-default}, ${NAME-default}; $$ is a literal $."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, operator, default = match.group(1), match.group(2), match.group(3)
        current = env.get(name)
        if operator == ":-" and not current:
            return default
        if operator == "-" and current is None:
            return default
        return current or ""

    escaped = value.replace("$$", "\0")
    return VARIABLE.sub(substitute, escaped).replace("\0", "$")


def active_env() -> dict[str, str]:
    """What Compose would interpolate with: the uncommented settings of .env.example."""
    return {
        match.group(1): match.group(2)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if (match := re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line.strip()))
    }


def documented_settings() -> set[str]:
    return set(
        re.findall(r"^\| `(TESLASYNC_[A-Z0-9_]+)` \|", CONFIGURATION_DOC.read_text(), flags=re.MULTILINE)
    )


def mounts(service: dict[str, Any]) -> list[dict[str, Any]]:
    """A service's volumes in the long syntax."""
    found = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            found.append(volume)
            continue
        source, target, *options = volume.split(":")
        kind = "bind" if source.startswith((".", "/", "~")) else "volume"
        found.append({"type": kind, "source": source, "target": target, "read_only": "ro" in options})
    return found


def bind_sources() -> list[tuple[str, Path]]:
    """Every file Compose takes from the host: bind mounts and secret files, resolved."""
    document = compose()
    found = [
        (name, (COMPOSE_DIR / mount["source"]).resolve())
        for name, service in document["services"].items()
        for mount in mounts(service)
        if mount["type"] == "bind"
    ]
    found += [
        (f"secret {name}", (COMPOSE_DIR / secret["file"]).resolve())
        for name, secret in document["secrets"].items()
    ]
    return found


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    dependencies = service.get("depends_on", {})
    if isinstance(dependencies, list):
        return dict.fromkeys(dependencies, "service_started")
    return {name: spec["condition"] for name, spec in dependencies.items()}


def one_shots() -> set[str]:
    return {
        name
        for service in services().values()
        for name, condition in depends_on(service).items()
        if condition == "service_completed_successfully"
    }


def run_script(
    script: Path, *args: str, env: dict[str, str], interpreter: str = "bash", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [shutil.which(interpreter) or interpreter, str(script), *args],
        env={"PATH": os.environ["PATH"], **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuation lines joined), split into stages."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    instructions = [
        line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    stages: list[list[str]] = []
    for instruction in instructions:
        if instruction.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


# ---- compose.yaml: the schema --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def validator() -> Any:
    return jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()))


def test_the_vendored_schema_is_the_compose_specification_with_its_notice() -> None:
    schema = json.loads(SCHEMA.read_text())
    assert schema["title"] == "Compose Specification"
    assert {"services", "volumes", "secrets", "networks"} <= set(schema["properties"])
    notice = (SCHEMA.parent / "compose-spec.NOTICE").read_text()
    assert "Copyright 2020 The Compose Specification Authors" in notice
    assert "Apache License" in (SCHEMA.parent / "compose-spec.LICENSE").read_text()


def test_compose_file_is_valid_against_the_compose_specification(validator: Any) -> None:
    document = compose()
    errors = [
        f"{'/'.join(map(str, error.instance_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]
    assert errors == []
    interpolated = interpolate(document, active_env())
    errors = [
        f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(interpolated)
    ]
    assert errors == []


def test_the_schema_catches_a_mistake(validator: Any) -> None:
    broken = compose()
    broken["services"]["api"]["restart_policy"] = "unless-stopped"  # not a service key
    broken["services"]["api"]["depends_on"]["db"]["condition"] = "healthy"  # not one of the conditions
    messages = " ".join(error.message for error in validator.iter_errors(broken))
    assert "restart_policy" in messages
    assert "healthy" in messages


# ---- compose.yaml: what the schema cannot say ----------------------------------------------------------


def test_no_version_key_and_a_project_name() -> None:
    document = compose()
    assert "version" not in document
    assert document["name"] == "teslasync"


def test_every_service_has_an_image_or_a_build() -> None:
    for name, service in services().items():
        assert "image" in service or "build" in service, name
    api = services()["api"]
    assert api["build"]["context"] == "../.."
    assert (COMPOSE_DIR / api["build"]["context"] / api["build"]["dockerfile"]).resolve() == DOCKERFILE
    assert api["image"] == "teslasync:local"


def test_long_running_services_restart_and_one_shot_ones_do_not() -> None:
    assert one_shots() == {"mqtt-init"}
    for name, service in services().items():
        expected = "no" if name in one_shots() else "unless-stopped"
        assert service.get("restart") == expected, name


def test_health_checks_where_the_image_allows_one() -> None:
    for name, service in services().items():
        if name in one_shots() or name in NO_HEALTHCHECK:
            assert "healthcheck" not in service, name
            continue
        check = service.get("healthcheck")
        assert check is not None, f"{name} has no health check"
        assert check["test"][0] in {"CMD", "CMD-SHELL"}, name
        assert {"interval", "timeout", "retries"} <= set(check), name
    for name, service in services().items():
        for dependency, condition in depends_on(service).items():
            assert dependency in services(), f"{name} depends on an unknown {dependency}"
            if condition == "service_healthy":
                assert "healthcheck" in services()[dependency], f"{name} waits for {dependency} to be healthy"


def test_api_waits_for_its_backing_services() -> None:
    assert depends_on(services()["api"]) == {
        "db": "service_healthy",
        "redis": "service_healthy",
        "mosquitto": "service_healthy",
    }


def test_every_reference_is_declared_and_every_declaration_used() -> None:
    document = compose()
    declared_volumes, declared_secrets = set(document["volumes"]), set(document["secrets"])
    used_volumes: set[str] = set()
    used_secrets: set[str] = set()
    used_profiles: set[str] = set()
    for name, service in document["services"].items():
        for mount in mounts(service):
            if mount["type"] == "volume":
                assert mount["source"] in declared_volumes, (
                    f"{name}: volume {mount['source']} is not declared"
                )
                used_volumes.add(mount["source"])
        for secret in service.get("secrets", []):
            secret_name = secret if isinstance(secret, str) else secret["source"]
            assert secret_name in declared_secrets, f"{name}: secret {secret_name} is not declared"
            used_secrets.add(secret_name)
        if "network_mode" in service:
            assert service["network_mode"] == "none", name
            assert "networks" not in service, name
        else:
            assert service["networks"] == ["teslasync"], f"{name} is not on the one network"
        used_profiles.update(service.get("profiles", []))
    assert set(document["networks"]) == {"teslasync"}
    assert used_volumes == declared_volumes
    assert used_secrets == declared_secrets
    assert used_profiles == PROFILES


def test_profiles_hold_the_optional_services() -> None:
    by_profile: dict[str, set[str]] = {}
    for name, service in services().items():
        for profile in service.get("profiles", []):
            by_profile.setdefault(profile, set()).add(name)
    assert by_profile == {"ai": {"ollama"}, "observability": {"prometheus", "grafana"}, "tracing": {"jaeger"}}


@pytest.mark.parametrize(
    ("owner", "path"), bind_sources(), ids=lambda value: str(value).replace(str(ROOT), "")
)
def test_every_mounted_file_exists_or_is_documented(owner: str, path: Path) -> None:
    local = next((directory for directory in LOCAL_DIRS if directory in path.parents), None)
    if local is not None:
        # made per installation and ignored by Git: its README must say what it is
        relative = path.relative_to(local).as_posix()
        assert f"`{relative}`" in (local / "README.md").read_text(), (
            f"{owner}: {relative} is not in {local}/README.md"
        )
        return
    assert ROOT in path.parents, f"{owner}: {path} is outside the repository"
    assert path.exists(), f"{owner}: {path} does not exist"


def test_secrets_and_certificates_stay_out_of_git() -> None:
    for directory in LOCAL_DIRS:
        assert (directory / ".gitignore").read_text().splitlines()[1:] == ["*", "!.gitignore", "!README.md"]
        committed = subprocess.run(
            ["git", "ls-files", str(directory)], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.split()
        assert {Path(name).name for name in committed} <= {".gitignore", "README.md"}
    for path in (
        "deploy/compose/.env",
        "deploy/compose/secrets/secret_key",
        "deploy/compose/certs/proxy/tls.key",
    ):
        assert subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, check=False).returncode == 0, (
            path
        )


def test_config_files_are_mounted_read_only() -> None:
    for name, service in services().items():
        for mount in mounts(service):
            if mount["type"] == "bind":
                assert mount.get("read_only") is True, f"{name}: {mount['source']} is writable"


def test_only_fleet_telemetry_is_published_beyond_loopback() -> None:
    for name, service in interpolate(services(), active_env()).items():
        for port in service.get("ports", []):
            if name in PUBLIC_SERVICES:
                assert not port.startswith("127.0.0.1:"), name
            else:
                assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
    assert services()["api"]["ports"] == ["127.0.0.1:8000:8000"]


def test_teslasync_variables_are_documented() -> None:
    documented = documented_settings()
    assert len(documented) > 50
    used = set(services()["api"]["environment"]) | set(env_example())
    for name in sorted(used):
        if not name.startswith("TESLASYNC_"):
            continue
        known = name in documented or (name.endswith("_FILE") and name.removesuffix("_FILE") in documented)
        assert known, f"{name} is not in docs/configuration.md"


def test_api_wiring_reads_secrets_from_mounted_files() -> None:
    api = services()["api"]
    environment = api["environment"]
    indirections = {
        name: value
        for name, value in environment.items()
        if name.endswith("_FILE") and name not in PATH_SETTINGS
    }
    assert set(indirections) == {
        "TESLASYNC_SECRET_KEY_FILE",
        "TESLASYNC_DATABASE_URL_FILE",
        "TESLASYNC_REDIS_URL_FILE",
        "TESLASYNC_MQTT_URL_FILE",
    }
    for value in indirections.values():
        assert value.startswith("/run/secrets/")
        assert value.removeprefix("/run/secrets/") in api["secrets"]
    targets = {mount["target"] for mount in mounts(api)}
    assert environment["TESLASYNC_COMMAND_PROXY_CA_FILE"] in targets
    assert environment["TESLASYNC_DATA_DIR"] in targets
    assert environment["TESLASYNC_BACKUP_DIR"] in targets
    assert environment["TESLASYNC_HOST"] == "0.0.0.0"  # noqa: S104 (inside the container)
    assert not any(re.search(r"://[^/@]*:[^/@]*@", str(value)) for value in environment.values()), (
        "a URL with a password"
    )


def test_api_runs_locked_down() -> None:
    api = services()["api"]
    assert api["read_only"] is True
    assert api["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in api["security_opt"]


def test_the_proxy_is_where_teslasync_looks_for_it() -> None:
    proxy = services()["vehicle-command-proxy"]
    url = services()["api"]["environment"]["TESLASYNC_COMMAND_PROXY_URL"]
    match = re.fullmatch(r"https://([a-z-]+):(\d+)", url)
    assert match is not None, url
    assert match.group(1) == "vehicle-command-proxy"
    flags = dict(zip(proxy["command"][::2], proxy["command"][1::2], strict=True))
    assert flags["-port"] == match.group(2)
    assert flags["-host"] == "0.0.0.0"  # noqa: S104 (the default, localhost, is unreachable from the api)
    targets = {mount["target"] for mount in mounts(proxy)}
    assert {flags["-cert"], flags["-tls-key"]} <= targets
    assert flags["-key-file"] == "/run/secrets/fleet_key"
    assert "fleet_key" in proxy["secrets"]
    assert "ports" not in proxy


def test_fleet_telemetry_routes_every_record_to_the_broker() -> None:
    config = json.loads(FLEET_TELEMETRY_CONFIG.read_text())
    assert config["records"] == {kind: ["mqtt"] for kind in ("V", "alerts", "errors", "connectivity")}
    assert config["reliable_ack_sources"] == {"V": "mqtt"}
    dispatcher = config["mqtt"]
    host, port = dispatcher["broker"].split(":")
    assert host == "mosquitto"
    assert host in services()
    assert f"listener {port}" in MOSQUITTO_COMPOSE_CONF.read_text().splitlines()
    assert dispatcher["qos"] == 1
    assert dispatcher["retained"] is False
    assert dispatcher["password"] == PASSWORD_PLACEHOLDER
    assert FLEET_TELEMETRY_CONFIG.read_text().count(PASSWORD_PLACEHOLDER) == 1


def test_the_topic_base_agrees_everywhere() -> None:
    base = json.loads(FLEET_TELEMETRY_CONFIG.read_text())["mqtt"]["topic_base"]
    assert base == env_example()["TESLASYNC_MQTT_TOPIC_BASE"] == "telemetry"
    acl = MOSQUITTO_ACL.read_text()
    username = json.loads(FLEET_TELEMETRY_CONFIG.read_text())["mqtt"]["username"]
    assert f"user {username}\ntopic write {base}/#" in acl
    assert f"user teslasync\ntopic read {base}/#" in acl


def test_fleet_telemetry_serves_the_mounted_certificate_on_the_published_port() -> None:
    config = json.loads(FLEET_TELEMETRY_CONFIG.read_text())
    service = services()["fleet-telemetry"]
    targets = {mount["target"] for mount in mounts(service)}
    assert {config["tls"]["server_cert"], config["tls"]["server_key"]} <= targets
    assert service["command"] == ["-config=/etc/fleet-telemetry/config.json"]
    assert "/etc/fleet-telemetry" in targets
    published = interpolate(service["ports"], active_env())
    assert published == [f"{env_example()['FLEET_TELEMETRY_PORT']}:{config['port']}"]


def test_the_broker_reads_what_mqtt_init_writes() -> None:
    conf = MOSQUITTO_COMPOSE_CONF.read_text().splitlines()
    assert "allow_anonymous false" in conf
    assert "persistence true" in conf
    auth = next(m for m in mounts(services()["mosquitto"]) if m["source"] == "mosquitto-auth")
    assert auth["read_only"] is True
    assert f"password_file {auth['target']}/passwords" in conf
    assert f"acl_file {auth['target']}/acl" in conf
    init = services()["mqtt-init"]
    assert init["entrypoint"] == ["/bin/sh", "/init/mqtt-init.sh"]
    assert {m["target"] for m in mounts(init)} >= {"/mosquitto/auth", "/fleet-telemetry", "/init/acl"}
    # the host broker's configuration stays on loopback
    assert "listener 1883 127.0.0.1" in (ROOT / "deploy" / "mosquitto" / "mosquitto.conf").read_text()


def test_grafana_role_in_the_docs_has_the_grants_grafana_documents() -> None:
    def statements(text: str) -> list[str]:
        found = re.findall(r"^\s*((?:GRANT|ALTER ROLE) [^;]*;)", text, flags=re.MULTILINE)
        return [" ".join(statement.split()) for statement in found]

    ours = statements((ROOT / "docs" / "deploy.md").read_text())
    theirs = statements((ROOT / "deploy" / "grafana" / "README.md").read_text())
    assert ours
    assert ours == theirs


# ---- the Dockerfile ------------------------------------------------------------------------------------


def test_dockerfile_builds_in_one_stage_and_runs_in_another() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 3
    client, python_stages = stages[0], stages[1:]
    assert client[0] == "FROM node:20-slim AS client"  # the web app, built apart; only its dist is copied on
    assert any("npm ci" in line for line in client) and any("npm run build" in line for line in client)
    assert all(re.match(r"FROM \$\{PYTHON_IMAGE\} AS \w+", stage[0]) for stage in python_stages)
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in DOCKERFILE.read_text()
    builder = " ".join(python_stages[0])
    assert "COPY --from=client /src/client/dist" in builder and "_client" in builder
    install = re.search(r"pip install ([^&]*)", builder)
    assert install is not None
    assert "-c constraints.txt" in install.group(1)
    assert not re.search(r"(^|\s)(-e|--editable)(\s|$)", install.group(1))
    assert "[dev]" not in builder
    assert "_alembic" in builder and "migrations_dir()" in builder


def test_the_runtime_stage_has_nothing_to_build_with() -> None:
    runtime = " ".join(dockerfile_stages()[-1])
    for tool in ("apt-get", "apk ", "gcc", "build-essential", "pip install", "make "):
        assert tool not in runtime, tool
    assert "COPY --from=builder /opt/teslasync /opt/teslasync" in runtime


def test_the_runtime_stage_runs_teslasync_as_a_user() -> None:
    runtime = dockerfile_stages()[-1]
    users = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert users == ["10001:10001"]
    text = " ".join(runtime)
    for fragment in (
        "TESLASYNC_HOST=0.0.0.0",
        "PYTHONDONTWRITEBYTECODE=1",
        "TESLASYNC_DATA_DIR=/var/lib/teslasync",
        "WORKDIR /var/lib/teslasync",
        "EXPOSE 8000",
        'CMD ["teslasync", "serve"]',
    ):
        assert fragment in text, fragment
    healthcheck = next(line for line in runtime if line.startswith("HEALTHCHECK "))
    assert "python" in healthcheck and "urllib.request" in healthcheck and "/healthz" in healthcheck
    entrypoint = next(line for line in runtime if line.startswith("ENTRYPOINT "))
    target = json.loads(entrypoint.removeprefix("ENTRYPOINT "))[0]
    assert f"deploy/docker/entrypoint.sh {target}" in text


def test_the_build_context_has_what_the_dockerfile_copies_and_nothing_secret() -> None:
    patterns = [line for line in DOCKERIGNORE.read_text().splitlines() if line and not line.startswith("#")]
    for needed in (
        ".venv",
        ".git",
        "tests",
        "bench",
        "client/node_modules",
        ".data",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "**/__pycache__",
        "deploy/compose/secrets",
        "deploy/compose/certs",
        "**/.env",
    ):
        assert needed in patterns, needed
    sources = []
    for stage in dockerfile_stages():
        for line in stage:
            if line.startswith("COPY ") and "--from=" not in line:
                sources += [part for part in line.split()[1:-1] if not part.startswith("--")]
    assert "deploy/docker/entrypoint.sh" in sources
    for source in sources:
        assert (ROOT / source).exists(), source
        for pattern in patterns:
            if pattern.startswith("!"):
                continue
            excluded = source == pattern or source.startswith(pattern.rstrip("/") + "/")
            assert not excluded, f"{source} is excluded by {pattern}"


def test_the_image_finds_the_migrations_where_the_dockerfile_puts_them(tmp_path: Path) -> None:
    """An installed package has no <repo>/alembic: migrations_dir() must find <package>/_alembic."""
    import importlib.util

    site = tmp_path / "site-packages"
    (site / "teslasync" / "db").mkdir(parents=True)
    (site / "alembic").mkdir()  # the alembic library lives beside the package, without env.py
    (site / "alembic" / "__init__.py").write_text("")
    shutil.copy(ROOT / "teslasync" / "db" / "migrate.py", site / "teslasync" / "db" / "migrate.py")
    shutil.copytree(
        ROOT / "alembic", site / "teslasync" / "_alembic", ignore=shutil.ignore_patterns("__pycache__")
    )
    spec = importlib.util.spec_from_file_location(
        "installed_migrate", site / "teslasync" / "db" / "migrate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.migrations_dir() == site / "teslasync" / "_alembic"


def test_the_image_finds_the_docs_where_the_dockerfile_puts_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An installed package has no <repo>/docs: Helix's docs_dir() must find <package>/_docs."""
    from teslasync.helix import service

    package = tmp_path / "site-packages" / "teslasync"
    (package / "_docs").mkdir(parents=True)
    assert service.docs_dir(package) == package / "_docs"
    assert service.docs_dir() == ROOT / "docs"  # in the repository
    assert 'cp -r docs "$package_dir/_docs"' in DOCKERFILE.read_text()


# ---- the entrypoint ------------------------------------------------------------------------------------


def entrypoint_env(env: dict[str, str], interpreter: str = "bash") -> tuple[int, dict[str, str], str]:
    result = run_script(ENTRYPOINT, "env", env=env, interpreter=interpreter)
    variables = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    return result.returncode, variables, result.stderr


def test_the_entrypoint_is_executable() -> None:
    assert ENTRYPOINT.stat().st_mode & stat.S_IXUSR
    assert ENTRYPOINT.read_text().startswith("#!/bin/sh\n")


@pytest.mark.parametrize("shell", ["bash", "sh"])
def test_the_entrypoint_exports_settings_from_secret_files(tmp_path: Path, shell: str) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    key = "k" * 48
    (tmp_path / "secret_key").write_text(key + "\n")
    (tmp_path / "database_url").write_text("postgresql://teslasync:p4ss@db:5432/teslasync")
    code, variables, stderr = entrypoint_env(
        {
            "TESLASYNC_SECRET_KEY_FILE": str(tmp_path / "secret_key"),
            "TESLASYNC_DATABASE_URL_FILE": str(tmp_path / "database_url"),
            "TESLASYNC_PORT": "8000",
        },
        shell,
    )
    assert code == 0, stderr
    assert variables["TESLASYNC_SECRET_KEY"] == key  # the trailing newline dropped
    assert variables["TESLASYNC_DATABASE_URL"] == "postgresql://teslasync:p4ss@db:5432/teslasync"
    assert variables["TESLASYNC_PORT"] == "8000"
    assert "TESLASYNC_SECRET_KEY_FILE" not in variables
    assert "TESLASYNC_DATABASE_URL_FILE" not in variables


def test_the_entrypoint_leaves_settings_that_are_paths_alone() -> None:
    """Every documented setting ending in _FILE is a path: the entrypoint must know them all."""
    path_settings = {name for name in documented_settings() if name.endswith("_FILE")}
    assert path_settings == PATH_SETTINGS
    assert all(name in ENTRYPOINT.read_text() for name in path_settings)
    code, variables, stderr = entrypoint_env(dict.fromkeys(path_settings, "/does/not/exist.pem"))
    assert code == 0, stderr
    for name in path_settings:
        assert variables[name] == "/does/not/exist.pem"
        assert name.removesuffix("_FILE") not in variables


def test_the_entrypoint_installed_as_teslasync_serves_docker_exec(tmp_path: Path) -> None:
    """`docker compose exec api teslasync ...` bypasses the ENTRYPOINT; the `teslasync` first on PATH is
    the same script, which reads the secret files and then runs the real CLI (TESLASYNC_BIN)."""
    (tmp_path / "secret_key").write_text("s" * 40)
    shim = tmp_path / "bin" / "teslasync"
    shim.parent.mkdir()
    shim.symlink_to(ENTRYPOINT)
    result = subprocess.run(
        [str(shim), "BACKUP=/backups"],
        env={
            "PATH": os.environ["PATH"],
            "TESLASYNC_BIN": shutil.which("env") or "/usr/bin/env",
            "TESLASYNC_SECRET_KEY_FILE": str(tmp_path / "secret_key"),
        },
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    variables = dict(line.split("=", 1) for line in result.stdout.splitlines())
    assert variables["TESLASYNC_SECRET_KEY"] == "s" * 40
    assert variables["BACKUP"] == "/backups"  # the arguments reach the real command
    runtime = " ".join(dockerfile_stages()[-1])
    assert "ln -s /usr/local/bin/teslasync-entrypoint /usr/local/lib/teslasync/bin/teslasync" in runtime
    assert "ENV PATH=/usr/local/lib/teslasync/bin:/opt/teslasync/bin:$PATH" in runtime
    assert "TESLASYNC_BIN:-/opt/teslasync/bin/teslasync" in ENTRYPOINT.read_text()


def test_the_entrypoint_refuses_a_setting_given_twice(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("from-the-file-" + "x" * 40)
    code, _, stderr = entrypoint_env(
        {"TESLASYNC_SECRET_KEY": "y" * 40, "TESLASYNC_SECRET_KEY_FILE": str(tmp_path / "secret_key")}
    )
    assert code == 2
    assert "both TESLASYNC_SECRET_KEY and TESLASYNC_SECRET_KEY_FILE" in stderr
    assert "from-the-file" not in stderr and "yyyy" not in stderr


def test_the_entrypoint_refuses_a_missing_file(tmp_path: Path) -> None:
    code, variables, stderr = entrypoint_env({"TESLASYNC_MQTT_URL_FILE": str(tmp_path / "missing")})
    assert code == 2
    assert "TESLASYNC_MQTT_URL_FILE" in stderr
    assert variables == {}


# ---- init-secrets.sh -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """init-secrets.sh run once in a copy of deploy/compose, with a telemetry host name."""
    workdir = tmp_path_factory.mktemp("compose")
    shutil.copy(INIT_SECRETS, workdir / "init-secrets.sh")
    result = run_script(workdir / "init-secrets.sh", "telemetry.example.org", env={}, interpreter="sh")
    assert result.returncode == 0, result.stderr
    return workdir


def secret(workdir: Path, name: str) -> str:
    return (workdir / "secrets" / name).read_text()


def test_init_secrets_writes_every_secret_compose_reads_but_the_app_key(generated: Path) -> None:
    files = {Path(source["file"]).name for source in compose()["secrets"].values()}
    written = {path.name for path in (generated / "secrets").iterdir()}
    assert files - written == {"fleet-key.pem"}
    assert stat.S_IMODE((generated / "secrets").stat().st_mode) == 0o700
    assert stat.S_IMODE((generated / "certs").stat().st_mode) == 0o700
    for path in (generated / "secrets").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path.name
        assert not path.read_text().endswith("\n"), path.name
    assert len(secret(generated, "secret_key")) >= 32


def test_init_secrets_makes_urls_that_carry_the_passwords(generated: Path) -> None:
    postgres = secret(generated, "postgres_password")
    assert secret(generated, "database_url") == f"postgresql://teslasync:{postgres}@db:5432/teslasync"
    redis_password = secret(generated, "redis_password")
    assert secret(generated, "redis.conf") == f"requirepass {redis_password}"
    assert secret(generated, "redis_url") == f"redis://:{redis_password}@redis:6379/0"
    mqtt_password = secret(generated, "mqtt_teslasync_password")
    assert secret(generated, "mqtt_url") == f"mqtt://teslasync:{mqtt_password}@mosquitto:1883"
    db = services()["db"]["environment"]
    assert (db["POSTGRES_USER"], db["POSTGRES_DB"]) == ("teslasync", "teslasync")
    passwords = [
        secret(generated, name)
        for name in (
            "postgres_password",
            "redis_password",
            "mqtt_teslasync_password",
            "mqtt_fleet_telemetry_password",
        )
    ]
    assert len(set(passwords)) == len(passwords)
    assert all(re.fullmatch(r"[0-9a-f]{48}", password) for password in passwords)


def test_init_secrets_keeps_what_exists(generated: Path) -> None:
    before = {path.name: path.read_text() for path in (generated / "secrets").iterdir()}
    result = run_script(generated / "init-secrets.sh", env={}, interpreter="sh")
    assert result.returncode == 0, result.stderr
    assert "nothing new" in result.stdout
    assert {path.name: path.read_text() for path in (generated / "secrets").iterdir()} == before


def serve_tls_once(context: ssl.SSLContext) -> tuple[int, threading.Thread]:
    listener = socket.create_server(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])

    def accept() -> None:
        with listener:
            listener.settimeout(10)
            connection, _ = listener.accept()
            try:
                with context.wrap_socket(connection, server_side=True) as tls:
                    tls.sendall(b"ok")
            except (ssl.SSLError, OSError):
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    return port, thread


@pytest.mark.parametrize(
    ("directory", "hostname"),
    [("proxy", "vehicle-command-proxy"), ("fleet-telemetry", "telemetry.example.org")],
)
def test_init_secrets_certificates_pass_strict_tls_verification(
    generated: Path, directory: str, hostname: str
) -> None:
    """What TeslaSync does with TESLASYNC_COMMAND_PROXY_CA_FILE (and a car with the `ca` it is given)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    certs = generated / "certs" / directory
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(certs / "tls.crt", certs / "tls.key")
    client = ssl.create_default_context(cafile=str(certs / "ca.crt"))
    client.verify_flags |= ssl.VERIFY_X509_STRICT
    port, thread = serve_tls_once(server)
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        client.wrap_socket(raw, server_hostname=hostname) as tls,
    ):
        assert tls.recv(2) == b"ok"
    thread.join(10)
    # and no other name
    port, thread = serve_tls_once(server)
    with (
        pytest.raises(ssl.SSLCertVerificationError),
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        client.wrap_socket(raw, server_hostname="elsewhere.example.org"),
    ):
        pass
    thread.join(10)
    assert not (generated / "certs" / directory / "ca.key").exists()  # the CA's key is kept apart


# ---- mqtt-init.sh and the broker -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def broker(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """mqtt-init.sh run as in its container, then Mosquitto with mosquitto.compose.conf on a free port."""
    mosquitto_binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(mosquitto_binary).exists() or shutil.which("mosquitto_passwd") is None:
        pytest.skip("mosquitto is not installed (.ci/run installs it)")
    workdir = tmp_path_factory.mktemp("mqtt")
    source = workdir / "init"
    source.mkdir()
    shutil.copy(MOSQUITTO_ACL, source / "acl")
    shutil.copy(FLEET_TELEMETRY_CONFIG, source / "fleet-telemetry.json")
    owner = f"{os.getuid()}:{os.getgid()}"
    result = run_script(
        MQTT_INIT,
        env={
            "MQTT_INIT_SECRETS": str(generated / "secrets"),
            "MQTT_INIT_SOURCE": str(source),
            "MQTT_INIT_AUTH_DIR": str(workdir / "auth"),
            "MQTT_INIT_FT_DIR": str(workdir / "fleet-telemetry"),
            "MQTT_INIT_BROKER_OWNER": owner,
            "MQTT_INIT_FT_OWNER": owner,
        },
        interpreter="sh",
    )
    assert result.returncode == 0, result.stderr
    port = free_port()
    (workdir / "data").mkdir()
    conf = MOSQUITTO_COMPOSE_CONF.read_text()
    conf = conf.replace("/mosquitto/auth", str(workdir / "auth")).replace(
        "/mosquitto/data/", f"{workdir}/data/"
    )
    conf = conf.replace("\nlistener 1883\n", f"\nlistener {port} 127.0.0.1\n")
    # as root, Mosquitto would drop to the 'mosquitto' user, which cannot read the test's files
    conf += f"user {getpass.getuser()}\n"
    (workdir / "mosquitto.conf").write_text(conf)
    process = subprocess.Popen(
        [mosquitto_binary, "-c", str(workdir / "mosquitto.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield port, workdir
    finally:
        terminate(process)


class Client:
    """A paho MQTT 5 client that records what it is told."""

    def __init__(self, port: int, username: str | None, password: str | None, client_id: str) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.granted: list[int] = []
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.reason = ""
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda _client, _userdata, message: self.messages.append(
            (message.topic, message.payload)
        )
        self.client.on_subscribe = self._on_subscribe
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.connected.wait(5)

    def _on_connect(self, _client: Any, _userdata: Any, _flags: Any, reason: Any, _properties: Any) -> None:
        self.reason = str(reason)
        self.connected.set()

    def _on_subscribe(self, _client: Any, _userdata: Any, _mid: Any, reasons: Any, _properties: Any) -> None:
        self.granted = [int(getattr(reason, "value", reason)) for reason in reasons]
        self.subscribed.set()

    def subscribe(self, topic: str) -> None:
        self.subscribed.clear()
        self.client.subscribe(topic, qos=1)
        assert self.subscribed.wait(5)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def wait_for(condition: Any, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_mqtt_init_fills_in_fleet_telemetrys_password(broker: tuple[int, Path], generated: Path) -> None:
    _, workdir = broker
    rendered = workdir / "fleet-telemetry" / "config.json"
    config = json.loads(rendered.read_text())
    assert config["mqtt"]["password"] == secret(generated, "mqtt_fleet_telemetry_password")
    assert PASSWORD_PLACEHOLDER not in rendered.read_text()
    assert stat.S_IMODE(rendered.stat().st_mode) == 0o400
    for name in ("passwords", "acl", "healthcheck_password"):
        assert stat.S_IMODE((workdir / "auth" / name).stat().st_mode) == 0o600, name


def test_the_broker_lets_fleet_telemetry_publish_and_teslasync_read(
    broker: tuple[int, Path], generated: Path
) -> None:
    port, _ = broker
    teslasync = Client(port, "teslasync", secret(generated, "mqtt_teslasync_password"), "teslasync-test")
    shared = Client(port, "teslasync", secret(generated, "mqtt_teslasync_password"), "teslasync-shared")
    fleet_telemetry = Client(
        port, "fleet-telemetry", secret(generated, "mqtt_fleet_telemetry_password"), "ft-test"
    )
    try:
        assert teslasync.reason == shared.reason == fleet_telemetry.reason == "Success"
        teslasync.subscribe("telemetry/#")
        shared.subscribe("$share/replicas/telemetry/#")
        fleet_telemetry.subscribe("telemetry/#")  # granted, but the ACL delivers nothing to it
        topic = "telemetry/5YJ3E7EB2NF000001/v/BatteryLevel"
        fleet_telemetry.client.publish(topic, b"75.5", qos=1).wait_for_publish(5)
        assert wait_for(lambda: teslasync.messages == [(topic, b"75.5")])
        assert wait_for(lambda: shared.messages == [(topic, b"75.5")])
        teslasync.client.publish(topic, b"1", qos=1).wait_for_publish(5)  # TeslaSync may not publish
        fleet_telemetry.client.publish("elsewhere/x", b"1", qos=1).wait_for_publish(5)  # nor outside the base
        time.sleep(0.5)
        assert teslasync.messages == [(topic, b"75.5")]
        assert fleet_telemetry.messages == []
    finally:
        for client in (teslasync, shared, fleet_telemetry):
            client.close()


def test_the_broker_refuses_strangers(broker: tuple[int, Path]) -> None:
    port, _ = broker
    for username, password in ((None, None), ("teslasync", "wrong"), ("healthcheck", "wrong")):
        client = Client(port, username, password, f"stranger-{username}")
        try:
            assert client.reason == "Not authorized", username
        finally:
            client.close()


def test_the_brokers_health_check_user_reads_the_uptime(broker: tuple[int, Path]) -> None:
    port, workdir = broker
    health = Client(
        port, "healthcheck", (workdir / "auth" / "healthcheck_password").read_text(), "healthcheck"
    )
    try:
        assert health.reason == "Success"
        health.subscribe("$SYS/broker/uptime")
        assert wait_for(lambda: any(topic == "$SYS/broker/uptime" for topic, _ in health.messages))
    finally:
        health.close()
    command = services()["mosquitto"]["healthcheck"]["test"][1]
    if shutil.which("mosquitto_sub") is None:
        return  # the command itself needs mosquitto-clients
    command = (
        interpolate(command, {})
        .replace("/mosquitto/auth", str(workdir / "auth"))
        .replace("-p 1883", f"-p {port}")
    )
    assert subprocess.run(["sh", "-c", command], timeout=30, check=False).returncode == 0


# ---- Redis ---------------------------------------------------------------------------------------------


def test_redis_requires_the_password_and_its_health_check_passes(generated: Path, tmp_path: Path) -> None:
    server, cli = shutil.which("redis-server") or "/usr/bin/redis-server", shutil.which("redis-cli")
    if not Path(server).exists() or cli is None:
        pytest.skip("redis is not installed (.ci/run installs it)")
    port = free_port()
    process = subprocess.Popen(
        [
            server,
            str(generated / "secrets" / "redis.conf"),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        anonymous = subprocess.run(
            [cli, "-p", str(port), "ping"], capture_output=True, text=True, timeout=10, check=False
        )
        assert "NOAUTH" in anonymous.stdout
        command = interpolate(services()["redis"]["healthcheck"]["test"][1], {})
        command = command.replace("/run/secrets/redis_conf", str(generated / "secrets" / "redis.conf"))
        command = command.replace("redis-cli ping", f"redis-cli -p {port} ping")
        assert subprocess.run(["sh", "-c", command], timeout=10, check=False).returncode == 0
        assert services()["redis"]["command"][:2] == ["redis-server", "/run/secrets/redis_conf"]
    finally:
        terminate(process)
