"""The JupyterLite site (_build/html/lite), checked without a browser and without the network.

What this machine can check: the site is built from the registries' packages and this checkout
with no network (under ``unshare -n``); its kernel loads the Pyodide it serves, with the PyPI
fallback off; what it serves itself matches the pins; the wheels it leaves to Pyodide's CDN
are named at exactly Pyodide's version; every chapter has a browser copy without PyTorch; every
chapter page has a launch button into it. Running the copies needs the CDN:
tests/test_lite_browser.py.
"""

import hashlib
import json
import os
import pathlib
import re
import sys
import zipfile

import pytest
from packaging.requirements import Requirement

from book_build import ROOT, built_html, built_lite, offline_prefix

sys.path.insert(0, str(ROOT / "tools"))
import build_lite  # noqa: E402
import tag_torch_cells  # noqa: E402

KERNEL = build_lite.KERNEL_PLUGIN
CHAPTERS = [p.relative_to(ROOT).as_posix() for p in build_lite.chapters()]


@pytest.fixture(scope="module")
def site() -> pathlib.Path:
    return built_lite()


def _settings(site):
    config = json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]
    return config["litePluginSettings"][KERNEL]


def _lock(site):
    return json.loads((site / "static" / "pyodide" / "pyodide-lock.json").read_text())


def _metadata(wheel: pathlib.Path) -> str:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        return zf.read(name).decode()


def test_site_was_built_offline(site):
    if not offline_prefix():
        pytest.skip("unshare -n does not work here: the build ran with the network")
    assert (site / ".built-offline").read_text().split() == ["unshare", "-n"]


def test_kernel_loads_the_pyodide_the_site_serves(site):
    from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION

    settings = _settings(site)
    assert settings["pyodideUrl"] == "./static/pyodide/pyodide.mjs"
    pyodide = site / "static" / "pyodide"
    for name in ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip"]:
        assert (pyodide / name).stat().st_size > 0, name
    assert json.loads((pyodide / "package.json").read_text())["version"] == PYODIDE_VERSION
    assert "loadPyodideOptions" not in settings  # lockfile next to pyodide.mjs, by default


def test_pypi_fallback_is_off_and_wheel_indexes_are_local(site):
    settings = _settings(site)
    assert settings["disablePyPIFallback"] is True
    assert settings["pipliteUrls"]
    for url in settings["pipliteUrls"]:
        assert url.startswith("./"), url
        assert (site / url.split("?")[0]).is_file(), url


def test_lockfile_serves_start_up_wheels_and_names_the_cdn_at_pyodides_version(site):
    from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION

    cdn = f"https://cdn.jsdelivr.net/pyodide/v{PYODIDE_VERSION}/full/"
    packages = {build_lite.normalize(k): v for k, v in _lock(site)["packages"].items()}
    local = {n for n, e in packages.items() if not e["file_name"].startswith("https://")}
    # what the kernel installs when it starts must never leave the site
    for name in ["micropip", "ipython", "jedi", "traitlets", "pygments", "prompt-toolkit"]:
        assert name in local, name
    for name in local:
        wheel = site / "static" / "pyodide" / packages[name]["file_name"]
        assert wheel.name.endswith("-none-any.whl"), wheel.name
        assert hashlib.sha256(wheel.read_bytes()).hexdigest() == packages[name]["sha256"]
    remote = {n: e["file_name"] for n, e in packages.items() if n not in local}
    assert {"numpy", "scipy", "matplotlib"} <= set(remote)
    for name, url in remote.items():
        assert url.startswith(cdn) and "/" not in url[len(cdn):], url


def test_dlcore_wheel_is_this_checkout(site):
    import dlcore

    wheels = sorted((site / "pypi").glob("dlcore-*.whl"))
    assert [w.name for w in wheels] == [f"dlcore-{dlcore.__version__}-py3-none-any.whl"]
    with zipfile.ZipFile(wheels[0]) as zf:
        packaged = zf.read("dlcore/__init__.py").decode()
    assert packaged == (ROOT / "src" / "dlcore" / "__init__.py").read_text()
    index = json.loads((site / "pypi" / "all.json").read_text())
    assert dlcore.__version__ in index["dlcore"]["releases"]


