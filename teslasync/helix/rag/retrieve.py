"""Find the sections of the docs that answer a question: full-text, vector, or both fused.

Full-text search works everywhere (no extension, no provider, offline), so it is the floor: hybrid search
falls back to it whenever there is nothing to fuse (no embedder, no stored embeddings of the model, or the
provider failing). Keywords go through `websearch_to_tsquery` (every word must match; "phrases", -words
and `or` work), ranked by `ts_rank_cd` with the heading weighted up. A question in natural language rarely
has a section holding all its words, so questions, and keyword searches that found fewer than `k`
sections, take sections holding any of the query's lexemes, ranked by BM25: ranking an any-word match by
`ts_rank_cd` lets the words every page has ("TeslaSync", "car") outweigh the one distinctive word, which
BM25's IDF weighs properly (recall@5 on the evaluation set 0.69 with `ts_rank_cd`, 0.80 with BM25).

Vector search embeds the query and orders by cosine distance through the HNSW index of the query's
dimension, restricted to vectors of the same model. Hybrid search fuses both lists by reciprocal rank
(RRF, k = 60): robust to the two scores' different scales, and a section found by both rises.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.engine import Database
from teslasync.db.repositories import helix_chunks as repo
from teslasync.helix.errors import HelixError
from teslasync.helix.rag.index import Embedder, vector_text

log = logging.getLogger(__name__)

Mode = Literal["fts", "vector", "hybrid"]
RRF_K = 60
SNIPPET_CHARS = 300
FUSION_DEPTH = 20  # each list contributes its top max(k, this) sections to the fusion
OVERFETCH = 3  # chunks fetched per section wanted, since pieces of one section collapse into one
_QUESTION = re.compile(
    r"^\s*(how|what|which|why|when|where|who|whose|can|could|do|does|did|is|are|was|were|should|may|"
    r"must|will|would|has|have|am|i|my)\b",
    re.IGNORECASE,
)
_EXCLUDED = re.compile(r"(?:^|\s)-\S+")  # websearch's -word: not a word to look for


@dataclass(frozen=True)
class Hit:
    """One retrieved section: `path#anchor` cites it; `snippet` shows it (full-text matches «marked»);
    `content` is the whole chunk, for a prompt or a citation check. The list's order is what counts:
    `score` is that of the method that found the hit (cosine similarity, RRF, `ts_rank_cd` for a
    full-text hit holding every word, BM25 for one holding some) and compares only within one method."""

    path: str
    heading: str
    anchor: str
    snippet: str
    score: float
    chunk_id: int
    content: str = ""

    @property
    def link(self) -> str:
        return f"{self.path}#{self.anchor}" if self.anchor else self.path


def _snippet(content: str, limit: int = SNIPPET_CHARS) -> str:
    """The start of a chunk, cut at a word boundary."""
    flat = " ".join(content.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut + " …"


def _hit(found: repo.FoundChunk, score: float | None = None) -> Hit:
    return Hit(
        found.path,
        found.heading,
        found.anchor,
        found.snippet or _snippet(found.content),
        found.score if score is None else score,
        found.id,
        found.content,
    )


def is_question(query: str) -> bool:
    """A question in natural language rather than keywords: it ends with "?" or opens like one."""
    return query.rstrip().endswith("?") or bool(_QUESTION.match(query))


def sections(found: list[repo.FoundChunk]) -> list[repo.FoundChunk]:
    """The best chunk of each section (path, anchor), in order: a long section cut in pieces should take
    one place among the k results, not crowd out other sections."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for chunk in found:
        if (chunk.path, chunk.anchor) not in seen:
            seen.add((chunk.path, chunk.anchor))
            kept.append(chunk)
    return kept


