"""The docs index: idempotent, re-embeds only what changed, removes what is gone, indexes vectors per
dimension with HNSW, and works without pgvector (full-text only)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import text

from teslasync.db.engine import Database
from teslasync.helix.providers.base import Embeddings
from teslasync.helix.providers.mock import MOCK_EMBEDDING_DIMS, MockProvider
from teslasync.helix.rag.chunking import chunk_docs
from teslasync.helix.rag.index import index_docs
from teslasync.helix.rag.retrieve import search

DOCS = Path(__file__).resolve().parents[2] / "docs"
MODEL = "mock-embed"


class CountingEmbedder:
    """The mock provider's embeddings, with every call's batch recorded."""

    def __init__(self) -> None:
        self.provider = MockProvider()
        self.batches: list[list[str]] = []

    async def __call__(self, texts: Sequence[str]) -> Embeddings:
        self.batches.append(list(texts))
        return await self.provider.embed(MODEL, texts)

    @property
    def texts(self) -> int:
        return sum(len(batch) for batch in self.batches)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """A copy of docs/ to edit."""
    return Path(shutil.copytree(DOCS, tmp_path / "docs"))


async def rows(db: Database) -> list[tuple[str, int, str, str | None, int | None]]:
    async with db.transaction() as session:
        result = await session.execute(
            text("SELECT path, position, content_hash, embedding_model, dims FROM helix_chunks ORDER BY 1, 2")
        )
        return [(path, position, digest, model, dims) for path, position, digest, model, dims in result.all()]


async def test_first_run_indexes_and_embeds_everything_in_batches(fresh_db: Database, docs: Path) -> None:
    embedder = CountingEmbedder()
    chunks = chunk_docs(docs)
    report = await index_docs(fresh_db, docs, embedder, MODEL)

    distinct = len({chunk.content_hash for chunk in chunks})
    assert (report.added, report.updated, report.unchanged, report.removed) == (len(chunks), 0, 0, 0)
    assert report.embedded == distinct == embedder.texts
    assert report.vectors and report.vector_indexes == (MOCK_EMBEDDING_DIMS,)
    assert all(len(batch) <= 32 for batch in embedder.batches) and len(embedder.batches) == -(-distinct // 32)
    stored = await rows(fresh_db)
    assert [(path, position, digest) for path, position, digest, _, _ in stored] == sorted(
        (c.path, c.position, c.content_hash) for c in chunks
    )
    assert {(model, dims) for *_, model, dims in stored} == {(MODEL, MOCK_EMBEDDING_DIMS)}


async def test_a_second_run_changes_nothing(fresh_db: Database, docs: Path) -> None:
    await index_docs(fresh_db, docs, CountingEmbedder(), MODEL)
    before = await rows(fresh_db)
    embedder = CountingEmbedder()
    report = await index_docs(fresh_db, docs, embedder, MODEL)
    assert (report.added, report.updated, report.removed, report.embedded) == (0, 0, 0, 0)
    assert report.unchanged == len(before)
    assert embedder.batches == []
    assert await rows(fresh_db) == before


async def test_editing_a_file_re_embeds_only_its_changed_chunks(fresh_db: Database, docs: Path) -> None:
    await index_docs(fresh_db, docs, CountingEmbedder(), MODEL)
    page = docs / "exports.md"
    source = page.read_text(encoding="utf-8")
    edited = source.replace("By default an export leaves out", "By default, an export always leaves out")
    assert edited != source
    page.write_text(edited, encoding="utf-8")

    embedder = CountingEmbedder()
    report = await index_docs(fresh_db, docs, embedder, MODEL)
    assert (report.added, report.updated, report.removed, report.embedded) == (0, 1, 0, 1)
    assert report.unchanged == len(chunk_docs(docs)) - 1
    assert len(embedder.batches) == 1 and "always leaves out" in embedder.batches[0][0]
    async with fresh_db.transaction() as session:
        model, dims = (
            await session.execute(
                text(
                    "SELECT embedding_model, dims FROM helix_chunks WHERE content LIKE '%always leaves out%'"
                )
            )
        ).one()
    assert (model, dims) == (MODEL, MOCK_EMBEDDING_DIMS)


async def test_a_section_that_moved_keeps_its_vector(fresh_db: Database, docs: Path) -> None:
    await index_docs(fresh_db, docs, CountingEmbedder(), MODEL)
    page = docs / "exports.md"
    before = [c for c in chunk_docs(docs) if c.path == "exports.md"]
    source = page.read_text(encoding="utf-8")
    page.write_text(source.replace("## Redaction", "## Before redaction\n\nA new section.\n\n## Redaction"))

    embedder = CountingEmbedder()
    report = await index_docs(fresh_db, docs, embedder, MODEL)
    after = [c for c in chunk_docs(docs) if c.path == "exports.md"]
    moved = len(after) - 1 - next(i for i, c in enumerate(after) if c.heading == "Before redaction")
    assert report.added == 1 and report.updated == moved and report.removed == 0
    assert report.embedded == 1 and report.reused == moved  # only the new section's text was embedded
    assert embedder.batches == [["Before redaction\n\nA new section."]]
    assert len(after) == len(before) + 1


async def test_deleting_a_file_removes_its_chunks(fresh_db: Database, docs: Path) -> None:
    await index_docs(fresh_db, docs, CountingEmbedder(), MODEL)
    gone = len([c for c in chunk_docs(docs) if c.path == "troubleshooting.md"])
    (docs / "troubleshooting.md").unlink()
    report = await index_docs(fresh_db, docs, CountingEmbedder(), MODEL)
    assert (report.removed, report.added, report.updated, report.embedded) == (gone, 0, 0, 0)
    assert not [row for row in await rows(fresh_db) if row[0] == "troubleshooting.md"]


async def test_shorter_page_drops_its_trailing_positions(fresh_db: Database, docs: Path) -> None:
    await index_docs(fresh_db, docs)
    page = docs / "operations.md"
    source = page.read_text(encoding="utf-8")
    page.write_text(source[: source.index("## Scaling out")], encoding="utf-8")
    report = await index_docs(fresh_db, docs)
    kept = [c.position for c in chunk_docs(docs) if c.path == "operations.md"]
    stored = [position for path, position, *_ in await rows(fresh_db) if path == "operations.md"]
    assert report.removed > 0 and stored == kept


async def test_full_text_only_without_an_embedder(fresh_db: Database, docs: Path) -> None:
    report = await index_docs(fresh_db, docs)
    assert report.embedded == 0 and report.added == len(chunk_docs(docs))
    assert {(model, dims) for *_, model, dims in await rows(fresh_db)} == {(None, None)}
    # embeddings added later, then a text change drops the stale vector when no embedder is given
    await index_docs(fresh_db, docs, CountingEmbedder(), MODEL)
    page = docs / "index.md"
    page.write_text(page.read_text(encoding="utf-8").replace("self-hosted", "self-hosted (really)"))
    report = await index_docs(fresh_db, docs)
    changed = [row for row in await rows(fresh_db) if row[0] == "index.md"]
    assert report.updated == 1 and {(model, dims) for *_, model, dims in changed} == {(None, None)}


async def test_a_changed_model_re_embeds(fresh_db: Database, docs: Path) -> None:
    await index_docs(fresh_db, docs, CountingEmbedder(), MODEL)
    provider = MockProvider()
    report = await index_docs(fresh_db, docs, lambda texts: provider.embed("other", texts), "other-model")
    assert report.embedded == len({c.content_hash for c in chunk_docs(docs)}) and report.updated == 0
    assert {model for *_, model, _ in await rows(fresh_db)} == {"other-model"}


async def test_hnsw_index_per_dimension_is_used(fresh_db: Database, docs: Path) -> None:
    await index_docs(fresh_db, docs, CountingEmbedder(), MODEL)
    async with fresh_db.transaction() as session:
        definition = await session.scalar(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"),
            {"name": f"ix_helix_chunks_embedding_{MOCK_EMBEDDING_DIMS}"},
        )
        assert definition is not None
        assert "USING hnsw" in definition and "vector_cosine_ops" in definition
        assert f"(dims = {MOCK_EMBEDDING_DIMS})" in definition
        # the search's own statement, as the repository writes it, goes through that index
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        vector = "[" + ",".join(["0.1"] * MOCK_EMBEDDING_DIMS) + "]"
        d = MOCK_EMBEDDING_DIMS
        plan = await session.execute(
            text(
                f"EXPLAIN SELECT id FROM helix_chunks WHERE dims = {d} AND embedding_model = :m "
                f"ORDER BY embedding::vector({d}) <=> CAST(:q AS vector({d})) LIMIT 5"
            ),
            {"m": MODEL, "q": vector},
        )
        assert f"ix_helix_chunks_embedding_{d}" in "\n".join(plan.scalars())


async def test_without_pgvector_the_index_is_full_text_only(fresh_db: Database, docs: Path) -> None:
    async with fresh_db.transaction() as session:
        await session.execute(text("ALTER TABLE helix_chunks DROP COLUMN embedding, DROP COLUMN dims"))
    embedder = CountingEmbedder()
    report = await index_docs(fresh_db, docs, embedder, MODEL)
    assert not report.vectors and report.embedded == 0 and embedder.batches == []
    assert report.added == len(chunk_docs(docs))
    assert any("full-text search only" in note for note in report.notes)
    hits = await search(fresh_db, "quiet hours", 3, "hybrid", embedder, MODEL)
    assert hits and hits[0].link == "notifications.md#quiet-hours"


async def test_an_embedder_needs_a_model_name(fresh_db: Database, docs: Path) -> None:
    with pytest.raises(ValueError, match="model"):
        await index_docs(fresh_db, docs, CountingEmbedder(), None)


async def test_a_broken_embedder_writes_nothing(fresh_db: Database, docs: Path) -> None:
    async def nan(texts: Sequence[str]) -> Embeddings:
        return Embeddings([[float("nan")] * 4 for _ in texts], MODEL)

    with pytest.raises(ValueError, match="non-finite"):
        await index_docs(fresh_db, docs, nan, MODEL)
    assert await rows(fresh_db) == []
