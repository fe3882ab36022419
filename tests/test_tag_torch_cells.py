"""Every chapter cell that needs PyTorch carries the tag ``torch`` (tools/tag_torch_cells.py),
so that the browser copies (tools/build_lite.py) can leave PyTorch out."""

import json
import pathlib
import shutil
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import tag_torch_cells as tagger  # noqa: E402

NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_torch_cell_is_tagged(path):
    cells = json.loads(path.read_text())["cells"]
    missing = [tagger._cell_name(cells[i], i) for i in tagger.untagged(cells, setup_exempt=True)]
    assert not missing, (f"{path.name}: these cells need PyTorch but lack the tag "
                         f"'torch' (run tools/tag_torch_cells.py {path.relative_to(ROOT)}):\n  "
                         + "\n  ".join(missing))


def _nb(*sources, tags=None):
    tags = tags or {}
    return {"cells": [{"cell_type": "code", "id": f"c{i}", "execution_count": None,
                       "metadata": {"tags": tags[i]} if i in tags else {}, "outputs": [],
                       "source": s} for i, s in enumerate(sources)],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


SETUP = "import numpy as np\nimport torch\nSEED = 0\ntorch.set_default_dtype(torch.float64)"


def test_finds_imports_aliases_and_names_derived_from_torch():
    nb = _nb(SETUP,
             "x = np.ones(3)",                              # 1: no torch
             "import torch.nn.functional as TF\ny = x + 1",  # 2: imports torch
             "z = TF.relu(y)",                              # 3: alias of a torch module
             "w = z * 2\nv = y * 2",                        # 4: z comes from torch
             "print(v)",                                    # 5: v is fine
             "print(w)",                                    # 6: w is not
             'print("torch is only a word here")',          # 7: a string
             "def f(t):\n    return [torch for torch in t]",  # 8: its own local
             "from torch import nn\nimport dlcore.nn as nn\nnn.Linear(2, 2)")  # 9: rebound
    assert tagger.torch_cells(nb["cells"]) == [0, 2, 3, 4, 6, 9]
    # only the statements that need torch leave the browser copy
    assert tagger.without_torch(nb["cells"][2], tagger.analyse(nb["cells"])[2]) == "y = x + 1"
    assert tagger.without_torch(nb["cells"][4], tagger.analyse(nb["cells"])[4]) == "v = y * 2"


def test_side_by_side_loop_keeps_its_dlcore_half_and_taints_what_torch_changes():
    loop = ("ours, theirs = [], []\n"
            "for i in range(3):\n"
            "    ours.append(i)\n"
            "    theirs.append(torch.tensor(i))\n"
            "print(ours)")
    nb = _nb(SETUP, loop, "print(theirs)", "print(ours)",
             "with torch.no_grad():\n    w = ours[0]", "print(w)")
    found = tagger.analyse(nb["cells"])
    assert tagger.without_torch(nb["cells"][1], found[1]) == (
        "ours, theirs = [], []\nfor i in range(3):\n    ours.append(i)\nprint(ours)")
    assert sorted(found) == [0, 1, 2, 4, 5]   # theirs was changed by torch; ours was not
    assert tagger.without_torch(nb["cells"][4], found[4]) is None


def test_a_forward_pass_left_out_taints_the_layer_it_ran_through():
    nb = _nb(SETUP, "def f(a):\n    return a\nlayer = dlcore.nn.Linear(2, 1)\n"
             "layer(torch.ones(2).numpy())\nprint(f(1), float(2))", "layer.backward(np.ones(1))",
             "print(f(3), float(4))")
    assert tagger.torch_cells(nb["cells"]) == [0, 1, 2]


def test_what_a_with_block_recorded_is_gone_with_its_torch_lines():
    nb = _nb(SETUP, "with warnings.catch_warnings(record=True) as caught:\n"
             "    warnings.simplefilter('always')\n    torch.ones(1)\nprint(1)",
             "print(caught[0])")
    found = tagger.analyse(nb["cells"])
    assert sorted(found) == [0, 1, 2]
    assert tagger.without_torch(nb["cells"][1], found[1]) == (
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\nprint(1)")


def test_a_cell_tagged_by_hand_is_left_out_whole_with_what_it_defines():
    nb = _nb(SETUP, "a = np.zeros(2)", "b = a + 1", tags={0: ["torch"], 1: ["torch"]})
    found = tagger.analyse(nb["cells"])
    assert found[1] is None and 2 in found
    assert tagger.untagged(nb["cells"]) == [2]


def test_setup_cell_only_loses_its_torch_names():
    nb = _nb(SETUP, "print(np.ones(2), SEED)")
    assert tagger.torch_cells(nb["cells"]) == [0]
    assert tagger.untagged(nb["cells"]) == [0]   # the tagger tags it; the check lets it pass:
    assert tagger.untagged(nb["cells"], setup_exempt=True) == []   # the copy replaces it


def test_magics_are_skipped():
    nb = _nb("%pip install -q dlcore\n!ls\nimport torch", "%timeit -n 3 torch.ones(3)",
             "%time x = 1", "%matplotlib inline")
    assert tagger.torch_cells(nb["cells"]) == [0, 1]


def test_tagging_is_idempotent_and_keeps_the_file_layout(tmp_path):
    source = ROOT / "book" / "00_how_to_read.ipynb"
    path = tmp_path / source.name
    shutil.copy2(source, path)
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        cell.get("metadata", {}).pop("tags", None)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    first = tagger.tag_notebook(path)
    once = path.read_bytes()
    assert first and tagger.tag_notebook(path) == []
    assert path.read_bytes() == once
    assert tagger.main(["--check", str(path)]) == 0
    assert once == source.read_bytes() or tagger.main(["--check", str(source)]) == 1