async def _full_text(session: AsyncSession, query: str, limit: int) -> list[repo.FoundChunk]:
    """Keywords: every word must match (websearch syntax: "phrases", -excluded, or), ranked by cover
    density; if that finds fewer than `limit`, and for questions from the start, any word may match,
    ranked by BM25."""
    lexemes = await repo.query_lexemes(session, _EXCLUDED.sub(" ", query))
    if not lexemes:
        return []
    found: list[repo.FoundChunk] = []
    if not is_question(query):
        strict = await repo.websearch(session, query)
        found = sections(await repo.full_text(session, strict, limit * OVERFETCH)) if strict else []
        if len(found) >= limit:
            return found[:limit]
    loose = await repo.best_matching(session, lexemes, (limit + len(found)) * OVERFETCH)
    return sections(found + loose)[:limit]


async def _query_vector(embedder: Embedder, query: str) -> list[float]:
    result = await embedder([query])
    if len(result.vectors) != 1 or not result.vectors[0]:
        raise ValueError("the embedder returned no vector for the query")
    return result.vectors[0]


async def _nearest(db: Database, vector: list[float], model: str, limit: int) -> list[repo.FoundChunk]:
    async with db.transaction() as session:
        if not await repo.vector_available(session):
            return []
        if len(vector) not in await repo.embedded_dims(session, model):
            return []
        return await repo.nearest(session, vector_text(vector), len(vector), model, limit)


def fuse(lists: list[list[repo.FoundChunk]], k: int, rrf_k: int = RRF_K) -> list[Hit]:
    """Reciprocal rank fusion of section lists: each section (path, anchor) scores the sum of
    1 / (rrf_k + rank) over the lists it is in (rank from 1), whichever of its chunks each list found.
    Ties keep the earlier list's order; the earlier list's chunk and snippet are kept (full-text snippets
    are marked)."""
    scores: dict[tuple[str, str], float] = {}
    first: dict[tuple[str, str], repo.FoundChunk] = {}
    for found in lists:
        for rank, chunk in enumerate(found, start=1):
            key = (chunk.path, chunk.anchor)
            scores[key] = scores.get(key, 0.0) + 1.0 / (rrf_k + rank)
            first.setdefault(key, chunk)
    order = sorted(scores, key=lambda key: -scores[key])  # stable: first-seen order on ties
    return [_hit(first[key], scores[key]) for key in order[:k]]


async def search(
    db: Database,
    query: str,
    k: int = 5,
    mode: Mode = "fts",
    embedder: Embedder | None = None,
    embedding_model: str | None = None,
) -> list[Hit]:
    """The `k` sections that best answer `query`, best first. `vector` needs an embedder and its model's
    name and raises what the provider raises; `hybrid` degrades to full-text search instead."""
    if k < 1 or not query.strip():
        return []
    if mode == "fts":
        async with db.transaction() as session:
            return [_hit(found) for found in await _full_text(session, query, k)]
    if embedder is None or not embedding_model:
        if mode == "vector":
            raise ValueError("vector search needs an embedder and the name of its embedding model")
        return await search(db, query, k, "fts")
    if mode == "vector":
        vector = await _query_vector(embedder, query)
        nearest = await _nearest(db, vector, embedding_model, k * OVERFETCH)
        return [_hit(found) for found in sections(nearest)[:k]]
    if mode != "hybrid":
        raise ValueError(f"unknown search mode {mode!r}")

    depth = max(k, FUSION_DEPTH)
    async with db.transaction() as session:
        lexical = await _full_text(session, query, depth)
        has_vectors = await repo.vector_available(session) and bool(
            await repo.embedded_dims(session, embedding_model)
        )
    if not has_vectors:
        return [_hit(found) for found in lexical[:k]]
    try:
        vector = await _query_vector(embedder, query)
    except (HelixError, ValueError) as error:
        log.warning("hybrid search without vectors: the query could not be embedded (%s)", error)
        return [_hit(found) for found in lexical[:k]]
    semantic = sections(await _nearest(db, vector, embedding_model, depth * OVERFETCH))[:depth]
    return fuse([lexical, semantic], k)
