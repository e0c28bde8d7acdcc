"""The docs cut into sections: headings, MkDocs' anchors, long sections split, code blocks and tables kept
readable."""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

import markdown  # type: ignore[import-untyped]
import pytest

from teslasync.helix.rag.chunking import HARD_MAX_CHARS, MAX_CHARS, chunk_docs, chunk_markdown, slugify

DOCS = Path(__file__).resolve().parents[2] / "docs"

PAGE = """# Sample page

An introduction to the page.

## First section

Some text about the first thing.

```sh
# a comment in a code block, not a heading
teslasync backup /tmp/x
```

### A subsection

Details of the first thing.

#### A minor heading stays inside

More details.

## Second section

Last words.
"""


def mkdocs_headings(source: str) -> list[tuple[int, str, str]]:
    """(level, id, text) of each heading as MkDocs renders it: Python-Markdown with what mkdocs.yml
    enables (tables, toc) and the fenced code MkDocs always adds."""
    rendered = markdown.Markdown(extensions=["tables", "toc", "fenced_code"]).convert(source)
    found = re.findall(r'<h([1-6]) id="([^"]+)">(.*?)</h\1>', rendered, re.DOTALL)
    return [
        (int(level), anchor, html.unescape(re.sub(r"<[^>]+>", "", text))) for level, anchor, text in found
    ]


def test_sections_by_heading() -> None:
    chunks = chunk_markdown("sample.md", PAGE)
    assert [(c.heading, c.anchor, c.position) for c in chunks] == [
        ("Sample page", "sample-page", 0),
        ("First section", "first-section", 1),
        ("A subsection", "a-subsection", 2),
        ("Second section", "second-section", 3),
    ]
    assert all(c.title == "Sample page" and c.path == "sample.md" for c in chunks)
    assert chunks[0].content == "An introduction to the page."
    assert "# a comment in a code block, not a heading" in chunks[1].content
    assert chunks[1].content.endswith("```")
    assert "#### A minor heading stays inside\n\nMore details." in chunks[2].content
    assert not any(re.search(r"^#{2,3} ", c.content, re.MULTILINE) for c in chunks)


def test_a_heading_without_text_gives_no_chunk() -> None:
    chunks = chunk_markdown("p.md", "# Title\n\n## Triggers\n\n### Threshold\n\nFires when it crosses.\n")
    assert [(c.heading, c.position) for c in chunks] == [("Threshold", 0)]


def test_anchors_are_those_mkdocs_makes() -> None:
    chunks = chunk_markdown("p.md", "# T\n\n## Backup and restore\n\nx\n\n## Backup and restore\n\ny\n")
    assert [c.anchor for c in chunks] == ["backup-and-restore", "backup-and-restore_1"]
    assert slugify("4. The developer app's key") == "4-the-developer-apps-key"
    assert slugify("Two-factor step-up (TOTP)") == "two-factor-step-up-totp"
    assert slugify("Kubernetes (Helm)") == "kubernetes-helm"
    assert slugify("Costs: geofences and tariffs") == "costs-geofences-and-tariffs"


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda page: page.name)
def test_every_anchor_and_heading_of_the_docs_is_the_rendered_one(page: Path) -> None:
    source = page.read_text(encoding="utf-8")
    headings = mkdocs_headings(source)
    chunks = chunk_markdown(page.name, source, max_chars=10**9)  # one chunk per section
    sections = [(level, anchor, text) for level, anchor, text in headings if level in (2, 3)]
    title = [(anchor, text) for level, anchor, text in headings if level == 1][:1]
    mine = [(c.anchor, c.heading) for c in chunks if c.position > 0 or not title or c.anchor != title[0][0]]
    # the sections with text of their own, in order, with the rendered ids and texts
    rendered = iter((anchor, text) for _, anchor, text in sections)
    assert all(section in rendered for section in mine), mine
    if title and chunks and chunks[0].anchor == title[0][0]:
        assert chunks[0].heading == title[0][1]


def test_real_headings_and_anchors() -> None:
    links = {f"{c.path}#{c.anchor}": c.heading for c in chunk_docs(DOCS)}
    assert links["operations.md#backup-and-restore"] == "Backup and restore"
    assert links["security.md#two-factor-step-up-totp"] == "Two-factor step-up (TOTP)"
    assert links["deploy.md#4-the-developer-apps-key"] == "4. The developer app's key"
    assert links["notifications.md#sms-twilio"] == "SMS (Twilio)"


