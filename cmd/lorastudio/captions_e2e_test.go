package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/pgtest"
	"github.com/promptforge/lorastudio/internal/s3test"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
	"github.com/promptforge/lorastudio/internal/worker"
	syncclient "github.com/promptforge/lorastudio/sync/client"
)

// TestCaptionsEndToEnd is issue 17's acceptance test on real parts: serve
// with Postgres, River and a real MinIO, the reference worker with the
// test-double trainer and captioner scripts. A dataset is uploaded with
// one caption of its own, validated, auto-captioned (the user's caption
// kept), reviewed and edited through the sync client, then trained: the
// folder the trainer reads has, next to each photo, exactly the caption
// the user saw, with the trigger word in place.
func TestCaptionsEndToEnd(t *testing.T) {
	ctx := context.Background()
	dispatchSecret, webhookSecret := stdwebhook.NewSecret(), stdwebhook.NewSecret()
	dsec, _ := stdwebhook.ParseSecret(dispatchSecret)
	wsec, _ := stdwebhook.ParseSecret(webhookSecret)
	testdata := filepath.Join("..", "..", "internal", "worker", "testdata")
	trainer, _ := filepath.Abs(filepath.Join(testdata, "fake-trainer.sh"))
	captioner, _ := filepath.Abs(filepath.Join(testdata, "fake-captioner.sh"))
	workDir, seen := t.TempDir(), t.TempDir()
	w, err := worker.New(worker.Config{
		DispatchSecrets: [][]byte{dsec}, WebhookSecret: wsec, Trainer: []string{trainer}, Captioner: []string{captioner},
		Env:     []string{"FAKE_TRAINER_DATASET_COPY=" + seen},
		WorkDir: workDir, BaseModels: []string{"flux-dev"}, WebhookBackoff: 100 * time.Millisecond, WebhookGiveUp: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	ws := httptest.NewServer(w.Handler())
	defer ws.Close()
	s3 := s3test.Start(t)
	addr := freePort(t)
	base := "http://" + addr
	env := map[string]string{
		"DATABASE_URL":               pgtest.NewDatabase(t),
		"LORASTUDIO_STORAGE":         "s3",
		"LORASTUDIO_S3_ENDPOINT":     s3.Endpoint,
		"LORASTUDIO_S3_BUCKET":       s3.NewBucket(t),
		"LORASTUDIO_S3_REGION":       s3test.Region,
		"LORASTUDIO_S3_PATH_STYLE":   "true",
		"AWS_ACCESS_KEY_ID":          s3.AccessKey,
		"AWS_SECRET_ACCESS_KEY":      s3.SecretKey,
		"LORASTUDIO_PUBLIC_URL":      base,
		"LORASTUDIO_WORKER_URL":      ws.URL,
		"LORASTUDIO_DISPATCH_SECRET": dispatchSecret,
		"LORASTUDIO_WEBHOOK_SECRETS": webhookSecret,
		"LORASTUDIO_QUEUE_POLL":      "50ms",
	}
	c0, _, errb := testCLI(env)
	if code := run(ctx, c0, []string{"migrate"}); code != exitOK {
		t.Fatalf("migrate: %s", errb)
	}
	sctx, cancel := context.WithCancel(ctx)
	c, _, logs := testCLI(env)
	done := make(chan int, 1)
	go func() { done <- run(sctx, c, []string{"serve", "--addr", addr}) }()
	waitForListen(t, logs, done)
	defer func() {
		cancel()
		<-done
		w.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	}()

	// Upload: the first photo with a caption of its own.
	alice := &client{t: t, base: base}
	var tok struct{ Token string }
	alice.do("POST", "/api/auth/register", map[string]string{"email": "alice@example.com", "password": "a long passphrase"}, 201, &tok)
	alice.token = tok.Token
	var text struct{ Version, SHA256 string }
	alice.do("GET", "/api/lora/consent", nil, 200, &text)
	alice.do("POST", "/api/lora/consents", map[string]any{"version": text.Version, "sha256": text.SHA256, "attest_self": true}, 201, nil)
	const own = "a photo of {trigger} person at a desk, webcam light"
	dir := filepath.Join("..", "..", "internal", "dataset", "testdata", "person")
	entries, _ := os.ReadDir(dir)
	var decl []wire.FileDecl
	bySHA := map[string][]byte{}
	var datas [][]byte
	for i, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		sum := sha256.Sum256(b)
		f := wire.FileDecl{Name: e.Name(), Size: int64(len(b)), ContentType: "image/jpeg", SHA256: hex.EncodeToString(sum[:])}
		if i == 0 {
			f.Caption = own
		}
		decl = append(decl, f)
		datas = append(datas, b)
		bySHA[f.SHA256] = b
	}
	var initOut struct {
		DatasetID string   `json:"dataset_id"`
		Uploads   []upload `json:"uploads"`
	}
	alice.do("POST", "/api/lora/datasets/init", map[string]any{"model_name": "me", "files": decl}, 200, &initOut)
	ds := initOut.DatasetID
	var commit []map[string]any
	for i, u := range initOut.Uploads {
		put(t, u.Method, u.URL, u.Headers, datas[i])
		commit = append(commit, map[string]any{"key": u.Key})
	}
	alice.do("POST", "/api/lora/datasets/commit", map[string]any{"dataset_id": ds, "files": commit}, 200, nil)
	var val wire.Validation
	alice.do("POST", "/api/lora/datasets/validate", map[string]any{"dataset_id": ds, "min_resolution": 256}, 200, &val)
	if val.Status != studio.DatasetValidated {
		t.Fatalf("dataset %s, want validated", val.Status)
	}

	sc, err := syncclient.New(base, nil)
	if err != nil {
		t.Fatal(err)
	}
	sc.SetToken(alice.token)
	d, err := sc.Dataset(ctx, ds)
	if err != nil {
		t.Fatal(err)
	}
	checkHash := func(when string, d wire.Dataset) {
		t.Helper()
		var h []studio.HashItem
		for _, p := range d.Items {
			h = append(h, studio.HashItem{SHA256: p.SHA256, Caption: p.Caption})
		}
		if want := studio.DatasetHash(h); d.DatasetHash != want {
			t.Errorf("%s: dataset hash %s, want %s over the photos and their captions", when, d.DatasetHash, want)
		}
	}
	// The hash covers the caption given at init (these photos were not
	// stripped before upload, so the engine's report hashes its stripped
	// copies: the dataset's is over the bytes the worker trains on).
	checkHash("validated", d)
	if d.Items[0].Caption != own || d.Items[0].CaptionSource != studio.CaptionUser {
		t.Fatalf("first photo after upload: %q (%s), want its own caption", d.Items[0].Caption, d.Items[0].CaptionSource)
	}

	// Auto-caption: the worker's captioner describes every photo.
	run, err := sc.AutoCaption(ctx, ds, wire.AutoCaptionRequest{})
	if err != nil || run.Status != studio.CaptionRunQueued {
		t.Fatalf("autocaption: %+v %v", run, err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if d, err = sc.Dataset(ctx, ds); err != nil {
			t.Fatal(err)
		}
		if s := d.Captioning.Status; s == studio.CaptionRunDone || s == studio.CaptionRunFailed || time.Now().After(deadline) {
			break
		}
	}
	if d.Captioning.Status != studio.CaptionRunDone || d.Captioning.Captioned != len(entries)-1 || d.Captioning.FinishedAt == nil {
		t.Fatalf("caption run: %+v, want done with %d captioned", d.Captioning, len(entries)-1)
	}
	for i, p := range d.Items {
		want, src := studio.AutoCaption(training.DefaultCaptionTemplate, fakeCaption(bySHA[p.SHA256])), studio.CaptionAuto
		if i == 0 {
			want, src = own, studio.CaptionUser
		}
		if p.Caption != want || p.CaptionSource != src {
			t.Errorf("photo %s after auto-captioning: %q (%s), want %q (%s)", p.Name, p.Caption, p.CaptionSource, want, src)
		}
	}
	checkHash("auto-captioned", d)
	if left, _ := filepath.Glob(filepath.Join(workDir, ".captions", "*")); len(left) != 0 {
		t.Errorf("the worker kept the photos it captioned: %v", left)
	}

	// Review: the user rewrites the second photo's caption.
	const edited = "{trigger} person laughing, red scarf"
	d, err = sc.SetCaptions(ctx, ds, wire.CaptionsRequest{Captions: []wire.CaptionEdit{{PhotoID: d.Items[1].ID, Caption: edited}}})
	if err != nil {
		t.Fatal(err)
	}
	if d.Items[1].Caption != edited || d.Items[1].CaptionSource != studio.CaptionUser {
		t.Fatalf("edited photo: %q (%s)", d.Items[1].Caption, d.Items[1].CaptionSource)
	}
	checkHash("edited", d)
	reviewed := d

	// Train: the trainer reads each photo's caption, trigger word in place.
	job, versionID := startJob(t, alice, "captions-1", map[string]any{"dataset_id": ds, "base_model": "flux-dev", "params": map[string]any{"steps": 200, "trigger_word": "alicex"}})
	// An edit after the job was created changes the dataset, not the version.
	if _, err := sc.SetCaptions(ctx, ds, wire.CaptionsRequest{Captions: []wire.CaptionEdit{{PhotoID: reviewed.Items[2].ID, Caption: "{trigger} edited too late"}}}); err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, alice, job, "succeeded", "failed"); j.Status != "succeeded" {
		t.Fatalf("job: %+v, want succeeded", j)
	}
	var vs wire.Versions
	alice.do("GET", "/api/lora/versions", nil, 200, &vs)
	if len(vs.Versions) != 1 || vs.Versions[0].ID != versionID || vs.Versions[0].DatasetHash != reviewed.DatasetHash {
		t.Errorf("versions %+v, want %s with the reviewed dataset's hash %s", vs.Versions, versionID, reviewed.DatasetHash)
	}
	keys, _ := filepath.Glob(filepath.Join(workDir, "dk_*"))
	if len(keys) != 1 {
		t.Fatalf("job folders on the worker: %v, want one", keys)
	}
	if _, err := os.Stat(filepath.Join(keys[0], "images")); !os.IsNotExist(err) {
		t.Errorf("the worker kept the photos after the job: %v", err)
	}
	// The dataset as the trainer was given it, copied by the test double.
	images := filepath.Join(seen, filepath.Base(keys[0]))
	tpl := training.Presets[studio.FluxDev].CaptionTemplate
	for i, p := range reviewed.Items {
		stem := fmt.Sprintf("%03d", i+1)
		photo, err := os.ReadFile(filepath.Join(images, stem+".jpg"))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(photo); hex.EncodeToString(sum[:]) != p.SHA256 {
			t.Fatalf("%s.jpg is not %s", stem, p.Name)
		}
		got, err := os.ReadFile(filepath.Join(images, stem+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		want := studio.ResolveCaption(p.Caption, tpl, "alicex")
		if string(got) != want || strings.Contains(want, studio.TriggerPlaceholder) {
			t.Errorf("%s.txt (%s) = %q, want %q", stem, p.Name, got, want)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(images, "002.txt")); string(got) != "alicex person laughing, red scarf" {
		t.Errorf("the edited caption reached the trainer as %q", got)
	}
}

// fakeCaption is what internal/worker/testdata/fake-captioner.sh writes for b.
func fakeCaption(b []byte) string {
	sum := sha256.Sum256(b)
	return fmt.Sprintf("a person, photo %s, %d bytes", hex.EncodeToString(sum[:])[:8], len(b))
}
