package pgstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/internal/pgtest"
	"github.com/promptforge/lorastudio/internal/studio"
)

// seedJobs makes n dispatched jobs, each of its own user.
func seedJobs(t *testing.T, s *pgstore.Store, prefix string, n int) []pgstore.JobRef {
	t.Helper()
	ctx := context.Background()
	refs := make([]pgstore.JobRef, n)
	for i := range refs {
		u, err := s.CreateUser(ctx, fmt.Sprintf("%s%d@example.com", prefix, i), "hash")
		if err != nil {
			t.Fatal(err)
		}
		d, _, err := s.NewDataset(ctx, u.ID, "me", []pgstore.Upload{{Name: "a.jpg", Size: 10, ContentType: "image/jpeg", SHA256: fmt.Sprintf("%064x", i)}},
			func(id string, up pgstore.Upload) string { return pgstore.KeyPrefix(u.ID) + id + "/a.jpg" }, pgstore.Quota{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveValidation(ctx, u.ID, d.ID, []byte(`{"ok":true}`), 1, true, nil); err != nil {
			t.Fatal(err)
		}
		_, j, err := s.CreateJob(ctx, pgstore.NewJob{UserID: u.ID, DatasetID: d.ID, BaseModel: studio.FluxDev, Params: []byte(`{}`), Provider: "self-hosted",
			DispatchKey: func(id string) string { return "dk-" + id }, ArtifactKey: func(id string) string { return "art/" + id }})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.MarkDispatched(ctx, j.ID, ""); err != nil {
			t.Fatal(err)
		}
		if refs[i], err = s.JobRef(ctx, j.ID); err != nil {
			t.Fatal(err)
		}
	}
	return refs
}

// script is a random but reproducible stream of events over jobs: progress
// up and down, successes with checkpoints, failures, late events after
// the end, webhook ids sent twice (at once or later), and events for
// unknown, malformed and erased jobs.
func script(seed uint64, jobs int, n int) []pgstore.JobEvent {
	r := rand.New(rand.NewPCG(seed, 1))
	var evs []pgstore.JobEvent
	for i := range n {
		j := r.IntN(jobs + 3) // jobs, then: unknown, malformed, erased
		ev := pgstore.JobEvent{WebhookID: fmt.Sprintf("msg_%d", i), JobID: fmt.Sprintf("#%d", j), LogsURL: fmt.Sprintf("https://logs/%d", r.IntN(3))}
		if r.IntN(3) == 0 {
			ev.LogsURL = ""
		}
		switch p := r.IntN(20); {
		case p < 14:
			ev.Status, ev.Progress = studio.JobRunning, float64(r.IntN(11))/10
			if p == 0 {
				ev.Checkpoint = &pgstore.Checkpoint{Step: 10 * (1 + r.IntN(5)), ArtifactKey: "ck", ArtifactSHA256: fmt.Sprintf("%064x", i), ArtifactSize: 3}
			}
		case p < 17:
			ev.Status, ev.ArtifactKey, ev.ArtifactSHA256, ev.ArtifactSize = studio.JobSucceeded, "art/x", fmt.Sprintf("%064x", i), int64(i)
		case p < 19:
			ev.Status, ev.Error = studio.JobFailed, fmt.Sprintf("boom %d", i)
		default:
			ev.Status = studio.JobCanceled
		}
		evs = append(evs, ev)
		if r.IntN(5) == 0 && i > 0 { // a retry of an earlier webhook id
			evs = append(evs, evs[r.IntN(len(evs))])
		}
	}
	return evs
}

// bind gives a script's job placeholders real ids: refs, then an unknown
// uuid, a malformed id and an erased job.
func bind(evs []pgstore.JobEvent, refs []pgstore.JobRef, erased, tag string) []pgstore.JobEvent {
	out := make([]pgstore.JobEvent, len(evs))
	for i, ev := range evs {
		var j int
		fmt.Sscanf(ev.JobID, "#%d", &j)
		switch {
		case j < len(refs):
			ev.JobID = refs[j].ID
		case j == len(refs):
			ev.JobID = "00000000-0000-4000-8000-000000000000"
		case j == len(refs)+1:
			ev.JobID = "not-a-uuid"
		default:
			ev.JobID = erased
		}
		ev.WebhookID = tag + ev.WebhookID
		if ev.Checkpoint != nil {
			c := *ev.Checkpoint
			ev.Checkpoint = &c
		}
		out[i] = ev
	}
	return out
}

type jobState struct {
	Status, Error, LogsURL, Version, ArtifactSHA string
	Progress                                     float32
	ArtifactSize                                 int64
	Checkpoints                                  []int
}

func states(t *testing.T, s *pgstore.Store, refs []pgstore.JobRef) []jobState {
	t.Helper()
	out := make([]jobState, len(refs))
	for i, r := range refs {
		st := &out[i]
		err := s.Pool().QueryRow(context.Background(),
			`SELECT j.status, j.error, j.logs_url, j.progress, j.artifact_size, v.status, v.artifact_sha256,
			        coalesce((SELECT array_agg(step ORDER BY step) FROM lora_checkpoints WHERE job_id = j.id), '{}')
			 FROM lora_jobs j JOIN lora_versions v ON v.id = j.lora_version_id WHERE j.id = $1`, r.ID).
			Scan(&st.Status, &st.Error, &st.LogsURL, &st.Progress, &st.ArtifactSize, &st.Version, &st.ArtifactSHA, &st.Checkpoints)
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// Events applied in batches end exactly as they did applied one
// transaction each before group commit (applyOneByOne, the oracle): the
// same outcome for every event, the same jobs, versions and checkpoints,
// the same recorded outcomes.
func TestApplyJobsInBatchesEqualsOneByOne(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	const jobs = 6
	for seed := range uint64(8) {
		one, batched := seedJobs(t, s, fmt.Sprintf("one%d-", seed), jobs), seedJobs(t, s, fmt.Sprintf("batch%d-", seed), jobs)
		erasedOne, erasedBatch := fmt.Sprintf("00000000-0000-4000-8000-%012d", 2*seed+1), fmt.Sprintf("00000000-0000-4000-8000-%012d", 2*seed+2)
		for _, e := range []string{erasedOne, erasedBatch} {
			if _, err := s.Pool().Exec(ctx, `INSERT INTO erased_jobs (job_id, artifact_key) VALUES ($1::uuid, 'gone/' || $1::text)`, e); err != nil {
				t.Fatal(err)
			}
		}
		sc := script(seed, jobs, 120)
		evOne := bind(sc, one, erasedOne, fmt.Sprintf("one%d_", seed))
		evBatch := bind(sc, batched, erasedBatch, fmt.Sprintf("batch%d_", seed))

		var want, got []pgstore.Applied
		for _, ev := range evOne {
			a, err := applyOneByOne(ctx, s, ev)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, a)
		}
		r := rand.New(rand.NewPCG(seed, 2))
		for i := 0; i < len(evBatch); {
			n := min(len(evBatch)-i, 1+r.IntN(40))
			a, err := s.ApplyJobs(ctx, evBatch[i:i+n])
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, a...)
			i += n
		}
		for i := range want {
			w, g := want[i], got[i]
			if w.ErasedKey != "" {
				w.ErasedKey, g.ErasedKey = "gone/", g.ErasedKey[:min(5, len(g.ErasedKey))]
			}
			if w != g {
				t.Fatalf("seed %d: event %d (%s %s %.1f): one by one %+v, in batches %+v", seed, i, sc[i].JobID, sc[i].Status, sc[i].Progress, w, g)
			}
		}
		if w, g := states(t, s, one), states(t, s, batched); !reflect.DeepEqual(w, g) {
			t.Fatalf("seed %d: jobs one by one\n%+v\nin batches\n%+v", seed, w, g)
		}
		var differ int
		if err := s.Pool().QueryRow(ctx,
			`SELECT count(*) FROM webhook_events a FULL JOIN webhook_events b ON b.webhook_id = replace(a.webhook_id, $1, $2)
			 WHERE (a.webhook_id LIKE $1 || '%' OR b.webhook_id LIKE $2 || '%') AND (a.outcome IS DISTINCT FROM b.outcome OR a.status IS DISTINCT FROM b.status)`,
			fmt.Sprintf("one%d_", seed), fmt.Sprintf("batch%d_", seed)).Scan(&differ); err != nil {
			t.Fatal(err)
		}
		if differ != 0 {
			t.Fatalf("seed %d: %d recorded webhook outcomes differ between one by one and batches", seed, differ)
		}
	}
}

// Two stores on one database (two replicas) applying the same webhooks at
// once, each id several times, never deadlock and apply each id once.
func TestApplyJobConcurrentReplicas(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	a, err := pgstore.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := pgstore.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	refs := seedJobs(t, a, "rep", 8)
	const rounds = 10
	var mu sync.Mutex
	outcomes := map[string][]string{}
	var wg sync.WaitGroup
	for r := range rounds {
		for _, ref := range refs {
			ev := pgstore.JobEvent{WebhookID: fmt.Sprintf("w_%s_%d", ref.ID, r), JobID: ref.ID, Status: studio.JobRunning, Progress: float64(r+1) / rounds}
			for k := range 4 {
				s := a
				if k%2 == 1 {
					s = b
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := s.ApplyJob(ctx, ev)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					outcomes[ev.WebhookID] = append(outcomes[ev.WebhookID], res.Outcome)
					mu.Unlock()
				}()
			}
		}
	}
	wg.Wait()
	for id, o := range outcomes {
		dups := 0
		for _, x := range o {
			if x == pgstore.OutcomeDuplicate {
				dups++
			}
		}
		if len(o) != 4 || dups != 3 {
			t.Errorf("webhook %s: outcomes %v, want one applied or ignored and three duplicates", id, o)
		}
	}
	for _, st := range states(t, a, refs) {
		if st.Progress != 1 || st.Status != studio.JobRunning {
			t.Errorf("a job ended %s at %v, want running at 1", st.Status, st.Progress)
		}
	}
}

// A batch that fails records none of its events and the pool goes on
// (here with a single connection); through ApplyJob the bad event fails
// alone and the good one is applied.
func TestApplyJobsFailedBatchRecordsNothing(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	s, err := pgstore.Open(ctx, url+sep+"pool_max_conns=1")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	refs := seedJobs(t, s, "fail", 2)
	good := pgstore.JobEvent{WebhookID: "good", JobID: refs[0].ID, Status: studio.JobRunning, Progress: 0.5}
	// The database refuses a checkpoint whose checksum is not hex.
	bad := pgstore.JobEvent{WebhookID: "bad", JobID: refs[1].ID, Status: studio.JobRunning, Progress: 0.5,
		Checkpoint: &pgstore.Checkpoint{Step: 10, ArtifactKey: "k", ArtifactSHA256: "not hex", ArtifactSize: 1}}
	if _, err := s.ApplyJobs(ctx, []pgstore.JobEvent{good, bad}); err == nil {
		t.Fatal("a batch with a refused checkpoint succeeded")
	}
	var n int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM webhook_events`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("after the failed batch: %d webhook ids recorded (err %v), want 0", n, err)
	}
	if st := states(t, s, refs); st[0].Progress != 0 || st[1].Progress != 0 {
		t.Fatalf("the failed batch moved the jobs: %+v", st)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, ev := range []pgstore.JobEvent{good, bad} {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = s.ApplyJob(ctx, ev) }()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] == nil {
		t.Fatalf("through ApplyJob: good %v, bad %v; want the bad one alone to fail", errs[0], errs[1])
	}
	if st := states(t, s, refs); st[0].Progress != 0.5 || st[1].Progress != 0 {
		t.Fatalf("after ApplyJob: %+v, want the good job at 0.5 and the other untouched", st)
	}
}
