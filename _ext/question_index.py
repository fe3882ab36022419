"""Sphinx extension: build the question index page from ``book/questions.yml``.

The page ``book/questions.md`` holds a marker line; at build time it is replaced by one table
per chapter whose rows link to the answer blocks with ``{ref}``. Run with ``-n -W``, a listed
ID without an answer label fails the build.
"""

from __future__ import annotations

import pathlib

import yaml

MARKER = "<!-- question-index -->"
PAGE = "book/questions"


def load_questions(root: pathlib.Path) -> list[dict]:
    """The entries of ``book/questions.yml`` (id, chapter, tags, question)."""
    return yaml.safe_load((root / "book" / "questions.yml").read_text())["questions"]


def render(questions: list[dict]) -> str:
    """MyST Markdown: a section per chapter, a table row per question."""
    lines = []
    chapters = list(dict.fromkeys(q["chapter"] for q in questions))
    for chapter in chapters:
        rows = [q for q in questions if q["chapter"] == chapter]
        lines += [f"## {{doc}}`{chapter}`", "", "| ID | Question | Kind |", "|---|---|---|"]
        for q in rows:
            label = "q-" + q["id"].lower()
            kinds = ", ".join(q["tags"])
            lines.append(f"| {{ref}}`{q['id']} <{label}>` | {q['question']} | {kinds} |")
        lines.append("")
    return "\n".join(lines)


def _on_source_read(app, docname, source):
    if docname == PAGE and MARKER in source[0]:
        questions = load_questions(pathlib.Path(app.srcdir))
        source[0] = source[0].replace(MARKER, render(questions))


def setup(app):
    app.connect("source-read", _on_source_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
