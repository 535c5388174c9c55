#!/usr/bin/env bash
# Times the purge's webhook-id delete in the steady state (one hour's pass:
# 10k ids due among 1M kept) on a throwaway database, with and without the
# index of migration 00005. Each DELETE runs in a rolled-back transaction;
# best of three.
#
#   bash bench/purge/run.sh        (DATABASE_URL's server, default the local Postgres)
set -euo pipefail
cd "$(dirname "$0")/../.."
base=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
db=lorastudio_purgebench_$$
psql "$base" -qc "CREATE DATABASE $db"
trap 'psql "$base" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
url=$(echo "$base" | sed -E "s#/[^/?]+(\?|$)#/$db\1#")
DATABASE_URL=$url go run ./cmd/lorastudio migrate >/dev/null
psql "$url" -q <<'SQL'
INSERT INTO webhook_events (webhook_id, status, outcome, received_at)
  SELECT 'msg_' || g, 'running', 'applied', now() - interval '29 days' * random() FROM generate_series(1, 1000000) g;
INSERT INTO webhook_events (webhook_id, status, outcome, received_at)
  SELECT 'old_' || g, 'running', 'applied', now() - interval '31 days' FROM generate_series(1, 10000) g;
VACUUM ANALYZE webhook_events;
SQL
# best prints the fastest of three executions of the purge's delete, in ms.
best() {
  for _ in 1 2 3; do
    psql "$url" -qAt -c "BEGIN" -c "EXPLAIN (ANALYZE) DELETE FROM webhook_events WHERE received_at < now() - interval '30 days'" -c "ROLLBACK"
  done | sed -n 's/^Execution Time: \([0-9.]*\) ms$/\1/p' | sort -n | head -1
}
with=$(best)
psql "$url" -qc "DROP INDEX webhook_events_received" -qc "ANALYZE webhook_events"
without=$(best)
awk -v a="$without" -v b="$with" 'BEGIN { printf "1M webhook ids, 10k due: %.1f ms scanning, %.1f ms with the index (%.0fx)\n", a, b, a / b }'
