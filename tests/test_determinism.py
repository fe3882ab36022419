"""Executing a chapter twice gives identical text outputs.

The first execution is the book build's (``_build/jupyter_execute``); the second runs here on a
fresh kernel. Printed text is compared per cell after merging its streams as the build shows
them (the kernel delivers printed text in chunks, before or after a display, differently from
run to run). Cells tagged ``nondeterministic`` (wall-clock timings, memory peaks) are left out.
"""

import re
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from book_build import ROOT, built_html

sys.path.insert(0, str(ROOT / "_ext"))
from reader_fixes import merge_streams  # noqa: E402

pytestmark = pytest.mark.slow
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
# Widget model ids are fresh UUIDs on every run; everything else must match.
MODEL_ID = re.compile(r"[0-9a-f]{32}")


def text_outputs(nb) -> dict[int, list[str]]:
    """Cell index -> its merged stream texts and text/plain outputs, in order."""
    found = {}
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or "nondeterministic" in cell["metadata"].get("tags", []):
            continue
        texts = []
        for out in merge_streams(cell.get("outputs", [])):
            if out["output_type"] == "stream":
                texts.append(f"[{out['name']}] {out['text']}")
            elif "data" in out and "text/plain" in out["data"]:
                texts.append(MODEL_ID.sub("<id>", out["data"]["text/plain"]))
        if texts:
            found[i] = texts
    return found


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_outputs_repeat(path):
    built_html()
    first = nbformat.read(ROOT / "_build" / "jupyter_execute" / "book" / path.name, 4)
    second = nbformat.read(path, 4)
    NotebookClient(second, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    a, b = text_outputs(first), text_outputs(second)
    assert sorted(a) == sorted(b), "different cells produced text output"
    diffs = [f"cell {i}:\n--- first\n{a[i]}\n--- second\n{b[i]}" for i in a if a[i] != b[i]]
    assert not diffs, "\n".join(diffs)[:4000]
