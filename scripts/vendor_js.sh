#!/usr/bin/env bash
# Refresh the JavaScript that the book would otherwise load from CDNs (CI has no internet):
#   require.js + the @jupyter-widgets/html-manager embed bundle (renders ipywidgets in the
#   static HTML; 1.x reads the widget state that ipywidgets 8 saves, and 7.x state too), and
#   MathJax 3 (tex-chtml + its woff-v2 fonts).
# Needs npm (it only uses `npm pack` against the npm registry). Run from anywhere; the result
# lands in _vendor/, which _config.yml puts on Sphinx's html_static_path.
set -euo pipefail
HTML_MANAGER=1.0.15
REQUIREJS=2.3.8
MATHJAX=3.2.2

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/_vendor"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "@jupyter-widgets/html-manager@$HTML_MANAGER" "requirejs@$REQUIREJS" "mathjax@$MATHJAX" >/dev/null
for f in *.tgz; do mkdir "${f%.tgz}"; tar xzf "$f" -C "${f%.tgz}"; done

rm -rf "$dest"
mkdir -p "$dest/html-manager" "$dest/mathjax/output/chtml/fonts"
cp "requirejs-$REQUIREJS/package/require.js" "$dest/require.js"

hm="jupyter-widgets-html-manager-$HTML_MANAGER/package"
cp "$hm/dist/embed-amd.js" "$dest/html-manager/"
# Font Awesome webfonts referenced by the widget CSS (browsers fetch woff2 first).
cp "$hm"/dist/*.woff2 "$hm"/dist/*.woff "$dest/html-manager/"
cp "$hm/dist/embed.js.LICENSE.txt" "$dest/html-manager/LICENSE.bundled.txt"

mj="mathjax-$MATHJAX/package"
cp "$mj/es5/tex-chtml.js" "$dest/mathjax/"
cp -r "$mj/es5/output/chtml/fonts/woff-v2" "$dest/mathjax/output/chtml/fonts/"
cp "$mj/LICENSE" "$dest/mathjax/LICENSE"

cat > "$dest/VENDORED.txt" <<TXT
Third-party files served with the book instead of from a CDN (written by scripts/vendor_js.sh).
  require.js                 requirejs $REQUIREJS (MIT; licence in its header)
  html-manager/              @jupyter-widgets/html-manager $HTML_MANAGER, dist/embed-amd.js and
                             its Font Awesome webfonts (BSD-3-Clause; bundled licences inside)
  mathjax/                   mathjax $MATHJAX, es5/tex-chtml.js and its woff-v2 fonts (Apache-2.0)
TXT
du -sh "$dest"
