#!/usr/bin/env python3
"""Build the JupyterLite site that runs the chapters in the reader's browser: _build/html/lite.

Two steps, so that the build itself needs no network (tests/test_lite.py runs it under
``unshare -n``):

``fetch``  (registries only; cached in ``_vendor/lite``, git-ignored; does nothing once there)
    the npm package ``pyodide`` at exactly the version the installed jupyterlite-pyodide-kernel
    expects; from PyPI the kernel's own wheel (its JupyterLab extension, at the installed
    version), the pure-Python wheels of the Pyodide lockfile that the kernel's start-up and the
    chapters need (at the lockfile's versions), and tools/lite_requirements.txt (ipywidgets
    with its front end, comm).
``build``  (offline) browser copies of the chapters, a wheel of dlcore from this checkout, a
    Pyodide lockfile in which the wheels the site serves point at the site and every other
    entry (numpy, scipy, matplotlib and their compiled dependencies) at Pyodide's CDN at the
    same version, and ``jupyter lite build`` with PyPI fallback disabled.

Usage: ``tools/build_lite.py [fetch|build|all] [--out DIR]`` (default ``all`` into
_build/html/lite, after the book: ``make book``).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import tag_torch_cells  # noqa: E402

VENDOR = ROOT / "_vendor" / "lite"
WORK = ROOT / "_build" / "lite"
OUT = ROOT / "_build" / "html" / "lite"
REQUIREMENTS = ROOT / "tools" / "lite_requirements.txt"
CDN = "https://cdn.jsdelivr.net/pyodide/v{version}/full/"
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
# Lockfile packages whose pure-Python wheels the site serves: what the kernel installs when it
# starts (micropip, then ipython and jedi through piplite), and what the chapters import.
LOCK_ROOTS = ["micropip", "ipython", "jedi", "traitlets",
              "numpy", "scipy", "matplotlib", "threadpoolctl", "scikit-learn"]
PYODIDE_FILES = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
                 "pyodide-lock.json", "package.json"]
NOTE = ("*Browser copy.* This notebook runs in your browser on Pyodide (JupyterLite), with no "
        "server. PyTorch does not run there, so the lines that check dlcore against PyTorch are "
        "left out; the text says what each check proves, and the book's page shows its result.")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyodide_version() -> str:
    from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION

    return PYODIDE_VERSION


def kernel_version() -> str:
    from importlib.metadata import version

    return version("jupyterlite-pyodide-kernel")


def dlcore_version() -> str:
    text = (ROOT / "src" / "dlcore" / "__init__.py").read_text()
    return re.search(r'^__version__\s*=\s*["\']([^"\']+)', text, re.M).group(1)


# ----------------------------------------------------------------------------- fetch
def _tarball() -> pathlib.Path:
    return VENDOR / f"pyodide-{pyodide_version()}.tgz"


def _lock_from_tarball() -> dict:
    with tarfile.open(_tarball()) as tar:
        return json.load(tar.extractfile("package/pyodide-lock.json"))


def served_lock_packages(lock: dict) -> dict[str, dict]:
    """Lockfile entries (by normalized name) the site serves: the pure-Python wheels in the
    dependency closure of LOCK_ROOTS."""
    packages = {normalize(k): v for k, v in lock["packages"].items()}
    seen, todo = set(), list(LOCK_ROOTS)
    while todo:
        name = normalize(todo.pop())
        if name not in seen:
            seen.add(name)
            todo += packages[name]["depends"]
    return {n: packages[n] for n in sorted(seen)
            if packages[n]["file_name"].endswith("-none-any.whl")}


def _pip_download(specs: list[str], dest: pathlib.Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--only-binary=:all:", "--platform", "any", "--python-version", "3.14",
                    "--implementation", "py", "--abi", "none", "--dest", str(dest), *specs],
                   check=True)


def fetch() -> None:
    stamp = VENDOR / f".complete-{pyodide_version()}-{kernel_version()}"
    wanted = REQUIREMENTS.read_text()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    VENDOR.mkdir(parents=True, exist_ok=True)
    if not _tarball().exists():
        subprocess.run(["npm", "pack", "--silent", f"pyodide@{pyodide_version()}"],
                       cwd=VENDOR, check=True, stdout=subprocess.DEVNULL)
    lock = _lock_from_tarball()
    specs = [f"{p['name']}=={p['version']}" for p in served_lock_packages(lock).values()]
    _pip_download(specs, VENDOR / "lock-wheels")
    _pip_download([f"jupyterlite-pyodide-kernel=={kernel_version()}"], VENDOR / "extensions")
    pins = [ln.split("#")[0].strip() for ln in wanted.splitlines()]
    _pip_download([p for p in pins if p], VENDOR / "wheels")
    stamp.write_text(wanted)
    print(f"build_lite: Pyodide {pyodide_version()} and the site's wheels are in {VENDOR}")


# ----------------------------------------------------------------------------- build
def _wheel_for(directory: pathlib.Path, name: str, version: str) -> pathlib.Path:
    for path in directory.glob("*.whl"):
        dist, ver = path.name.split("-")[:2]
        if normalize(dist) == normalize(name) and ver == version:
            return path
    raise FileNotFoundError(f"no wheel of {name}=={version} in {directory}: run "
                            f"tools/build_lite.py fetch (needs PyPI)")


def _sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def site_lock(lock: dict, wheels: pathlib.Path, dest: pathlib.Path) -> dict:
    """The lockfile the site serves: the wheels of ``served_lock_packages`` copied next to it
    (relative file names, checked hashes), every other entry an absolute CDN URL."""
    cdn = CDN.format(version=pyodide_version())
    out = copy.deepcopy(lock)
    served = served_lock_packages(lock)
    for key, entry in out["packages"].items():
        if normalize(key) in served:
            wheel = _wheel_for(wheels, entry["name"], entry["version"])
            shutil.copy2(wheel, dest / wheel.name)
            entry["file_name"], entry["sha256"] = wheel.name, _sha256(wheel)
        else:
            entry["file_name"] = cdn + entry["file_name"]
    return out


def build_dlcore_wheel(dest: pathlib.Path) -> pathlib.Path:
    """A wheel of dlcore from this checkout, built in a scratch copy (the checkout gets no
    build/ or egg-info), without network (no build isolation: setuptools from this env)."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = pathlib.Path(tmp) / "dlcore"
        src.mkdir()
        for name in ["pyproject.toml", "README.md"]:
            shutil.copy2(ROOT / name, src / name)
        shutil.copytree(ROOT / "src", src / "src",
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                        "--no-build-isolation", "--wheel-dir", str(dest), str(src)],
                       check=True, capture_output=True)
    wheel = _wheel_for(dest, "dlcore", dlcore_version())
    return wheel


