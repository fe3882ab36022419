"""The JupyterLite site in headless Chromium, with every request off this machine refused.

Offline (always, when Chromium is there): a chapter opens and its Pyodide kernel reaches idle
with nothing fetched from outside; ipywidgets installs from the site; a pure-Python slider,
moved with the keyboard in the chapter's notebook, runs its callback in the kernel and updates
a label; ``%pip install dlcore`` fetches dlcore from the site and, from outside, exactly the
CDN URLs of numpy, scipy, matplotlib and their compiled dependencies at Pyodide's version
(refused here).

End to end (only with ``DLCORE_LITE_CDN=1``, where the CDN is reachable, e.g. the deploy
workflow): every browser copy runs top to bottom without an error, and moving a slider of the
first chapter's dlcore explorer redraws its figure.
"""

import functools
import http.server
import json
import os
import pathlib
import re
import shutil
import sys
import threading
import time

import pytest

from book_build import ROOT, built_lite

sys.path.insert(0, str(ROOT / "tools"))
import build_lite  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.browser
CDN_REACHABLE = os.environ.get("DLCORE_LITE_CDN") == "1"
KERNEL_TIMEOUT = 420_000  # ms: Pyodide compiles 10 MB of WebAssembly; slow on a loaded machine
CHAPTERS = [p.relative_to(ROOT).as_posix() for p in build_lite.chapters()]

KERNEL = "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
IDLE = (f"() => {{ try {{ return ({KERNEL})().status === 'idle'; }} catch (e) "
        "{ return false; } }")
