"""Sphinx extension: build the question index page from ``book/questions.yml``.

The page ``book/questions.md`` holds a marker line; at build time it is replaced by one table
per chapter whose rows link to the answer blocks with ``{ref}``. Run with ``-n -W``, a listed
ID without an answer label fails the build.
"""

from __future__ import annotations

import json
import pathlib

import yaml

MARKER = "<!-- question-index -->"
PAGE = "book/questions"


def load_questions(root: pathlib.Path) -> list[dict]:
    """The entries of ``book/questions.yml`` (id, chapter, tags, question)."""
    return yaml.safe_load((root / "book" / "questions.yml").read_text())["questions"]


def chapter_title(root: pathlib.Path, chapter: str) -> str:
    """The ``# `` title of ``book/<chapter>.ipynb`` (its first Markdown heading)."""
    cells = json.loads((root / "book" / f"{chapter}.ipynb").read_text())["cells"]
    for cell in cells:
        for line in "".join(cell["source"]).splitlines():
            if cell["cell_type"] == "markdown" and line.startswith("# "):
                return line[2:].strip()
    return chapter


def render(questions: list[dict], titles: dict[str, str]) -> str:
    """MyST Markdown: a section per chapter, a table row per question."""
    lines = []
    for chapter in dict.fromkeys(q["chapter"] for q in questions):
        lines += [f"## {titles.get(chapter, chapter)}", "",
                  f"Answers in {{doc}}`{chapter}`.", "",
                  "| ID | Question | Kind |", "|---|---|---|"]
        for q in questions:
            if q["chapter"] == chapter:
                label = "q-" + q["id"].lower()
                shown = q["id"].replace("-", "\u2011")  # a non-breaking hyphen: PER-01 on one line
                lines.append(f"| {{ref}}`{shown} <{label}>` | {q['question']} | "
                             f"{', '.join(q['tags'])} |")
        lines.append("")
    return "\n".join(lines)


def _on_source_read(app, docname, source):
    if docname == PAGE and MARKER in source[0]:
        root = pathlib.Path(app.srcdir)
        questions = load_questions(root)
        titles = {c: chapter_title(root, c) for c in {q["chapter"] for q in questions}}
        source[0] = source[0].replace(MARKER, render(questions, titles))


def setup(app):
    app.connect("source-read", _on_source_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
