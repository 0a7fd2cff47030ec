#!/usr/bin/env bash
# Schemathesis against a release server with demo data (scripts/demo-server.sh), once per kind
# of caller: anonymous, an app whose token holds one scope, the security auditor, the sysadmin
# (reads), an app holding every scope, and the sysadmin again (everything, deletes included,
# last because they empty the reports). Every run generates from openapi/openapi.json in every
# phase that works offline (examples, coverage, fuzzing, stateful) with a bounded number of
# examples, deterministically (--generation-deterministic, one worker), and checks:
#   - every check of schemathesis (no 5xx, status codes, content types, headers and bodies as
#     documented, input that breaks the schema refused, auth not ignored, ...) but one:
#     positive_data_acceptance, which wants every schema-valid request accepted. Three parameters
#     cannot say all of their rules in JSON Schema: `cursor` is opaque (only a `next_cursor`
#     given out is valid), `tz` is an IANA zone name, and `from`/`to` are RFC 3339 times or
#     dates; a random string there is schema-valid and rightly refused with 400.
#   - policy_enforced (tools/fuzz/fuzz_hooks.py): a caller gets 401/403 exactly where the
#     policy table says.
# FUZZ_EXAMPLES (default 5) bounds the examples per operation and phase. Reports (JUnit, and the
# full output) go to tools/artifacts/fuzz-<database>. The server runs on a new database of the
# PostgreSQL of TEST_DATABASE_URL (scripts/demo-server.sh), or on SQLite with
# DEMO_DATABASE=sqlite. Tools: .tools/venv from scripts/install-tools.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf 'fuzz: %s\n' "$*"; }

VENV="$ROOT/.tools/venv"
[[ -x "$VENV/bin/schemathesis" ]] || { say "error: $VENV/bin/schemathesis is missing; run scripts/install-tools.sh" >&2; exit 1; }
# PostgreSQL by default: the production database, and the stricter one (it refuses NUL in text,
# which only a run on it found).
export DEMO_DATABASE="${DEMO_DATABASE:-postgres}"
DATABASE="$DEMO_DATABASE"
OUT="$ROOT/tools/artifacts/fuzz-$DATABASE"
rm -rf "$OUT"
mkdir -p "$OUT"
EXAMPLES="${FUZZ_EXAMPLES:-5}"

# shellcheck source=scripts/demo-server.sh
source "$ROOT/scripts/demo-server.sh"
demo_server_start "fuzz-$DATABASE"

# --- callers ---------------------------------------------------------------------------------
# Sessions: the cookie and the CSRF token of a sign-in through the API.
session_headers() {
    local login="$1" password="$2" jar="$OUT/$1.cookies"
    local body
    body="$(python3 -c 'import json, sys; print(json.dumps({"login": sys.argv[1], "password": sys.argv[2]}))' "$login" "$password")"
    local me
    me="$(curl -sS -f -c "$jar" -H 'Content-Type: application/json' -d "$body" "$BASE_URL/api/v1/auth/login")"
    local csrf cookie
    csrf="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["csrf_token"])' <<<"$me")"
    cookie="$(awk '$6 == "confreports_session" { print $7 }' "$jar")"
    rm -f "$jar"
    printf 'Cookie: confreports_session=%s\nX-CSRF-Token: %s\n' "$cookie" "$csrf"
}

