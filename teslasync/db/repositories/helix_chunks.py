"""The docs chunks Helix retrieves from: full-text search always, pgvector embeddings where the extension is.

`embedding` (a `vector` of no fixed dimension, since models differ) and `dims` exist only where pgvector was
available at migration, so they are read and written here by raw SQL and never through the ORM model. Each
dimension gets its own partial HNSW index on `embedding::vector(dims)`; a search repeats exactly that
expression and predicate, with the dimension written into the SQL as a literal (a typmod cannot be a bind
parameter, and a partial index is only used when the planner sees the predicate's value).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from teslasync.db.models import HelixChunkRow

# pgvector's HNSW indexes `vector` up to 2,000 dimensions; larger embeddings are searched without one
HNSW_MAX_DIMS = 2000
_LOCK = "helix_chunks_index"


@dataclass(frozen=True)
class StoredChunk:
    id: int
    path: str
    position: int
    heading: str
    anchor: str
    content_hash: str
    embedding_model: str | None
    embedded: bool


@dataclass(frozen=True)
class NewChunk:
    path: str
    position: int
    heading: str
    anchor: str
    content: str
    content_hash: str


@dataclass(frozen=True)
class FoundChunk:
    id: int
    path: str
    heading: str
    anchor: str
    content: str
    snippet: str
    score: float


async def vector_available(session: AsyncSession) -> bool:
    """Whether this database has the pgvector columns (the extension was there at migration)."""
    found = await session.scalar(
        text(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = 'helix_chunks' AND column_name = 'embedding'"
        )
    )
    return found is not None


async def lock_for_indexing(session: AsyncSession) -> None:
    """One indexer at a time (replicas may all index at start); released with the transaction."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": _LOCK})


async def stored(session: AsyncSession, with_vectors: bool) -> list[StoredChunk]:
    """Every stored chunk's place, hash and embedding state (not its content)."""
    embedded = "dims IS NOT NULL" if with_vectors else "false"
    rows = await session.execute(
        text(
            "SELECT id, path, position, heading, anchor, content_hash, embedding_model, "
            f"{embedded} AS embedded "
            "FROM helix_chunks ORDER BY path, position"
        )
    )
    return [StoredChunk(*row) for row in rows.all()]


async def vectors_by_hash(session: AsyncSession, hashes: Sequence[str], model: str) -> dict[str, str]:
    """Stored embeddings of `model` for these content hashes (pgvector's text form), to reuse a vector
    when a section only moved."""
    if not hashes:
        return {}
    rows = await session.execute(
        text(
            "SELECT DISTINCT ON (content_hash) content_hash, embedding::text FROM helix_chunks "
            "WHERE content_hash = ANY(:hashes) AND embedding_model = :model AND dims IS NOT NULL"
        ),
        {"hashes": list(hashes), "model": model},
    )
    return {digest: vector for digest, vector in rows.all()}


async def upsert(session: AsyncSession, chunks: Sequence[NewChunk], with_vectors: bool) -> None:
    """Insert or replace chunks by (path, position). A replaced chunk's embedding is dropped: it described
    the old text (the indexer writes the new one after)."""
    if not chunks:
        return
    forget = ", embedding = NULL, dims = NULL" if with_vectors else ""
    await session.execute(
        text(
            "INSERT INTO helix_chunks (path, position, heading, anchor, content, content_hash) "
            "VALUES (:path, :position, :heading, :anchor, :content, :content_hash) "
            "ON CONFLICT ON CONSTRAINT uq_helix_chunks_place DO UPDATE SET heading = EXCLUDED.heading, "
            "anchor = EXCLUDED.anchor, content = EXCLUDED.content, content_hash = EXCLUDED.content_hash, "
            f"embedding_model = NULL, indexed_at = now(){forget}"
        ),
        [
            {
                "path": chunk.path,
                "position": chunk.position,
                "heading": chunk.heading,
                "anchor": chunk.anchor,
                "content": chunk.content,
                "content_hash": chunk.content_hash,
            }
            for chunk in chunks
        ],
    )


async def relabel(session: AsyncSession, changes: Iterable[tuple[int, str]]) -> None:
    """New anchors for unchanged chunks (a heading added above can renumber a duplicate's `_1`)."""
    params = [{"id": chunk_id, "anchor": anchor} for chunk_id, anchor in changes]
    if params:
        await session.execute(text("UPDATE helix_chunks SET anchor = :anchor WHERE id = :id"), params)


async def remove(session: AsyncSession, ids: Sequence[int]) -> None:
    if ids:
        await session.execute(delete(HelixChunkRow).where(HelixChunkRow.id.in_(ids)))


