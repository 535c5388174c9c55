#!/usr/bin/env bash
# Runs `lorastudio serve` as deployed (default limits, local signed store in
# a temporary folder, a throwaway database on DATABASE_URL's server, webhooks
# on) and puts it under the hostile load of ./bench/hostile: pixel bombs from
# two users, a login flood from 40 loopback addresses, slow bodies. Prints
# the server's peak RSS, /healthz latency and what each attack got.
#
#   bash bench/hostile/run.sh [flags of bench/hostile]
#   BIN=/path/to/lorastudio bash bench/hostile/run.sh   (another build, e.g. older code)
#
# Loopback only. The run stops by itself (-deadline, 4 min by default) and
# kills the server if its RSS passes -kill-rss (8 GiB).
set -euo pipefail
cd "$(dirname "$0")/../.."
base=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
tmp=$(mktemp -d /tmp/lorastudio-hostile-XXXXXX)
db=lorastudio_hostile_$$
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  psql "$base" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  rm -rf "$tmp"
}
trap cleanup EXIT
bin=${BIN:-}
if [ -z "$bin" ]; then
  go build -o "$tmp/lorastudio" ./cmd/lorastudio
  bin=$tmp/lorastudio
fi
go build -o "$tmp/hostile" ./bench/hostile
psql "$base" -qc "CREATE DATABASE $db"
url=$(echo "$base" | sed -E "s#/[^/?]+(\?|$)#/$db\1#")
DATABASE_URL=$url "$bin" migrate >/dev/null
secret=whsec_$(head -c 32 /dev/urandom | base64)
DATABASE_URL=$url LORASTUDIO_BLOB_DIR=$tmp/blob LORASTUDIO_WEBHOOK_SECRETS=$secret \
  "$bin" serve --addr 127.0.0.1:0 2>"$tmp/serve.log" &
pid=$!
addr=
for _ in $(seq 300); do
  addr=$(sed -n 's/.*"msg":"listening","addr":"\([^"]*\)".*/\1/p' "$tmp/serve.log")
  [ -n "$addr" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/serve.log"; exit 1; }
  sleep 0.1
done
[ -n "$addr" ] || { echo "serve did not start"; cat "$tmp/serve.log"; exit 1; }
echo "server $bin (pid $pid) at $addr" >&2
timeout 900 "$tmp/hostile" -url "http://$addr" -pid "$pid" "$@"
if ! kill -0 "$pid" 2>/dev/null; then
  echo "the server is gone; the end of its log:" >&2
  tail -5 "$tmp/serve.log" >&2
fi
