#!/usr/bin/env bash
# cargo audit of Cargo.lock against the RustSec snapshot in ../shared/advisory-db (offline).
# cargo-audit is installed into .tools on first use; the snapshot is copied into a git
# repository because cargo-audit reads its database through git.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf 'audit: %s\n' "$*"; }

SNAPSHOT="${ADVISORY_DB:-$ROOT/../shared/advisory-db}"
[[ -d "$SNAPSHOT" ]] || { say "error: no advisory database at $SNAPSHOT" >&2; exit 1; }
AUDIT="$ROOT/.tools/bin/cargo-audit"
if [[ ! -x "$AUDIT" ]]; then
    say "cargo install cargo-audit --locked --root .tools"
    cargo install cargo-audit --locked --root "$ROOT/.tools"
fi
DB="$(mktemp -d "${TMPDIR:-/tmp}/advisory-db.XXXXXX")"
trap 'rm -rf "$DB"' EXIT
cp -r "$SNAPSHOT/." "$DB/"
chmod -R u+w "$DB"
(cd "$DB" && rm -rf .git && git init -q && git add -A && git -c user.name=ci -c user.email=ci@localhost commit -qm snapshot)
# Ignored advisories, each with its reason, live in .cargo/audit.toml.
"$AUDIT" audit --db "$DB" --no-fetch --file Cargo.lock
