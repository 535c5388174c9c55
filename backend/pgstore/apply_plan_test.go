package pgstore

import (
	"context"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/internal/pgtest"
)

// The lookups of a batch stay on their primary keys even in the plan
// Postgres caches for a statement prepared while its table was empty and
// never analysed, as on a fresh deployment or at the start of a bench:
// the outcome update this replaced, a join to an unnest of the batch's
// ids, was a hash join over a scan of the whole webhook table there, and
// stayed one as the table grew.
func TestApplyJobsLookupsUseIndexes(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET plan_cache_mode = force_generic_plan`); err != nil {
		t.Fatal(err)
	}
	const job = `'00000000-0000-4000-8000-000000000001'`
	for _, tc := range []struct {
		name, sql, args, table string
	}{
		{"lock a job", sqlLockJob, job, "lora_jobs"},
		{"find tombstones", sqlErased, "ARRAY[" + job + "]::uuid[]", "erased_jobs"},
		{"find a webhook id", sqlSeenWebhook, `'msg_1'`, "webhook_events"},
		{"update a job", sqlUpdateJob, job + `, 'running', 0.5, false, '', false, 0, '', now()`, "lora_jobs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "plan_" + strings.ReplaceAll(tc.name, " ", "_")
			if _, err := conn.Conn().Prepare(ctx, name, tc.sql); err != nil {
				t.Fatal(err)
			}
			rows, err := conn.Query(ctx, "EXPLAIN EXECUTE "+name+"("+tc.args+")")
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, line)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			text := strings.Join(plan, "\n")
			if strings.Contains(text, "Seq Scan on "+tc.table) || !strings.Contains(text, "Index") {
				t.Errorf("%s is not planned on an index of %s:\n%s", tc.name, tc.table, text)
			}
		})
	}
}
