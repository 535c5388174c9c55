package worker_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/internal/safetensors"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/worker"
)

// The worker stamps the ModelSpec keys into whatever the trainer wrote,
// before hashing: the uploaded bytes carry them, the trainer's own keys
// stay, and the reported checksum is of the stamped file.
func TestWorkerStampsModelSpec(t *testing.T) {
	dsec, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	wsec, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	trainer, _ := filepath.Abs(filepath.Join("testdata", "fake-trainer.sh"))
	photo := []byte("photo bytes")
	sum := sha256.Sum256(photo)
	be := &backend{photo: photo, secret: wsec}
	bs := httptest.NewServer(be)
	defer bs.Close()
	// A clock in another zone: the date is written in UTC. (Real time: the
	// fake backend checks the webhooks' timestamps against its own clock.)
	at := time.Now().In(time.FixedZone("CET", 3600))
	w, err := worker.New(worker.Config{DispatchSecrets: [][]byte{dsec}, WebhookSecret: wsec, Trainer: []string{trainer},
		WorkDir: t.TempDir(), WebhookBackoff: 10 * time.Millisecond, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	ws := httptest.NewServer(w.Handler())
	defer ws.Close()
	d := worker.Dispatch{JobID: "job-stamp", DispatchKey: "dk_stamp0001", BaseModel: "sdxl",
		Params:     worker.Params{Rank: 4, Steps: 100, LearningRate: 1e-4, Resolution: 768, TriggerWord: "ohwx", CaptionTemplate: "a photo of {trigger} person"},
		Items:      []worker.Item{{Name: "a.jpg", URL: bs.URL + "/photo", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(photo))}},
		Artifact:   worker.Upload{Method: "PUT", URL: bs.URL + "/artifact", Headers: map[string]string{"Content-Type": "application/octet-stream"}, MaxSize: 1 << 20},
		WebhookURL: bs.URL + "/webhook",
		Meta:       worker.ArtifactMeta{Title: "alice v3", VersionID: "0b7c9a52-1111-4222-8333-444455556666", DatasetHash: "sha256:abc", TriggerPhrase: "ohwx person"}}
	body, _ := json.Marshal(d)
	req, _ := http.NewRequest("POST", ws.URL+"/jobs", bytes.NewReader(body))
	stdwebhook.SetHeaders(req.Header, dsec, "msg_stamp", at, body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	w.Wait()
	ev := be.last()
	if ev.Status != "succeeded" {
		t.Fatalf("last webhook %+v, want succeeded", ev)
	}
	got := sha256.Sum256(be.artifact)
	if ev.Checksum != "sha256:"+hex.EncodeToString(got[:]) || ev.Size != int64(len(be.artifact)) {
		t.Errorf("checksum %s size %d do not describe the %d uploaded bytes", ev.Checksum, ev.Size, len(be.artifact))
	}
	info, err := safetensors.Check(bytes.NewReader(be.artifact), int64(len(be.artifact)))
	if err != nil {
		t.Fatalf("uploaded artifact: %v", err)
	}
	want := map[string]string{
		"modelspec.sai_model_spec": "1.0.0",
		"modelspec.architecture":   "stable-diffusion-xl-v1-base/lora",
		"modelspec.implementation": "https://github.com/Stability-AI/generative-models",
		"modelspec.title":          "alice v3",
		"modelspec.trigger_phrase": "ohwx person",
		"modelspec.date":           at.UTC().Format("2006-01-02T15:04:05Z"),
		"modelspec.resolution":     "768x768",
		"lorastudio.dataset_hash":  "sha256:abc",
		"lorastudio.version_id":    "0b7c9a52-1111-4222-8333-444455556666",
		"trainer":                  "fake-trainer.sh (test double)", // the trainer's own key is kept
	}
	for k, v := range want {
		if info.Metadata[k] != v {
			t.Errorf("%s: got %q, want %q", k, info.Metadata[k], v)
		}
	}
}
