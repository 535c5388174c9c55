package worker

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/promptforge/lorastudio/internal/safetensors"
	"github.com/promptforge/lorastudio/internal/studio"
)

// The safetensors __metadata__ keys every artifact carries: SAI ModelSpec
// (github.com/Stability-AI/ModelSpec) and LoRA Studio's own.
const (
	KeySpecVersion    = "modelspec.sai_model_spec"
	KeyArchitecture   = "modelspec.architecture"
	KeyImplementation = "modelspec.implementation"
	KeyTitle          = "modelspec.title"
	KeyTriggerPhrase  = "modelspec.trigger_phrase"
	KeyDate           = "modelspec.date"
	KeyResolution     = "modelspec.resolution"
	KeyDatasetHash    = "lorastudio.dataset_hash"
	KeyVersionID      = "lorastudio.version_id"
	KeyStep           = "lorastudio.step" // set on an intermediate checkpoint

	// SpecVersion is the ModelSpec version the keys follow.
	SpecVersion = "1.0.0"
)

// ModelSpec returns the __metadata__ keys of an artifact trained on
// baseModel with p, described by m, dated at (ISO 8601, UTC). Returns
// unknown_base_model for a base model outside the registry.
func ModelSpec(baseModel string, p Params, m ArtifactMeta, at time.Time) (map[string]string, error) {
	bm, err := studio.LookupBaseModel(baseModel)
	if err != nil {
		return nil, err
	}
	title := m.Title
	if title == "" {
		title = "LoRA Studio " + bm.Name + " LoRA"
	}
	phrase := m.TriggerPhrase
	if phrase == "" {
		phrase = p.TriggerPhrase()
	}
	meta := map[string]string{
		KeySpecVersion:    SpecVersion,
		KeyArchitecture:   bm.Architecture,
		KeyImplementation: bm.Implementation,
		KeyTitle:          title,
		KeyDate:           at.UTC().Format(time.RFC3339),
	}
	if phrase != "" {
		meta[KeyTriggerPhrase] = phrase
	}
	if p.Resolution > 0 {
		meta[KeyResolution] = fmt.Sprintf("%dx%d", p.Resolution, p.Resolution)
	}
	if m.DatasetHash != "" {
		meta[KeyDatasetHash] = m.DatasetHash
	}
	if m.VersionID != "" {
		meta[KeyVersionID] = m.VersionID
	}
	return meta, nil
}

// stampModelSpec writes the dispatch's ModelSpec keys into the trainer's
// output in place, before it is hashed and uploaded, so the checksum the
// backend checks is of the file the user downloads.
func (w *Worker) stampModelSpec(path string, d Dispatch) error {
	return w.stamp(path, d, 0)
}

// stamp writes the keys of d's artifact, or of its checkpoint at step when
// step > 0: any checkpoint may become a version, so each carries the keys
// too, its title and KeyStep saying which step of the training it is.
func (w *Worker) stamp(path string, d Dispatch, step int) error {
	m := d.Meta
	if step > 0 {
		m.Title = strings.TrimSpace(m.Title + fmt.Sprintf(" (step %d)", step))
	}
	meta, err := ModelSpec(d.BaseModel, d.Params, m, w.cfg.Now())
	if err != nil {
		return err
	}
	if step > 0 {
		meta[KeyStep] = strconv.Itoa(step)
	}
	if err := safetensors.RewriteFile(path, meta); err != nil {
		return fmt.Errorf("the trainer's output is not a safetensors file: %w", err)
	}
	return nil
}
