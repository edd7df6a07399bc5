#!/usr/bin/env bash
# The site's JavaScript and fonts, served by the site itself so that it works offline:
# MathJax 3, require.js, the ipywidgets html-manager and a Korean font (Nanum Gothic, for
# the glossary on machines without one), installed from the npm registry
# (versions pinned by scripts/assets/package-lock.json) and copied into book/_static/vendor.
# axe-core, also pinned there, stays in node_modules: the accessibility test (tests/test_a11y.py)
# injects it into the pages it checks; the site never serves it.
# Idempotent and fast when done: npm runs only when the lock file changed, the copy only
# when the installed packages changed.
set -euo pipefail
cd "$(dirname "$0")/assets"

if ! command -v npm >/dev/null; then
    echo "assets.sh: npm not found; install Node.js and npm (Debian: apt-get install npm)" >&2
    exit 1
fi
# npm writes node_modules/.package-lock.json on every install: newer than the lock = up to date.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi

vendor=../../book/_static/vendor
stamp="$vendor/.copied"
if [ -f "$stamp" ] && [ "$stamp" -nt node_modules/.package-lock.json ]; then
    exit 0
fi
rm -rf "$vendor"
# require.js finds the html-manager's modules (and its fonts) at <baseUrl>/@jupyter-widgets/...
manager="$vendor/@jupyter-widgets/html-manager/dist"
mkdir -p "$manager"
cp -r node_modules/mathjax/es5 "$vendor/mathjax"
cp node_modules/requirejs/require.js "$vendor/require.js"
# embed-amd.js loads its icon fonts (Font Awesome) from its own directory.
dist=node_modules/@jupyter-widgets/html-manager/dist
cp "$dist"/embed-amd.js "$dist"/*.woff "$dist"/*.woff2 "$dist"/*.ttf "$dist"/*.eot "$dist"/*.svg "$manager/"
# The Korean font: its CSS splits it by unicode-range, so a page downloads only the pieces it uses.
font=node_modules/@fontsource/nanum-gothic
mkdir -p "$vendor/nanum-gothic/files"
cp "$font"/400.css "$font"/700.css "$font"/LICENSE "$vendor/nanum-gothic/"
cp "$font"/files/*-400-normal.woff* "$font"/files/*-700-normal.woff* "$vendor/nanum-gothic/files/"
for pkg in mathjax requirejs @jupyter-widgets/html-manager; do
    cp "node_modules/$pkg/LICENSE"* "$vendor/LICENSE.$(basename "$pkg")" 2>/dev/null || true
done
touch "$stamp"
echo "assets.sh: copied MathJax, require.js, the html-manager and the Korean font into book/_static/vendor"
