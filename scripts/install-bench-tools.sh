#!/usr/bin/env bash
# Installs what `make bench` measures against, on top of scripts/install-tools.sh (psql,
# sqlite3): wrk (the HTTP load generator of the throughput measure), pgbench (its PostgreSQL
# side; Debian ships it with the server package, postgresql-NN) and nginx-light (the range
# measure's reference file server, run unprivileged by the bench with its own configuration).
# Idempotent: each step checks first and says what it found or did.
set -euo pipefail

say() { printf 'install-bench-tools: %s\n' "$*"; }

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
# nginx-light's binary; the bench never starts the system service.
dpkg -s nginx-light >/dev/null 2>&1 || missing+=(nginx-light)
# /usr/bin/pgbench is postgresql-client-common's wrapper; the program itself comes with the
# server package of the installed major version.
if ! pgbench --version >/dev/null 2>&1; then
    version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)"
    missing+=("postgresql${version:+-$version}")
fi

if [[ ${#missing[@]} -eq 0 ]]; then
    say "wrk, nginx-light, pgbench: present"
    exit 0
fi

SUDO=""
if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi
# Installing nginx must not start the system's nginx on port 80: without a policy-rc.d
# that forbids it, one is put in place for the install and removed afterwards.
policy=/usr/sbin/policy-rc.d
placed=""
if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    placed=1
fi
cleanup() { if [[ -n "$placed" ]]; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT

say "apt-get install ${missing[*]}"
$SUDO apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
say "wrk: $(command -v wrk); nginx: $(command -v nginx || echo /usr/sbin/nginx); $(pgbench --version)"
