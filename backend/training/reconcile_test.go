package training_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/studio"
)

// weightsTar is Replicate's trained_model.tar around a LoRA.
func weightsTar(lora []byte) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: "output/flux_train_replicate/lora.safetensors", Mode: 0o644, Size: int64(len(lora))})
	tw.Write(lora)
	tw.Close()
	return b.Bytes()
}

// longLog is n bytes of ai-toolkit's training bar, ending at step 1000.
func longLog(n int) string {
	line := "flux_train_replicate:  10%|#         | 100/1000 [00:30<04:30,  3.33it/s]\n"
	return strings.Repeat(line, n/len(line)) + "flux_train_replicate: 100%|##########| 1000/1000 [05:00<00:00]\n"
}

// silence makes the job look unheard of for d.
func silence(t *testing.T, f *fixture, jobID string, d time.Duration) {
	t.Helper()
	if _, err := f.store.Pool().Exec(context.Background(), `UPDATE lora_jobs SET updated_at = now() - $2::interval WHERE id = $1`, jobID, d.String()); err != nil {
		t.Fatal(err)
	}
}

// TestReconcileReplicate: jobs whose webhooks never came are finished by
// polling GET /v1/trainings/{id} — on two replicas at once, each training
// polled once — and a second pass, or a late real webhook, changes nothing.
func TestReconcileReplicate(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	fake := &fakeReplicate{token: "r8_test", weights: weightsTar(tinyLoRA(t))}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	weights := srv.URL + "/weights/trained_model.tar"
	// The finished training's object carries a 5 MiB log, as a long run's does.
	fake.trainings = map[string]string{
		"tr_done":  `{"id":"tr_done","status":"succeeded","input":{"steps":1000},"logs":"` + strings.ReplaceAll(longLog(5<<20), "\n", `\n`) + `","output":{"version":"me/x:abc","weights":"` + weights + `"}}`,
		"tr_oom":   `{"id":"tr_oom","status":"failed","error":"CUDA out of memory","logs":"boom"}`,
		"tr_run":   `{"id":"tr_run","status":"processing","input":{"steps":1000},"logs":"flux_train_replicate:  25%| 250/1000\n"}`,
		"tr_fresh": `{"id":"tr_fresh","status":"succeeded","output":{"weights":"` + weights + `"}}`,
		// tr_gone is missing: Replicate answers 404.
	}
	rep := &training.Replicate{BaseURL: srv.URL, Token: "r8_test", Destination: "me/x"}
	secret, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	in := &training.Ingester{Store: f.store, Blobs: f.blobs, Verifier: stdwebhook.Verifier{Secrets: [][]byte{secret}}, Replicate: rep}
	jobs := map[string]pgstore.JobRef{}
	for _, id := range []string{"tr_done", "tr_oom", "tr_run", "tr_fresh", "tr_gone"} {
		jobs[id] = f.seedJob(t, id+"@example.com", "replicate", id)
		if id != "tr_fresh" {
			silence(t, f, jobs[id].ID, 20*time.Minute)
		}
	}
	// Another provider's silent job is not Replicate's to poll.
	other := f.seedJob(t, "worker@example.com", "self-hosted", "w1")
	silence(t, f, other.ID, time.Hour)

	// Two replicas at once.
	var wg sync.WaitGroup
	reps := make([]training.ReconcileReport, 2)
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &training.Reconciler{Ingester: in}
			var err error
			if reps[i], err = r.Once(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if polled, applied := reps[0].Polled+reps[1].Polled, reps[0].Applied+reps[1].Applied; polled != 4 || applied != 4 {
		t.Errorf("two replicas: %+v, want 4 trainings polled and 4 jobs moved between them", reps)
	}
	for id, want := range map[string]int{"tr_done": 1, "tr_oom": 1, "tr_run": 1, "tr_gone": 1, "tr_fresh": 0} {
		if got := fake.polls[id]; got != want {
			t.Errorf("%s polled %d times, want %d", id, got, want)
		}
	}

	type state struct {
		status   string
		progress float64
		errText  string
		version  string
	}
	read := func(id string) state {
		j, err := f.store.Job(ctx, jobs[id].UserID, jobs[id].ID)
		if err != nil {
			t.Fatal(err)
		}
		v, err := f.store.Version(ctx, jobs[id].UserID, jobs[id].VersionID)
		if err != nil {
			t.Fatal(err)
		}
		return state{j.Status, j.Progress, j.Error, v.Status + " " + v.ArtifactSHA256}
	}
	want := map[string]state{
		"tr_oom":   {studio.JobFailed, 0, "CUDA out of memory", studio.VersionFailed + " "},
		"tr_run":   {studio.JobRunning, 0.25, "", "pending "},
		"tr_gone":  {studio.JobFailed, 0, "Replicate no longer has training tr_gone; start the training again", studio.VersionFailed + " "},
		"tr_fresh": {studio.JobDispatched, 0, "", "pending "},
	}
	// The succeeded job's weights were copied into our storage and checked.
	rc, err := f.blobs.Open(ctx, jobs["tr_done"].ArtifactKey)
	if err != nil {
		t.Fatalf("the weights were not copied: %v", err)
	}
	stored, _ := io.ReadAll(rc)
	rc.Close()
	want["tr_done"] = state{studio.JobSucceeded, 1, "", studio.VersionReady + " " + shaHex(stored)}
	before := map[string]state{}
	for id, w := range want {
		got := read(id)
		if got.status != w.status || float32(got.progress) != float32(w.progress) || got.errText != w.errText || got.version != w.version {
			t.Errorf("%s: got %+v, want %+v", id, got, w)
		}
		before[id] = got
	}
	if j, _ := f.store.JobRef(ctx, other.ID); j.Status != studio.JobDispatched {
		t.Errorf("the self-hosted job: %s, want dispatched, untouched", j.Status)
	}

	// A second pass, with every job but the fresh one silent again,
	// changes nothing: the running one answers as before.
	for id := range jobs {
		if id != "tr_fresh" {
			silence(t, f, jobs[id].ID, 20*time.Minute)
		}
	}
	var events int
	count := func() int {
		f.store.Pool().QueryRow(ctx, `SELECT count(*) FROM webhook_events`).Scan(&events)
		return events
	}
	n := count()
	r := &training.Reconciler{Ingester: in}
	rep2, err := r.Once(ctx)
	if err != nil || rep2 != (training.ReconcileReport{Polled: 1}) || fake.polls["tr_run"] != 2 {
		t.Errorf("second pass: %+v %v, want nothing applied", rep2, err)
	}
	if got := count(); got != n {
		t.Errorf("second pass recorded %d messages, want none", got-n)
	}
	for id, b := range before {
		if got := read(id); got != b {
			t.Errorf("%s after a second pass: %+v, want %+v", id, got, b)
		}
	}
	// Replicate's own completed webhook, arriving late, is harmless.
	body := `{"id":"tr_done","status":"succeeded","output":{"weights":"` + weights + `"}}`
	res, err := in.Ingest(ctx, signed(secret, "msg_late", time.Now(), body), url.Values{"provider": {"replicate"}, "job": {jobs["tr_done"].ID}}, []byte(body))
	if err != nil || res.Outcome != pgstore.OutcomeIgnored {
		t.Errorf("late webhook: %+v %v, want ignored", res, err)
	}
	if got := read("tr_done"); got != before["tr_done"] {
		t.Errorf("after the late webhook: %+v, want %+v", got, before["tr_done"])
	}
}

// BenchmarkReadReplicateLongLog measures what reading a 16 MiB completed
// webhook allocates (B/op over the body's size: the copies the webhook
// route's memory bound counts).
func BenchmarkReadReplicateLongLog(b *testing.B) {
	f := newFixture(b)
	secret, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	in := &training.Ingester{Store: f.store, Blobs: f.blobs, Verifier: stdwebhook.Verifier{Secrets: [][]byte{secret}}}
	body := []byte(`{"id":"tr_1","status":"succeeded","logs":"` + strings.ReplaceAll(longLog(training.MaxReplicateTraining-200), "\n", `\n`) + `","output":{"weights":"https://x/w.tar"}}`)
	h := signed(secret, "msg_1", time.Now(), string(body))
	q := url.Values{"provider": {"replicate"}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := in.Read(context.Background(), h, q, body); err != nil {
			b.Fatal(err)
		}
	}
}
