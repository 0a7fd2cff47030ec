#!/usr/bin/env bash
# Runs the browser tests: a release `confreports serve` on a fresh SQLite database filled with
# demo data and two administrators (a sysadmin and a security auditor, with random passwords),
# on a free loopback port, then `npm test` in e2e/ against it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf 'e2e: %s\n' "$*"; }

BIN="${CONFREPORTS_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/confreports}"
DATA="$(mktemp -d "${TMPDIR:-/tmp}/confreports-e2e.XXXXXX")"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
LOG="$ROOT/e2e/artifacts/server.log"
mkdir -p "$ROOT/e2e/artifacts"

"$BIN" --data-dir "$DATA" demo >/dev/null 2>&1

# Passwords known only to this run; given to the tests through the environment, never written.
password() { python3 -c 'import secrets; print(secrets.token_urlsafe(24))'; }
export E2E_ADMIN_LOGIN=e2e-admin E2E_ADMIN_PASSWORD="$(password)"
export E2E_AUDITOR_LOGIN=e2e-auditor E2E_AUDITOR_PASSWORD="$(password)"
printf '%s' "$E2E_ADMIN_PASSWORD" |
    "$BIN" --data-dir "$DATA" admin create --login "$E2E_ADMIN_LOGIN" --role sysadmin --password-stdin >/dev/null
printf '%s' "$E2E_AUDITOR_PASSWORD" |
    "$BIN" --data-dir "$DATA" admin create --login "$E2E_AUDITOR_LOGIN" --role security --password-stdin >/dev/null

"$BIN" --data-dir "$DATA" serve --bind "127.0.0.1:$PORT" --web-dir "$ROOT/frontend/dist" >"$LOG" 2>&1 &
SERVER=$!
cleanup() { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT

# Up once it answers anything (signed out, /auth/me answers 401).
for _ in $(seq 1 100); do
    code="$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/auth/me" 2>/dev/null || true)"
    [[ "$code" =~ ^[1-5][0-9][0-9]$ ]] && break
    kill -0 "$SERVER" 2>/dev/null || { say "server exited:"; cat "$LOG"; exit 1; }
    sleep 0.1
done
say "server on http://127.0.0.1:$PORT (log: e2e/artifacts/server.log)"
(cd e2e && BASE_URL="http://127.0.0.1:$PORT" npm test)
