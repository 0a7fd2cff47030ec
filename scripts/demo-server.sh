# Sourced by scripts/integrators.sh and scripts/fuzz.sh: a release `confreports serve` on a
# throwaway database filled with demo data, on a free loopback port, with the callers the checks
# need. Call `demo_server_start NAME` after defining `say`; it exports
#   BASE_URL                       http://127.0.0.1:<port>
#   ADMIN_LOGIN ADMIN_PASSWORD     a sysadmin          (random password, never written down)
#   AUDITOR_LOGIN AUDITOR_PASSWORD a security auditor
# and `demo_app NAME SCOPE...` prints `client_id client_secret` of a new OAuth application.
# The server and the data directory are removed on exit.
#
# DEMO_DATABASE=postgres runs it on a new database of the PostgreSQL server of
# TEST_DATABASE_URL (dropped on exit) instead of SQLite in the data directory; DEMO_DAYS and
# DEMO_USERS size the demo data.

DEMO_BIN="${CONFREPORTS_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/confreports}"

demo_server_start() {
    local name="$1"
    [[ -x "$DEMO_BIN" ]] || { say "error: $DEMO_BIN is missing; run cargo build --release -p confreports" >&2; return 1; }
    DEMO_DATA="$(mktemp -d "${TMPDIR:-/tmp}/confreports-$name.XXXXXX")"
    DEMO_LOG="$ROOT/tools/artifacts/$name-server.log"
    mkdir -p "$ROOT/tools/artifacts"
    DEMO_DB_ARGS=()
    if [[ "${DEMO_DATABASE:-sqlite}" == postgres ]]; then
        DEMO_PG_SERVER="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
        DEMO_PG_DB="confreports_${name//-/_}_$(python3 -c 'import secrets; print(secrets.token_hex(4))')"
        psql "$DEMO_PG_SERVER" -qc "CREATE DATABASE $DEMO_PG_DB" >/dev/null
        DEMO_DB_ARGS=(--database-url "${DEMO_PG_SERVER%/*}/$DEMO_PG_DB")
        say "database: PostgreSQL $DEMO_PG_DB"
    fi
    local port
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    "$DEMO_BIN" --data-dir "$DEMO_DATA" "${DEMO_DB_ARGS[@]}" demo --days "${DEMO_DAYS:-14}" --users "${DEMO_USERS:-60}" >/dev/null 2>&1

    password() { python3 -c 'import secrets; print(secrets.token_urlsafe(24))'; }
    export ADMIN_LOGIN="$name-admin" ADMIN_PASSWORD="$(password)"
    export AUDITOR_LOGIN="$name-auditor" AUDITOR_PASSWORD="$(password)"
    printf '%s' "$ADMIN_PASSWORD" | "$DEMO_BIN" --data-dir "$DEMO_DATA" "${DEMO_DB_ARGS[@]}" \
        admin create --login "$ADMIN_LOGIN" --role sysadmin --password-stdin >/dev/null
    printf '%s' "$AUDITOR_PASSWORD" | "$DEMO_BIN" --data-dir "$DEMO_DATA" "${DEMO_DB_ARGS[@]}" \
        admin create --login "$AUDITOR_LOGIN" --role security --password-stdin >/dev/null

    "$DEMO_BIN" --data-dir "$DEMO_DATA" "${DEMO_DB_ARGS[@]}" serve --bind "127.0.0.1:$port" >"$DEMO_LOG" 2>&1 &
    DEMO_SERVER=$!
    trap demo_server_stop EXIT
    export BASE_URL="http://127.0.0.1:$port"
    local code
    for _ in $(seq 1 100); do
        code="$(curl -sS -o /dev/null -w '%{http_code}' "$BASE_URL/api/v1/auth/me" 2>/dev/null || true)"
        [[ "$code" =~ ^[1-5][0-9][0-9]$ ]] && { say "server on $BASE_URL (log: ${DEMO_LOG#"$ROOT/"})"; return 0; }
        kill -0 "$DEMO_SERVER" 2>/dev/null || { say "server exited:"; cat "$DEMO_LOG"; return 1; }
        sleep 0.1
    done
    say "error: the server did not answer" >&2
    return 1
}

demo_server_stop() {
    if [[ -n "${DEMO_SERVER:-}" ]]; then
        kill "$DEMO_SERVER" 2>/dev/null || true
        wait "$DEMO_SERVER" 2>/dev/null || true
    fi
    [[ -n "${DEMO_DATA:-}" ]] && rm -rf "$DEMO_DATA"
    if [[ -n "${DEMO_PG_DB:-}" ]]; then
        psql "$DEMO_PG_SERVER" -qc "DROP DATABASE IF EXISTS $DEMO_PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
    fi
}

# demo_app NAME SCOPE... -> "client_id client_secret"
demo_app() {
    local name="$1"; shift
    local args=()
    for scope in "$@"; do args+=(--scope "$scope"); done
    "$DEMO_BIN" --data-dir "$DEMO_DATA" "${DEMO_DB_ARGS[@]}" app create --name "$name" "${args[@]}" --json |
        python3 -c 'import json, sys; a = json.load(sys.stdin); print(a["client_id"], a["client_secret"])'
}
