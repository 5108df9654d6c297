#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the tests on a loopback port and prints
# its URL. Installs the server from Debian's packages when it is missing.
# Usage: eval "$(bash .ci/postgres.sh)"   (exports AI4ARTSED_TEST_POSTGRES_URL)
set -euo pipefail
port=${PGPORT_TEST:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
dir=$(mktemp -d /tmp/ai4artsed-pg.XXXXXX)
chown postgres:postgres "$dir"
run() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
run "'$bin/initdb' -D '$dir/data' -U postgres -A trust --no-sync" >&2
run "'$bin/pg_ctl' -D '$dir/data' -l '$dir/log' -w -o \"-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off\" start" >&2
run "'$bin/createdb' -h 127.0.0.1 -p $port -U postgres ai4artsed_test" >&2
echo "export AI4ARTSED_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:$port/ai4artsed_test?sslmode=disable'"
echo "export AI4ARTSED_TEST_POSTGRES_DIR='$dir'"
