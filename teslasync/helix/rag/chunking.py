"""The docs cut into retrievable sections. A chunk is what one `##`/`###` heading covers (down to the next
heading of any level up to `###`), so a hit can be cited as `page.md#anchor` and opens where the answer is.

Why by heading: the docs are written as reference sections, each about one thing; a heading is the best
summary of its text (it is weighted up in full-text ranking) and the link a user can follow. Sections longer
than `MAX_CHARS` are cut further on paragraph boundaries, each piece keeping its heading, because long
chunks dilute both full-text ranking and embeddings. A fenced code block is never cut unless it alone is
longer than `HARD_MAX_CHARS` (then it is cut on lines, each piece re-fenced); a table cut in pieces repeats
its header rows in each, so every piece still says what its columns mean.

Anchors are the ids MkDocs gives the headings (Python-Markdown's `toc` extension with its default
`slugify`, made unique per page with `_1`, `_2`...); the tests compare them with a real rendering.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_CHARS = 1500
HARD_MAX_CHARS = 3000  # a code block up to this size stays whole, even past MAX_CHARS
SPLIT_LEVELS = (2, 3)  # `##` and `###` start a chunk; `#` is the page's title; deeper ones stay inside

_FENCE = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+)?(?P<fence>`{3,}|~{3,})")
_HEADING = re.compile(r"^(?P<hashes>#{1,6})(?:[ \t]+(?P<text>.*?))?(?:[ \t]+#+)?[ \t]*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")


@dataclass(frozen=True)
class Chunk:
    """One retrievable piece of a page. `path` is relative to the docs dir (POSIX); `position` numbers the
    page's chunks from 0 in reading order; `anchor` is empty only for a page without a title."""

    path: str
    title: str
    heading: str
    anchor: str
    position: int
    content: str

    @property
    def content_hash(self) -> str:
        return content_hash(self.heading, self.content)

    @property
    def text(self) -> str:
        """What is embedded: the heading gives the piece its subject."""
        return f"{self.heading}\n\n{self.content}"


def content_hash(heading: str, content: str) -> str:
    """sha256 of the heading and the content (a newline between, so the two cannot run into each other):
    what decides whether a stored chunk is still current and its embedding reusable."""
    return hashlib.sha256(f"{heading}\n{content}".encode()).hexdigest()


# --- anchors, as MkDocs makes them ---------------------------------------------------------------------


def slugify(value: str, separator: str = "-") -> str:
    """Python-Markdown's `toc.slugify` (MkDocs' default): ASCII-folded, punctuation dropped, lowercased,
    runs of spaces and separators turned into one separator."""
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    return re.sub(rf"[{separator}\s]+", separator, value)


def unique(anchor: str, used: set[str]) -> str:
    """The next free `anchor_N`, as `toc` makes duplicate (or empty) ids unique within a page."""
    if anchor in used or not anchor:
        match = re.match(r"^(.*)_([0-9]+)$", anchor)
        base, count = (match.group(1), int(match.group(2))) if match else (anchor, 0)
        count += 1
        while f"{base}_{count}" in used:
            count += 1
        anchor = f"{base}_{count}"
    used.add(anchor)
    return anchor


def heading_text(markdown: str) -> str:
    """A heading's text as the reader sees it (and as `toc` slugifies it): inline markup removed, code
    spans, link texts and escapes kept as text, raw HTML tags dropped, entities decoded."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", markdown)  # images: their <img> has no text
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links: their text
    text = re.sub(r"\[([^\]]*)\]\[[^\]]*\]", r"\1", text)  # reference links
    parts = re.split(r"(`+)(.+?)\1", text)  # code spans are literal: no emphasis inside
    out: list[str] = []
    for index in range(0, len(parts), 3):
        plain = parts[index]
        plain = re.sub(r"<[^>]+>", "", plain)
        plain = re.sub(r"(\*{1,3})(\S.*?\S|\S)\1", r"\2", plain)
        plain = re.sub(r"(?<!\w)(_{1,3})(\S.*?\S|\S)\1(?!\w)", r"\2", plain)
        plain = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|])", r"\1", plain)
        out.append(plain)
        if index + 2 < len(parts):
            out.append(parts[index + 2].strip())
    return html.unescape("".join(out)).strip()


# --- blocks --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Heading:
    level: int
    text: str
    line: int


def _headings_and_fences(lines: list[str]) -> tuple[list[_Heading], set[int]]:
    """The ATX headings outside fenced code, and the line numbers inside fences (fence lines included)."""
    headings: list[_Heading] = []
    fenced: set[int] = set()
    fence: str | None = None
    for number, line in enumerate(lines):
        if fence is not None:
            fenced.add(number)
            stripped = line.strip()
            if stripped.startswith(fence) and set(stripped) == {fence[0]}:
                fence = None
            continue
        opening = _FENCE.match(line)
        if opening:
            fence = opening.group("fence")
            fenced.add(number)
            continue
        match = _HEADING.match(line)
        if match:
            headings.append(
                _Heading(len(match.group("hashes")), heading_text(match.group("text") or ""), number)
            )
    return headings, fenced


def _blocks(numbered: list[tuple[int, str]], fenced: set[int]) -> list[str]:
    """Paragraph-level blocks: runs of lines between blank lines, where a blank line inside a fence does
    not end the block (a code block is one block, with any lines glued to it)."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for number, line in numbered:
        if not line.strip() and number not in fenced:
            if current:
                blocks.append(current)
                current = []
            continue
        current.append(line)
    if current:
        blocks.append(current)
    return ["\n".join(block) for block in blocks]


