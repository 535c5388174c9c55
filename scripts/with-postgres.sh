#!/usr/bin/env bash
# Runs a command with DATABASE_URL pointing at a reachable Postgres:
#  - DATABASE_URL as given, if set (it must answer);
#  - else the local server on 127.0.0.1:5432;
#  - else a throwaway cluster made with initdb/pg_ctl on a free port,
#    stopped and deleted when the command ends.
set -euo pipefail

default_url="postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

pgbin=""
if ! command -v pg_ctl >/dev/null 2>&1; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
run_pg() { # run a Postgres tool, as the postgres user when we are root (initdb refuses root)
  local tool=$1; shift
  [[ -n $pgbin ]] && tool="$pgbin/$tool"
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$tool" "$@"; else "$tool" "$@"; fi
}

reachable() { # URL
  if command -v psql >/dev/null 2>&1; then
    psql "$1" -Atqc 'select 1' >/dev/null 2>&1
  else
    run_pg pg_isready -d "$1" -q
  fi
}

if [[ -n ${DATABASE_URL:-} ]]; then
  if ! reachable "$DATABASE_URL"; then
    echo "with-postgres: DATABASE_URL is set but does not answer" >&2
    exit 1
  fi
  exec "$@"
fi
if reachable "$default_url"; then
  DATABASE_URL=$default_url exec "$@"
fi

echo "with-postgres: no Postgres on 127.0.0.1:5432; starting a throwaway cluster" >&2
dir=$(mktemp -d /tmp/lorastudio-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 55432)
[[ $(id -u) -eq 0 ]] && chown postgres "$dir"
cleanup() {
  run_pg pg_ctl -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
run_pg initdb -D "$dir/data" -U postgres -A trust >/dev/null
run_pg pg_ctl -D "$dir/data" -l "$dir/log" -w \
  -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off" start >/dev/null
run_pg createdb -h 127.0.0.1 -p "$port" -U postgres test
export DATABASE_URL="postgres://postgres@127.0.0.1:$port/test?sslmode=disable"
set +e
"$@"
status=$?
exit $status
