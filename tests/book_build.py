"""Build the book once per test session (shared by the rendered-page and determinism tests)."""

import os
import pathlib
import subprocess
import sys

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
    """``_build/html``, rebuilt with ``jupyter-book build -W -n`` if any source is newer."""
    index = HTML / "index.html"
    if not index.exists() or index.stat().st_mtime < _newest_source():
        subprocess.run(["bash", str(ROOT / "tools" / "vendor_static.sh")], check=True)
        jb = pathlib.Path(sys.executable).with_name("jupyter-book")
        env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1", MPLBACKEND="Agg")
        subprocess.run([str(jb), "build", str(ROOT), "-W", "-n", "--keep-going"], check=True,
                       cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    return HTML
