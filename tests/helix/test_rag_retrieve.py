"""Retrieval over the real docs: full-text finds the right sections, vector and hybrid work with the mock
provider's embeddings, hybrid degrades to full-text, and the evaluation set stays valid."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from teslasync.db.engine import Database
from teslasync.db.repositories import helix_chunks as repo
from teslasync.helix.errors import ProviderUnavailable
from teslasync.helix.providers.base import Embeddings
from teslasync.helix.providers.mock import MockProvider
from teslasync.helix.rag.eval import EVAL_SET, evaluate, score
from teslasync.helix.rag.index import index_docs
from teslasync.helix.rag.retrieve import fuse, is_question, search

DOCS = Path(__file__).resolve().parents[2] / "docs"
MODEL = "mock-embed"
PROVIDER = MockProvider()


async def embed(texts: Sequence[str]) -> Embeddings:
    return await PROVIDER.embed(MODEL, texts)


@pytest.fixture
async def indexed(fresh_db: Database) -> Database:
    await index_docs(fresh_db, DOCS, embed, MODEL)
    return fresh_db


@pytest.mark.parametrize(
    ("query", "section"),
    [
        ("How are webhook notifications signed?", "notifications.md#webhook"),
        ("How do I stop notifications from waking me up at night?", "notifications.md#quiet-hours"),
        ("How do I rotate the key that encrypts stored secrets?", "security.md#key-management"),
        ("What does STEP_UP_REQUIRED mean?", "security.md#two-factor-step-up-totp"),
        ("How is battery degradation estimated?", "analytics.md#battery"),
        ("quiet hours", "notifications.md#quiet-hours"),
        ('"circuit breaker"', "commands.md#sending-one"),
    ],
)
async def test_full_text_finds_the_section(indexed: Database, query: str, section: str) -> None:
    hits = await search(indexed, query, k=5)
    assert section in [hit.link for hit in hits]
    assert len({hit.link for hit in hits}) == len(hits)  # one place per section
    found = next(hit for hit in hits if hit.link == section)
    assert found.content and found.heading and found.chunk_id > 0
    assert "«" in found.snippet  # the matched words are marked


async def test_keywords_must_all_match_before_any_may(indexed: Database) -> None:
    strict = await search(indexed, "TESLASYNC_EXPORT_RETENTION_H", k=3)
    assert all("TESLASYNC_EXPORT_RETENTION_H" in hit.content for hit in strict)
    excluded = await search(indexed, "backup -docker", k=5)
    assert excluded and all("docker" not in hit.content.lower() for hit in excluded[:2])
    assert await search(indexed, "zzzqqq xxyyzz", k=5) == []
    assert await search(indexed, "the and of", k=5) == []  # stop words only


def test_questions_are_told_from_keywords() -> None:
    assert is_question("How do I back up TeslaSync?")
    assert is_question("export retention?")
    assert not is_question("export retention")
    assert not is_question('"circuit breaker"')


async def test_vector_search_with_the_mock_embeddings(indexed: Database) -> None:
    target = next(c for c in (await _chunks(indexed)) if c.anchor == "quiet-hours")
    hits = await search(
        indexed,
        f"{target.heading}\n\n{target.content}",
        k=3,
        mode="vector",
        embedder=embed,
        embedding_model=MODEL,
    )
    assert hits[0].chunk_id == target.id
    assert hits[0].score == pytest.approx(1.0, abs=1e-4)
    assert hits[0].snippet and len(hits[0].snippet) <= 302
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    # another model's vectors are not mixed in
    assert await search(indexed, "quiet hours", mode="vector", embedder=embed, embedding_model="other") == []


async def test_vector_search_needs_an_embedder(indexed: Database) -> None:
    with pytest.raises(ValueError, match="embedder"):
        await search(indexed, "quiet hours", mode="vector")


async def test_hybrid_fuses_both_lists(indexed: Database) -> None:
    # which sections win depends on the docs and, with the mock's hashed bag-of-words vectors, on chance:
    # what holds is that the answer draws on both lists (bench/rag.py measures the quality)
    query = "How do I stop notifications at night?"
    hits = await search(indexed, query, k=5, mode="hybrid", embedder=embed, embedding_model=MODEL)
    fts = {hit.link for hit in await search(indexed, query, k=10, mode="fts")}
    vector = {
        hit.link
        for hit in await search(indexed, query, k=10, mode="vector", embedder=embed, embedding_model=MODEL)
    }
    links = {hit.link for hit in hits}
    assert links & fts, "nothing of the full-text list"
    assert links & (vector - fts), "nothing only the vector list found"
    assert len(links) == len(hits) == 5
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    assert all(hit.score <= 2 / 61 for hit in hits)  # RRF scores


def test_reciprocal_rank_fusion() -> None:
    def chunk(chunk_id: int) -> repo.FoundChunk:
        return repo.FoundChunk(chunk_id, "p.md", f"h{chunk_id}", f"h{chunk_id}", "text", "", 0.0)

    fused = fuse([[chunk(1), chunk(2), chunk(3)], [chunk(3), chunk(4), chunk(1)]], k=4)
    assert [hit.chunk_id for hit in fused] == [
        1,
        3,
        2,
        4,
    ]  # in both lists first; ties keep the first list's order
    assert fused[0].score == pytest.approx(1 / 61 + 1 / 63)
    assert fused[2].score == pytest.approx(1 / 62)
    # two chunks of one section are one section
    same = repo.FoundChunk(9, "p.md", "h4", "h4", "another piece", "", 0.0)
    assert [hit.chunk_id for hit in fuse([[chunk(4)], [same, chunk(5)]], k=5)] == [4, 5]
    assert fuse([[chunk(4)], [same]], k=5)[0].score == pytest.approx(2 / 61)


async def test_hybrid_without_embeddings_is_full_text(fresh_db: Database) -> None:
    await index_docs(fresh_db, DOCS)  # no vectors stored
    question = "How are webhook notifications signed?"
    fts = await search(fresh_db, question, k=5)
    assert await search(fresh_db, question, k=5, mode="hybrid", embedder=embed, embedding_model=MODEL) == fts
    assert await search(fresh_db, question, k=5, mode="hybrid") == fts


async def test_hybrid_survives_a_failing_provider(indexed: Database) -> None:
    async def down(texts: Sequence[str]) -> Embeddings:
        raise ProviderUnavailable("Ollama could not be reached")

    question = "How are webhook notifications signed?"
    hits = await search(indexed, question, k=5, mode="hybrid", embedder=down, embedding_model=MODEL)
    assert hits == await search(indexed, question, k=5)


async def test_every_evaluation_answer_exists_in_the_index(indexed: Database) -> None:
    places = {f"{chunk.path}#{chunk.anchor}" for chunk in await _chunks(indexed)}
    assert len(EVAL_SET) >= 30
    assert len({case.question for case in EVAL_SET}) == len(EVAL_SET)
    headings = {chunk.heading.lower() for chunk in await _chunks(indexed)}
    for case in EVAL_SET:
        assert case.answers <= places, (case.question, case.answers - places)
        assert case.question.rstrip("?").lower() not in headings  # asked, not copied from a heading


async def test_retrieval_is_not_broken(indexed: Database) -> None:
    """Not a benchmark (bench/rag.py prints the figures): a floor that only a broken retriever misses."""
    fts = await evaluate(indexed, "fts")
    hybrid = await evaluate(indexed, "hybrid", embedder=embed, embedding_model=MODEL)
    assert fts.recall >= 0.5 and hybrid.recall >= 0.5
    assert 0 < fts.mrr <= fts.recall


def test_scoring() -> None:
    cases = EVAL_SET[:2]
    first = sorted(cases[0].answers)[0]
    result = score(cases, [["x.md#y", first], ["x.md#y"]], "fts", 5)
    assert (result.recall, result.mrr, result.misses) == (0.5, 0.25, (cases[1].question,))


async def _chunks(db: Database) -> list[repo.FoundChunk]:
    async with db.transaction() as session:
        return [
            chunk
            for path in sorted({p.name for p in DOCS.glob("*.md")})
            for chunk in await repo.by_place(session, path)
        ]