async def set_embeddings(session: AsyncSession, model: str, vectors: Sequence[tuple[str, int, str]]) -> None:
    """Store `(path, position, vector)` embeddings of `model`; a vector is pgvector's text form
    (`[0.1,0.2,...]`), its dimension recorded in `dims`."""
    params = [
        {"path": path, "position": position, "v": vector, "d": vector.count(",") + 1, "m": model}
        for path, position, vector in vectors
    ]
    if params:
        await session.execute(
            text(
                "UPDATE helix_chunks SET embedding = CAST(:v AS vector), dims = :d, embedding_model = :m, "
                "indexed_at = now() WHERE path = :path AND position = :position"
            ),
            params,
        )


def index_name(dims: int) -> str:
    return f"ix_helix_chunks_embedding_{int(dims)}"


async def ensure_vector_index(session: AsyncSession, dims: int) -> bool:
    """The HNSW (cosine) index for embeddings of `dims` dimensions, made the first time vectors of that size
    are stored. False when pgvector cannot index that many dimensions (search then scans)."""
    dims = int(dims)
    if not 0 < dims <= HNSW_MAX_DIMS:
        return False
    await session.execute(
        text(
            f"CREATE INDEX IF NOT EXISTS {index_name(dims)} ON helix_chunks "
            f"USING hnsw ((embedding::vector({dims})) vector_cosine_ops) WHERE dims = {dims}"
        )
    )
    return True


async def embedded_dims(session: AsyncSession, model: str) -> list[int]:
    """The dimensions of the stored embeddings of `model` (one, unless the model changed size)."""
    rows = await session.execute(
        text("SELECT DISTINCT dims FROM helix_chunks WHERE embedding_model = :m AND dims IS NOT NULL"),
        {"m": model},
    )
    return sorted(rows.scalars())


# --- search --------------------------------------------------------------------------------------------

# headings weigh more than body text: a section's heading is the best summary of what it answers
_RANK = "ts_rank_cd(setweight(to_tsvector('english', heading), 'A') || tsv, q, 1)"
# matches marked «so» (not **so**: the docs' own Markdown bold would run into it)
_HEADLINE_OPTIONS = 'MaxFragments=2, MinWords=12, MaxWords=30, FragmentDelimiter=" … ", StartSel=«, StopSel=»'
# ts_headline's parser takes `<data dir>` for an HTML tag and drops it: the text goes in escaped
_HEADLINE_INPUT = "replace(replace({}, '&', '&amp;'), '<', '&lt;')"


def _found(row: Sequence[Any]) -> FoundChunk:
    chunk_id, path, heading, anchor, content, snippet, score = row
    return FoundChunk(chunk_id, path, heading, anchor, content, html.unescape(snippet or ""), float(score))


async def full_text(session: AsyncSession, tsquery: str, limit: int) -> list[FoundChunk]:
    """Chunks matching `tsquery` (tsquery text of lexemes, already normalised), best first, with a
    highlighted snippet. The match uses the GIN index on `tsv`; the rank, with the heading weighted up, is
    computed on matches only."""
    rows = await session.execute(
        text(
            "WITH q AS (SELECT CAST(:tsquery AS tsquery) AS q), "
            f"hits AS (SELECT c.id, c.path, c.heading, c.anchor, c.content, {_RANK} AS score "
            "FROM helix_chunks c, q WHERE c.tsv @@ q.q ORDER BY score DESC, c.path, c.position LIMIT :limit) "
            f"SELECT hits.id, hits.path, hits.heading, hits.anchor, hits.content, "
            f"ts_headline('english', {_HEADLINE_INPUT.format('hits.content')}, q.q, :options), hits.score "
            "FROM hits, q ORDER BY hits.score DESC, hits.path, hits.id"
        ),
        {"tsquery": tsquery, "limit": limit, "options": _HEADLINE_OPTIONS},
    )
    return [_found(row) for row in rows.all()]


async def query_lexemes(session: AsyncSession, query: str) -> list[str]:
    """The distinct lexemes PostgreSQL's English configuration makes of `query` (stop words dropped,
    words stemmed): those `plainto_tsquery` would AND together."""
    rows = await session.execute(
        text("SELECT unnest(tsvector_to_array(to_tsvector('english', :q)))"), {"q": query}
    )
    return list(rows.scalars())


async def websearch(session: AsyncSession, query: str) -> str:
    """`websearch_to_tsquery` of the query, as text for `to_tsquery` (empty when it has no lexeme)."""
    return str(await session.scalar(text("SELECT websearch_to_tsquery('english', :q)::text"), {"q": query}))


