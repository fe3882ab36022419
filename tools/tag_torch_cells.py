#!/usr/bin/env python3
"""Tag every chapter code cell that needs PyTorch with the cell tag ``torch``.

The browser copies of the chapters (JupyterLite, tools/build_lite.py) leave those cells out,
because PyTorch does not run in the reader's browser. A cell needs PyTorch when it

- imports ``torch`` (or a submodule, under any alias), or
- uses a name bound to something from torch, or
- uses a name that only a left-out statement defines (NameError in the browser copy) or that a
  left-out statement changes in place (``name.append(...)``, ``name[i] = ...``: the browser
  copy would compute with a different object),

where "left out" means tagged ``torch`` or found by these rules. The first code cell,
the setup cell, is replaced in the browser copy by one that defines the same names except the
torch ones (``sys``, ``np``, ``dlcore``, ``SEED``), so only its torch-derived names count as
missing. The analysis reads the cells in order with :mod:`ast` (IPython ``%``/``!`` lines are
skipped), statement by statement; a statement that rebinds a name without torch makes it
available again.

Usage::

    tools/tag_torch_cells.py book/*.ipynb     # add missing tags in place (idempotent)
    tools/tag_torch_cells.py --check book/*.ipynb  # list untagged torch cells, exit 1 if any

Tags are only added, never removed: a cell tagged ``torch`` by hand stays tagged. Notebooks are
rewritten in nbformat's own layout (indent 1, UTF-8, final newline), so an untouched notebook
stays byte-identical.
"""

from __future__ import annotations

import argparse
import ast
import json
import pathlib
import re
import symtable
import sys

TAG = "torch"
_MAGIC = re.compile(r"^(\s*)([%!].*|.*\?\s*)$")
_TIMED = re.compile(r"^(\s*)%%?(?:timeit|time)\b(?:\s+-\S+(?:\s+\d+)?)*\s+(\S.*)$")


def _line(line: str) -> str:
    """A line as Python: the statement of ``%time``/``%timeit``, ``pass`` for other magics."""
    if m := _TIMED.match(line):
        return m.group(1) + m.group(2)
    if m := _MAGIC.match(line):
        return m.group(1) + "pass"
    return line


def _parse(source: str) -> ast.Module | None:
    lines = [_line(line) for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _imports_torch(node: ast.AST) -> set[str]:
    """Names bound by torch imports anywhere inside ``node``."""
    bound = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Import):
            for alias in sub.names:
                if alias.name == "torch" or alias.name.startswith("torch."):
                    bound.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(sub, ast.ImportFrom) and sub.module and sub.level == 0 and (
                sub.module == "torch" or sub.module.startswith("torch.")):
            bound.update(alias.asname or alias.name for alias in sub.names)
    return bound


def _loads(node: ast.stmt) -> set[str]:
    """Names a top-level statement reads from the notebook's namespace (not its functions' and
    comprehensions' own locals)."""
    table = symtable.symtable(ast.unparse(node), "<cell>", "exec")
    names = {s.get_name() for s in table.get_symbols() if s.is_referenced()}
    todo = list(table.get_children())
    while todo:
        child = todo.pop()
        todo += child.get_children()
        names |= {s.get_name() for s in child.get_symbols()
                  if s.is_referenced() and s.is_global() and not s.is_declared_global()}
    return names


def _mutates(node: ast.AST) -> set[str]:
    """Names whose objects a statement may change in place: a call ``name.method(...)`` made
    as a statement of its own (``losses.append(x)``, ``opt.step()``), ``name[...] = ...`` and
    ``name.attr = ...`` (augmented too), inside loops as well. A method call whose result is
    used (``zip(model.parameters(), ...)``) counts as a read. Objects called directly
    (``layer(x)``: a forward pass fills the layer's cache) count too; the caller keeps only
    those that name assigned objects, not functions, classes, modules or builtins."""
    names = set()
    for sub in ast.walk(node):
        target = None
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
            names.add(sub.func.id)
        if isinstance(sub, ast.Expr) and isinstance(sub.value, ast.Call) and isinstance(
                sub.value.func, ast.Attribute):
            target = sub.value.func.value
        elif isinstance(sub, (ast.Subscript, ast.Attribute)) and isinstance(sub.ctx, ast.Store):
            target = sub.value
        while isinstance(target, (ast.Attribute, ast.Subscript)):
            target = target.value
        if isinstance(target, ast.Name):
            names.add(target.id)
    return names


def _binds(node: ast.AST) -> set[str]:
    """Names a top-level statement binds in the notebook's namespace."""
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            names.add(sub.id)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(sub.name)
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):
            names.update(a.asname or a.name.split(".")[0] for a in sub.names if a.name != "*")
    return names


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def is_tagged(cell: dict) -> bool:
    return TAG in cell.get("metadata", {}).get("tags", [])


_COMPOUND = (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith)


def _header(stmt: ast.stmt) -> list[ast.AST]:
    if isinstance(stmt, (ast.For, ast.AsyncFor)):
        return [stmt.target, stmt.iter]
    if isinstance(stmt, (ast.While, ast.If)):
        return [stmt.test]
    return list(stmt.items)


def _header_loads(stmt: ast.stmt) -> set[str]:
    names = set()
    for node in _header(stmt):
        names |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
                  and isinstance(n.ctx, ast.Load)}
    return names


