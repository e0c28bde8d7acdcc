"""Keep `helix_chunks` in step with docs/: run it at start or after an upgrade, as often as you like.

Idempotent and cheap when nothing changed: chunks are compared by place (path, position) and content hash;
only new or changed text is written, and only text with no stored embedding of the model is sent to the
embedder (in batches). A section that merely moved (a paragraph added above it shifts its position) keeps
its vector: embeddings are looked up by content hash before anything is embedded. The embedder is called
outside any transaction (a provider can take seconds); the writes then happen in one transaction, under an
advisory lock, against a fresh read of the table, so two replicas indexing at once cannot interleave.

Without pgvector (the columns do not exist), or without an embedder, the index is full-text only, and
retrieval still works.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from teslasync.db.engine import Database
from teslasync.db.repositories import helix_chunks as repo
from teslasync.helix.providers.base import Embeddings
from teslasync.helix.rag.chunking import Chunk, chunk_docs

log = logging.getLogger(__name__)

Embedder = Callable[[list[str]], Awaitable[Embeddings]]
BATCH_SIZE = 32


@dataclass(frozen=True)
class IndexReport:
    """What a run did. `embedded` counts texts sent to the embedder; `reused` vectors copied from a stored
    chunk of the same text; `vectors` is False where pgvector is missing (full-text search only)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    embedded: int = 0
    reused: int = 0
    vectors: bool = True
    vector_indexes: tuple[int, ...] = ()
    notes: tuple[str, ...] = field(default=())


@dataclass
class _Plan:
    added: list[Chunk] = field(default_factory=list)
    updated: list[Chunk] = field(default_factory=list)
    unchanged: list[Chunk] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    relabel: list[tuple[int, str]] = field(default_factory=list)
    to_embed: list[Chunk] = field(default_factory=list)


def _plan(chunks: Sequence[Chunk], stored: Sequence[repo.StoredChunk], model: str | None) -> _Plan:
    """Compare the docs with the table; with `model`, also which chunks lack an embedding of it."""
    plan = _Plan()
    by_place = {(row.path, row.position): row for row in stored}
    wanted = {(chunk.path, chunk.position) for chunk in chunks}
    plan.removed = [row.id for place, row in by_place.items() if place not in wanted]
    for chunk in chunks:
        row = by_place.get((chunk.path, chunk.position))
        if row is None:
            plan.added.append(chunk)
        elif row.content_hash != chunk.content_hash:
            plan.updated.append(chunk)
        else:
            plan.unchanged.append(chunk)
            if row.anchor != chunk.anchor:
                plan.relabel.append((row.id, chunk.anchor))
            if model is not None and row.embedded and row.embedding_model == model:
                continue
        if model is not None:
            plan.to_embed.append(chunk)
    return plan


def vector_text(vector: Sequence[float]) -> str:
    """pgvector's text form. A NaN or infinite component means a broken embedder: refused here rather
    than by PostgreSQL halfway through the write."""
    if not vector or not all(math.isfinite(x) for x in vector):
        raise ValueError("the embedder returned an empty or non-finite vector")
    return "[" + ",".join(repr(float(x)) for x in vector) + "]"


async def _embed(embedder: Embedder, chunks: Sequence[Chunk], batch_size: int) -> dict[str, str]:
    """Vectors for the chunks' texts by content hash, each distinct text embedded once, `batch_size`
    texts a call."""
    distinct = list({chunk.content_hash: chunk for chunk in chunks}.values())
    vectors: dict[str, str] = {}
    for start in range(0, len(distinct), batch_size):
        batch = distinct[start : start + batch_size]
        result = await embedder([chunk.text for chunk in batch])
        if len(result.vectors) != len(batch):
            raise ValueError(f"the embedder returned {len(result.vectors)} vectors for {len(batch)} texts")
        for chunk, vector in zip(batch, result.vectors, strict=True):
            vectors[chunk.content_hash] = vector_text(vector)
    return vectors


def _new_rows(chunks: Sequence[Chunk]) -> list[repo.NewChunk]:
    return [repo.NewChunk(c.path, c.position, c.heading, c.anchor, c.content, c.content_hash) for c in chunks]


async def index_docs(
    db: Database,
    docs_dir: Path,
    embedder: Embedder | None = None,
    embedding_model: str | None = None,
    *,
    batch_size: int = BATCH_SIZE,
) -> IndexReport:
    """Bring the index up to date with `docs_dir`; with an `embedder`, also embed what `embedding_model`
    has not embedded yet (the model's name is what retrieval filters by)."""
    if embedder is not None and not embedding_model:
        raise ValueError("an embedder needs the name of its embedding model")
    chunks = chunk_docs(docs_dir)
    async with db.transaction() as session:
        with_vectors = await repo.vector_available(session)
        before = await repo.stored(session, with_vectors)
    notes: list[str] = []
    model = embedding_model if embedder is not None and with_vectors else None
    if embedder is not None and not with_vectors:
        notes.append("pgvector is not installed: embeddings skipped, full-text search only")

    stored_vectors: dict[str, str] = {}
    fresh: dict[str, str] = {}
    if embedder is not None and model is not None:
        needed = _plan(chunks, before, model).to_embed
        async with db.transaction() as session:
            stored_vectors = await repo.vectors_by_hash(session, [c.content_hash for c in needed], model)
        fresh = await _embed(
            embedder, [c for c in needed if c.content_hash not in stored_vectors], batch_size
        )
    vectors = stored_vectors | fresh

    async with db.transaction() as session:
        await repo.lock_for_indexing(session)
        plan = _plan(chunks, await repo.stored(session, with_vectors), model)
        await repo.remove(session, plan.removed)
        await repo.upsert(session, _new_rows(plan.added + plan.updated), with_vectors)
        await repo.relabel(session, plan.relabel)
        written = [
            (c.path, c.position, vectors[c.content_hash]) for c in plan.to_embed if c.content_hash in vectors
        ]
        indexed: list[int] = []
        if model is not None and written:
            await repo.set_embeddings(session, model, written)
            for dims in sorted({vector.count(",") + 1 for _, _, vector in written}):
                if await repo.ensure_vector_index(session, dims):
                    indexed.append(dims)
                else:
                    notes.append(
                        f"{dims}-dimension vectors are searched without an index "
                        f"(HNSW takes at most {repo.HNSW_MAX_DIMS})"
                    )
        if len(written) < len(plan.to_embed):
            notes.append(
                f"{len(plan.to_embed) - len(written)} chunks changed while indexing: "
                "run it again to embed them"
            )
    report = IndexReport(
        added=len(plan.added),
        updated=len(plan.updated),
        unchanged=len(plan.unchanged),
        removed=len(plan.removed),
        embedded=len(fresh),
        reused=sum(1 for c in plan.to_embed if c.content_hash in stored_vectors),
        vectors=with_vectors,
        vector_indexes=tuple(indexed),
        notes=tuple(notes),
    )
    log.info("docs index: %s", report)
    return report
