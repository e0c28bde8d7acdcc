"""The citation check: factual sentences must be backed by the chunks they cite."""

from __future__ import annotations

from pathlib import Path

import pytest

from teslasync.helix.rag.chunking import Chunk, chunk_docs
from teslasync.helix.rag.citations import check_support, sentences
from teslasync.helix.rag.retrieve import Hit

DOCS = Path(__file__).resolve().parents[2] / "docs"


def section(path: str, anchor: str, holding: str) -> Chunk:
    return next(c for c in chunk_docs(DOCS) if c.path == path and c.anchor == anchor and holding in c.content)


@pytest.fixture(scope="module")
def exports() -> Chunk:
    return section("exports.md", "through-the-api", "TESLASYNC_EXPORT_RETENTION_H")


@pytest.fixture(scope="module")
def backups() -> Chunk:
    return section("operations.md", "scheduled-backups", "TESLASYNC_BACKUP_KEEP")


def test_a_supported_answer_passes(exports: Chunk, backups: Chunk) -> None:
    answer = (
        "An export's file is deleted 72 hours after it was written [1]; "
        "`TESLASYNC_EXPORT_RETENTION_H` changes "
        "that. Scheduled backups keep the newest 7 archives (`TESLASYNC_BACKUP_KEEP`) [2].\n\n"
        "Here is what that means for you."
    )
    verdict = check_support(answer, [exports, backups])
    assert verdict.supported and verdict.unsupported_sentences == []


def test_an_unsupported_number_is_flagged(exports: Chunk) -> None:
    verdict = check_support("A finished export is deleted 48 hours after it was written [1].", [exports])
    assert not verdict.supported
    assert verdict.unsupported_sentences == [
        "A finished export is deleted 48 hours after it was written [1]."
    ]


def test_an_invented_setting_is_flagged(exports: Chunk) -> None:
    answer = "Exports are deleted after a while. Set TESLASYNC_EXPORT_KEEP_DAYS to keep them longer."
    verdict = check_support(answer, [exports])
    assert verdict.unsupported_sentences == ["Set TESLASYNC_EXPORT_KEEP_DAYS to keep them longer."]


def test_a_marker_is_checked_against_the_chunk_it_names(exports: Chunk, backups: Chunk) -> None:
    # 72 is in the first chunk, not the second it cites
    assert not check_support("An export is deleted after 72 hours [2].", [exports, backups]).supported
    assert check_support("An export is deleted after 72 hours [1].", [exports, backups]).supported
    # a marker past the list is unsupported whatever it says
    assert not check_support("An export is deleted after 72 hours [3].", [exports, backups]).supported


def test_a_made_up_command_is_flagged(backups: Chunk) -> None:
    verdict = check_support("Run `teslasync backup --all` every 24 hours.", [backups])
    assert not verdict.supported


def test_unrelated_words_are_flagged_even_without_numbers(exports: Chunk) -> None:
    verdict = check_support("Quiet hours hold back Telegram messages overnight [1].", [exports])
    assert not verdict.supported


def test_prose_without_claims_is_not_checked() -> None:
    assert check_support("I hope this helps. Let me know if anything is unclear!", []).supported


def test_a_factual_answer_without_sources_is_unsupported() -> None:
    assert not check_support("Exports are kept for 72 hours.", []).supported


def test_numbers_match_across_thousands_separators() -> None:
    chunk = "A request may have at most `TESLASYNC_GRAPHQL_MAX_TOKENS` tokens (4,000)."
    assert check_support("The token limit per request is 4000.", [chunk]).supported
    assert not check_support("The token limit per request is 40000.", [chunk]).supported


def test_hits_and_texts_are_both_accepted(exports: Chunk) -> None:
    hit = Hit(exports.path, exports.heading, exports.anchor, "", 1.0, 1, exports.content)
    assert check_support("A download link works for 15 minutes [1].", [hit]).supported


def test_sentences_list_items_and_code() -> None:
    answer = (
        "First, back up. Then upgrade.\n\n1. Stop it.\n2. Start it again.\n\n```sh\nteslasync backup /x\n```"
    )
    assert sentences(answer) == [
        "First, back up.",
        "Then upgrade.",
        "Stop it.",
        "Start it again.",
        "teslasync backup /x",
    ]


def test_deterministic(exports: Chunk) -> None:
    answer = "A finished export is deleted 48 hours after it was written [1]. Links work for 15 minutes [1]."
    assert len({str(check_support(answer, [exports])) for _ in range(5)}) == 1