async def nearest(session: AsyncSession, vector: str, dims: int, model: str, limit: int) -> list[FoundChunk]:
    """The `limit` chunks embedded by `model` nearest to `vector` (cosine), through the HNSW index of that
    dimension. Iterative scans (pgvector 0.8 on; an older one refuses the setting) keep the index from running
    dry when another model's rows of the same size are filtered out."""
    dims = int(dims)
    await session.execute(
        text(
            "SELECT set_config('hnsw.iterative_scan', 'strict_order', true) FROM pg_extension "
            "WHERE extname = 'vector' AND CAST(string_to_array(extversion, '.') AS int[]) >= '{0,8}'"
        )
    )
    rows = await session.execute(
        text(
            "SELECT id, path, heading, anchor, content, '' AS snippet, "
            f"1 - (embedding::vector({dims}) <=> CAST(:q AS vector({dims}))) AS score "
            f"FROM helix_chunks WHERE dims = {dims} AND embedding_model = :m "
            f"ORDER BY embedding::vector({dims}) <=> CAST(:q AS vector({dims})) LIMIT :limit"
        ),
        {"q": vector, "m": model, "limit": limit},
    )
    return [_found(row) for row in rows.all()]


async def by_place(session: AsyncSession, path: str, anchor: str | None = None) -> list[FoundChunk]:
    """The chunks of a page (of one section of it), in order: what a citation points at."""
    query = select(HelixChunkRow).where(HelixChunkRow.path == path).order_by(HelixChunkRow.position)
    if anchor is not None:
        query = query.where(HelixChunkRow.anchor == anchor)
    rows = (await session.scalars(query)).all()
    return [FoundChunk(row.id, row.path, row.heading, row.anchor, row.content, "", 0.0) for row in rows]


# Okapi BM25 over the any-word match: k1 (term-frequency saturation), b (length normalisation), and how
# much more a word in the heading counts than one in the text
BM25_K1 = 1.2
BM25_B = 0.75
HEADING_BOOST = 1.0


async def best_matching(session: AsyncSession, lexemes: Sequence[str], limit: int) -> list[FoundChunk]:
    """Chunks matching any of `lexemes`, ranked by BM25: each word counts by its rarity in the docs (its
    IDF), so a question's distinctive words decide, not the words every page has."""
    if not lexemes:
        return []
    rows = await session.execute(
        text(
            "WITH terms AS (SELECT term, CAST('''' || replace(replace(term, '\\', '\\\\'), '''', '''''') "
            "|| '''' AS tsquery) AS q FROM unnest(CAST(:terms AS text[])) AS term), "
            "corpus AS (SELECT count(*) AS n, greatest(avg(length(tsv)), 1) AS avglen FROM helix_chunks), "
            "weights AS (SELECT t.term, t.q, ln(1 + (corpus.n - d.df + 0.5) / (d.df + 0.5)) AS idf "
            "FROM terms t CROSS JOIN corpus CROSS JOIN LATERAL "
            "(SELECT count(*) AS df FROM helix_chunks c WHERE c.tsv @@ t.q) d), "
            "any_q AS (SELECT string_agg(CAST(q AS text), ' | ')::tsquery AS q FROM terms), "
            "candidates AS (SELECT c.id, c.tsv, c.heading, length(c.tsv) AS len FROM helix_chunks c, any_q "
            "WHERE c.tsv @@ any_q.q), "
            "scored AS (SELECT cand.id, sum(w.idf * ("
            "  f.tf * (:k1 + 1) / (f.tf + :k1 * (1 - :b + :b * cand.len / corpus.avglen))"
            "  + CASE WHEN to_tsvector('english', cand.heading) @@ w.q THEN :boost ELSE 0 END)) AS score "
            "FROM candidates cand CROSS JOIN corpus "
            "CROSS JOIN LATERAL (SELECT lexeme, cardinality(positions) AS tf FROM unnest(cand.tsv)) f "
            "JOIN weights w ON w.term = f.lexeme GROUP BY cand.id ORDER BY score DESC, cand.id LIMIT :limit) "
            "SELECT c.id, c.path, c.heading, c.anchor, c.content, "
            f"ts_headline('english', {_HEADLINE_INPUT.format('c.content')}, any_q.q, :options), scored.score "
            "FROM scored JOIN helix_chunks c ON c.id = scored.id CROSS JOIN any_q "
            "ORDER BY scored.score DESC, c.id"
        ),
        {
            "terms": list(lexemes),
            "limit": limit,
            "k1": BM25_K1,
            "b": BM25_B,
            "boost": HEADING_BOOST,
            "options": _HEADLINE_OPTIONS,
        },
    )
    return [_found(row) for row in rows.all()]