def test_ipywidgets_and_its_front_end_are_pinned_together(site):
    pins = dict(line.split("#")[0].strip().split("==") for line in
                build_lite.REQUIREMENTS.read_text().splitlines() if line.split("#")[0].strip())
    ipywidgets = site / "pypi" / f"ipywidgets-{pins['ipywidgets']}-py3-none-any.whl"
    front = site / "pypi" / f"jupyterlab_widgets-{pins['jupyterlab-widgets']}-py3-none-any.whl"
    needs = [Requirement(r.split(":", 1)[1].strip()) for r in _metadata(ipywidgets).splitlines()
             if r.startswith("Requires-Dist:") and "extra ==" not in r]
    widgets_req = next(r for r in needs if build_lite.normalize(r.name) == "jupyterlab-widgets")
    assert widgets_req.specifier.contains(pins["jupyterlab-widgets"])
    # the JupyterLab extension the site loads is the one in that same wheel
    ext = "@jupyter-widgets/jupyterlab-manager/package.json"
    with zipfile.ZipFile(front) as zf:
        shipped = json.loads(zf.read(next(n for n in zf.namelist() if n.endswith(
            "labextensions/" + ext))))
    served = json.loads((site / "extensions" / ext).read_text())
    assert served["version"] == shipped["version"]
    assert served["jupyterlab"]["_build"] == shipped["jupyterlab"]["_build"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_browser_copy_is_in_the_contents_without_torch(site, chapter):
    listing = json.loads((site / "api" / "contents" / "book" / "all.json").read_text())
    assert pathlib.PurePath(chapter).name in {c["name"] for c in listing["content"]}
    cells = json.loads((site / "files" / chapter).read_text())["cells"]
    code = [tag_torch_cells._source(c) for c in cells if c["cell_type"] == "code"]
    importing = [i for i, src in enumerate(code)
                 if re.search(r"^\s*(import torch|from torch\b)", src, re.M)]
    assert not importing, f"{chapter}: browser copy imports torch in code cells {importing}"
    assert not tag_torch_cells.analyse(cells), f"{chapter}: browser copy still uses torch"
    assert "%pip install" in code[0] and "dlcore[widgets]==" in code[0]
    assert not any(c.get("outputs") for c in cells if c["cell_type"] == "code")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_has_a_launch_button_into_the_site(site, chapter):
    page = built_html() / pathlib.PurePath(chapter).with_suffix(".html")
    href = f"../lite/lab/index.html?path={chapter}"
    assert f'href="{href}"' in page.read_text(), f"{page.name}: no JupyterLite launch button"
    assert (page.parent / href.split("?")[0]).resolve().is_file()


def test_nothing_else_is_named_outside_the_site(site):
    """The site's own settings name no outside host (the CDN only appears in the lockfile)."""
    text = (site / "jupyter-lite.json").read_text() + (site / "pypi" / "all.json").read_text()
    assert not re.findall(r"https?://", text)


NO_TORCH = """import importlib.abc
import sys


class _NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "torch":
            raise ImportError("PyTorch does not run in the browser")


sys.meta_path.insert(0, _NoTorch())"""


@pytest.mark.skipif(os.environ.get("DLCORE_LITE_NOTORCH") != "1",
                    reason="set DLCORE_LITE_NOTORCH=1: runs every browser copy (minutes)")
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_browser_copy_runs_here_without_torch(chapter):
    """The closest this machine gets to the browser: the copy in CPython with torch refused
    (the ``%pip`` line swapped for that refusal), every cell without an error."""
    import nbformat
    from nbclient import NotebookClient

    nb = build_lite.browser_copy(json.loads((ROOT / chapter).read_text()))
    setup = next(c for c in nb["cells"] if c["cell_type"] == "code")
    setup["source"] = re.sub(r"^%pip install.*$", NO_TORCH, "".join(setup["source"]), flags=re.M)
    nb["metadata"]["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}
    node = nbformat.reads(json.dumps(nb), as_version=4)
    NotebookClient(node, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "book")}}).execute()