# Run code in the current notebook's kernel; collect text, errors and display data.
EXECUTE = f"""async (code) => {{
  const kernel = ({KERNEL})();
  const out = [];
  const future = kernel.requestExecute({{code, store_history: false}});
  future.onIOPub = (msg) => {{
    const c = msg.content;
    if (c.text) out.push(c.text);
    if (c.ename) out.push('ERROR ' + c.ename + ': ' + c.evalue);
  }};
  const reply = await future.done;
  return {{status: reply.content.status, output: out.join('')}};
}}"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".mjs": "text/javascript", ".js": "text/javascript",
                      ".wasm": "application/wasm", ".json": "application/json"}

    def log_message(self, *args):
        pass


class Browser:
    """One Chromium page on the served site; records the requests that tried to leave."""

    def __init__(self, playwright, base):
        self.base, self.outside, self.local = base, [], []
        self.chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"])
        self.context = self.chromium.new_context(viewport={"width": 1280, "height": 900})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.errors = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.base):
            self.local.append(url)
            route.continue_()
        elif CDN_REACHABLE and url.startswith("https://cdn.jsdelivr.net/pyodide/"):
            self.outside.append(url)
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def open(self, chapter):
        start = time.perf_counter()
        self.page.goto(f"{self.base}lite/lab/index.html?path={chapter}")
        self.page.wait_for_function(IDLE, timeout=KERNEL_TIMEOUT, polling=250)
        return time.perf_counter() - start

    def run(self, code):
        return self.page.evaluate(EXECUTE, code)

    def close(self):
        self.chromium.close()


@pytest.fixture(scope="module")
def served():
    site = built_lite()
    handler = functools.partial(_Handler, directory=str(site.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def playwright():
    if not pathlib.Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (make test installs it: tools/install_browser.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def expected_cdn_urls(site, roots=("numpy", "scipy", "matplotlib")):
    """The outside URLs ``roots`` need: their lockfile closure minus what the site serves."""
    lock = json.loads((site / "static" / "pyodide" / "pyodide-lock.json").read_text())
    packages = {build_lite.normalize(k): v for k, v in lock["packages"].items()}
    seen, todo = set(), list(roots)
    while todo:
        name = build_lite.normalize(todo.pop())
        if name not in seen:
            seen.add(name)
            todo += packages[name]["depends"]
    return {packages[n]["file_name"] for n in seen
            if packages[n]["file_name"].startswith("https://")}


SLIDER = """
import ipywidgets as widgets
from IPython.display import display
slider = widgets.IntSlider(value=5, min=0, max=10, description="n")
label = widgets.Label("n = 5")
slider.observe(lambda change: setattr(label, "value", f"n = {change['new']}"), names="value")
display(widgets.VBox([slider, label]))
"""


def _run_cell_in_ui(page, code):
    """Insert ``code`` as the notebook's first cell and run it with the notebook's command."""
    page.evaluate("""async (code) => {
      const app = window.jupyterapp;
      const notebook = app.shell.currentWidget.content;
      notebook.model.sharedModel.insertCell(0, {cell_type: 'code', source: code});
      notebook.activeCellIndex = 0;
      await app.commands.execute('notebook:run-cell');
    }""", code)


@pytest.mark.skipif(CDN_REACHABLE, reason="the offline checks assume outside hosts refused")
def test_offline_kernel_widgets_and_pip_install(served, playwright):
    site, base = served
    import dlcore

    browser = Browser(playwright, base)
    try:
        seconds = browser.open(CHAPTERS[0])
        print(f"\nJupyterLite: page load to kernel idle {seconds:.1f} s")
        assert browser.outside == [], f"start-up left the site: {browser.outside}"
        assert any(u.endswith("static/pyodide/pyodide.asm.wasm") for u in browser.local)

        pins = dict(ln.split("#")[0].strip().split("==") for ln in
                    build_lite.REQUIREMENTS.read_text().splitlines() if ln.split("#")[0].strip())
        result = browser.run("%pip install -q ipywidgets\nimport ipywidgets\n"
                             "print(ipywidgets.__version__)")
        assert result == {"status": "ok", "output": pins["ipywidgets"] + "\n"}, result
        assert any(f"pypi/ipywidgets-{pins['ipywidgets']}-" in u for u in browser.local)
        assert browser.outside == [], f"ipywidgets left the site: {browser.outside}"

        # A pure-Python widget in the notebook: keyboard on the slider, callback in the kernel.
        page = browser.page
        _run_cell_in_ui(page, SLIDER)
        label = page.locator(".jp-OutputArea .widget-label").filter(has_text="n = ")
        label.wait_for(timeout=120_000)
        assert label.inner_text() == "n = 5"
        handle = page.locator(".jp-OutputArea .widget-slider .noUi-handle").first
        handle.focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => [...document.querySelectorAll('.jp-OutputArea "
                               ".widget-label')].some(e => e.innerText === 'n = 7')",
                               timeout=30_000)
        assert browser.outside == [], f"the widget left the site: {browser.outside}"

        # dlcore from the site; numpy, scipy, matplotlib (+ compiled deps) from Pyodide's CDN.
        before = len(browser.local)
        browser.run(f'%pip install -q "dlcore[widgets]=={dlcore.__version__}"')
        wheel = f"pypi/dlcore-{dlcore.__version__}-py3-none-any.whl"
        assert any(u.split("?")[0].endswith(wheel) for u in browser.local[before:])
        expected = expected_cdn_urls(site)
        assert set(browser.outside) == expected, (sorted(browser.outside), sorted(expected))
        print("CDN URLs requested by the setup cell:\n  " + "\n  ".join(sorted(expected)))
        assert not browser.errors, browser.errors
    finally:
        browser.close()


def _cells_in_order(path):
    cells = json.loads(path.read_text())["cells"]
    return [("".join(c["source"]), c.get("id")) for c in cells if c["cell_type"] == "code"]


@pytest.mark.skipif(not CDN_REACHABLE, reason="set DLCORE_LITE_CDN=1 where Pyodide's CDN is "
                    "reachable (the deploy workflow): this machine cannot fetch numpy")
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_end_to_end_browser_copy_runs(served, playwright, chapter):
    site, base = served
    browser = Browser(playwright, base)
    try:
        browser.open(chapter)
        for source, cell_id in _cells_in_order(site / "files" / chapter):
            result = browser.run(source)
            assert result["status"] == "ok", f"{chapter} cell {cell_id}: {result['output']}"
            assert "ERROR" not in result["output"], f"{chapter} cell {cell_id}"
        cdn = build_lite.CDN.format(version=build_lite.pyodide_version())
        strays = [u for u in browser.outside if not u.startswith(cdn)]
        assert not strays, f"{chapter} requested outside hosts: {strays}"
    finally:
        browser.close()


@pytest.mark.skipif(not CDN_REACHABLE, reason="set DLCORE_LITE_CDN=1 where Pyodide's CDN is "
                    "reachable (the deploy workflow)")
def test_end_to_end_dlcore_widget_moves(served, playwright):
    """The first chapter's explorer, run in the notebook UI: a slider step redraws the figure."""
    site, base = served
    browser = Browser(playwright, base)
    try:
        browser.open(CHAPTERS[0])
        page = browser.page
        page.evaluate("async () => { const app = window.jupyterapp;"
                      "await app.commands.execute('notebook:run-all-cells'); }")
        image = page.locator(".jp-OutputArea .widget-image").first
        image.wait_for(timeout=KERNEL_TIMEOUT)
        page.wait_for_function(f"() => ({IDLE})()", timeout=KERNEL_TIMEOUT, polling=500)
        before = image.get_attribute("src")
        page.locator(".jp-OutputArea .widget-slider .noUi-handle").first.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("(src) => document.querySelector('.jp-OutputArea .widget-image')"
                               ".getAttribute('src') !== src", arg=before, timeout=60_000)
        assert not re.search(r"Traceback|Error", page.inner_text(".jp-Notebook"))
    finally:
        browser.close()