def chapters() -> list[pathlib.Path]:
    """The chapter notebooks of the table of contents, in order."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def setup_source(extras: list[str]) -> str:
    packages = " ".join([f'"dlcore[widgets]=={dlcore_version()}"', *extras])
    return "\n".join([
        "# Setup (browser copy): dlcore and its dependencies install from this site; Pyodide's",
        "# own numpy, scipy and matplotlib load from its CDN.",
        f"%pip install -q {packages}",
        "import sys",
        "",
        "import numpy as np",
        "",
        "import dlcore",
        "",
        "SEED = 0",
        'print(f"dlcore {dlcore.__version__} | numpy {np.__version__} | seed {SEED} | browser")',
    ])


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and lines[-1].endswith("\n"):
        lines[-1] = lines[-1][:-1]
    return lines


def browser_copy(nb: dict) -> dict:
    """The browser copy of a chapter: the setup cell replaced, torch statements left out.

    Raises ValueError naming the cells when a cell that needs PyTorch is not tagged ``torch``
    (tools/tag_torch_cells.py adds the tags)."""
    cells = nb["cells"]
    missing = tag_torch_cells.untagged(cells, setup_exempt=True)
    if missing:
        raise ValueError(f"cells {missing} need PyTorch but are not tagged 'torch': run "
                         "tools/tag_torch_cells.py on the notebook")
    needs = tag_torch_cells.analyse(cells)
    first = next(i for i, c in enumerate(cells) if c["cell_type"] == "code")
    out, kept_code = [], []
    for index, cell in enumerate(cells):
        cell = copy.deepcopy(cell)
        if index == first:
            out.append({"cell_type": "markdown", "id": "lite-note", "metadata": {},
                        "source": _lines(NOTE)})
            setup = cell
            out.append(setup)
            continue
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
            if index in needs:
                source = tag_torch_cells.without_torch(cell, needs[index])
                if source is None:
                    continue
                cell["source"] = _lines(source)
                tags = [t for t in cell["metadata"].get("tags", []) if t != "torch"]
                cell["metadata"]["tags"] = tags
                if not tags:
                    del cell["metadata"]["tags"]
            kept_code.append(tag_torch_cells._source(cell))
        out.append(cell)
    text = "\n".join(kept_code)
    extras = [p for p, used in [("threadpoolctl", "threadpoolctl" in text),
                                ("scikit-learn", re.search(r"sklearn|load_digits", text))]
              if used]
    setup.update(source=_lines(setup_source(extras)), outputs=[], execution_count=None,
                 metadata={})
    setup["id"] = "lite-setup"
    result = copy.deepcopy(nb)
    result["cells"] = out
    result["metadata"]["kernelspec"] = {"name": "python", "display_name": "Python (Pyodide)",
                                        "language": "python"}
    return result


def write_browser_copies(dest: pathlib.Path) -> list[pathlib.Path]:
    written = []
    for path in chapters():
        target = dest / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        nb = json.loads(path.read_text(encoding="utf-8"))
        try:
            copy_nb = browser_copy(nb)
        except ValueError as err:
            raise SystemExit(f"build_lite: {path.relative_to(ROOT)}: {err}") from None
        target.write_text(json.dumps(copy_nb, indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")
        written.append(target)
    return written


def build(out: pathlib.Path = OUT) -> pathlib.Path:
    version = pyodide_version()
    if not _tarball().exists():
        raise SystemExit("build_lite: run tools/build_lite.py fetch first (needs npm and PyPI)")
    shutil.rmtree(WORK, ignore_errors=True)
    lite_dir, content = WORK / "src", WORK / "content"
    pyodide = lite_dir / "static" / "pyodide"
    pyodide.mkdir(parents=True)
    with tarfile.open(_tarball()) as tar:
        for name in PYODIDE_FILES:
            (pyodide / name).write_bytes(tar.extractfile(f"package/{name}").read())
    lock = json.loads((pyodide / "pyodide-lock.json").read_text())
    (pyodide / "pyodide-lock.json").write_text(json.dumps(
        site_lock(lock, VENDOR / "lock-wheels", pyodide), indent=1, sort_keys=True) + "\n")

    pypi = lite_dir / "pypi"
    build_dlcore_wheel(pypi)
    pins = [ln.split("#")[0].strip() for ln in REQUIREMENTS.read_text().splitlines()]
    for pin in filter(None, pins):
        name, ver = pin.split("==")
        shutil.copy2(_wheel_for(VENDOR / "wheels", name, ver), pypi)
    write_browser_copies(content)

    extensions = [_wheel_for(VENDOR / "extensions", "jupyterlite-pyodide-kernel",
                             kernel_version()),
                  _wheel_for(VENDOR / "wheels", "jupyterlab-widgets",
                             _pin("jupyterlab-widgets"))]
    (lite_dir / "jupyter-lite.json").write_text(json.dumps({
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "dlcore book (in the browser)",
            "exposeAppInBrowser": True,     # window.jupyterapp, for tests/test_lite_browser.py
            "litePluginSettings": {KERNEL_PLUGIN: {
                "pyodideUrl": "./static/pyodide/pyodide.mjs",
                "disablePyPIFallback": True,
            }},
        },
    }, indent=2) + "\n")
    (lite_dir / "jupyter_lite_config.json").write_text(json.dumps({
        "LiteBuildConfig": {
            "apps": ["lab"],
            "contents": [str(content)],
            "federated_extensions": [str(p) for p in extensions],
            "ignore_sys_prefix": True,
            "no_sourcemaps": True,
            "no_unused_shared_packages": True,
            "output_dir": str(out),
        },
    }, indent=2) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, JUPYTERLITE_NO_LIBARCHIVE="1")
    env.pop("JUPYTERLITE_PYODIDE_URL", None)
    subprocess.run([sys.executable, "-m", "jupyterlite_core", "build", "--lite-dir",
                    str(lite_dir), "--output-dir", str(out)], cwd=lite_dir, env=env,
                   check=True, stdout=subprocess.DEVNULL)
    config = json.loads((out / "jupyter-lite.json").read_text())
    settings = config["jupyter-config-data"]["litePluginSettings"][KERNEL_PLUGIN]
    assert settings["pyodideUrl"] == "./static/pyodide/pyodide.mjs", settings
    print(f"build_lite: Pyodide {version} site with {len(chapters())} chapters in {out}")
    return out


def _pin(name: str) -> str:
    for line in REQUIREMENTS.read_text().splitlines():
        pin = line.split("#")[0].strip()
        if pin and normalize(pin.split("==")[0]) == normalize(name):
            return pin.split("==")[1]
    raise KeyError(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", nargs="?", default="all", choices=["fetch", "build", "all"])
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    args = parser.parse_args()
    if args.step in ("fetch", "all"):
        fetch()
    if args.step in ("build", "all"):
        build(args.out.resolve())


if __name__ == "__main__":
    main()
