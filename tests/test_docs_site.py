"""`make docs`: docs/ builds into a site with mkdocs in strict mode, every page of the nav present, and every
GraphQL example on any page is valid against the schema."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from graphql import parse, validate

from teslasync.schema import schema

ROOT = Path(__file__).resolve().parents[1]


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]
    pages = [page for entry in nav for page in entry.values()]
    for page in pages:
        built = (
            tmp_path
            / "site"
            / ("index.html" if page == "index.md" else page.removesuffix(".md") + "/index.html")
        )
        assert built.exists(), f"{page} was not built"
    assert sorted(p.name for p in (ROOT / "docs").glob("*.md")) == sorted(
        pages
    )  # no page left out of the nav


EXAMPLES = [
    (page.name, example)
    for page in sorted((ROOT / "docs").glob("*.md"))
    for example in re.findall(r"```graphql\n(.*?)```", page.read_text(), flags=re.DOTALL)
]


@pytest.mark.parametrize(("page", "example"), EXAMPLES, ids=[f"{p}-{i}" for i, (p, _) in enumerate(EXAMPLES)])
def test_every_graphql_example_is_valid(page: str, example: str) -> None:
    assert validate(schema._schema, parse(example)) == [], page