# Apps: a client-credentials token of a new application.
app_token() {
    local name="$1"; shift
    local creds id secret
    creds="$(demo_app "$name" "$@")"
    id="${creds% *}"; secret="${creds#* }"
    curl -sS -f -u "$id:$secret" -d grant_type=client_credentials "$BASE_URL/oauth2/token" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

ALL_SCOPES=(events:read events:delete calls:read calls:delete chat:read chat:delete config:read config:delete
    recordings:read recordings:delete endpoints:read endpoints:delete users:read dashboard:read ingest)
NARROW_SCOPES=(events:read)
# Every token and session is taken before any run: the runs send wrong credentials on purpose,
# and the server then throttles sign-ins and token requests from this address for a while.
mapfile -t SYSADMIN_HEADERS < <(session_headers "$ADMIN_LOGIN" "$ADMIN_PASSWORD")
mapfile -t AUDITOR_HEADERS < <(session_headers "$AUDITOR_LOGIN" "$AUDITOR_PASSWORD")
FULL_TOKEN="$(app_token fuzz-full "${ALL_SCOPES[@]}")"
NARROW_TOKEN="$(app_token fuzz-narrow "${NARROW_SCOPES[@]}")"

# --- runs ------------------------------------------------------------------------------------
total_passed=0
total_failed=0
runs_failed=()

# run NAME CALLER SCOPES [schemathesis options...]
run() {
    local name="$1" caller="$2" scopes="$3"; shift 3
    local start=$SECONDS log="$OUT/$name.log" junit="$OUT/$name.xml" rc=0
    # In $OUT: schemathesis keeps a cache in .schemathesis/ of its working directory, and every
    # fuzz.sh starts without one (runs in CI and here see the same).
    (cd "$OUT" && FUZZ_CALLER="$caller" FUZZ_SCOPES="$scopes" PYTHONPATH="$ROOT/tools/fuzz" SCHEMATHESIS_HOOKS=fuzz_hooks \
        "$VENV/bin/schemathesis" run "$ROOT/openapi/openapi.json" --url "$BASE_URL" \
        --phases examples,coverage,fuzzing,stateful \
        --checks all --exclude-checks positive_data_acceptance \
        --generation-with-security-parameters false \
        --max-examples "$EXAMPLES" \
        --generation-deterministic \
        --workers 1 --request-timeout 30 \
        --suppress-health-check all \
        --report junit --report-junit-path "$junit" \
        --no-color --output-truncate true \
        "$@") >"$log" 2>&1 || rc=$?
    local counts passed failed
    counts="$(python3 - "$junit" <<'EOF'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print("0 0"); sys.exit()
cases = root.iter("testcase")
passed = failed = 0
for case in cases:
    if case.find("failure") is not None or case.find("error") is not None:
        failed += 1
    elif case.find("skipped") is None:
        passed += 1
print(passed, failed)
EOF
)"
    passed="${counts% *}"; failed="${counts#* }"
    if [[ $rc -ne 0 && $failed -eq 0 ]]; then failed=1; fi
    total_passed=$((total_passed + passed)); total_failed=$((total_failed + failed))
    if [[ $rc -eq 0 ]]; then
        say "ok: $name: $passed operations passed ($((SECONDS - start)) s)"
    else
        runs_failed+=("$name")
        say "FAILED: $name: $passed operations passed, $failed failed ($((SECONDS - start)) s):"
        # One line per failure: operation, check, status; the log has each with a curl line.
        awk '/^_+ .+ _+$/ { op = $0; gsub(/^_+ | _+$/, "", op) }
             /^- [A-Z]+[0-9]+ / { check = substr($0, 3) }
             /^\[[0-9]+\] / { print "    " op ": " check " -> " $1 }' "$log" | sort -u | head -n 60 || true
        say "(each failure with a curl line to reproduce it: ${log#"$ROOT/"})"
    fi
    # Schemathesis's own count: "N generated, N found N unique failures, N errored".
    grep -A1 -E '^Test cases:' "$log" | tail -n 1 | sed "s/^ */    $name: test cases: /" || true
}

hdr() { local out=(); for h in "$@"; do out+=(-H "$h"); done; printf '%s\0' "${out[@]}"; }
mapfile -d '' SYSADMIN < <(hdr "${SYSADMIN_HEADERS[@]}")
mapfile -d '' AUDITOR < <(hdr "${AUDITOR_HEADERS[@]}")

# Signing out would end the session the rest of the run uses; anonymous calls cover the route.
KEEP_SESSION=(--exclude-operation-id signOut)

# FUZZ_CALLERS picks the runs (all by default; `make test` runs two of them again on SQLite).
CALLERS=" ${FUZZ_CALLERS:-anonymous narrow-app security-admin sysadmin-reads full-app sysadmin} "
wants() { [[ "$CALLERS" == *" $1 "* ]]; }

if wants anonymous; then run anonymous anonymous ""; fi
if wants narrow-app; then run narrow-app app "${NARROW_SCOPES[*]}" -H "Authorization: Bearer $NARROW_TOKEN"; fi
if wants security-admin; then run security-admin security "" "${AUDITOR[@]}" "${KEEP_SESSION[@]}"; fi
if wants sysadmin-reads; then
    run sysadmin-reads sysadmin "" "${SYSADMIN[@]}" "${KEEP_SESSION[@]}" --include-method GET
fi
if wants full-app; then run full-app app "${ALL_SCOPES[*]}" -H "Authorization: Bearer $FULL_TOKEN"; fi
if wants sysadmin; then run sysadmin sysadmin "" "${SYSADMIN[@]}" "${KEEP_SESSION[@]}"; fi

# Errors of the server's own (a 500's cause, a panic); actix's "request parse error" lines are
# the malformed requests schemathesis sends on purpose, answered 400.
if grep -E '(panicked|ERROR)' "$DEMO_LOG" | grep -qv 'request parse error'; then
    say "the server logged errors (${DEMO_LOG#"$ROOT/"}):"
    grep -E '(panicked|ERROR)' "$DEMO_LOG" | grep -v 'request parse error' | head -n 20
    runs_failed+=("server-log")
fi
say "$total_passed passed, $total_failed failed"
[[ ${#runs_failed[@]} -eq 0 ]] || { say "failed runs: ${runs_failed[*]}"; exit 1; }
