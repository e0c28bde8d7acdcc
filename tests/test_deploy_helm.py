"""The Helm chart in deploy/helm/teslasync, checked without a cluster: its metadata, that every value the
templates use exists and is documented (in values.yaml and the README), that the template blocks balance and
every helper they include is defined, that every TESLASYNC_* name is a real setting, and that the
forward-auth presets pass on the headers the app reads. When a `helm` binary is on PATH (or in $HELM), the
chart is also linted and rendered with several sets of values, and the rendered settings are loaded by the
app's own `Settings`; without one those tests are skipped."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

import teslasync
from teslasync.app import KNOWN_ROUTES
from teslasync.auth.forward import PRESETS
from teslasync.config import ForwardAuthPreset, Settings, load_settings
from tests.services import helm_binary

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "deploy" / "helm" / "teslasync"
TEMPLATES = CHART / "templates"
HELPERS = TEMPLATES / "_helpers.tpl"
README = CHART / "README.md"
CONFIGURATION = ROOT / "docs" / "configuration.md"
WORKERS = ("exports", "notifications", "automations")
FREE_FORM = {"env"}
# oauth2-proxy behind ingress-nginx runs in auth_request mode: its answer carries X-Auth-Request-*.
OAUTH2_PROXY_HEADERS = {
    "USER": "X-Auth-Request-User",
    "EMAIL": "X-Auth-Request-Email",
    "NAME": "X-Auth-Request-Preferred-Username",
    "GROUPS": "X-Auth-Request-Groups",
}

COMMENT = re.compile(r"\{\{-?\s*/\*.*?\*/\s*-?\}\}", re.DOTALL)
ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.DOTALL)
VALUES_PATH = r"(?:\$\w*)?\.Values(?:\.\w+)*"
VALUES_REF = re.compile(r"\.Values((?:\.\w+)+)")
ALIAS = re.compile(r"\$(\w+)\s*:=\s*(index\s+)?(" + VALUES_PATH + r"|\$\w+(?:\.\w+)*)(?=[\s)])")
SETTING = re.compile(r"\bTESLASYNC_[A-Z0-9_]*[A-Z0-9]\b")


def template_files() -> list[Path]:
    return sorted(path for path in TEMPLATES.iterdir() if path.is_file())


@cache
def values() -> dict[str, Any]:
    loaded = yaml.safe_load((CHART / "values.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def source(path: Path) -> str:
    """A template without its {{/* comments */}}."""
    return COMMENT.sub("", path.read_text())


def resolve(tree: object, path: list[str]) -> list[str]:
    """The problems with `path` in `tree` ("*" stands for every child of a map); empty when it exists."""
    if not path:
        return []
    head, rest = path[0], path[1:]
    if not isinstance(tree, dict):
        return [f"{head} under a {type(tree).__name__}"]
    if head == "*":
        return [f"{key}.{problem}" for key, child in tree.items() for problem in resolve(child, rest)]
    if head not in tree:
        return [head]
    return [f"{head}.{problem}" for problem in resolve(tree[head], rest)]


def values_references(text: str) -> set[tuple[str, ...]]:
    """Every path into .Values a template uses: `.Values.a.b`, `$.Values.a.b`, `$root.Values.a.b`, and
    through variables, chained (`$v := $root.Values`, `$k := $v.a` then `$k.b`; `$w := index .Values.a $x`
    then `$w.b`, which every child of `a` must have)."""
    found = {tuple(match.group(1).split(".")[1:]) for match in VALUES_REF.finditer(text)}
    aliases: dict[str, tuple[str, ...]] = {}
    for _ in range(5):  # an alias of an alias of ... resolves within a few rounds
        for alias in ALIAS.finditer(text):
            name, indexed, target = alias.groups()
            head, _dot, rest = target.partition(".")
            if ".Values" in target:
                base = tuple(target.split(".Values", 1)[1].split(".")[1:])
            elif head.removeprefix("$") in aliases:
                base = aliases[head.removeprefix("$")] + tuple(rest.split(".") if rest else ())
            else:
                continue
            aliases[name] = base + (("*",) if indexed else ())
    for name, base in aliases.items():
        for use in re.finditer(r"\$" + name + r"((?:\.\w+)+)", text):
            found.add((*base, *use.group(1).split(".")[1:]))
    return found


def rows(markdown: str) -> dict[str, list[str]]:
    """The table under the README's "## Values": the name in the first cell (backticked) -> the other cells."""
    section = markdown.split("\n## Values\n", 1)[1].split("\n## ", 1)[0]
    table: dict[str, list[str]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells and re.fullmatch(r"`[\w.]+`", cells[0]):
            table[cells[0].strip("`")] = cells[1:]
    return table


def leaves(tree: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every value's dotted path: maps are walked, anything else (lists, scalars, empty maps) is a leaf, and
    so are the free-form maps (`env`: any TESLASYNC_* name)."""
    for key, child in tree.items():
        path = f"{prefix}{key}"
        if isinstance(child, dict) and child and path not in FREE_FORM:
            yield from leaves(child, path + ".")
        else:
            yield path, child


def shown(value: object) -> str:
    """How the README's table shows a default."""
    dumped = str(yaml.safe_dump(value, default_flow_style=True, width=10_000))
    return "`" + dumped.strip().removesuffix("\n...") + "`"


def documented_settings() -> set[str]:
    return set(re.findall(r"^\| `(TESLASYNC_[A-Z0-9_]+)` \|", CONFIGURATION.read_text(), flags=re.MULTILINE))


def test_chart_metadata() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == "teslasync"
    assert chart["type"] == "application"
    assert chart["version"] == "0.1.0"
    assert re.fullmatch(r"\d+\.\d+\.\d+", chart["version"])
    assert chart["appVersion"] == teslasync.__version__
    assert chart["description"]


def test_values_have_what_the_chart_promises() -> None:
    v = values()
    assert set(v["image"]) == {"repository", "tag", "pullPolicy"}
    assert v["image"]["tag"] == ""  # the appVersion
    assert isinstance(v["replicaCount"], int)
    assert {"requests", "limits"} <= set(v["resources"])
    pod = v["podSecurityContext"]
    assert (pod["runAsNonRoot"], pod["runAsUser"], pod["fsGroup"]) == (True, 10001, 10001)
    container = v["securityContext"]
    assert container["readOnlyRootFilesystem"] is True
    assert container["allowPrivilegeEscalation"] is False
    assert container["capabilities"]["drop"] == ["ALL"]
    assert isinstance(v["env"], dict)
    assert {"existingSecret", "databaseUrl", "secretKey", "mqttUrl", "redisUrl"} <= set(v["secrets"])
    assert set(v["secrets"]["keys"]) == {"databaseUrl", "secretKey", "mqttUrl", "redisUrl"}
    assert v["persistence"]["mountPath"] == "/var/lib/teslasync"
    assert {"enabled", "size", "accessModes", "storageClass", "existingClaim"} <= set(v["persistence"])
    assert {"type", "port"} <= set(v["service"])
    assert {"enabled", "className", "hosts", "tls", "forwardAuth"} <= set(v["ingress"])
    assert v["ingress"]["forwardAuth"]["preset"] == "none"
    assert v["trustedProxies"] == []
    assert v["containerPort"] == 8000
    assert v["migration"]["enabled"] is True
    for flag in ("serviceMonitor", "podDisruptionBudget", "autoscaling", "networkPolicy"):
        assert v[flag]["enabled"] is False, flag


def test_probes_ask_the_apps_own_routes() -> None:
    probes = values()["probes"]
    assert probes["liveness"]["path"] == "/healthz"
    assert probes["readiness"]["path"] == "/readyz"
    assert probes["startup"]["path"] == "/healthz"
    monitor = (TEMPLATES / "servicemonitor.yaml").read_text()
    paths = {probe["path"] for probe in probes.values()} | set(re.findall(r"path: (/\w+)", monitor))
    assert paths <= KNOWN_ROUTES
    assert "/metrics" in paths


def test_workers_are_optional_and_alike() -> None:
    workers = values()["workers"]
    assert tuple(workers) == WORKERS
    shapes = {name: set(worker) for name, worker in workers.items()}
    assert all(shape == shapes["exports"] for shape in shapes.values()), shapes
    assert all(worker["enabled"] is False for worker in workers.values())
    text = (TEMPLATES / "workers.yaml").read_text()
    assert re.search(r"list " + " ".join(f'"{name}"' for name in WORKERS), text)
    assert 'args: ["teslasync", "worker",' in text


@pytest.mark.parametrize("template", template_files(), ids=lambda path: path.name)
def test_every_value_a_template_uses_exists(template: Path) -> None:
    missing = {
        ".".join(path): problems
        for path in values_references(source(template))
        if (problems := resolve(values(), list(path)))
    }
    assert missing == {}


def test_every_value_is_used_by_a_template() -> None:
    used = set().union(*(values_references(source(template)) for template in template_files()))

    def covered(path: list[str]) -> bool:
        # a reference to the value, or to a map holding it (`toYaml .Values.resources`)
        return any(
            len(ref) <= len(path) and all(part in ("*", mine) for part, mine in zip(ref, path, strict=False))
            for ref in used
        )

    assert [name for name, _ in leaves(values()) if not covered(name.split("."))] == []


def test_the_reference_finder_sees_every_form() -> None:
    text = (
        "{{ .Values.a.b }} {{ $.Values.c }} {{ $root.Values.d.e }} {{- $x := .Values.f -}} {{ $x.g }}"
        "{{- $w := index $.Values.h $name }}{{ $w.i }}{{- $v := $root.Values -}}{{- $k := $v.j.k }}{{ $k.l }}"
    )
    assert values_references(text) == {
        ("a", "b"),
        ("c",),
        ("d", "e"),
        ("f",),
        ("f", "g"),
        ("h",),
        ("h", "*", "i"),
        ("j", "k"),
        ("j", "k", "l"),
    }
    assert resolve({"h": {"one": {"i": 1}, "two": {}}}, ["h", "*", "i"]) == ["h.two.i"]


def test_every_included_helper_is_defined_and_used() -> None:
    defined = re.findall(r'\{\{-?\s*define\s+"([^"]+)"', source(HELPERS))
    assert len(defined) == len(set(defined)), "a helper is defined twice"
    assert all(name.startswith("teslasync.") for name in defined)
    used: set[str] = set()
    for template in template_files():
        for name in re.findall(r'\b(?:include|template)\s+"([^"]+)"', source(template)):
            assert name in defined, f"{template.name} includes {name}, which _helpers.tpl does not define"
            used.add(name)
    assert set(defined) - used == set(), "helpers nobody includes"


def block_problems(text: str) -> list[str]:
    """Unbalanced `if`/`range`/`with`/`define` blocks: every opener needs its `end`, `else` an open block."""
    problems: list[str] = []
    open_blocks: list[tuple[str, int]] = []
    for action in ACTION.finditer(text):
        words = action.group(1).split()
        keyword = words[0] if words else ""
        line = text.count("\n", 0, action.start()) + 1
        if keyword in ("if", "range", "with", "define", "block"):
            open_blocks.append((keyword, line))
        elif keyword == "else" and not (open_blocks and open_blocks[-1][0] in ("if", "range", "with")):
            problems.append(f"line {line}: else outside a block")
        elif keyword == "end" and not open_blocks:
            problems.append(f"line {line}: end without an opener")
        elif keyword == "end":
            open_blocks.pop()
    return problems + [f"line {line}: {keyword} without an end" for keyword, line in open_blocks]


@pytest.mark.parametrize("template", template_files(), ids=lambda path: path.name)
def test_blocks_are_balanced(template: Path) -> None:
    assert block_problems(source(template)) == []


def test_the_block_checker_catches_what_it_should() -> None:
    assert block_problems("{{- if .a }}\n{{ range .b }}{{ end }}") == ["line 1: if without an end"]
    assert block_problems("{{ end }}") == ["line 1: end without an opener"]
    assert block_problems("{{ else }}") == ["line 1: else outside a block"]
    assert block_problems('{{- if .a }}{{ else if .b }}{{ end }}{{- define "x" -}}{{- end -}}') == []


def test_every_setting_named_is_real() -> None:
    documented = documented_settings()
    assert len(documented) > 50
    fields = {name.upper() for name in Settings.model_fields}
    sources = [*template_files(), CHART / "values.yaml", *sorted((CHART / "ci").glob("*.yaml")), README]
    named = {name: path.name for path in sources for name in SETTING.findall(path.read_text())}
    assert len(named) > 20
    unknown = {name: where for name, where in named.items() if name not in documented}
    assert unknown == {}, "not in docs/configuration.md"
    assert {name for name in named if name.removeprefix("TESLASYNC_") not in fields} == set()


def preset_headers() -> dict[str, list[str]]:
    """What `teslasync.forwardAuthHeaders` answers per preset, read from _helpers.tpl."""
    text = source(HELPERS)
    body = text.split('define "teslasync.forwardAuthHeaders"', 1)[1].split("define", 1)[0]
    found = re.findall(r'eq \$preset "([\w-]+)" -\}\}\n([^\n{]+)', body)
    return {preset: line.strip().split(",") for preset, line in found}


def test_forward_auth_presets_pass_on_the_headers_the_app_reads() -> None:
    headers = preset_headers()
    assert set(headers) == {"authentik", "authelia", "oauth2-proxy"}
    for preset in (ForwardAuthPreset.AUTHENTIK, ForwardAuthPreset.AUTHELIA):
        names = PRESETS[preset]
        assert headers[preset.value] == [names.user, names.email, names.name, names.groups]
    assert headers["oauth2-proxy"] == list(OAUTH2_PROXY_HEADERS.values())


def test_oauth2_proxy_is_custom_with_the_auth_request_headers() -> None:
    env = source(HELPERS).split('define "teslasync.env"', 1)[1]
    branch = env.split('if eq $preset "oauth2-proxy" -}}', 1)[1].split("{{- else", 1)[0]
    settings = dict(re.findall(r'set \$plain "(TESLASYNC_FORWARD_AUTH\w*)" "([^"]+)"', branch))
    assert settings == {"TESLASYNC_FORWARD_AUTH": "custom"} | {
        f"TESLASYNC_FORWARD_AUTH_{field}_HEADER": header for field, header in OAUTH2_PROXY_HEADERS.items()
    }


def test_the_chart_accepts_exactly_the_proxy_presets() -> None:
    validate = source(HELPERS).split('define "teslasync.validate"', 1)[1]
    listed = re.search(r"has \$preset \(list ([^)]*)\)", validate)
    assert listed is not None
    accepted = set(listed.group(1).replace('"', "").split())
    assert accepted == {preset.value for preset in ForwardAuthPreset} - {"custom"}
    assert set(preset_headers()) == accepted - {"none"}


def test_every_value_is_documented_by_a_comment_above_it() -> None:
    lines = (CHART / "values.yaml").read_text().splitlines()
    undocumented: list[str] = []

    def walk(node: yaml.Node, prefix: str) -> None:
        if not isinstance(node, yaml.MappingNode):
            return  # keys inside lists (ingress.hosts) are examples, documented by their list's comment
        for key, child in node.value:
            path = prefix + str(key.value)
            if not lines[key.start_mark.line - 1].strip().startswith("#"):
                undocumented.append(path)
            walk(child, path + ".")

    walk(yaml.compose("\n".join(lines)), "")
    assert undocumented == []


def test_the_readme_lists_every_value_with_its_default() -> None:
    text = README.read_text()
    table = rows(text)
    for key in values():
        assert any(name == key or name.startswith(key + ".") for name in table), key
    expected = dict(leaves(values()))
    assert set(table) == set(expected)
    wrong = {name: cells[0] for name, cells in table.items() if cells[0] != shown(expected[name])}
    assert wrong == {}
    assert all(len(cells) == 2 and cells[1] for cells in table.values())


def test_the_readme_says_how_it_was_verified() -> None:
    text = README.read_text()
    assert "## What was verified how" in text
    assert "tests/test_deploy_helm.py" in text
    assert "no `helm`" in text


def readme_examples() -> list[dict[str, Any]]:
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(), flags=re.DOTALL)
    return [yaml.safe_load(block) for block in blocks]


def test_the_readme_examples_use_real_values() -> None:
    examples = readme_examples()
    assert len(examples) >= 3
    for example in examples:
        wrong = {
            name: problems for name, _ in leaves(example) if (problems := resolve(values(), name.split(".")))
        }
        assert wrong == {}


# --- With a helm binary: lint and render -----------------------------------------------------------------


needs_helm = pytest.mark.skipif(helm_binary() is None, reason="helm is not installed")
MINIMAL = CHART / "ci" / "minimal-values.yaml"
SCALED = CHART / "ci" / "scaled-values.yaml"
PROXIES = ["--set", "trustedProxies={10.42.0.0/16}", "--set", "ingress.enabled=true"]


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    binary = helm_binary()
    assert binary is not None
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=120, check=False)


