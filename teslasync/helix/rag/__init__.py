"""Retrieval over TeslaSync's own docs, so Helix answers questions about TeslaSync from what the docs say and
cites the sections (`page.md#anchor`) it used.

- `chunking`: docs/ cut into sections by heading, with MkDocs' anchors;
- `index`: `helix_chunks` kept in step with docs/ (full-text always; embeddings where pgvector is);
- `retrieve`: full-text, vector or hybrid (reciprocal rank fusion) search;
- `citations`: a deterministic check that an answer's factual sentences are backed by what it cites;
- `eval`: questions with the sections that answer them, to measure retrieval (`bench/rag.py`).
"""

from teslasync.helix.rag.chunking import Chunk, chunk_docs, chunk_markdown
from teslasync.helix.rag.citations import SupportVerdict, check_support
from teslasync.helix.rag.index import Embedder, IndexReport, index_docs
from teslasync.helix.rag.retrieve import Hit, Mode, search

__all__ = [
    "Chunk",
    "Embedder",
    "Hit",
    "IndexReport",
    "Mode",
    "SupportVerdict",
    "check_support",
    "chunk_docs",
    "chunk_markdown",
    "index_docs",
    "search",
]
