"""Every link between the README and the pages in docs/ leads somewhere: the file exists and the anchor is
one of its headings (GitHub's slugs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    body = re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)
    return {slug(line.lstrip("#")) for line in body.splitlines() if line.startswith("#")}


def links() -> list[tuple[Path, str]]:
    found = []
    for page in PAGES:
        body = re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)
        found += [(page, target) for target in LINK.findall(body) if "://" not in target]
    return found


@pytest.mark.parametrize(("page", "target"), links(), ids=lambda value: str(value).replace(str(ROOT), ""))
def test_the_link_resolves(page: Path, target: str) -> None:
    path, _, anchor = target.partition("#")
    destination = (page.parent / path).resolve() if path else page
    assert destination.exists(), f"{page.name}: {target} leads nowhere"
    if anchor and destination.suffix == ".md":
        assert anchor in anchors(destination), f"{page.name}: no heading #{anchor} in {destination.name}"


def test_there_are_links_to_check() -> None:
    assert len(links()) > 10
