"""dlcore's import graph, built from the source with ast: no cycles, and the layers of
CONTRIBUTING.md ("infra < functional < nn/optim < maths < book": a module imports only from
its own layer or lower ones; only dlcore/parallel.py may import torch).

Every import counts, at module level and inside functions. ``from pkg import name`` is an edge
to ``pkg.name`` when that is a module, else to ``pkg``; relative imports are resolved against
the importing module's package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = "dlcore"

# layer of each top-level part of dlcore (package or module); a module of the layer below may
# not import one above. dlcore/__init__.py re-exports nn, functional and optim.
LAYERS = {"infra": 0, "functional": 1, "nn": 2, "optim": 2, "maths": 3, "book": 4}
INFRA = {"checks", "random", "gradcheck", "threads"}
TORCH_ALLOWED = {"dlcore.parallel"}


def module_name(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def discover(src: Path = SRC, root: str = ROOT) -> dict[str, Path]:
    """Every module of the package: ``{dotted name: path}``."""
    return {module_name(p, src): p for p in sorted((src / root).rglob("*.py"))}


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of ``from <level dots><target> import ...`` inside ``module``."""
    if level == 0:
        return target or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def imports_of(module: str, path: Path, modules) -> set[str]:
    """Names of the modules ``module`` imports (anything, not only dlcore), anywhere in it."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.module == "__future__":
                continue
            pkg = _resolve(module, is_package, node.level, node.module)
            for alias in node.names:
                sub = f"{pkg}.{alias.name}"
                found.add(sub if sub in modules else pkg)
    return found


def build_graph(src: Path = SRC, root: str = ROOT) -> dict[str, set[str]]:
    """Edges between the package's own modules; a package's ``__init__`` is its node."""
    modules = discover(src, root)
    graph = {}
    for name, path in modules.items():
        targets = set()
        for imported in imports_of(name, path, modules):
            # ``import dlcore.nn.module`` also runs dlcore and dlcore.nn: the nearest module
            # that exists is the edge (the parents are the parents' business)
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name and imported.split(".")[0] == root:
                targets.add(imported)
        graph[name] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph as ``[a, b, ..., a]``, or None (iterative DFS)."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = {node: WHITE for node in graph}
    for start in sorted(graph):
        if colour[start] != WHITE:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        colour[start] = GREY
        while stack:
            node, children = stack[-1]
            for child in children:
                if colour.get(child, BLACK) == GREY:
                    return path[path.index(child):] + [child]
                if colour.get(child) == WHITE:
                    colour[child] = GREY
                    path.append(child)
                    stack.append((child, iter(sorted(graph.get(child, ())))))
                    break
            else:
                colour[node] = BLACK
                path.pop()
                stack.pop()
    return None


def layer_of(module: str) -> int | None:
    """The layer of a dlcore module (None for the package itself, dlcore/__init__.py)."""
    parts = module.split(".")
    if len(parts) == 1:
        return None
    top = parts[1]
    if top in INFRA:
        return LAYERS["infra"]
    if top == "parallel":
        return LAYERS["book"]  # #23: imports anything below it, nothing imports it
    if top not in LAYERS:
        raise AssertionError(f"{module} is in no layer of LAYOUT.md; add it to {top!r}'s "
                             "place in the layout or to tests/test_import_graph.py's LAYERS")
    return LAYERS[top]


def layering_violations(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for module, targets in sorted(graph.items()):
        mine = layer_of(module)
        for target in sorted(targets):
            theirs = layer_of(target)
            if target == ROOT and module != ROOT:
                bad.append(f"{module} imports the package {ROOT} itself (import its sub-module)")
            elif mine is not None and theirs is not None and theirs > mine:
                bad.append(f"{module} (layer {mine}) imports {target} (layer {theirs})")
    return bad


# -- the tests ----------------------------------------------------------------------------

GRAPH = build_graph()


def test_the_graph_sees_the_package():
    assert {"dlcore", "dlcore.nn", "dlcore.functional.loss", "dlcore.nn.loss",
            "dlcore.book.widgets.explorer"} <= set(GRAPH)
    # function-level and relative imports are edges: mc_predict needs the dropout layers, and
    # nn/loss.py calls the functional kernels
    assert "dlcore.nn.dropout" in GRAPH["dlcore.maths.dropout_bayes"]
    assert "dlcore.functional.loss" in GRAPH["dlcore.nn.loss"]
    assert "dlcore.random" in GRAPH["dlcore.maths.cnn_shapes"]  # imported inside build()


def test_no_import_cycles():
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_layers_import_only_downwards():
    bad = layering_violations(GRAPH)
    assert not bad, "layering violations:\n" + "\n".join(bad)


def test_functional_never_imports_nn():
    for module, targets in GRAPH.items():
        if module.startswith("dlcore.functional"):
            assert not {t for t in targets if t.startswith(("dlcore.nn", "dlcore.optim"))}, module


def test_only_parallel_imports_torch():
    modules = discover()
    for name, path in modules.items():
        if name in TORCH_ALLOWED:
            continue
        torchy = {m for m in imports_of(name, path, modules) if m.split(".")[0] == "torch"}
        assert not torchy, f"{name} imports {sorted(torchy)}; only dlcore/parallel.py may"


# -- the checker itself can fail ------------------------------------------------------------

def test_find_cycle_on_tiny_graphs():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": set()}) is None  # diamond
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"a"}}) == ["a", "a"]
    cycle = find_cycle({"x": {"y"}, "y": {"z"}, "z": {"y"}, "w": set()})
    assert cycle == ["y", "z", "y"]


def test_graph_and_layers_on_a_synthetic_package(tmp_path):
    """A fake dlcore with a relative-import cycle, a function-level import of nn from
    functional, and a `from pkg import module` edge: all three are found."""
    pkg = tmp_path / ROOT
    (pkg / "functional").mkdir(parents=True)
    (pkg / "nn").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "checks.py").write_text("import numpy as np\n")
    (pkg / "functional" / "__init__.py").write_text("from .act import relu\n")
    (pkg / "functional" / "act.py").write_text(
        "from ..checks import as_array\n\ndef relu(x):\n    from ..nn import layer\n    return x\n")
    (pkg / "nn" / "__init__.py").write_text("from . import layer\n")
    (pkg / "nn" / "layer.py").write_text("from .other import thing\n")
    (pkg / "nn" / "other.py").write_text("from dlcore.nn.layer import Layer\nimport torch\n")
    graph = build_graph(tmp_path)
    assert graph["dlcore.functional.act"] == {"dlcore.checks", "dlcore.nn.layer"}
    assert graph["dlcore.nn"] == {"dlcore.nn.layer"}
    assert find_cycle(graph) == ["dlcore.nn.layer", "dlcore.nn.other", "dlcore.nn.layer"]
    assert layering_violations(graph) == [
        "dlcore.functional.act (layer 1) imports dlcore.nn.layer (layer 2)"]
    assert "torch" in imports_of("dlcore.nn.other", pkg / "nn" / "other.py",
                                 discover(tmp_path))


@pytest.mark.parametrize("module, level, target, expected", [
    ("dlcore.nn.loss", 1, "module", "dlcore.nn.module"),
    ("dlcore.nn.loss", 2, "functional", "dlcore.functional"),
    ("dlcore.book.widgets.cnn", 3, "maths.cnn_shapes", "dlcore.maths.cnn_shapes"),
    ("dlcore.nn.utils.clip_grad", 2, "module", "dlcore.nn.module"),
    ("dlcore.nn.utils.clip_grad", 3, "checks", "dlcore.checks"),
    ("dlcore.functional.conv", 0, "numpy", "numpy"),
])
def test_relative_imports_resolve(module, level, target, expected):
    assert _resolve(module, False, level, target) == expected


def test_relative_import_from_a_package_init():
    assert _resolve("dlcore.nn", True, 1, "loss") == "dlcore.nn.loss"
    assert _resolve("dlcore.nn", True, 2, "checks") == "dlcore.checks"
    assert _resolve("dlcore.book", True, 1, None) == "dlcore.book"
