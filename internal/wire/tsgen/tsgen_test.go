package tsgen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
	"github.com/promptforge/lorastudio/internal/wire/tsgen"
)

var root = filepath.Join("..", "..", "..")

// TestGeneratedFileIsCurrent regenerates the frontend's module in memory
// and fails when the committed one differs: a limit, a code or a shape
// changed in Go and not in the frontend (run go generate ./internal/wire).
func TestGeneratedFileIsCurrent(t *testing.T) {
	want, err := tsgen.Generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, tsgen.Path))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not what Go generates now: run `go generate ./internal/wire` and commit it", tsgen.Path)
	}
}

// payloadsPath holds JSON that Go's encoding of the wire types wrote, for
// the frontend's test of the generated validators (wire.gen.test.ts).
const payloadsPath = "frontend/src/lib/api/testdata/wire-payloads.json"

// payloads encodes values as the server and the desktop send them, nulls
// of nil slices included, and a quality report of real photos.
func payloads(t *testing.T) []byte {
	t.Helper()
	at := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
	var srcs []dataset.Source
	for _, n := range []string{"cap12_01.jpg", "cap12_02.jpg", "cap13_01.jpg"} {
		p := filepath.Join(root, "internal", "dataset", "testdata", "person", n)
		srcs = append(srcs, dataset.Source{Name: n, Open: func() (io.ReadCloser, error) { return os.Open(p) }})
	}
	rep, err := dataset.Validate(context.Background(), srcs, dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	empty, err := dataset.Validate(context.Background(), nil, dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := map[string]any{
		"job_created": wire.JobCreated{JobID: "b1e0c6f2-5a47-4d4e-9a51-0d3c1f2a7b10", VersionID: "7c9e6679-7425-40de-944b-e07fc1f90ae7", Status: studio.JobQueued},
		"jobs": []wire.Job{
			{ID: "b1e0c6f2-5a47-4d4e-9a51-0d3c1f2a7b10", VersionID: "7c9e6679-7425-40de-944b-e07fc1f90ae7", Status: studio.JobQueued, CreatedAt: at, UpdatedAt: at},
			{ID: "b1e0c6f2-5a47-4d4e-9a51-0d3c1f2a7b10", VersionID: "7c9e6679-7425-40de-944b-e07fc1f90ae7", Status: "failed", Progress: 0.25, Error: "CUDA out of memory", LogsURL: "https://logs.example/1", CreatedAt: at, UpdatedAt: at},
		},
		"job_log":  wire.JobLog{Log: "step 1/1000\n", Available: true},
		"identity": wire.Identity{UserID: "u1", ModelID: "m1", VersionID: "v1", Weight: 0.8, TargetPlatform: "sora-2", UpdatedAt: at},
		"checkpoints": []studio.Checkpoint{
			{Step: 250, SHA256: "ab", Size: 1 << 20},
			{Step: 1000, SHA256: "cd", Size: 1 << 20, Final: true, VersionID: "v1", Samples: []studio.Sample{{Index: 0, Prompt: "ohwx person", URL: "https://x/s.png", SHA256: "ef", Size: 9, ExpiresAt: at}}},
		},
		"presets":   []wire.TrainingParams{{Rank: 16, Steps: 1000, LearningRate: 4e-4, Resolution: 1024, TriggerWord: "ohwx", CaptionTemplate: "a photo of {trigger} person"}},
		"platforms": studio.Platforms(),
		"reports":   []*dataset.Report{rep, empty},
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// TestPayloadFixture keeps the frontend's fixture what Go writes now; set
// WIRE_UPDATE=1 to rewrite it.
func TestPayloadFixture(t *testing.T) {
	want := payloads(t)
	path := filepath.Join(root, payloadsPath)
	if os.Getenv("WIRE_UPDATE") != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not what Go encodes now: run WIRE_UPDATE=1 go test ./internal/wire/tsgen", payloadsPath)
	}
}