def render(*args: str) -> list[dict[str, Any]]:
    done = helm("template", "rel", str(CHART), *args)
    assert done.returncode == 0, done.stderr
    return [document for document in yaml.safe_load_all(done.stdout) if document]


def find(documents: list[dict[str, Any]], kind: str, name: str = "rel-teslasync") -> dict[str, Any]:
    return next(doc for doc in documents if doc["kind"] == kind and doc["metadata"]["name"] == name)


def plain_env(container: dict[str, Any]) -> dict[str, str]:
    return {entry["name"]: entry["value"] for entry in container["env"] if "value" in entry}


@needs_helm
@pytest.mark.parametrize("values_file", [MINIMAL, SCALED], ids=lambda path: path.name)
def test_helm_lint_is_clean(values_file: Path) -> None:
    done = helm("lint", "--strict", str(CHART), "-f", str(values_file))
    assert done.returncode == 0, done.stdout + done.stderr


@needs_helm
def test_the_minimal_install_renders_a_locked_down_pod() -> None:
    documents = render("-f", str(MINIMAL))
    kinds = sorted(doc["kind"] for doc in documents)
    assert kinds == ["Deployment", "Job", "Secret", "Secret", "Service"]
    pod = find(documents, "Deployment")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert "args" not in container and "command" not in container  # the image's `teslasync serve`
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsUser"] == 10001 and pod["automountServiceAccountToken"] is False
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    names = [entry["name"] for entry in container["env"]]
    assert len(names) == len(set(names))
    job = find(documents, "Job", "rel-teslasync-migrate")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    (migrate,) = job["spec"]["template"]["spec"]["containers"]
    assert migrate["args"] == ["teslasync", "migrate"]
    refs = {entry["valueFrom"]["secretKeyRef"]["name"] for entry in migrate["env"] if "valueFrom" in entry}
    hook_secret = find(documents, "Secret", "rel-teslasync-migration")
    assert refs == {"rel-teslasync-migration"} and "helm.sh/hook" in hook_secret["metadata"]["annotations"]


