"""Sphinx extension: small fixes so that pages load without JavaScript errors.

- Jupyter Book 1.x adds sphinx-thebe's inline configuration script twice, which redeclares a
  ``const`` (a SyntaxError on every page): keep the first copy of each inline script.
- pydata-sphinx-theme logs an error when no colour mode is configured: default to light.
- myst-nb's stream merging (``nb_merge_streams``) strips each chunk of printed text before
  joining, so a line the kernel happened to deliver in two chunks comes out broken
  (``"dL/dy "`` + ``"[0.7]"`` shows as two lines), and it edits the executed notebook in
  place. :func:`merge_streams` joins the chunks exactly as printed, on copies.
- The widget manager's icon fonts are requested relative to the page (``book/@jupyter-widgets/
  html-manager/dist/``); ``tools/vendor_static.sh`` puts copies there through
  ``html_extra_path``.
- The ipywidgets HTML manager typesets widget labels through the MathJax 2 API
  (``MathJax.Hub.Queue``); the book loads MathJax 3, so ``static/mathjax2-shim.js`` maps that
  call onto ``typesetPromise`` (loaded with ``defer`` after MathJax).
"""

import copy
import pathlib

STATIC = pathlib.Path(__file__).with_name("static")


def _drop_repeated_inline_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        body = getattr(script, "attributes", {}).get("body")
        if body is not None and body in seen:  # the copies differ only in filename None vs ''
            continue
        seen.add(body)
        kept.append(script)
    context["script_files"] = kept


def _light_mode(app, pagename, templatename, context, doctree):
    context["default_mode"] = "light"


def _add_static_path(app, config):
    config.html_static_path.append(str(STATIC))


def merge_streams(outputs: list) -> list:
    """Each stream's text, joined as printed, in the place of its first chunk (copies)."""
    merged, first = [], {}
    for out in outputs:
        if out["output_type"] == "stream":
            if out["name"] in first:
                first[out["name"]]["text"] += out["text"]
                continue
            out = copy.deepcopy(out)
            first[out["name"]] = out
        merged.append(out)
    return merged


def setup(app):
    import myst_nb.core.render

    myst_nb.core.render.coalesce_streams = merge_streams
    app.connect("config-inited", _add_static_path)
    app.connect("html-page-context", _drop_repeated_inline_scripts)
    app.connect("html-page-context", _light_mode)
    app.add_js_file("mathjax2-shim.js", loading_method="defer", priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
