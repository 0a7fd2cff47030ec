#!/usr/bin/env bash
# Builds the web app into frontend/dist: the WASM module (cargo, wasm-release profile), its JS
# glue (wasm-bindgen, as the ES module app.js), shrunk by wasm-opt, plus the static files.
# Needs the tools of scripts/install-tools.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf 'build-frontend: %s\n' "$*"; }

WASM_BINDGEN="$ROOT/.tools/bin/wasm-bindgen"
WASM_OPT="$ROOT/e2e/node_modules/.bin/wasm-opt"
for tool in "$WASM_BINDGEN" "$WASM_OPT"; do
    if [[ ! -x "$tool" ]]; then
        say "error: $tool is missing; run scripts/install-tools.sh" >&2
        exit 1
    fi
done

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
DIST="$ROOT/frontend/dist"

say "cargo build -p confreports-web --target wasm32-unknown-unknown --profile wasm-release"
cargo build -p confreports-web --target wasm32-unknown-unknown --profile wasm-release

rm -rf "$DIST"
mkdir -p "$DIST"

say "wasm-bindgen --target web --out-name app"
"$WASM_BINDGEN" --target web --no-typescript --out-name app --out-dir "$DIST" \
    "$TARGET_DIR/wasm32-unknown-unknown/wasm-release/confreports-web.wasm"

# The features match what rustc emits for wasm32-unknown-unknown by default, so the module
# validates; -Oz because download size matters more than the last bit of speed here.
say "wasm-opt -Oz"
"$WASM_OPT" -Oz \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    --strip-debug --strip-producers \
    -o "$DIST/app_bg.opt.wasm" "$DIST/app_bg.wasm"
mv "$DIST/app_bg.opt.wasm" "$DIST/app_bg.wasm"

cp frontend/index.html frontend/boot.js frontend/style.css frontend/favicon.svg "$DIST/"

# ECharts for the dashboard's charts (drawn through the `charming` crate), from npm (e2e/
# package.json pins it), served by us: the CSP allows scripts of our own origin only. The
# dashboard loads it when first shown.
ECHARTS="$ROOT/e2e/node_modules/echarts/dist/echarts.min.js"
if [[ ! -f "$ECHARTS" ]]; then
    say "error: $ECHARTS is missing; run scripts/install-tools.sh" >&2
    exit 1
fi
mkdir -p "$DIST/vendor"
cp "$ECHARTS" "$DIST/vendor/echarts.min.js"

raw=$(wc -c < "$DIST/app_bg.wasm")
gz=$(gzip -9c "$DIST/app_bg.wasm" | wc -c)
js_gz=$(gzip -9c "$DIST/app.js" | wc -c)
echarts_gz=$(gzip -9c "$DIST/vendor/echarts.min.js" | wc -c)
say "app_bg.wasm: $raw bytes, $gz bytes gzipped (gzip -9); app.js: $js_gz bytes gzipped; vendor/echarts.min.js (dashboard only): $echarts_gz bytes gzipped"
say "done: $DIST"
