package worker

import (
	"fmt"
	"slices"

	"github.com/promptforge/lorastudio/internal/studio"
)

// Trainer families: the base models one trainer program trains. ai-toolkit
// trains Flux, FLUX.2, Qwen-Image, Z-Image and Wan 2.2 and refuses
// sd-scripts' TOML; sd-scripts' SDXL script does not read ai-toolkit's
// YAML. So the command is chosen per family. The names are those of the
// LORASTUDIO_WORKER_TRAINER_* variables.
const (
	FamilyFlux = "flux" // ai-toolkit (every model whose data names it first)
	FamilySDXL = "sdxl" // kohya sd-scripts, sdxl_train_network.py
)

// familyOf maps each base model this worker knows to its family, from the
// trainer its data names first.
var familyOf = func() map[string]string {
	out := map[string]string{}
	for _, m := range studio.BaseModels() {
		switch m.Trainer() {
		case studio.TrainerAIToolkit:
			out[m.ID] = FamilyFlux
		case studio.TrainerSDScripts:
			out[m.ID] = FamilySDXL
		}
	}
	return out
}()

// knownModels is every base model a worker can train, in display order;
// defaultModels those it trains when given no list (the rest need a recent
// ai-toolkit and are named in LORASTUDIO_WORKER_BASE_MODELS).
var knownModels, defaultModels = func() (known, def []string) {
	for _, m := range studio.BaseModels() {
		known = append(known, m.ID)
		if m.DefaultOnWorker {
			def = append(def, m.ID)
		}
	}
	return known, def
}()

// trainerFor returns the command for base's family: its own entry in
// Trainers, else the fallback Trainer; nil when there is neither.
func (c *Config) trainerFor(base string) []string {
	if t := c.Trainers[familyOf[base]]; len(t) > 0 {
		return t
	}
	return c.Trainer
}

// resolveModels fills BaseModels with the default models that have a
// trainer when it is empty, and refuses a listed model without one: a box that would
// accept an SDXL job only to hand it to ai-toolkit must not advertise SDXL.
func (c *Config) resolveModels() error {
	if len(c.BaseModels) == 0 {
		for _, m := range defaultModels {
			if len(c.trainerFor(m)) > 0 {
				c.BaseModels = append(c.BaseModels, m)
			}
		}
		if len(c.BaseModels) == 0 {
			return fmt.Errorf("worker: no trainer command (set one per family, %s or %s, or a fallback)", FamilyFlux, FamilySDXL)
		}
		return nil
	}
	for _, m := range c.BaseModels {
		fam, ok := familyOf[m]
		switch {
		case !ok:
			return fmt.Errorf("worker: unknown base model %q (known: %v)", m, knownModels)
		case len(c.trainerFor(m)) == 0:
			return fmt.Errorf("worker: base model %q has no trainer: give the %s family a trainer command or drop %q", m, fam, m)
		}
	}
	c.BaseModels = slices.Clone(c.BaseModels)
	return nil
}

// BaseModels returns the base models this worker trains.
func (w *Worker) BaseModels() []string { return slices.Clone(w.cfg.BaseModels) }
