package charpack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/internal/charpack"
	"github.com/promptforge/lorastudio/internal/compiler"
	"github.com/promptforge/lorastudio/internal/safetensors"
	"github.com/promptforge/lorastudio/internal/studio"
)

// TestLoRAPack writes a LoRA-pipeline pack for each base model, reads it
// back through the verifying reader, and holds its texts to golden files.
func TestLoRAPack(t *testing.T) {
	var buf bytes.Buffer
	meta := map[string]string{charpack.TriggerPhraseKey: "ohwx person"}
	if err := safetensors.WriteLoRA(&buf, []string{"lora_unet_a"}, 2, 4, meta); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "download.safetensors")
	os.WriteFile(path, buf.Bytes(), 0o644)
	for _, m := range studio.BaseModels() {
		id := m.ID
		t.Run(id, func(t *testing.T) {
			name := "alice-v3-" + id + ".safetensors"
			in := charpack.Input{
				Request: compiler.Request{Platform: id, Prompt: compiler.Prompt{Subject: "in a red wool coat", Scene: "a rainy harbour at dusk"},
					Identity: compiler.Identity{Version: "3"}},
				DatasetHash: "sha256:0123456789abcdef",
				LoRA:        &charpack.LoRA{Path: path, Name: name},
			}
			var zip bytes.Buffer
			if _, _, err := charpack.Write(context.Background(), &zip, in); err != nil {
				t.Fatal(err)
			}
			pack, err := charpack.Read(bytes.NewReader(zip.Bytes()), int64(zip.Len()))
			if err != nil {
				t.Fatalf("reading our own pack: %v", err)
			}
			if pack.Manifest.LoRA == nil || pack.Manifest.LoRA.Path != "loras/"+name || pack.Manifest.LoRA.Trigger != "ohwx person" {
				t.Errorf("manifest LoRA %+v", pack.Manifest.LoRA)
			}
			var wf map[string]struct {
				ClassType string         `json:"class_type"`
				Inputs    map[string]any `json:"inputs"`
			}
			json.Unmarshal(pack.File("comfyui/workflow_api.json").Data, &wf)
			if c := wf["4"].ClassType; c != "LoraLoader" && c != "LoraLoaderModelOnly" || wf["4"].Inputs["lora_name"] != name {
				t.Errorf("LoRA loader %+v, want lora_name %s", wf["4"], name)
			}
			// Forge/A1111 steps only where those programs are known to run
			// the model (Flux, SDXL); the others point to ComfyUI.
			text := string(pack.File("instructions.md").Data)
			classic := m.Family == "flux1" || m.Family == "sdxl"
			if strings.Contains(text, "## Forge or AUTOMATIC1111") != classic || strings.Contains(text, "## Other programs") == classic {
				t.Errorf("instructions for %s (family %s) give the wrong program steps", id, m.Family)
			}
			if id == "wan-2.2" && !strings.Contains(text, "wan2.2_t2v_low_noise_14B_fp8_scaled.safetensors") {
				t.Error("Wan 2.2 instructions do not name the low-noise expert the LoRA loads on")
			}
			for _, f := range []string{"instructions.md", "prompt.txt", "params.json", "comfyui/workflow_api.json"} {
				golden(t, filepath.Join("lora-"+id, filepath.Base(f)), pack.File(f).Data)
			}
		})
	}
}
