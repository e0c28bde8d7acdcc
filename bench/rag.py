"""Helix RAG over docs/: time to index, and recall@5 of full-text, vector and hybrid search.

    PYTHONPATH=. .venv/bin/python bench/rag.py [--k 5] [--ollama URL --model NAME] [--misses]

Starts an embedded PostgreSQL (migrated, plain storage, with pgvector) in a temp dir, indexes docs/ with the
embedding model available, then runs every question of the evaluation set (`teslasync/helix/rag/eval.py`)
through each search mode and prints recall@k and MRR:

- by default the mock provider's embeddings (deterministic, offline: a hashed bag of words, so vector search
  measures word overlap in another guise, not meaning);
- `--ollama http://127.0.0.1:11434 --model nomic-embed-text` embeds with a real model through Ollama.

The index is built three times: full-text only, then with embeddings (only the vectors are added), then
once more over the unchanged docs (what a restart costs: nothing embedded).
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from bench.common import run_on_embedded_postgres
from teslasync.config import StorageMode
from teslasync.db import migrate
from teslasync.db.embedded import EmbeddedPostgres
from teslasync.db.engine import Database, make_engine
from teslasync.helix.errors import HelixError
from teslasync.helix.providers.base import Provider
from teslasync.helix.providers.mock import MockProvider
from teslasync.helix.rag.eval import EVAL_SET, evaluate
from teslasync.helix.rag.index import Embedder, IndexReport, index_docs

DOCS = Path(__file__).resolve().parents[1] / "docs"


def describe(report: IndexReport) -> str:
    text = (
        f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.removed} removed; {report.embedded} embedded, {report.reused} reused"
    )
    return text + "".join(f"; {note}" for note in report.notes)


async def bench(args: argparse.Namespace, pg: EmbeddedPostgres) -> None:
    engine = make_engine(pg.url("postgres"))
    db = Database.from_engine(engine)
    provider: Provider | None = None
    try:
        await migrate.upgrade(engine, StorageMode.PLAIN)
        if args.ollama:
            from teslasync.helix.providers.ollama import OllamaProvider

            provider = ollama = OllamaProvider(base_url=args.ollama, timeout_s=300)
            model = args.model
            embedder: Embedder = lambda texts: ollama.embed(model, texts)  # noqa: E731
        else:
            provider = mock = MockProvider()
            model = "mock-embed"
            embedder = lambda texts: mock.embed(model, texts)  # noqa: E731
        print(f"docs: {DOCS}; {len(EVAL_SET)} questions; embedding model: {model}", flush=True)

        began = time.perf_counter()
        fts_only = await index_docs(db, DOCS)
        print(
            f"index, full-text only: {time.perf_counter() - began:.2f} s ({describe(fts_only)})", flush=True
        )
        began = time.perf_counter()
        first = await index_docs(db, DOCS, embedder, model)
        print(f"index, embeddings:     {time.perf_counter() - began:.2f} s ({describe(first)})", flush=True)
        began = time.perf_counter()
        again = await index_docs(db, DOCS, embedder, model)
        print(f"index again, no change: {time.perf_counter() - began:.2f} s ({describe(again)})", flush=True)

        print(f"\n| mode   | recall@{args.k} | MRR  | time per question |")
        print("|--------|----------|------|-------------------|")
        misses = {}
        for mode in ("fts", "vector", "hybrid"):
            began = time.perf_counter()
            result = await evaluate(db, mode, args.k, embedder, model)
            took = (time.perf_counter() - began) / len(EVAL_SET)
            print(
                f"| {mode:<6} | {result.recall:8.2f} | {result.mrr:.2f} | {took * 1000:14.1f} ms |",
                flush=True,
            )
            misses[mode] = result.misses
        if args.misses:
            for mode, questions in misses.items():
                print(f"\nmissed by {mode} ({len(questions)}):")
                for question in questions:
                    print(f"  - {question}")
    finally:
        if provider is not None:
            await provider.aclose()
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--k", type=int, default=5, help="hits per question (default 5)")
    parser.add_argument("--ollama", metavar="URL", help="embed with Ollama at this URL (needs --model)")
    parser.add_argument("--model", metavar="NAME", help="the Ollama embedding model, e.g. nomic-embed-text")
    parser.add_argument("--misses", action="store_true", help="list the questions each mode missed")
    args = parser.parse_args()
    if bool(args.ollama) != bool(args.model):
        parser.error("--ollama and --model go together")
    logging.basicConfig(level=logging.WARNING)
    try:
        run_on_embedded_postgres("teslasync-bench-rag-", lambda tmp, pg: bench(args, pg))
    except HelixError as error:
        parser.exit(1, f"bench/rag.py: {error}\n")


if __name__ == "__main__":
    main()
