"""Build the book once for all test processes (the rendered-page and determinism tests).

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


def _newest_source() -> float:
    times = []
    for name in SOURCES:
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
        if not index.exists() or index.stat().st_mtime < _newest_source():
            _build()
    return HTML


def _build() -> None:
    subprocess.run(["bash", str(ROOT / "tools" / "vendor_static.sh")], check=True)
    jb = pathlib.Path(sys.executable).with_name("jupyter-book")
    env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1", MPLBACKEND="Agg")
    subprocess.run([str(jb), "build", str(ROOT), "--all", "-W", "-n", "--keep-going"], check=True,
                   cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
