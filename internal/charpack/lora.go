package charpack

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"strings"

	"github.com/promptforge/lorastudio/internal/compiler"
	"github.com/promptforge/lorastudio/internal/safetensors"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/worker"
)

// LoRA is the trained file a pack for a LoRA pipeline carries.
type LoRA struct {
	Path string // the .safetensors file on disk
	// Name is the file name the pack installs, studio.LoRAFileName's
	// ("alice-v3-flux-dev.safetensors"); its stem names the LoRA in the
	// <lora:…> block and the ComfyUI LoraLoader.
	Name string
}

// TriggerPhraseKey is the safetensors metadata key that carries how the
// training captions named the person ("ohwx person").
const TriggerPhraseKey = worker.KeyTriggerPhrase

// ManifestLoRA describes the LoRA of a LoRA-pipeline pack.
type ManifestLoRA struct {
	Path    string  `json:"path"`
	Trigger string  `json:"trigger,omitempty"`
	Weight  float64 `json:"weight"`
}

// checkedLoRA is a LoRA file checked and hashed once, streamed into the zip.
type checkedLoRA struct {
	sum      string
	size     int64
	metadata map[string]string
}

// checkLoRA reads the whole file once: it must be a safetensors LoRA, and
// its sha256 is taken on the way. Returns "invalid_lora".
func checkLoRA(l LoRA) (checkedLoRA, error) {
	bad := func(format string, args ...any) (checkedLoRA, error) {
		return checkedLoRA{}, studio.Errorf(studio.EInvalidLoRA, format, args...)
	}
	stem, ok := strings.CutSuffix(l.Name, ".safetensors")
	if !ok || stem == "" || strings.ContainsAny(l.Name, `/\`) {
		return bad("the LoRA's file name %q must be NAME.safetensors", l.Name)
	}
	f, err := os.Open(l.Path)
	if err != nil {
		return bad("cannot read the LoRA %s: check the path", l.Path)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.IsDir() {
		return bad("%s is not a file: give the trained .safetensors", l.Path)
	}
	h := sha256.New()
	info, err := safetensors.Check(bufio.NewReader(io.TeeReader(f, h)), fi.Size())
	if err != nil {
		return bad("%s is not a safetensors LoRA (%v): give the .safetensors file the training produced", l.Path, err)
	}
	if _, err := io.Copy(h, f); err != nil {
		return bad("cannot read the LoRA %s to the end", l.Path)
	}
	return checkedLoRA{sum: hex.EncodeToString(h.Sum(nil)), size: fi.Size(), metadata: info.Metadata}, nil
}

// buildLoRA assembles a LoRA-pipeline pack: the LoRA itself, the ComfyUI
// workflow that loads it by its packed name, an A1111/Forge prompt with
// its <lora:…> block, and where to copy the file in each UI. The trigger
// phrase, unless the request gives one, is the one the LoRA's metadata
// says the captions used.
func buildLoRA(ctx context.Context, p compiler.Profile, in Input) (*Pack, compiler.Result, error) {
	l := *in.LoRA
	c, err := checkLoRA(l)
	if err != nil {
		return nil, compiler.Result{}, err
	}
	req := in.Request
	req.Identity.Name = strings.TrimSuffix(l.Name, ".safetensors")
	req.Options.References = 0
	if req.Identity.Trigger == "" {
		req.Identity.Trigger = c.metadata[TriggerPhraseKey]
	}
	res, err := compiler.Compile(req)
	if err != nil {
		return nil, res, err
	}
	m := Manifest{
		SchemaVersion: SchemaVersion, Generator: "lorastudio",
		Platform: p.ID, PlatformName: p.Name, ModelID: p.ModelID,
		Status: p.Status, StatusNote: p.StatusNote, Checked: p.Checked,
		Identity:    ManifestIdentity{Name: req.Identity.Name, Version: req.Identity.Version},
		DatasetHash: in.DatasetHash,
		LoRA:        &ManifestLoRA{Path: "loras/" + l.Name, Trigger: req.Identity.Trigger, Weight: res.Params.LoRAWeight},
	}
	params, err := json.MarshalIndent(res.Params, "", "  ")
	if err != nil {
		return nil, res, err
	}
	files := []File{
		{Path: m.LoRA.Path, Source: l.Path, sum: c.sum, size: c.size},
		{Path: "comfyui/workflow_api.json", Data: append([]byte(res.Workflow), '\n')},
		{Path: "prompt.txt", Data: []byte(res.Prompt + "\n")},
		{Path: "params.json", Data: append(params, '\n')},
	}
	files = append(files, File{Path: "instructions.md", Data: []byte(loraInstructions(p, res, m, l.Name))})
	pack, err := newPack(m, files)
	return pack, res, err
}