def _scan(body: list[ast.stmt], lines: list[str], missing: set[str],
          objects: set[str]) -> list[tuple[int, int]]:
    """Line ranges of the statements in ``body`` that need torch; updates ``missing``.

    A loop, ``if`` or ``with`` whose header needs no torch keeps its other statements (the
    dlcore half of a side-by-side loop); it goes whole when nothing of a body would be left."""
    ranges = []
    for stmt in body:
        torch_names = _imports_torch(stmt)
        binds = _binds(stmt)
        if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                             ast.ClassDef)):
            objects -= binds
        else:
            objects |= binds
        if not (torch_names or (_loads(stmt) & missing)):
            missing -= binds
            continue
        if isinstance(stmt, _COMPOUND) and not (_header_loads(stmt) & missing):
            for node in _header(stmt):
                missing -= _binds(node)
            inner = []
            bodies = [stmt.body] + ([stmt.orelse] if getattr(stmt, "orelse", None) else [])
            emptied = False
            for block in bodies:
                part = _scan(block, lines, missing, objects)
                kept = [s for s in block if not any(a <= s.lineno <= b for a, b in part)]
                emptied |= not kept
                inner += part
            if not emptied:
                ranges += inner
                if isinstance(stmt, (ast.With, ast.AsyncWith)) and inner:
                    # what ``as`` gave (caught warnings, a timer) saw the left-out lines run
                    for node in _header(stmt):
                        missing |= _binds(node)
                continue
        # what it binds is gone, and what it changes in place differs without it
        missing |= binds | torch_names | (_mutates(stmt) & objects)
        first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
        while first > 1 and lines[first - 2].strip().startswith("#"):
            first -= 1
        ranges = [r for r in ranges if not (first <= r[0] <= stmt.end_lineno)]
        ranges.append((first, stmt.end_lineno))
    return ranges


def analyse(cells: list[dict]) -> dict[int, list[tuple[int, int]] | None]:
    """The code cells that need PyTorch: ``{cell index: line ranges}``.

    The ranges (1-based, inclusive) are the statements of the cell that need torch, with the
    comment lines right above them; ``None`` means the whole cell (a cell tagged by hand whose
    statements look torch-free, or one that is not Python this can read).
    """
    missing: set[str] = set()       # names the browser copy does not have (or has differently)
    objects: set[str] = set()       # names bound by assignment (not imports, defs, classes)
    found: dict[int, list[tuple[int, int]] | None] = {}
    first_code = next((i for i, c in enumerate(cells) if c["cell_type"] == "code"), None)
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        source = _source(cell)
        tree = _parse(source)
        if tree is None:  # not Python we can read: fall back to the word itself
            if re.search(r"\btorch\b", source) or is_tagged(cell):
                found[index] = None
            continue
        lines = source.splitlines()
        ranges = _scan(tree.body, lines, missing, objects)
        if ranges:
            found[index] = ranges
        elif is_tagged(cell):
            found[index] = None
            if index != first_code:  # left out whole: nothing it binds exists
                for stmt in tree.body:
                    missing |= _binds(stmt)
    return found


def torch_cells(cells: list[dict]) -> list[int]:
    """Indices (into ``cells``) of the code cells that need PyTorch, tagged or not."""
    return sorted(analyse(cells))


def without_torch(cell: dict, ranges: list[tuple[int, int]] | None) -> str | None:
    """The source of ``cell`` without the statements in ``ranges``; None if nothing is left."""
    if ranges is None:
        return None
    drop = {n for a, b in ranges for n in range(a, b + 1)}
    kept = [line for n, line in enumerate(_source(cell).splitlines(), 1) if n not in drop]
    if not any(line.strip() and not line.strip().startswith("#") for line in kept):
        return None
    text = "\n".join(kept).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text)


def untagged(cells: list[dict], setup_exempt: bool = False) -> list[int]:
    """Torch cells without the tag. ``setup_exempt``: not the first code cell, the setup cell,
    which the browser copy replaces whatever its tags (the check and the build use this; the
    tagger still tags it)."""
    first = next((i for i, c in enumerate(cells) if c["cell_type"] == "code"), None)
    return [i for i in torch_cells(cells) if not is_tagged(cells[i])
            and not (setup_exempt and i == first)]


def _write(path: pathlib.Path, nb: dict) -> None:
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def tag_notebook(path: pathlib.Path) -> list[int]:
    """Add the tag to every untagged torch cell of ``path``; return their indices."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    todo = untagged(nb["cells"])
    for i in todo:
        tags = nb["cells"][i].setdefault("metadata", {}).setdefault("tags", [])
        tags.append(TAG)
    if todo:
        _write(path, nb)
    return todo


def _cell_name(cell: dict, index: int) -> str:
    first = _source(cell).strip().splitlines()[0] if _source(cell).strip() else ""
    return f"cell {index} ({cell.get('id', 'no id')}): {first[:60]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=pathlib.Path)
    parser.add_argument("--check", action="store_true", help="report only, exit 1 if untagged")
    args = parser.parse_args(argv)
    status = 0
    for path in args.notebooks:
        if args.check:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            for i in untagged(cells, setup_exempt=True):
                print(f"{path}: {_cell_name(cells[i], i)} needs the tag '{TAG}'")
                status = 1
        else:
            done = tag_notebook(path)
            if done:
                print(f"{path}: tagged cells {done}")
    return status


if __name__ == "__main__":
    sys.exit(main())
