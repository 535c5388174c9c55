package app

import (
	"os"
	"strings"

	"github.com/promptforge/lorastudio/internal/compiler"
	"github.com/promptforge/lorastudio/internal/safetensors"
	"github.com/promptforge/lorastudio/internal/worker"
)

// CompileService compiles prompts and exports Character Packs, offline.
type CompileService struct{ *core }

// ProfileSummary is what the compile screen lists of a profile.
type ProfileSummary struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	SupportsLoRA bool   `json:"supports_lora"`
	Status       string `json:"status"`
	StatusNote   string `json:"status_note"`
	Checked      string `json:"checked"`
}

// Profiles lists every compile target: the LoRA pipelines, then the target
// platforms, with the status their facts were last checked at.
func (a *CompileService) Profiles() []ProfileSummary {
	ps := compiler.Profiles()
	out := make([]ProfileSummary, len(ps))
	for i, p := range ps {
		out[i] = ProfileSummary{ID: p.ID, Name: p.Name, SupportsLoRA: p.SupportsLoRAInjection, Status: p.Status, StatusNote: p.StatusNote, Checked: p.Checked}
	}
	return out
}

// Compile compiles a prompt offline: a LoRA block for a pipeline that can
// load one, the platform's own structure (and never a LoRA block) for a
// target platform.
func (a *CompileService) Compile(req compiler.Request) (compiler.Result, error) {
	res, err := compiler.Compile(req)
	if err != nil {
		return compiler.Result{}, a.fail("compile", err)
	}
	return res, nil
}

// ActiveLoRA is what the compile screen fills in for a LoRA pipeline, so
// there is nothing to remember: the active version's file name (without
// .safetensors, as the <lora:…> block and the ComfyUI workflow name it),
// the trigger phrase its captions were trained with, read from the file's
// ModelSpec keys, and its weight.
type ActiveLoRA struct {
	VersionID string  `json:"version_id"`
	BaseModel string  `json:"base_model"`
	Name      string  `json:"name"`
	Trigger   string  `json:"trigger"`
	Weight    float64 `json:"weight"`
}

// ActiveLoRA returns the active version when its file is downloaded here,
// nil otherwise (the screen then asks for a name). Works offline.
func (a *CompileService) ActiveLoRA() (*ActiveLoRA, error) {
	_, acct, err := a.account()
	if err != nil {
		return nil, nil // signed out: nothing active here
	}
	rows, active, err := a.store.Versions(a.ctx)
	if err != nil || active == nil {
		return nil, err
	}
	d, err := a.store.Download(a.ctx, acct, active.VersionID)
	if err != nil {
		return nil, nil // not downloaded
	}
	out := &ActiveLoRA{VersionID: active.VersionID, Name: strings.TrimSuffix(d.Filename, ".safetensors"), Weight: active.Weight}
	for _, r := range rows {
		if r.ID == active.VersionID {
			out.BaseModel = r.BaseModel
		}
	}
	if f, err := os.Open(d.Path); err == nil {
		info, err := safetensors.Check(f, d.Size)
		f.Close()
		if err == nil {
			out.Trigger = info.Metadata[worker.KeyTriggerPhrase]
		}
	}
	return out, nil
}
