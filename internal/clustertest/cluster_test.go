package clustertest_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/promptforge/lorastudio/internal/clustertest"
)

// TestReplicas runs three real `lorastudio serve` processes on one
// Postgres, one Redis and one MinIO behind a round-robin proxy, and checks
// what the issue "Scale out for real" asks of them, on the database
// afterwards: one job per Idempotency-Key sent to all three at once, a
// sign-in backoff counted once across replicas, each training job
// dispatched exactly once while all three poll River, and a kill -9 in the
// middle of a webhook flood and of uploads losing no answered request and
// applying none twice.
func TestReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three servers, Postgres databases and MinIO")
	}
	start := time.Now()
	c := clustertest.Start(t, clustertest.Config{Env: map[string]string{
		// The scenarios come from one address and a few users far faster
		// than people: lift the buckets they would exhaust; the sign-in
		// backoff per account, which one scenario checks, is not a bucket.
		"LORASTUDIO_RATE_LIMITS": "jobs=6000/1000 auth=6000/1000 upload=60000/10000",
		"LORASTUDIO_LOG_LEVEL":   "warn",
	}})
	t.Logf("cluster ready in %v", time.Since(start).Round(time.Millisecond))
	ctx := context.Background()
	photos, err := clustertest.PersonPhotos()
	if err != nil {
		t.Fatal(err)
	}
	alice, err := clustertest.Register(ctx, c.URL, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	datasetID, err := alice.ValidatedDataset(ctx, "alice", photos)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("one Idempotency-Key sent to all three at once makes one job", func(t *testing.T) {
		for k := range 4 {
			key := fmt.Sprintf("idem-%d-%d", k, time.Now().UnixNano())
			type answer struct {
				code int
				job  clustertest.JobCreated
				raw  string
			}
			answers := make([]answer, 3)
			var wg sync.WaitGroup
			for i := range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					direct := &clustertest.Client{Base: c.ReplicaURL(i), Token: alice.Token}
					code, job, raw, err := direct.CreateJob(ctx, key, datasetID, "flux-dev")
					if err != nil {
						t.Error(err)
					}
					answers[i] = answer{code, job, string(raw)}
				}()
			}
			wg.Wait()
			// 202 (first or replayed) or 409 in flight; never a second job.
			jobIDs := map[string]bool{}
			for i, a := range answers {
				switch a.code {
				case 202:
					jobIDs[a.job.JobID] = true
				case 409:
				default:
					t.Fatalf("replica %d: %d %s", i, a.code, a.raw)
				}
			}
			// A retry once the first finished replays it.
			code, job, raw, err := alice.CreateJob(ctx, key, datasetID, "flux-dev")
			if err != nil || code != 202 {
				t.Fatalf("retry: %d %s %v", code, raw, err)
			}
			jobIDs[job.JobID] = true
			if len(jobIDs) != 1 {
				t.Errorf("key %s: answers name jobs %v, want one", key, jobIDs)
			}
			var keys int
			if err := c.DB.QueryRow(ctx, `SELECT count(*) FROM idempotency_keys WHERE key = $1 AND response_status = 202`, key).Scan(&keys); err != nil || keys != 1 {
				t.Errorf("key %s: %d finished idempotency rows (%v), want 1", key, keys, err)
			}
		}
		var jobs, versions int
		c.DB.QueryRow(ctx, `SELECT (SELECT count(*) FROM lora_jobs), (SELECT count(*) FROM lora_versions)`).Scan(&jobs, &versions)
		if jobs != 4 || versions != 4 {
			t.Errorf("4 keys made %d jobs and %d versions, want 4 and 4", jobs, versions)
		}
	})

	t.Run("a sign-in backoff counts each attempt once across replicas", func(t *testing.T) {
		if _, err := clustertest.Register(ctx, c.URL, "victim@example.com"); err != nil {
			t.Fatal(err)
		}
		before := c.Proxy.Served()
		anon := &clustertest.Client{Base: c.URL}
		login := func(password string) int {
			code, _, err := anon.Do(ctx, "POST", "/api/auth/login", nil, map[string]string{"email": "victim@example.com", "password": password}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return code
		}
		var got []int
		var fifth time.Duration
		for range 5 {
			t0 := time.Now()
			got = append(got, login("a wrong passphrase"))
			fifth = time.Since(t0)
		}
		if want := []int{401, 401, 401, 401, 401}; !slices.Equal(got, want) {
			t.Fatalf("5 wrong passwords, round-robin over 3 replicas: got %v, want %v", got, want)
		}
		// The shared count: each attempt once, whichever replica took it
		// (per replica it would be 1 or 2, counted twice 10).
		opt, _ := redis.ParseURL(c.RedisURL)
		rdb := redis.NewClient(opt)
		defer rdb.Close()
		sum := sha256.Sum256([]byte("victim@example.com"))
		n, err := rdb.HGet(ctx, c.RedisPrefix+"login:"+hex.EncodeToString(sum[:16]), "n").Int()
		if err != nil || n != 5 {
			t.Errorf("attempts counted in Redis: %d (%v), want 5", n, err)
		}
		// The 5th failure makes the account wait 1 s from when it was
		// counted, before its password was hashed: the right password next
		// is refused, if the hashing left time to see it.
		code := login("a long passphrase")
		switch {
		case code == 429:
		case fifth > 700*time.Millisecond:
			t.Logf("the 5th sign-in took %v (a slow hash on a loaded machine): the 1 s wait was over; got %d", fifth, code)
		default:
			t.Errorf("the right password after 5 failures: got %d, want 429", code)
		}
		after := c.Proxy.Served()
		for i := range after {
			if after[i] == before[i] {
				t.Errorf("replica %d took none of the sign-ins: the check proves nothing", i)
			}
		}
		time.Sleep(1100 * time.Millisecond)
		if code := login("a long passphrase"); code != 200 {
			t.Errorf("after the wait, the right password: got %d, want 200", code)
		}
	})

	var flooded []string // jobs dispatched, for the flood
	t.Run("each job is dispatched exactly once with three replicas polling", func(t *testing.T) {
		const n = 12
		var wg sync.WaitGroup
		created := make([]string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				key := fmt.Sprintf("dispatch-%d-%d", i, time.Now().UnixNano())
				for {
					code, job, raw, err := alice.CreateJob(ctx, key, datasetID, "sdxl")
					if code == 202 {
						created[i] = job.JobID
						return
					}
					if !clustertest.Retryable(code, err) && code != 409 {
						t.Errorf("create job: %d %s %v", code, raw, err)
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
			}()
		}
		wg.Wait()
		var all []string
		rows, _ := c.DB.Query(ctx, `SELECT id::text FROM lora_jobs`)
		for rows.Next() {
			var id string
			rows.Scan(&id)
			all = append(all, id)
		}
		rows.Close()
		deadline := time.Now().Add(30 * time.Second)
		for {
			var queued int
			c.DB.QueryRow(ctx, `SELECT count(*) FROM lora_jobs WHERE status = 'queued'`).Scan(&queued)
			if queued == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d jobs still queued after 30 s", queued)
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond) // ten poll intervals for a late second dispatch
		perJob := map[string]int{}
		for _, d := range c.Worker.Dispatches() {
			perJob[d.JobID]++
			var key string
			if err := c.DB.QueryRow(ctx, `SELECT dispatch_key FROM lora_jobs WHERE id = $1`, d.JobID).Scan(&key); err != nil || key != d.DispatchKey {
				t.Errorf("job %s dispatched with key %s, recorded %s (%v)", d.JobID, d.DispatchKey, key, err)
			}
		}
		for _, id := range all {
			if perJob[id] != 1 {
				t.Errorf("job %s dispatched %d times, want 1", id, perJob[id])
			}
		}
		if len(perJob) != len(all) {
			t.Errorf("the worker got %d jobs, the database has %d", len(perJob), len(all))
		}
		if r := c.Worker.Refused(); r != 0 {
			t.Errorf("%d dispatches failed the signature check", r)
		}
		var done, clients int
		c.DB.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state = 'completed'), count(DISTINCT attempted_by[1]) FROM river_job`).Scan(&done, &clients)
		if done != len(all) {
			t.Errorf("%d River jobs completed, want %d", done, len(all))
		}
		t.Logf("%d jobs dispatched once each, by %d of the 3 replicas", len(all), clients)
		flooded = all
	})

	t.Run("kill -9 during a webhook flood loses no answered webhook and applies none twice", func(t *testing.T) {
		if len(flooded) == 0 {
			t.Skip("no dispatched jobs")
		}
		keys := map[string]string{}
		for _, id := range flooded {
			var k string
			c.DB.QueryRow(ctx, `SELECT dispatch_key FROM lora_jobs WHERE id = $1`, id).Scan(&k)
			keys[id] = k
		}
		const rate, total = 150, 600 // 4 s
		var applied, duplicate, retries atomic.Int64
		var killedBusy atomic.Bool
		appliedBy := make([]atomic.Int32, total)
		maxProgress := map[string]float64{}
		hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
		var wg sync.WaitGroup
		tick := time.NewTicker(time.Second / rate)
		defer tick.Stop()
		prefix := fmt.Sprintf("flood-%d-", time.Now().UnixNano())
		for i := range total {
			<-tick.C
			switch i {
			case total / 3:
				go func() { killedBusy.Store(c.KillBusy(1)) }()
			case 2 * total / 3:
				go c.Restart(1)
			}
			job := flooded[i%len(flooded)]
			progress := float64(i+1) / (total + 1)
			maxProgress[job] = max(maxProgress[job], progress)
			w := c.RunningWebhook(prefix+fmt.Sprint(i), job, keys[job], progress)
			wg.Add(1)
			go func() {
				defer wg.Done()
				deadline := time.Now().Add(30 * time.Second)
				for {
					code, res, err := w.Send(ctx, hc, c.URL)
					if code == 200 {
						switch res.Outcome {
						case "applied":
							applied.Add(1)
							appliedBy[i].Add(1)
						case "duplicate":
							duplicate.Add(1)
						default:
							t.Errorf("webhook %s: outcome %q", w.ID, res.Outcome)
						}
						return
					}
					if !clustertest.Retryable(code, err) || time.Now().After(deadline) {
						t.Errorf("webhook %s: %d %v", w.ID, code, err)
						return
					}
					retries.Add(1)
					time.Sleep(20 * time.Millisecond)
				}
			}()
		}
		wg.Wait()
		for c.Pid(1) == 0 { // the restart may still be under way
			time.Sleep(20 * time.Millisecond)
		}
		if !killedBusy.Load() || retries.Load() == 0 {
			t.Errorf("the kill cut no webhook in flight (busy %v, %d retries): the check proves nothing", killedBusy.Load(), retries.Load())
		}
		t.Logf("%d webhooks: %d applied, %d answered duplicate after a lost answer, %d retries", total, applied.Load(), duplicate.Load(), retries.Load())
		for i := range appliedBy {
			if n := appliedBy[i].Load(); n > 1 {
				t.Errorf("webhook %d answered applied %d times", i, n)
			}
		}
		var rows, appliedRows int
		c.DB.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE outcome = 'applied') FROM webhook_events WHERE webhook_id LIKE $1`, prefix+"%").Scan(&rows, &appliedRows)
		if rows != total || appliedRows != total {
			t.Errorf("webhook_events holds %d rows (%d applied) of the %d answered webhooks, want all, applied", rows, appliedRows, total)
		}
		if applied.Load()+duplicate.Load() != total || applied.Load() > total {
			t.Errorf("answers: %d applied + %d duplicate, want %d in all", applied.Load(), duplicate.Load(), total)
		}
		for job, want := range maxProgress {
			var got float64
			var status string
			c.DB.QueryRow(ctx, `SELECT progress, status FROM lora_jobs WHERE id = $1`, job).Scan(&got, &status)
			if status != "running" || got < float64(float32(want))-1e-6 {
				t.Errorf("job %s: %s at %.4f, want running at %.4f (the highest progress answered)", job, status, got, want)
			}
		}
	})

	t.Run("kill -9 during uploads loses no committed photo and records none twice", func(t *testing.T) {
		const users = 6
		var mu sync.Mutex
		var committed []string
		var wg sync.WaitGroup
		var inits, retried atomic.Int64
		stop := make(chan struct{})
		ready := make(chan struct{}, users)
		for u := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl, err := clustertest.Register(ctx, c.URL, fmt.Sprintf("uploader%d@example.com", u))
				ready <- struct{}{}
				if err != nil {
					t.Error(err)
					return
				}
				for round := 0; ; round++ {
					select {
					case <-stop:
						if round >= 2 {
							return
						}
					default:
					}
					var id string
					var ups []clustertest.Upload
					for { // init is not idempotent: a lost answer leaves an empty dataset behind
						code, did, u2, err := cl.Init(ctx, "uploads", photos[:20])
						inits.Add(1)
						if err == nil {
							id, ups = did, u2
							break
						}
						if !clustertest.Retryable(code, err) {
							t.Errorf("init: %v", err)
							return
						}
						retried.Add(1)
						time.Sleep(20 * time.Millisecond)
					}
					for i, up := range ups {
						if err := clustertest.Put(ctx, nil, up, photos[i].Data); err != nil {
							t.Error(err)
							return
						}
					}
					for { // commit is idempotent: retried until answered
						code, raw, err := cl.Do(ctx, "POST", "/api/lora/datasets/commit", nil, clustertest.CommitBody(id, ups), nil)
						if code == 200 {
							break
						}
						if !clustertest.Retryable(code, err) {
							t.Errorf("commit: %d %s %v", code, raw, err)
							return
						}
						retried.Add(1)
						time.Sleep(20 * time.Millisecond)
					}
					mu.Lock()
					committed = append(committed, id)
					mu.Unlock()
				}
			}()
		}
		for range users {
			<-ready
		}
		time.Sleep(500 * time.Millisecond)
		busy := c.KillBusy(2)
		time.Sleep(700 * time.Millisecond)
		c.Restart(2)
		time.Sleep(300 * time.Millisecond)
		close(stop)
		wg.Wait()
		for _, id := range committed {
			var items, distinct, count int
			var status string
			c.DB.QueryRow(ctx, `SELECT (SELECT count(*) FROM lora_dataset_items WHERE dataset_id = d.id),
				(SELECT count(DISTINCT storage_key) FROM lora_dataset_items WHERE dataset_id = d.id), d.image_count, d.status
				FROM lora_datasets d WHERE d.id = $1`, id).Scan(&items, &distinct, &count, &status)
			if items != 20 || distinct != 20 || count != 20 || status != "uploaded" {
				t.Errorf("dataset %s: %d items (%d keys), image_count %d, %s; want 20, 20, 20, uploaded", id, items, distinct, count, status)
			}
		}
		var datasets, orphans, orphanItems int
		c.DB.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE NOT (d.id::text = ANY($1))),
			coalesce(sum(image_count) FILTER (WHERE NOT (d.id::text = ANY($1))), 0)
			FROM lora_datasets d JOIN lora_models m ON m.id = d.lora_model_id WHERE m.name = 'uploads'`, committed).Scan(&datasets, &orphans, &orphanItems)
		if !busy || retried.Load() == 0 {
			t.Errorf("the kill cut no request in flight (busy %v, %d retries): the check proves nothing", busy, retried.Load())
		}
		if orphanItems != 0 {
			t.Errorf("datasets no client committed hold %d photos", orphanItems)
		}
		if datasets-orphans != len(committed) || len(committed) < 2*users {
			t.Errorf("%d datasets committed by clients, %d in the database besides %d left empty; want at least %d, all recorded", len(committed), datasets-orphans, orphans, 2*users)
		}
		t.Logf("%d uploads of 20 photos committed through a kill -9; %d inits, %d requests retried, %d datasets left empty by a lost init answer",
			len(committed), inits.Load(), retried.Load(), orphans)
	})

	t.Run("the same commit sent to all three at once records each photo once", func(t *testing.T) {
		for round := range 3 {
			_, id, ups, err := alice.Init(ctx, fmt.Sprintf("concurrent%d", round), photos[:20])
			if err != nil {
				t.Fatal(err)
			}
			for i, up := range ups {
				if err := clustertest.Put(ctx, nil, up, photos[i].Data); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			for i := range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					direct := &clustertest.Client{Base: c.ReplicaURL(i), Token: alice.Token}
					if code, raw, err := direct.Do(ctx, "POST", "/api/lora/datasets/commit", nil, clustertest.CommitBody(id, ups), nil); err != nil || code != 200 {
						t.Errorf("replica %d: commit %d %s %v", i, code, raw, err)
					}
				}()
			}
			wg.Wait()
			wantUploaded(ctx, t, c, id, 20, fmt.Sprintf("round %d", round))
		}
	})
	t.Run("two halves of a dataset committed at once on two replicas count every photo", func(t *testing.T) {
		for round := range 8 {
			_, id, ups, err := alice.Init(ctx, fmt.Sprintf("halves%d", round), photos[:20])
			if err != nil {
				t.Fatal(err)
			}
			for i, up := range ups {
				if err := clustertest.Put(ctx, nil, up, photos[i].Data); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			for i, half := range [][]clustertest.Upload{ups[:10], ups[10:]} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					direct := &clustertest.Client{Base: c.ReplicaURL(i), Token: alice.Token}
					if code, raw, err := direct.Do(ctx, "POST", "/api/lora/datasets/commit", nil, clustertest.CommitBody(id, half), nil); err != nil || code != 200 {
						t.Errorf("replica %d: commit %d %s %v", i, code, raw, err)
					}
				}()
			}
			wg.Wait()
			wantUploaded(ctx, t, c, id, 20, fmt.Sprintf("round %d", round))
		}
	})
	t.Logf("whole run %v; requests per replica through the proxy %v", time.Since(start).Round(time.Millisecond), c.Proxy.Served())
}

// wantUploaded checks in the database that dataset id holds n photos, counts
// them, and is uploaded.
func wantUploaded(ctx context.Context, t *testing.T, c *clustertest.Cluster, id string, n int, what string) {
	t.Helper()
	var items, count int
	var status string
	err := c.DB.QueryRow(ctx, `SELECT (SELECT count(*) FROM lora_dataset_items WHERE dataset_id = d.id), d.image_count, d.status
		FROM lora_datasets d WHERE d.id = $1`, id).Scan(&items, &count, &status)
	if err != nil || items != n || count != n || status != "uploaded" {
		t.Errorf("%s: %d items, image_count %d, status %s (%v); want %d, %d, uploaded", what, items, count, status, err, n, n)
	}
}