def _is_table(block: str) -> bool:
    rows = block.splitlines()
    return len(rows) >= 2 and rows[0].lstrip().startswith("|") and bool(_TABLE_RULE.match(rows[1]))


def _is_code(block: str) -> bool:
    return bool(_FENCE.match(block))


def _split_lines(lines: list[str], limit: int, prefix: list[str], suffix: list[str]) -> Iterator[str]:
    """`lines` in pieces of at most `limit` characters (a single longer line stays whole), each wrapped in
    `prefix` and `suffix` lines (a table's header, a code fence)."""
    overhead = sum(len(line) + 1 for line in prefix + suffix)
    piece: list[str] = []
    size = overhead
    for line in lines:
        if piece and size + len(line) + 1 > limit:
            yield "\n".join(prefix + piece + suffix)
            piece, size = [], overhead
        piece.append(line)
        size += len(line) + 1
    if piece:
        yield "\n".join(prefix + piece + suffix)


def _list_items(rows: list[str]) -> list[str] | None:
    """A list block's items (each with its wrapped lines), or None when the block is not a list."""
    if not _LIST_ITEM.match(rows[0]):
        return None
    indent = len(rows[0]) - len(rows[0].lstrip())
    items: list[list[str]] = []
    for row in rows:
        if _LIST_ITEM.match(row) and len(row) - len(row.lstrip()) <= indent:
            items.append([row])
        else:
            items[-1].append(row)
    return ["\n".join(item) for item in items]


def _split_block(block: str, limit: int) -> Iterator[str]:
    """A block longer than `limit` in smaller ones: a table by rows (its header repeated), a code block
    only past `HARD_MAX_CHARS` and then by lines (re-fenced), a list by items, a paragraph by sentences.
    A single row, item or sentence longer than the limit stays whole."""
    rows = block.splitlines()
    items = _list_items(rows)
    if _is_table(block):
        yield from _split_lines(rows[2:], limit, rows[:2], [])
    elif _is_code(block):
        if len(block) <= HARD_MAX_CHARS or len(rows) < 3:
            yield block
        else:
            closing = rows[-1] if rows[-1].strip().startswith(("```", "~~~")) else ""
            body = rows[1:-1] if closing else rows[1:]
            yield from _split_lines(body, limit, [rows[0]], [closing or rows[0].strip()[:3]])
    elif items is not None:
        yield from _split_lines(items, limit, [], [])
    else:
        sentences = re.split(r"(?<=[.!?:;])\s+(?=[A-Z`(\[*])", " ".join(row.strip() for row in rows))
        yield from (piece.replace("\n", " ") for piece in _split_lines(sentences, limit, [], []))


def _pack(blocks: Iterable[str], limit: int) -> list[str]:
    """Consecutive blocks joined (a blank line between) into pieces of at most `limit` characters where
    possible; a block alone over the limit is split first."""
    pieces: list[str] = []
    current = ""
    for block in blocks:
        for part in [block] if len(block) <= limit else list(_split_block(block, limit)):
            if current and len(current) + 2 + len(part) > limit:
                pieces.append(current)
                current = ""
            current = f"{current}\n\n{part}" if current else part
    if current:
        pieces.append(current)
    return pieces


# --- pages ---------------------------------------------------------------------------------------------


def chunk_markdown(path: str, source: str, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """One page's chunks. The text before the first `##` (under the `#` title) is a chunk of its own,
    headed by the title and anchored at the title's id; sections with no text of their own (a heading
    straight followed by a subheading) give none."""
    lines = source.splitlines()
    headings, fenced = _headings_and_fences(lines)
    used: set[str] = set()
    anchors = [unique(slugify(heading.text), used) for heading in headings]
    title_index = next((i for i, heading in enumerate(headings) if heading.level == 1), None)
    title = headings[title_index].text if title_index is not None else Path(path).stem
    title_anchor = anchors[title_index] if title_index is not None else ""

    # each section: its heading, anchor and lines (numbered); the page's top (without the title) first
    starts = [(i, h) for i, h in enumerate(headings) if h.level in SPLIT_LEVELS]
    skip = headings[title_index].line if title_index is not None else -1
    top_end = starts[0][1].line if starts else len(lines)
    sections = [(title, title_anchor, [(n, lines[n]) for n in range(top_end) if n != skip])]
    for k, (i, heading) in enumerate(starts):
        end = starts[k + 1][1].line if k + 1 < len(starts) else len(lines)
        sections.append((heading.text, anchors[i], [(n, lines[n]) for n in range(heading.line + 1, end)]))

    chunks: list[Chunk] = []
    for name, anchor, numbered in sections:
        for piece in _pack(_blocks(numbered, fenced), max_chars):
            chunks.append(Chunk(path, title, name, anchor, len(chunks), piece.strip("\n")))
    return chunks


def chunk_docs(docs_dir: Path, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """Every Markdown page under `docs_dir`, in path order."""
    chunks: list[Chunk] = []
    for file in sorted(docs_dir.rglob("*.md")):
        relative = file.relative_to(docs_dir).as_posix()
        chunks += chunk_markdown(relative, file.read_text(encoding="utf-8"), max_chars)
    return chunks
