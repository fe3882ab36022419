"""Executing a chapter twice gives identical text outputs.

The first execution is the book build's (``_build/jupyter_execute``); the second runs here on a
fresh kernel. Cells tagged ``nondeterministic`` (wall-clock timings) are left out.
"""

import pathlib
import re

import nbformat
import pytest
from nbclient import NotebookClient

from book_build import ROOT, built_html

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("book")]
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
# Widget model ids are fresh UUIDs on every run; everything else must match.
MODEL_ID = re.compile(r"[0-9a-f]{32}")


def text_outputs(nb) -> list[tuple[int, str]]:
    """(cell index, text) for every stream and text/plain output of untagged code cells, with
    consecutive chunks of one stream joined."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or "nondeterministic" in cell["metadata"].get("tags", []):
            continue
        previous = None
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                # The kernel cuts printed text into chunks differently from run to run.
                if previous == out["name"]:
                    found[-1] = (i, found[-1][1] + out["text"])
                else:
                    found.append((i, out["text"]))
                previous = out["name"]
                continue
            previous = None
            if "data" in out and "text/plain" in out["data"]:
                found.append((i, MODEL_ID.sub("<id>", out["data"]["text/plain"])))
    return found


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_outputs_repeat(path):
    built_html()
    first = nbformat.read(ROOT / "_build" / "jupyter_execute" / "book" / path.name, 4)
    second = nbformat.read(path, 4)
    NotebookClient(second, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    a, b = text_outputs(first), text_outputs(second)
    assert [i for i, _ in a] == [i for i, _ in b], "different cells produced text output"
    diffs = [f"cell {i}:\n--- first\n{x}\n--- second\n{y}" for (i, x), (_, y) in zip(a, b)
             if x != y]
    assert not diffs, "\n".join(diffs)[:4000]
