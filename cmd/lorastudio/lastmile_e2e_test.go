package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/app/install"
	"github.com/promptforge/lorastudio/internal/safetensors"
	"github.com/promptforge/lorastudio/internal/worker"
	syncclient "github.com/promptforge/lorastudio/sync/client"
	"github.com/promptforge/lorastudio/sync/download"
)

// TestLastMileEndToEnd is issue 11's journey on real parts (serve, River,
// the local signed store, the reference worker and its test-double
// trainer): train, see checkpoints with sample images, promote one,
// download it resumably and verified, read its ModelSpec keys, install it
// into a ComfyUI tree, and compile a ComfyUI workflow that loads exactly
// the installed file.
func TestLastMileEndToEnd(t *testing.T) {
	ctx := context.Background()
	base := artifactEnv(t)
	alice, datasetID := validatedDataset(t, base, "alice@example.com", "Alice Smith")
	job, v1 := startJob(t, alice, "last-mile-1", map[string]any{"dataset_id": datasetID, "base_model": "flux-dev", "params": map[string]any{"steps": 400, "trigger_word": "alicex"}})
	if j := waitJob(t, alice, job, "succeeded", "failed"); j.Status != "succeeded" {
		t.Fatalf("job: %+v, want succeeded", j)
	}
	sc, err := syncclient.New(base, nil)
	if err != nil {
		t.Fatal(err)
	}
	sc.SetToken(alice.token)

	// Checkpoints, each with sample images that are real PNGs.
	cps, err := sc.Checkpoints(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if len(cps) < 2 {
		t.Fatalf("got %d checkpoints, want at least 2: %+v", len(cps), cps)
	}
	for _, cp := range cps {
		if len(cp.Samples) == 0 {
			t.Fatalf("checkpoint %d has no samples", cp.Step)
		}
		for _, s := range cp.Samples {
			resp, body := get(t, s.URL, "")
			if resp.StatusCode != 200 || !strings.Contains(s.Prompt, "alicex person") {
				t.Fatalf("sample %d of step %d: %d, prompt %q", s.Index, cp.Step, resp.StatusCode, s.Prompt)
			}
			if _, err := png.Decode(bytes.NewReader(body)); err != nil {
				t.Fatalf("sample %d of step %d is not a PNG: %v", s.Index, cp.Step, err)
			}
		}
	}
	if last := cps[len(cps)-1]; !last.Final || last.VersionID != v1 {
		t.Errorf("last checkpoint %+v, want the final one, the job's version %s", last, v1)
	}

	// Promote the first checkpoint: a new ready version.
	step := cps[0].Step
	v2, err := sc.PromoteCheckpoint(ctx, job, step)
	if err != nil {
		t.Fatal(err)
	}
	if v2.Number != 2 || v2.Status != "ready" || v2.ArtifactSHA256 != cps[0].SHA256 {
		t.Fatalf("promoted %+v, want version 2, ready, the checkpoint's sha256 %s", v2, cps[0].SHA256)
	}

	// Download it, cut after the first bytes and resumed, then verified.
	art, err := sc.Artifact(ctx, v2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if art.Filename != "alice-smith-v2-flux-dev.safetensors" {
		t.Errorf("filename %q, want alice-smith-v2-flux-dev.safetensors", art.Filename)
	}
	dl := t.TempDir()
	dest := filepath.Join(dl, art.Filename)
	resp, head := get(t, art.URL, "bytes=0-99")
	if resp.StatusCode != 206 || len(head) != 100 {
		t.Fatalf("range: %d, %d bytes", resp.StatusCode, len(head))
	}
	os.WriteFile(download.PartPath(dest), head, 0o600) // as a download cut after 100 bytes leaves it
	if err := (&download.Fetcher{}).Fetch(ctx, download.Target{URL: art.URL, SHA256: art.SHA256, Size: art.Size, Dest: dest}); err != nil {
		t.Fatal(err)
	}
	lora, _ := os.ReadFile(dest)
	info, err := safetensors.Check(bytes.NewReader(lora), int64(len(lora)))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		worker.KeySpecVersion:   worker.SpecVersion,
		worker.KeyArchitecture:  "flux-1-dev/lora",
		worker.KeyTriggerPhrase: "alicex person",
		worker.KeyStep:          strconv.Itoa(step),
	} {
		if got := info.Metadata[key]; got != want {
			t.Errorf("metadata %s = %q, want %q", key, got, want)
		}
	}
	for _, key := range []string{worker.KeyTitle, worker.KeyDate, worker.KeyDatasetHash} {
		if info.Metadata[key] == "" {
			t.Errorf("metadata %s is missing: %v", key, info.Metadata)
		}
	}

	// Install into a ComfyUI tree found where ComfyUI lives.
	home := t.TempDir()
	loras := filepath.Join(home, "ComfyUI", "models", "loras")
	os.MkdirAll(loras, 0o755)
	folders := install.Detect(home, nil)
	if len(folders) != 1 || folders[0].App != "ComfyUI" || folders[0].Path != loras {
		t.Fatalf("detected %+v, want ComfyUI's %s", folders, loras)
	}
	res, err := install.Install(dest, folders[0].Path, art.Filename, false)
	if err != nil {
		t.Fatal(err)
	}
	if installed, _ := os.ReadFile(res.Path); !bytes.Equal(installed, lora) {
		t.Fatal("the installed file differs from the download")
	}

	// The compiled workflow loads exactly the installed file.
	c, out, errb := testCLI(map[string]string{})
	if code := run(ctx, c, []string{"compile", "--platform", "flux-dev", "--prompt", "portrait on a beach",
		"--identity", "Alice Smith:0.9", "--version", "2", "--json"}); code != exitOK {
		t.Fatalf("compile: %d %s", code, errb)
	}
	var compiled struct {
		Workflow map[string]struct {
			ClassType string         `json:"class_type"`
			Inputs    map[string]any `json:"inputs"`
		} `json:"comfyui_workflow"`
		Prompt string `json:"prompt"`
	}
	if err := json.Unmarshal([]byte(out.String()), &compiled); err != nil {
		t.Fatalf("compile output: %v\n%s", err, out)
	}
	var names []string
	for _, n := range compiled.Workflow {
		if n.ClassType == "LoraLoader" {
			names = append(names, n.Inputs["lora_name"].(string))
		}
	}
	if len(names) != 1 || names[0] != filepath.Base(res.Path) {
		t.Errorf("the workflow loads %v, want exactly the installed %s", names, filepath.Base(res.Path))
	}
	if !strings.Contains(compiled.Prompt, "<lora:alice-smith-v2-flux-dev:0.90>") {
		t.Errorf("prompt %q lacks the block for the installed file", compiled.Prompt)
	}
}