def test_long_sections_split_on_paragraphs_keeping_the_heading() -> None:
    paragraphs = [f"Paragraph {n}. " + "word " * 80 for n in range(12)]
    page = "# T\n\n## Long one\n\n" + "\n\n".join(p.strip() for p in paragraphs) + "\n"
    chunks = chunk_markdown("t.md", page)
    assert len(chunks) > 3
    assert all(len(c.content) <= MAX_CHARS for c in chunks)
    assert {(c.heading, c.anchor) for c in chunks} == {("Long one", "long-one")}
    assert [c.position for c in chunks] == list(range(len(chunks)))
    joined = "\n\n".join(c.content for c in chunks)
    assert joined == "\n\n".join(p.strip() for p in paragraphs)  # cut between paragraphs, nothing lost


def test_code_blocks_stay_whole() -> None:
    code = (
        "```python\n"
        + "\n".join(f"value_{n} = {n}  # a line" for n in range(70))
        + "\n\n# after a blank line\n```"
    )
    assert MAX_CHARS < len(code) <= HARD_MAX_CHARS
    page = f"# T\n\n## Code\n\n{'Before. ' * 100}\n\n{code}\n\n{'After. ' * 100}\n"
    chunks = chunk_markdown("t.md", page)
    holding = [c for c in chunks if "value_0 = 0" in c.content]
    assert len(holding) == 1 and code in holding[0].content


def test_a_huge_code_block_is_cut_in_fenced_pieces() -> None:
    code = "```sh\n" + "\n".join(f"echo line {n} {'x' * 40}" for n in range(200)) + "\n```"
    chunks = chunk_markdown("t.md", f"# T\n\n## Code\n\n{code}\n")
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.content.startswith("```sh\n") and chunk.content.endswith("\n```")
        assert len(chunk.content) <= MAX_CHARS
    lines = [line for c in chunks for line in c.content.splitlines() if line.startswith("echo")]
    assert len(lines) == 200


def test_a_long_table_repeats_its_header() -> None:
    rows = "\n".join(
        f"| `TESLASYNC_SETTING_{n}` | `{n}` | what setting {n} does, at some length |" for n in range(80)
    )
    chunks = chunk_markdown("t.md", f"# T\n\n| variable | default | meaning |\n|---|---|---|\n{rows}\n")
    assert len(chunks) > 1
    assert all(c.content.startswith("| variable | default | meaning |\n|---|---|---|\n") for c in chunks)
    assert sum(c.content.count("TESLASYNC_SETTING_") for c in chunks) == 80


def test_content_hash_covers_heading_and_content() -> None:
    first, second = chunk_markdown("p.md", "# T\n\n## A\n\nSame text.\n\n## B\n\nSame text.\n")
    assert first.content == second.content and first.content_hash != second.content_hash
    assert first.content_hash == hashlib.sha256(b"A\nSame text.").hexdigest()


def test_the_real_docs() -> None:
    chunks = chunk_docs(DOCS)
    assert {c.path for c in chunks} == {p.name for p in DOCS.glob("*.md")}
    for chunk in chunks:
        assert chunk.content.strip()
        assert len(chunk.content) <= HARD_MAX_CHARS, (chunk.path, chunk.heading)
        assert chunk.content.count("```") % 2 == 0, (chunk.path, chunk.heading)  # no fence cut open
    places = [(c.path, c.position) for c in chunks]
    assert len(places) == len(set(places))


def test_a_long_list_is_cut_between_items() -> None:
    items = [
        f"- Item {n} says something,\n  wrapped onto a second line {'and more ' * 12}." for n in range(20)
    ]
    chunks = chunk_markdown("t.md", "# T\n\n## List\n\n" + "\n".join(items) + "\n")
    assert len(chunks) > 1
    assert all(c.content.startswith("- Item ") for c in chunks)
    assert "\n".join(c.content for c in chunks) == "\n".join(items)


def test_a_long_paragraph_is_cut_between_sentences() -> None:
    sentences = [f"Sentence {n} is a fairly long one {'with words ' * 10}in it." for n in range(30)]
    text = "\n".join(sentences)  # hard-wrapped, one sentence a line
    chunks = chunk_markdown("t.md", f"# T\n\n## Prose\n\n{text}\n")
    assert len(chunks) > 1 and all(len(c.content) <= MAX_CHARS for c in chunks)
    assert all(c.content.startswith("Sentence ") and c.content.endswith("in it.") for c in chunks)
