#!/usr/bin/env bash
# Installs what building the web app and running the e2e tests need, on top of the Rust
# toolchain. Idempotent: each step checks first and says what it found or did.
#   - the wasm32-unknown-unknown target of rustup
#   - the wasm-bindgen CLI at exactly the version of the wasm-bindgen crate in Cargo.lock,
#     in .tools/bin (the CLI refuses modules made by another version)
#   - e2e/node_modules: playwright-core, and binaryen for wasm-opt (Debian's binaryen is broken)
#   - Debian's chromium, the browser the e2e tests drive (never a downloaded browser build)
#   - for scripts/integrators.sh and scripts/fuzz.sh: tools/node_modules (Redocly, TypeScript;
#     tools/package-lock.json), .tools/venv (schemathesis, openapi-generator-cli and what the
#     generated Python client needs; tools/requirements.txt), Java 17 for openapi-generator
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf 'install-tools: %s\n' "$*"; }

# --- Debian packages the builds need -----------------------------------------------------------
# libssl-dev and pkg-config for the bundled libpq (pq-sys) and the TLS of the page reader
# (openssl, postgres-openssl), the sqlite3 and psql clients for the
# benchmarks, curl for the e2e runner.
missing=()
# python3-venv and a Java runtime for the integrator checks (openapi-generator is a Java program).
for pkg in libssl-dev pkg-config sqlite3 postgresql-client curl python3-venv openjdk-17-jre-headless; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [[ ${#missing[@]} -eq 0 ]]; then
    say "Debian packages: present"
else
    say "apt-get install ${missing[*]}"
    SUDO=""
    if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi
    $SUDO apt-get update -q
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

# --- Rust target ------------------------------------------------------------------------------
if rustup target list --installed | grep -qx 'wasm32-unknown-unknown'; then
    say "rustup target wasm32-unknown-unknown: present"
else
    say "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
fi

# --- wasm-bindgen CLI, matching Cargo.lock ------------------------------------------------------
WASM_BINDGEN_VERSION="$(awk '
    $0 == "name = \"wasm-bindgen\"" { found = 1; next }
    found && /^version = / { gsub(/"/, "", $3); print $3; exit }
' Cargo.lock)"
if [[ -z "$WASM_BINDGEN_VERSION" ]]; then
    say "error: no wasm-bindgen package in Cargo.lock" >&2
    exit 1
fi
WASM_BINDGEN="$ROOT/.tools/bin/wasm-bindgen"
have="$("$WASM_BINDGEN" --version 2>/dev/null | awk '{print $2}' || true)"
if [[ "$have" == "$WASM_BINDGEN_VERSION" ]]; then
    say "wasm-bindgen $WASM_BINDGEN_VERSION: present in .tools/bin"
else
    say "cargo install wasm-bindgen-cli --version $WASM_BINDGEN_VERSION --root .tools${have:+ (replacing $have)}"
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --root "$ROOT/.tools"
fi

# --- Debian's chromium -----------------------------------------------------------------------
# Before npm: the e2e packages never fetch a browser of their own.
if command -v chromium >/dev/null 2>&1; then
    say "chromium: present ($(command -v chromium))"
else
    say "apt-get install chromium"
    SUDO=""
    if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi
    $SUDO apt-get update
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi

# --- npm packages of e2e/ (playwright-core, binaryen) ------------------------------------------
# Reinstalled when missing or when package-lock.json changed since the last install.
stamp="e2e/node_modules/.package-lock.json"
if [[ -x e2e/node_modules/.bin/wasm-opt && -d e2e/node_modules/playwright-core && -d e2e/node_modules/echarts \
      && -f "$stamp" && ! e2e/package-lock.json -nt "$stamp" ]]; then
    say "e2e/node_modules: present ($(e2e/node_modules/.bin/wasm-opt --version))"
else
    say "npm ci in e2e/"
    (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

# --- npm packages of tools/ (Redocly CLI, TypeScript) ----------------------------------------
stamp="tools/node_modules/.package-lock.json"
if [[ -x tools/node_modules/.bin/redocly && -x tools/node_modules/.bin/tsc \
      && -f "$stamp" && ! tools/package-lock.json -nt "$stamp" ]]; then
    say "tools/node_modules: present (redocly $(tools/node_modules/.bin/redocly --version 2>/dev/null | tail -n1))"
else
    say "npm ci in tools/"
    (cd tools && npm ci --no-audit --no-fund)
fi

# --- Python tools in .tools/venv (schemathesis, openapi-generator-cli) -------------------------
# Debian's python3, not whatever python3 comes first on PATH; recreated when requirements change.
VENV="$ROOT/.tools/venv"
stamp="$VENV/.requirements.txt"
if [[ -x "$VENV/bin/python" && -f "$stamp" ]] && cmp -s tools/requirements.txt "$stamp"; then
    say ".tools/venv: present ($("$VENV/bin/schemathesis" --version 2>/dev/null | tail -n1))"
else
    say "python3 -m venv .tools/venv; pip install -r tools/requirements.txt"
    rm -rf "$VENV"
    /usr/bin/python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r tools/requirements.txt
    cp tools/requirements.txt "$stamp"
fi

say "done"
