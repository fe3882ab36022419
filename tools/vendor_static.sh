#!/usr/bin/env bash
# Fetch the page scripts the book serves itself, so that math and widgets render without a CDN:
# MathJax 3, require.js and the ipywidgets HTML manager, as tarballs from the npm registry,
# unpacked into _vendor/static/vendor (git-ignored; the build serves it as _static/vendor).
# Idempotent: does nothing once they are there.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=_vendor/static/vendor
[ -f "$dest/.complete" ] && exit 0
command -v npm >/dev/null || { echo "vendor_static: npm is needed (Node.js)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent mathjax@3.2.2 requirejs@2.3.8 @jupyter-widgets/html-manager@1.0.15 >/dev/null)
for f in "$tmp"/*.tgz; do mkdir -p "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done
rm -rf "$dest" && mkdir -p "$dest/mathjax/output/chtml/fonts" "$dest/widgets"
mathjax="$tmp/mathjax-3.2.2/package/es5"
cp "$mathjax/tex-mml-chtml.js" "$dest/mathjax/"
cp -r "$mathjax/output/chtml/fonts/woff-v2" "$dest/mathjax/output/chtml/fonts/"
cp "$tmp/requirejs-2.3.8/package/require.js" "$dest/"
dist="$tmp/jupyter-widgets-html-manager-1.0.15/package/dist"
find "$dist" -maxdepth 1 -type f ! -name '*.map' -exec cp {} "$dest/widgets/" \;
# The manager loads its icon fonts relative to the page; every chapter page lives in book/.
fonts=_vendor/extra/book/@jupyter-widgets/html-manager/dist
rm -rf _vendor/extra && mkdir -p "$fonts"
find "$dist" -maxdepth 1 -type f \( -name '*.woff*' -o -name '*.ttf' -o -name '*.eot' -o -name '*.svg' \) \
  -exec cp {} "$fonts/" \;
touch "$dest/.complete"
echo "vendor_static: MathJax, require.js and the widget manager are in $dest"
