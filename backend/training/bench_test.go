package training_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/studio"
)

// BenchmarkWebhookIngest is an open-loop load generator: it sends signed
// webhooks over HTTP to the ingester at a fixed rate (LORASTUDIO_BENCH_RATE
// per second, default 300, for LORASTUDIO_BENCH_SECONDS, default 4)
// against the local Postgres and storage, every message twice at once (a
// duplicate), each job's nine events in order (eight progress reports,
// then succeeded with a real artifact to check). It reports throughput and
// latency percentiles and fails on any lost or duplicated transition.
//
//	go test ./backend/training -run '^$' -bench WebhookIngest -benchtime 1x
func BenchmarkWebhookIngest(b *testing.B) {
	rate := envInt("LORASTUDIO_BENCH_RATE", 300)
	seconds := envInt("LORASTUDIO_BENCH_SECONDS", 4)
	const perJob = 9 // events per job; each is sent twice
	jobsN := max(1, rate*seconds/(2*perJob))
	for b.Loop() {
		f := newFixture(b)
		secret, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
		in := &training.Ingester{Store: f.store, Blobs: f.blobs, Verifier: stdwebhook.Verifier{Secrets: [][]byte{secret}}}
		f.mux.HandleFunc("POST /webhook", func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			res, err := in.Ingest(r.Context(), r.Header, url.Values{}, body)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			json.NewEncoder(w).Encode(res)
		})
		lora := tinyLoRA(b)
		jobs := make([]pgstore.JobRef, jobsN)
		for i := range jobs {
			jobs[i] = f.seedJob(b, fmt.Sprintf("u%d@example.com", i), "self-hosted", "")
			f.putArtifact(b, jobs[i].ArtifactKey, lora)
		}
		type msg struct {
			id   string
			body []byte
		}
		var schedule []msg // round r holds event r of every job: a job's events stay ordered
		for r := range perJob {
			for _, j := range jobs {
				ev := fmt.Sprintf(`{"job_id":%q,"dispatch_key":%q,"status":"running","progress":%.1f}`, j.ID, j.DispatchKey, float64(r+1)/10)
				if r == perJob-1 {
					ev = fmt.Sprintf(`{"job_id":%q,"dispatch_key":%q,"status":"succeeded","progress":1,"checksum":"sha256:%s","size":%d}`, j.ID, j.DispatchKey, shaHex(lora), len(lora))
				}
				schedule = append(schedule, msg{fmt.Sprintf("msg_%s_%d", j.ID, r), []byte(ev)})
			}
		}
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
		var mu sync.Mutex
		var lat []time.Duration
		outcomes := map[string][]string{}
		var failures []string
		send := func(m msg) {
			h := http.Header{}
			stdwebhook.SetHeaders(h, secret, m.id, time.Now(), m.body)
			req, _ := http.NewRequest("POST", f.srv.URL+"/webhook", strings.NewReader(string(m.body)))
			req.Header = h
			t0 := time.Now()
			resp, err := client.Do(req)
			d := time.Since(t0)
			var res training.Result
			if err == nil {
				if resp.StatusCode == 200 {
					err = json.NewDecoder(resp.Body).Decode(&res)
				} else {
					body, _ := io.ReadAll(resp.Body)
					err = fmt.Errorf("%d %s", resp.StatusCode, body)
				}
				resp.Body.Close()
			}
			mu.Lock()
			defer mu.Unlock()
			lat = append(lat, d)
			if err != nil {
				failures = append(failures, err.Error())
				return
			}
			outcomes[m.id] = append(outcomes[m.id], res.Outcome)
		}
		interval := time.Second / time.Duration(rate)
		var wg sync.WaitGroup
		start := time.Now()
		for i, m := range schedule {
			time.Sleep(time.Until(start.Add(time.Duration(2*i) * interval)))
			wg.Add(2)
			go func() { defer wg.Done(); send(m) }()
			go func() { defer wg.Done(); send(m) }() // the duplicate, at the same moment
		}
		wg.Wait()
		elapsed := time.Since(start)

		if len(failures) > 0 {
			b.Fatalf("%d requests failed, first: %s", len(failures), failures[0])
		}
		applied := 0
		for _, m := range schedule {
			o := outcomes[m.id]
			slices.Sort(o)
			if len(o) != 2 || o[0] != pgstore.OutcomeDuplicate && o[1] != pgstore.OutcomeDuplicate || o[0] == o[1] {
				b.Fatalf("message %s got outcomes %v, want one of applied/ignored and one duplicate", m.id, o)
			}
			if slices.Contains(o, pgstore.OutcomeApplied) {
				applied++
			}
		}
		var recorded, appliedRows int
		f.store.Pool().QueryRow(context.Background(), `SELECT count(*), count(*) FILTER (WHERE outcome = 'applied') FROM webhook_events`).Scan(&recorded, &appliedRows)
		if recorded != len(schedule) || appliedRows != applied {
			b.Fatalf("webhook_events: %d rows (%d applied), want %d (%d applied)", recorded, appliedRows, len(schedule), applied)
		}
		for _, j := range jobs {
			job, _ := f.store.Job(context.Background(), j.UserID, j.ID)
			v, _ := f.store.Version(context.Background(), j.UserID, j.VersionID)
			if job.Status != studio.JobSucceeded || job.Progress != 1 || v.Status != studio.VersionReady {
				b.Fatalf("job %s ended %s at %v with version %s, want succeeded, 1, ready", j.ID, job.Status, job.Progress, v.Status)
			}
		}
		slices.Sort(lat)
		pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
		b.ReportMetric(float64(pct(0.50).Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(applied), "transitions")
		b.Logf("%d jobs, %d requests (%d distinct, each twice) at %d/s target in %v: %.0f req/s, p50 %v, p99 %v, max %v; %d applied, %d ignored (late), 0 lost, 0 applied twice",
			jobsN, len(lat), len(schedule), rate, elapsed.Round(time.Millisecond), float64(len(lat))/elapsed.Seconds(), pct(0.5), pct(0.99), lat[len(lat)-1], applied, len(schedule)-applied)
	}
}

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil && v > 0 {
		return v
	}
	return def
}
