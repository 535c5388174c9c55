package app

import (
	"github.com/promptforge/lorastudio/internal/compiler"
)

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
func (a *App) Profiles() []ProfileSummary {
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
func (a *App) Compile(req compiler.Request) (compiler.Result, error) {
	res, err := compiler.Compile(req)
	if err != nil {
		return compiler.Result{}, a.fail("compile", err)
	}
	return res, nil
}
