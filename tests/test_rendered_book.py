"""The book as readers meet it: every page opened in headless Chromium.

Per page: math typeset by MathJax (no raw TeX left), every image loaded, every internal link
and anchor resolves, widget views rendered from their saved state, no JavaScript errors (other
than requests to outside hosts, which a closed network refuses). A screenshot of each page is
saved to ``_build/screenshots/``. Needs ``/usr/bin/chromium`` (``make test`` installs it).
"""

import functools
import http.server
import pathlib
import re
import shutil
import threading
import urllib.parse

import pytest

from book_build import ROOT, built_html

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.browser
SKIP_PAGES = {"genindex.html", "search.html"}
RAW_TEX = re.compile(r"\$\$|\\frac|\\mathbb|\\partial|\\\(|\\\[")


@pytest.fixture(scope="module")
def site():
    html = built_html()
    handler = functools.partial(_QuietHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield html, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _pages(html: pathlib.Path) -> list[str]:
    pages = [p.relative_to(html).as_posix() for p in html.rglob("*.html")
             if not ({"_static", "_sources", "_images"} & set(p.relative_to(html).parts))
             and p.relative_to(html).parts[0] != "lite"]  # the JupyterLite site: test_lite*
    return sorted(p for p in pages if p not in SKIP_PAGES)


def _ids(path: pathlib.Path) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', path.read_text(errors="replace")))


def _broken_links(html: pathlib.Path, page: str, hrefs: list[str]) -> list[str]:
    broken = []
    for href in hrefs:
        parts = urllib.parse.urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
            continue
        target = (html / page).parent / urllib.parse.unquote(parts.path) if parts.path \
            else html / page
        target = target.resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.exists():
            broken.append(href)
        elif parts.fragment and target.suffix == ".html" and parts.fragment not in _ids(target):
            broken.append(href)
    return broken


def _check_page(browser, html, base, page, shots):
    tab = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    tab.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    # A failed load shows up twice: as a console error (ignored here) and as a response or a
    # failed request, checked by where it went: outside hosts are refused by a closed network.
    tab.on("console", lambda msg: errors.append(f"console: {msg.text}")
           if msg.type == "error" and "Failed to load resource" not in msg.text else None)
    tab.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}")
           if r.status >= 400 and r.url.startswith(base) and not r.url.endswith("favicon.ico")
           else None)
    tab.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}")
           if r.url.startswith(base) else None)
    tab.goto(base + page, wait_until="networkidle")
    page = tab.url[len(base):].split("#")[0] or "index.html"  # index.html redirects
    tab.wait_for_function("() => !window.MathJax || (window.MathJax.startup && "
                          "window.MathJax.startup.document)", timeout=20000)
    tab.evaluate("() => window.MathJax ? MathJax.startup.promise : null")
    problems = list(errors)
    text = tab.inner_text("main")
    raw = RAW_TEX.findall(_without_code(tab))
    if raw:
        problems.append(f"untypeset TeX: {sorted(set(raw))}")
    bad_images = tab.evaluate("() => [...document.images].filter(i => !i.complete || "
                              "i.naturalWidth === 0).map(i => i.src.slice(0, 80))")
    if bad_images:
        problems.append(f"images not loaded: {bad_images}")
    hrefs = tab.evaluate("() => [...document.querySelectorAll('a[href]')]"
                         ".map(a => a.getAttribute('href'))")
    broken = _broken_links(html, page, hrefs)
    if broken:
        problems.append(f"broken links: {broken}")
    views = len(re.findall(r"application/vnd\.jupyter\.widget-view\+json",
                           (html / page).read_text()))
    if views:
        tab.wait_for_timeout(500)
        rendered = tab.evaluate("() => document.querySelectorAll('.widget-slider, "
                                ".widget-dropdown, .widget-toggle-buttons, .widget-checkbox, "
                                ".widget-int-text, .widget-float-text, .widget-image, "
                                ".jupyter-widgets').length")
        images = tab.evaluate("() => [...document.querySelectorAll('.jupyter-widgets img, "
                              ".widget-image')].filter(i => i.naturalWidth > 0).length")
        if rendered == 0 or images < views:
            problems.append(f"{views} widget view(s) saved but {rendered} widget elements and "
                            f"{images} widget figures rendered")
    if not text.strip():
        problems.append("empty main content")
    tab.screenshot(path=str(shots / (page.replace("/", "__")[:-5] + ".png")), full_page=True)
    tab.close()
    return problems


def _without_code(tab) -> str:
    """Visible text of the page outside code cells, outputs and literals."""
    return tab.evaluate("() => { const m = document.querySelector('main').cloneNode(true);"
                        "m.querySelectorAll('pre, code, .highlight, .cell_output, "
                        "script, style').forEach(e => e.remove()); return m.innerText; }")


def _toc_pages() -> list[str]:
    """The pages a reader can reach: the landing page and every file in ``_toc.yml``."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return ["index.html"] + [f + ".html" for f in files]


@pytest.fixture(scope="module")
def browser():
    if not pathlib.Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (make test installs it: tools/install_browser.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"])
        yield chromium
        chromium.close()


def test_every_built_page_is_checked(site):
    html, _ = site
    assert set(_pages(html)) == set(_toc_pages())


@pytest.mark.parametrize("page", _toc_pages())
def test_page_renders(site, browser, page):
    html, base = site
    shots = ROOT / "_build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    problems = _check_page(browser, html, base, page, shots)
    assert not problems, "\n".join(problems)
