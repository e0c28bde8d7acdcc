"""Questions about TeslaSync as users ask them, each with the section of the docs that answers it, to
measure retrieval (recall@k, MRR) per search mode: `bench/rag.py` prints the figures, and a test checks that
every section named here still exists in the index, so the set cannot rot as the docs change.

A question may have more than one right section (`also`): backups are explained for the CLI in operations.md
and for Compose in deploy.md. A hit on any of them counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from teslasync.db.engine import Database
from teslasync.helix.rag.index import Embedder
from teslasync.helix.rag.retrieve import Mode, search


@dataclass(frozen=True)
class EvalCase:
    question: str
    path: str
    anchor: str
    also: tuple[str, ...] = ()  # other right answers, as "path#anchor"

    @property
    def answers(self) -> frozenset[str]:
        return frozenset({f"{self.path}#{self.anchor}", *self.also})


def _case(question: str, answer: str, *also: str) -> EvalCase:
    path, anchor = answer.split("#", 1)
    return EvalCase(question, path, anchor, also)


EVAL_SET: tuple[EvalCase, ...] = (
    _case("How do I back up TeslaSync?", "operations.md#backup-and-restore", "deploy.md#backups"),
    _case(
        "Which variable sets how long finished exports are kept?",
        "configuration.md#configuration-reference",
        "exports.md#through-the-api",
    ),
    _case("How are webhook notifications signed?", "notifications.md#webhook"),
    _case(
        "What does STEP_UP_REQUIRED mean and what should my client do?",
        "security.md#two-factor-step-up-totp",
        "security.md#error-codes",
        "api.md#errors",
        "troubleshooting.md#troubleshooting",
    ),
    _case(
        "How do I run the export and notification workers as separate processes?",
        "operations.md#workers-and-the-scheduler",
    ),
    _case(
        "Why did my command fail with VEHICLE_ASLEEP?",
        "commands.md#sending-one",
        "troubleshooting.md#troubleshooting",
    ),
    _case(
        "How many commands can one car get per day before they are refused?",
        "commands.md#sending-one",
        "configuration.md#configuration-reference",
    ),
    _case("Are VINs and GPS positions hidden when I export my data?", "exports.md#redaction"),
    _case("Can I get a notification when I forget to lock my car?", "notifications.md#events"),
    _case("How do I stop notifications from waking me up at night?", "notifications.md#quiet-hours"),
    _case("How do I find the chat id for Telegram notifications?", "notifications.md#telegram"),
    _case("Gmail refuses my password for email notifications, what now?", "notifications.md#email"),
    _case("How does TeslaSync decide when a drive starts and when it ends?", "analytics.md#drives"),
    _case("How is battery degradation estimated?", "analytics.md#battery"),
    _case(
        "How do I get cheaper night-time electricity prices into my charging costs?",
        "analytics.md#costs-geofences-and-tariffs",
        "api.md#examples",
    ),
    _case(
        "How do I make a rule that fires when the battery drops below 20 %?",
        "automations.md#threshold",
        "automations.md#a-rule",
        "automations.md#dry-run",
    ),
    _case("Can I try an automation on past data before turning it on?", "automations.md#dry-run"),
    _case(
        "What happens to a scheduled automation when the clocks change for daylight saving?",
        "automations.md#schedule",
    ),
    _case(
        "Which placeholders can I put in the title of a rule's notification?", "automations.md#placeholders"
    ),
    _case("How do I put TeslaSync behind Authelia or Authentik?", "security.md#behind-a-forward-auth-proxy"),
    _case("How do I rotate the key that encrypts stored secrets?", "security.md#key-management"),
    _case("What do I lose if the secret key is lost?", "security.md#key-management"),
    _case(
        "How do I link my Tesla account?",
        "security.md#connecting-a-tesla-account",
        "first-car.md#5-connect-your-tesla-account",
    ),
    _case(
        "Why do I need tesla-http-proxy to send commands to my car?",
        "commands.md#the-vehicle-command-proxy-and-key-pairing",
        "first-car.md#4-the-vehicle-command-proxy",
    ),
    _case(
        "How do I pair my app's public key with the car?",
        "first-car.md#2-the-apps-key-hosted-and-paired",
        "commands.md#the-vehicle-command-proxy-and-key-pairing",
    ),
    _case("How deep and how costly may a GraphQL query be?", "api.md#limits"),
    _case("How do I page through a long list of drives?", "api.md#pagination"),
    _case("Can a client send a hash instead of the whole query text?", "api.md#persisted-queries"),
    _case("How does a browser authenticate a WebSocket subscription?", "api.md#authenticating"),
    _case("Are MQTT messages lost if TeslaSync restarts?", "telemetry.md#mqtt-delivery-guarantees"),
    _case("What does it mean when streamState says STALE?", "telemetry.md#stream-health"),
    _case("Can I load recorded Fleet Telemetry files?", "telemetry.md#replay"),
    _case("How many telemetry values per second can TeslaSync store?", "telemetry.md#throughput-and-latency"),
    _case(
        "How can I try TeslaSync without a real car?",
        "getting-started.md#on-your-own-machine-in-two-commands",
        "telemetry.md#the-simulator",
    ),
    _case(
        "Which endpoint tells me whether the service and its database are healthy?",
        "getting-started.md#health-and-metrics",
        "operations.md#watching-it",
    ),
    _case(
        "How do I send traces to Jaeger?",
        "operations.md#traces-and-logs",
        "deploy.md#traces-and-the-ai-profile",
    ),
    _case("How long does restoring a year of data take?", "operations.md#how-long-it-takes"),
    _case("How do I install it on Kubernetes?", "deploy.md#kubernetes-helm"),
    _case("Where do I get a TLS certificate for the fleet-telemetry server?", "deploy.md#3-certificates"),
    _case(
        "How do I upgrade a Docker Compose installation?", "deploy.md#upgrading", "operations.md#upgrading"
    ),
    _case(
        "How do I delete raw telemetry older than a few months?",
        "configuration.md#configuration-reference",
        "operations.md#workers-and-the-scheduler",
    ),
    _case(
        "My Tesla account shows reauth_required, what should I do?",
        "troubleshooting.md#troubleshooting",
        "security.md#connecting-a-tesla-account",
    ),
    _case("What can a viewer do with a car shared with them?", "security.md#principals-and-roles"),
    _case("How is telemetry stored without TimescaleDB?", "architecture.md#storage"),
    _case(
        "How do I choose which fields my car streams?",
        "first-car.md#6-tell-the-car-what-to-stream",
        "commands.md#fleet-telemetry-configuration",
    ),
    _case(
        "What happens when a notification cannot be delivered?",
        "notifications.md#how-failures-are-handled",
        "notifications.md#the-delivery-log",
    ),
    _case("Is charged energy measured at the battery or at the wall?", "analytics.md#charging-sessions"),
    _case("How do I run several replicas of TeslaSync?", "operations.md#scaling-out"),
    _case(
        "How do I set the charge limit to 80 % through the API?",
        "commands.md#sending-one",
        "commands.md#charging",
    ),
)


@dataclass(frozen=True)
class EvalResult:
    """recall@k: the share of questions with a right section among the first k hits; MRR: the mean of
    1 / the rank of the first right hit (0 when none)."""

    mode: str
    k: int
    recall: float
    mrr: float
    misses: tuple[str, ...] = field(default=())


def score(cases: Sequence[EvalCase], results: Sequence[Sequence[str]], mode: str, k: int) -> EvalResult:
    """Score hit links (`path#anchor`, best first) per case."""
    found = 0
    reciprocal = 0.0
    misses: list[str] = []
    for case, links in zip(cases, results, strict=True):
        rank = next((n for n, link in enumerate(links[:k], start=1) if link in case.answers), None)
        if rank is None:
            misses.append(case.question)
        else:
            found += 1
            reciprocal += 1 / rank
    total = max(len(cases), 1)
    return EvalResult(mode, k, found / total, reciprocal / total, tuple(misses))


async def evaluate(
    db: Database,
    mode: Mode,
    k: int = 5,
    embedder: Embedder | None = None,
    embedding_model: str | None = None,
    cases: Sequence[EvalCase] = EVAL_SET,
) -> EvalResult:
    """Run every question through `search` and score it."""
    results = []
    for case in cases:
        hits = await search(db, case.question, k, mode, embedder, embedding_model)
        results.append([hit.link for hit in hits])
    return score(cases, results, mode, k)
