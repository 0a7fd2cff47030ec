#!/usr/bin/env bash
# What an integrator does with openapi/openapi.json, as tests:
#   1. Redocly lints it (tools/redocly.yaml: the recommended rules; what is relaxed says why);
#   2. openapi-generator validates it and generates a TypeScript client (compiled with tsc) and a
#      Python client;
#   3. the generated Python client, against a release server with demo data, takes a token
#      (OAuth client credentials of an app made with `confreports app create --json`) and pages
#      through the events with the cursor (tools/tests/test_python_client.py).
# Tools come from scripts/install-tools.sh: tools/node_modules (pinned in tools/package.json) and
# .tools/venv (pinned in tools/requirements.txt). The clients are generated into
# tools/artifacts/clients.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf 'integrators: %s\n' "$*"; }

SPEC="$ROOT/openapi/openapi.json"
VENV="$ROOT/.tools/venv"
OUT="$ROOT/tools/artifacts/clients"
for tool in "$ROOT/tools/node_modules/.bin/redocly" "$ROOT/tools/node_modules/.bin/tsc" "$VENV/bin/openapi-generator-cli" "$VENV/bin/pytest"; do
    [[ -x "$tool" ]] || { say "error: $tool is missing; run scripts/install-tools.sh" >&2; exit 1; }
done
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1

passed=0
failed=0
step() {
    local name="$1"; shift
    local start=$SECONDS
    if "$@"; then
        passed=$((passed + 1)); say "ok: $name ($((SECONDS - start)) s)"
    else
        failed=$((failed + 1)); say "FAILED: $name ($((SECONDS - start)) s)"
    fi
}

# Clean means no error and no warning (redocly itself fails on errors only). It prints a banner
# about the Node.js version to stderr; the findings go to stdout.
lint() {
    local out rc=0
    out="$(cd tools && node_modules/.bin/redocly lint ../openapi/openapi.json --config redocly.yaml --format=stylish 2>/dev/null)" || rc=$?
    printf '%s\n' "$out" | grep -vE '^\s*$'
    [[ $rc -eq 0 ]] && ! grep -qE '^\s*[0-9]+:[0-9]+\s+(warning|error)\s' <<<"$out"
}

validate() {
    "$VENV/bin/openapi-generator-cli" validate -i "$SPEC"
}

# openapi-generator logs every file it writes; only warnings and errors are shown.
generate() {
    local generator="$1" dir="$2"; shift 2
    rm -rf "$dir"
    local log="$dir.log"
    mkdir -p "$(dirname "$dir")"
    if "$VENV/bin/openapi-generator-cli" generate -i "$SPEC" -g "$generator" -o "$dir" "$@" >"$log" 2>&1; then
        grep -E ' (WARN|ERROR) ' "$log" | grep -v 'OpenAPI 3.1 support is still in beta' | sort -u || true
    else
        cat "$log"
        return 1
    fi
}

typescript_client() {
    generate typescript-fetch "$OUT/typescript" \
        --additional-properties=npmName=confreports-client,supportsES6=true,withInterfaces=true || return 1
    # Type-checks the generated sources with the pinned TypeScript (no npm install of the client).
    (cd tools && node_modules/.bin/tsc --noEmit --strict --target es2020 --module es2020 \
        --moduleResolution node --lib es2020,dom --skipLibCheck "$OUT"/typescript/src/index.ts)
}

python_client() {
    generate python "$OUT/python" \
        --package-name confreports_client --additional-properties=projectName=confreports-client || return 1
    PYTHONPATH="$OUT/python" "$VENV/bin/python" -c 'import confreports_client; print("confreports_client imports")'
}

python_client_test() {
    # shellcheck source=scripts/demo-server.sh
    source "$ROOT/scripts/demo-server.sh"
    demo_server_start integrators || return 1
    local creds
    creds="$(demo_app "integrator-events" events:read)"
    export CONFREPORTS_URL="$BASE_URL" CONFREPORTS_CLIENT_ID="${creds% *}" CONFREPORTS_CLIENT_SECRET="${creds#* }"
    PYTHONPATH="$OUT/python" "$VENV/bin/pytest" -q -p no:cacheprovider "$ROOT/tools/tests/test_python_client.py"
}

step "redocly lint openapi/openapi.json" lint
step "openapi-generator validate" validate
step "TypeScript client (typescript-fetch) generated and type-checked" typescript_client
step "Python client generated" python_client
step "Python client against the server: token, every event exactly once" python_client_test

say "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
