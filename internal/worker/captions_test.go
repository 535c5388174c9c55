package worker_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/worker"
)

// photoServer serves photos by path and accepts the artifact and webhooks.
func photoServer(t *testing.T, photos map[string][]byte) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, ok := photos[r.URL.Path]; ok && r.Method == http.MethodGet {
			w.Write(b)
			return
		}
		io.Copy(io.Discard, r.Body) // the artifact PUT, the webhooks
	}))
	t.Cleanup(srv.Close)
	return srv
}

func item(srv *httptest.Server, name string, b []byte) worker.Item {
	sum := sha256.Sum256(b)
	return worker.Item{Name: name, URL: srv.URL + "/" + name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(b))}
}

func signedPost(t *testing.T, url string, secret []byte, v any) (int, []byte) {
	t.Helper()
	body, _ := json.Marshal(v)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	stdwebhook.SetHeaders(req.Header, secret, fmt.Sprintf("msg_test_%d", time.Now().UnixNano()), time.Now(), body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// fakeCaption is what testdata/fake-captioner.sh writes for b.
func fakeCaption(b []byte) string {
	sum := sha256.Sum256(b)
	return fmt.Sprintf("a person, photo %s, %d bytes", hex.EncodeToString(sum[:])[:8], len(b))
}

// TestPreparedDatasetGolden pins the folder the trainer reads for a job
// whose photos have captions of their own: each NNN.ext with its NNN.txt,
// the backend's resolved caption, or the job's template for a photo
// without one.
func TestPreparedDatasetGolden(t *testing.T) {
	dsec, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	wsec, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	trainer, _ := filepath.Abs(filepath.Join("testdata", "fake-trainer.sh"))
	photos := map[string][]byte{"/a.jpg": []byte("first photo"), "/b.png": []byte("second photo"), "/c.webp": []byte("third photo")}
	srv := photoServer(t, photos)
	dir, seen := t.TempDir(), t.TempDir()
	w, err := worker.New(worker.Config{DispatchSecrets: [][]byte{dsec}, WebhookSecret: wsec, Trainer: []string{trainer, "{config}"},
		Env: []string{"FAKE_TRAINER_DATASET_COPY=" + seen}, WorkDir: dir, WebhookBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ws := httptest.NewServer(w.Handler())
	defer ws.Close()
	a, b, c := item(srv, "a.jpg", photos["/a.jpg"]), item(srv, "b.png", photos["/b.png"]), item(srv, "c.webp", photos["/c.webp"])
	a.Caption = "a photo of ohwx person smiling, red scarf"
	c.Caption = studio.ResolveCaption("{trigger} person, close-up, {trigger} again", "unused", "ohwx")
	d := worker.Dispatch{JobID: "job-golden", DispatchKey: "dk_golden001", BaseModel: "flux-dev",
		Params:     worker.Params{Rank: 4, Steps: 100, LearningRate: 1e-4, Resolution: 512, TriggerWord: "ohwx", CaptionTemplate: "a photo of {trigger} person"},
		Items:      []worker.Item{a, b, c},
		Artifact:   worker.Upload{Method: "PUT", URL: srv.URL + "/artifact", Headers: map[string]string{"Content-Type": "application/octet-stream"}, MaxSize: 1 << 20},
		WebhookURL: srv.URL + "/webhook"}
	if code, body := signedPost(t, ws.URL+"/jobs", dsec, d); code != http.StatusAccepted {
		t.Fatalf("dispatch: %d %s", code, body)
	}
	w.Wait()
	// As the trainer saw it (the worker deletes it when the job ends).
	images := filepath.Join(seen, d.DispatchKey)
	entries, err := os.ReadDir(images)
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(images, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(e.Name(), ".txt") {
			fmt.Fprintf(&got, "==> %s <==\n%s\n", e.Name(), data)
		} else {
			sum := sha256.Sum256(data)
			fmt.Fprintf(&got, "==> %s <== sha256 %x\n", e.Name(), sum)
		}
	}
	golden := filepath.Join("testdata", "prepared-dataset-captions.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got.String() != string(want) {
		t.Errorf("prepared dataset differs from %s (rerun with -update if intended):\n%s", golden, got.String())
	}
}

// TestCaptions: POST /captions is verified like a dispatch, runs the
// configured captioner over the checked photos and answers each photo's
// text, or a refusal a person can read.
func TestCaptions(t *testing.T) {
	dsec, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	wsec, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	captioner, _ := filepath.Abs(filepath.Join("testdata", "fake-captioner.sh"))
	photos := map[string][]byte{"/k1.jpg": []byte("photo one"), "/k2.png": []byte("photo two, a bit longer"), "/k3.gif": []byte("three")}
	srv := photoServer(t, photos)
	items := []worker.Item{item(srv, "k1.jpg", photos["/k1.jpg"]), item(srv, "k2.png", photos["/k2.png"]), item(srv, "k3.gif", photos["/k3.gif"])}
	badSHA := slices.Clone(items)
	badSHA[1].SHA256 = strings.Repeat("0", 64)
	newWorker := func(t *testing.T, cmd []string, env ...string) (*httptest.Server, string) {
		dir := t.TempDir()
		w, err := worker.New(worker.Config{DispatchSecrets: [][]byte{dsec}, WebhookSecret: wsec, Trainer: []string{"true"},
			WorkDir: dir, Captioner: cmd, Env: env})
		if err != nil {
			t.Fatal(err)
		}
		ws := httptest.NewServer(w.Handler())
		t.Cleanup(ws.Close)
		return ws, dir
	}
	tests := []struct {
		name   string
		cmd    []string
		env    []string
		items  []worker.Item
		secret []byte
		status int
		code   string // the refusal's, "" for an answer
		msgHas string
	}{
		{"captions every photo", []string{captioner, "--batch"}, nil, items, dsec, 200, "", ""},
		{"unsigned", []string{captioner}, nil, items, wsec, 401, "signature_invalid", ""},
		{"no captioner", nil, nil, items, dsec, 501, studio.ECaptionerUnavailable, "LORASTUDIO_WORKER_CAPTIONER"},
		{"no photos", []string{captioner}, nil, nil, dsec, 422, "invalid", "photos"},
		{"captioner fails", []string{captioner}, []string{"FAKE_CAPTIONER_FAIL=CUDA out of memory"}, items, dsec, 422, "captioner_failed", "CUDA out of memory"},
		{"a photo left without caption", []string{captioner}, []string{"FAKE_CAPTIONER_SKIP=002"}, items, dsec, 422, "captioner_failed", "photo 2 (002.txt)"},
		{"photo with another sha256", []string{captioner}, nil, badSHA, dsec, 502, "download_failed", "sha256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, dir := newWorker(t, tt.cmd, tt.env...)
			code, body := signedPost(t, ws.URL+"/captions", tt.secret, worker.CaptionJob{DatasetID: "ds-1", Items: tt.items})
			if code != tt.status {
				t.Fatalf("got %d %s, want %d", code, body, tt.status)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".captions", "*")); len(left) != 0 {
				t.Errorf("the photos were left on the worker: %v", left)
			}
			if tt.code != "" {
				var e struct {
					Error struct{ Code, Message string }
				}
				json.Unmarshal(body, &e)
				if e.Error.Code != tt.code || !strings.Contains(e.Error.Message, tt.msgHas) {
					t.Fatalf("refusal %s, want code %s naming %q", body, tt.code, tt.msgHas)
				}
				return
			}
			var res worker.CaptionResult
			if err := json.Unmarshal(body, &res); err != nil {
				t.Fatal(err)
			}
			if len(res.Captions) != len(items) {
				t.Fatalf("%d captions for %d photos: %s", len(res.Captions), len(items), body)
			}
			for i, c := range res.Captions {
				want := worker.ItemCaption{Name: items[i].Name, Text: fakeCaption(photos["/"+items[i].Name])}
				if c != want {
					t.Errorf("caption %d = %+v, want %+v", i, c, want)
				}
			}
		})
	}
}
