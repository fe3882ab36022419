"""The book's own rules: chapters without outputs, one setup cell, one repository URL."""

import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _code(path):
    return [c for c in _cells(path) if c["cell_type"] == "code"]


def _config_value(key):
    text = (ROOT / "_config.yml").read_text()
    return re.search(rf"^\s+{key}:\s*(\S+)", text, re.M).group(1)


def test_there_are_chapters():
    assert CHAPTERS, "no chapter notebooks found in book/"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    dirty = [i for i, c in enumerate(_code(path)) if c.get("outputs") or c.get("execution_count")]
    assert not dirty, f"{path.name}: code cells {dirty} carry outputs; clear them before commit"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_chapter_opens_with_the_same_setup_cell(path):
    reference = "".join(_code(CHAPTERS[0])[0]["source"])
    assert "".join(_code(path)[0]["source"]) == reference


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_listed_in_toc(path):
    toc = (ROOT / "_toc.yml").read_text()
    assert f"book/{path.stem}" in toc


def test_colab_install_points_at_the_configured_repository():
    url, branch = _config_value("url"), _config_value("branch")
    setup = "".join(_code(CHAPTERS[0])[0]["source"])
    assert f"git+{url}@{branch}" in setup


def test_question_labels_are_well_formed():
    """Answer blocks are opened by `(q-<id>)=` and followed by a heading carrying the ID."""
    for path in CHAPTERS:
        for cell in _cells(path):
            if cell["cell_type"] != "markdown":
                continue
            text = "".join(cell["source"])
            for m in re.finditer(r"^\(q-([a-z]+)-(\d\d)\)=\s*\n(#+ .*)$", text, re.M):
                qid = f"{m.group(1).upper()}-{m.group(2)}"
                assert qid in m.group(3), f"{path.name}: label q-{qid.lower()} heads '{m.group(3)}'"


def test_bibliography_parses_and_holds_every_cited_key():
    """Merges of book/references.bib have lost closing braces twice; the -W book build finds it
    late, this finds it in a second."""
    from pybtex.database import parse_file

    text = (ROOT / "book" / "references.bib").read_text()
    entries = re.split(r"(?m)^(?=@)", text)
    unbalanced = [e.split("\n")[0] for e in entries if e.count("{") != e.count("}")]
    assert not unbalanced, unbalanced
    keys = set(parse_file(str(ROOT / "book" / "references.bib")).entries)
    cited = set()
    for path in sorted((ROOT / "book").glob("*.ipynb")) + sorted((ROOT / "book").glob("*.md")):
        for group in re.findall(r"\{cite:[pt]\}`([^`]+)`", path.read_text()):
            cited.update(k.strip() for k in group.split(","))
    assert cited - keys == set(), sorted(cited - keys)
