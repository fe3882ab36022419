"""The question index (book/questions.yml) and the chapters' answer blocks agree."""

import json
import pathlib
import re
import sys
from collections import Counter

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
from question_index import MARKER, chapter_title, load_questions, render  # noqa: E402

# Questions per chapter in the interview bank (its summary table); 147 in all.
BANK = {"PER": 20, "ACT": 15, "CNN": 13, "DRP": 17, "REG": 21, "OPT": 21, "BN": 13, "TRN": 27}
# Chapters still being written: the IDs listed so far must come from the bank's range.
IN_PROGRESS = {"ATT": 23, "SEQ": 24, "GEN": 23, "SCL": 24}
LABEL = re.compile(r"^\(q-([a-z]+-\d\d)\)=\s*$", re.M)


def answer_blocks() -> dict[str, list[str]]:
    """Label IDs found in each chapter's Markdown cells, by chapter file stem."""
    found = {}
    for path in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        found[path.stem] = [m.upper() for m in LABEL.findall(text)]
    return found


def test_index_covers_the_whole_bank():
    all_ids = [q["id"] for q in load_questions(ROOT)]
    assert len(all_ids) == len(set(all_ids))
    partial = [i for i in all_ids if i.split("-")[0] in IN_PROGRESS]
    ids = [i for i in all_ids if i not in partial]
    assert len(ids) == sum(BANK.values())
    assert Counter(i.split("-")[0] for i in ids) == Counter(BANK)
    for prefix, n in BANK.items():
        assert {i for i in ids if i.startswith(prefix)} == {f"{prefix}-{k:02d}" for k in
                                                           range(1, n + 1)}
    for i in partial:
        prefix, number = i.split("-")
        assert 1 <= int(number) <= IN_PROGRESS[prefix], i


def test_every_listed_question_has_one_answer_block_in_its_chapter():
    blocks = answer_blocks()
    for q in load_questions(ROOT):
        assert q["chapter"] in blocks, f"{q['id']}: chapter book/{q['chapter']}.ipynb is missing"
        assert blocks[q["chapter"]].count(q["id"]) == 1, \
            f"{q['id']}: expected one (q-{q['id'].lower()})= block in {q['chapter']}"


def test_no_answer_block_is_missing_from_the_index():
    listed = {q["id"] for q in load_questions(ROOT)}
    for chapter, ids in answer_blocks().items():
        extra = set(ids) - listed
        assert not extra, f"{chapter} answers {sorted(extra)}, which book/questions.yml lacks"


def test_index_page_renders_a_link_per_question():
    page = (ROOT / "book" / "questions.md").read_text()
    assert MARKER in page
    questions = load_questions(ROOT)
    titles = {q["chapter"]: chapter_title(ROOT, q["chapter"]) for q in questions}
    text = render(questions, titles)
    assert text.count("{ref}`") == len(questions)
    assert all(not t[:2].isdigit() for t in titles.values()), titles  # real titles found
    assert yaml.safe_load((ROOT / "book" / "questions.yml").read_text())["questions"]
