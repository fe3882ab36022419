"""Build the book once for all test processes (the rendered-page, determinism and lite tests).

The build is the one ``make book`` does: the Jupyter Book pages and, beside them (at the same
time), the JupyterLite site in ``_build/html/lite`` (tools/build_lite.py: a ``fetch`` from the
registries, then a ``build`` that needs no network and runs under ``unshare -n`` where that
works; ``lite/.built-offline`` records it).

pytest-xdist runs tests in several processes; a file lock makes the first one build and the
others wait for that build instead of starting their own.
"""

import os
import pathlib
import subprocess
import sys

from filelock import FileLock

ROOT = pathlib.Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SOURCES = ["_config.yml", "_toc.yml", "book", "src/dlcore", "_ext"]
LITE_SOURCES = SOURCES + ["tools/build_lite.py", "tools/tag_torch_cells.py",
                          "tools/lite_requirements.txt", "pyproject.toml"]


def _newest_source(sources=SOURCES) -> float:
    times = []
    for name in sources:
        path = ROOT / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()
                                                and "__pycache__" not in p.parts]
        times += [p.stat().st_mtime for p in files]
    return max(times)


def built_html() -> pathlib.Path:
    """``_build/html``, rebuilt from scratch (``--all``: every chapter executed again) when any
    source is newer; Sphinx alone would not re-run a chapter whose notebook is unchanged."""
    index = HTML / "index.html"
    (ROOT / "_build").mkdir(exist_ok=True)
    with FileLock(str(ROOT / "_build" / ".build.lock")):
        stamp = HTML / "lite" / ".built-offline"
        lite = None
        if not stamp.exists() or stamp.stat().st_mtime < _newest_source(LITE_SOURCES):
            lite = _start_lite_build()  # beside the book build: they share nothing
        try:
            if not index.exists() or index.stat().st_mtime < _newest_source():
                _build()
        finally:
            if lite is not None:
                _finish_lite_build(lite, stamp)
    return HTML


def built_lite() -> pathlib.Path:
    """``_build/html/lite``, the JupyterLite site, built beside the book."""
    return built_html() / "lite"


def offline_prefix() -> list[str]:
    """``unshare -n`` (no network namespace but loopback) when it works here, else nothing."""
    try:
        subprocess.run(["unshare", "-n", "true"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        return []
    return ["unshare", "-n"]


def _start_lite_build() -> subprocess.Popen:
    """Fetch what the site needs from the registries, then build it in the background without
    network (under ``unshare -n`` where that works)."""
    script = str(ROOT / "tools" / "build_lite.py")
    subprocess.run([sys.executable, script, "fetch"], check=True, cwd=ROOT)
    prefix = offline_prefix()
    log = open(ROOT / "_build" / "lite-build.log", "w")
    process = subprocess.Popen([*prefix, sys.executable, script, "build"], cwd=ROOT,
                               stdout=log, stderr=subprocess.STDOUT)
    process.prefix, process.log = prefix, log
    return process


def _finish_lite_build(process: subprocess.Popen, stamp: pathlib.Path) -> None:
    code = process.wait()
    process.log.close()
    if code:
        raise RuntimeError("tools/build_lite.py build failed: " +
                           (ROOT / "_build" / "lite-build.log").read_text()[-3000:])
    stamp.write_text(" ".join(process.prefix) + "\n")


def _build() -> None:
    subprocess.run(["bash", str(ROOT / "tools" / "vendor_static.sh")], check=True)
    jb = pathlib.Path(sys.executable).with_name("jupyter-book")
    env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1", MPLBACKEND="Agg")
    subprocess.run([str(jb), "build", str(ROOT), "--all", "-W", "-n", "--keep-going"], check=True,
                   cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
