#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 for the tests: starts the local
# cluster when it is installed but stopped, installs Debian's postgresql when it is absent.
# Skipped when TEST_DATABASE_URL points elsewhere (then that server is the caller's business).
set -euo pipefail
say() { printf 'ensure-postgres: %s\n' "$*"; }

url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
case "$url" in
    *@127.0.0.1:5432/*|*@localhost:5432/*) ;;
    *) say "TEST_DATABASE_URL is not the local server; not managing it"; exit 0 ;;
esac

if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    say "PostgreSQL answers on 127.0.0.1:5432"
    exit 0
fi
SUDO=""; [[ "$(id -u)" != 0 ]] && SUDO="sudo"
if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    say "installing Debian's postgresql"
    $SUDO apt-get update -q
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql
    # Trust auth on loopback for the test users, as on the CI machines.
    for hba in /etc/postgresql/*/main/pg_hba.conf; do
        $SUDO sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/; s/^(local\s+all\s+postgres\s+)\S+/\1trust/' "$hba"
    done
fi
version="$(ls /etc/postgresql | sort -V | tail -n1)"
say "starting cluster $version/main"
$SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && { say "PostgreSQL is up"; exit 0; }
    sleep 1
done
say "error: PostgreSQL did not come up on 127.0.0.1:5432" >&2
exit 1