@needs_helm
def test_the_scaled_install_renders_every_part() -> None:
    documents = render("-f", str(SCALED))
    kinds = {doc["kind"] for doc in documents}
    expected = {"Deployment", "Service", "Ingress", "Job", "HorizontalPodAutoscaler", "PodDisruptionBudget"}
    assert expected | {"ServiceMonitor", "NetworkPolicy", "PersistentVolumeClaim"} <= kinds
    assert "Secret" not in kinds  # secrets.existingSecret
    api = find(documents, "Deployment")
    assert "replicas" not in api["spec"]  # the HPA owns it
    for name in WORKERS:
        worker = find(documents, "Deployment", f"rel-teslasync-worker-{name}")
        assert worker["spec"]["template"]["spec"]["containers"][0]["args"] == ["teslasync", "worker", name]
    env = plain_env(api["spec"]["template"]["spec"]["containers"][0])
    assert env["TESLASYNC_WORKERS"] == "external"  # the worker Deployments run the queues
    assert env["TESLASYNC_GRAPHQL_MAX_COST"] == "1000000"  # not 1e+06
    assert env["TESLASYNC_KEY_FILE"] == "/etc/teslasync/keys/keyring.json"


@needs_helm
@pytest.mark.parametrize("preset", ["authentik", "authelia", "oauth2-proxy"])
def test_each_preset_renders_annotations_and_settings_the_app_accepts(
    preset: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["-f", str(MINIMAL), *PROXIES, "--set", f"ingress.forwardAuth.preset={preset}"]
    documents = render(*args, "--set", "ingress.forwardAuth.url=http://auth.example/check")
    annotations = find(documents, "Ingress")["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/auth-url"] == "http://auth.example/check"
    passed = annotations["nginx.ingress.kubernetes.io/auth-response-headers"].split(",")
    assert passed == preset_headers()[preset]
    env = plain_env(find(documents, "Deployment")["spec"]["template"]["spec"]["containers"][0])
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TESLASYNC_DATABASE_URL", "postgresql://u:p@db:5432/ts")
    settings = load_settings()
    assert settings.trusted_proxies == ["10.42.0.0/16"]
    if preset == "oauth2-proxy":
        assert settings.forward_auth is ForwardAuthPreset.CUSTOM
        assert settings.forward_auth_user_header == "X-Auth-Request-User"
    else:
        assert settings.forward_auth is ForwardAuthPreset(preset)
    assert (settings.host, settings.port) == ("0.0.0.0", 8000)  # noqa: S104 (the pod's own interfaces)


@needs_helm
@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "secrets.databaseUrl (or secrets.existingSecret) is required"),
        (["--set", "secrets.databaseUrl=mysql://db/x"], "must be a postgresql://"),
        (["--set", "secrets.databaseUrl=postgresql://db/x"], "secrets.secretKey (at least 32 characters"),
        (["-f", str(MINIMAL), "--set", "ingress.forwardAuth.preset=authelia"], "needs trustedProxies"),
        (
            ["-f", str(MINIMAL), *PROXIES, "--set", "ingress.forwardAuth.preset=authelia"],
            "needs ingress.forwardAuth.url",
        ),
        (["-f", str(MINIMAL), "--set", "ingress.forwardAuth.preset=keycloak"], "must be none, authentik"),
        (["-f", str(MINIMAL), "--set", "workers.notifications.enabled=true"], "enable all three"),
        (
            ["-f", str(MINIMAL), *[f"--set=workers.{name}.enabled=true" for name in WORKERS]],
            "persistence.accessModes ReadWriteMany",
        ),
    ],
)
def test_values_that_cannot_work_stop_the_render(args: list[str], message: str) -> None:
    done = helm("template", "rel", str(CHART), *args)
    assert done.returncode != 0
    assert message in done.stderr


@needs_helm
def test_the_readme_examples_render(tmp_path: Path) -> None:
    for number, example in enumerate(readme_examples()):
        example_file = tmp_path / f"example-{number}.yaml"
        example_file.write_text(yaml.safe_dump(example))
        documents = render("-f", str(MINIMAL), "-f", str(example_file))
        assert find(documents, "Ingress")["metadata"]["annotations"]
