// Package training turns a validated dataset into a trained LoRA: presets
// and their bounds, the providers that train (a self-hosted worker,
// Replicate), the River job that dispatches with retries, and the ingestion
// of their signed webhooks.
package training

import (
	"regexp"
	"slices"
	"strings"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
	"github.com/promptforge/lorastudio/internal/worker"
)

// Params are a job's training parameters.
type Params = worker.Params

// Overrides are what a user may change; nil keeps the preset.
type Overrides = wire.TrainingOverrides

// The trigger word and caption template every preset starts from.
const (
	DefaultTriggerWord     = "ohwx"
	DefaultCaptionTemplate = "a photo of {trigger} person"
)

// Presets per base model: rank, steps, learning rate and resolution are
// read from the base model's data (internal/studio/basemodels/*.json).
var Presets = presets()

func presets() map[string]Params {
	out := map[string]Params{}
	for _, m := range studio.BaseModels() {
		out[m.ID] = PresetOf(m)
	}
	return out
}

// PresetOf is m's training preset.
func PresetOf(m studio.BaseModel) Params {
	return Params{Rank: m.Preset.Rank, Steps: m.Preset.Steps, LearningRate: m.Preset.LearningRate,
		Resolution: m.Resolution, TriggerWord: DefaultTriggerWord, CaptionTemplate: DefaultCaptionTemplate}
}

var triggerRe = regexp.MustCompile(studio.TriggerWordPattern)

// Resolve applies o to the preset of baseModel. Returns "unknown_base_model"
// and "param_out_of_bounds" (EInvalid) naming the parameter and its bounds.
func Resolve(baseModel string, o Overrides) (Params, error) {
	p, ok := Presets[baseModel]
	if !ok {
		_, err := studio.LookupBaseModel(baseModel)
		return Params{}, err
	}
	bad := func(format string, args ...any) (Params, error) {
		return Params{}, studio.Errorf(studio.EParamOutOfBounds, format, args...)
	}
	if o.Rank != nil {
		if *o.Rank < studio.MinRank || *o.Rank > studio.MaxRank {
			return bad("rank %d is out of bounds [%d, %d]", *o.Rank, studio.MinRank, studio.MaxRank)
		}
		p.Rank = *o.Rank
	}
	if o.Steps != nil {
		if *o.Steps < studio.MinSteps || *o.Steps > studio.MaxSteps {
			return bad("steps %d is out of bounds [%d, %d]", *o.Steps, studio.MinSteps, studio.MaxSteps)
		}
		p.Steps = *o.Steps
	}
	if o.LearningRate != nil {
		if !(*o.LearningRate >= studio.MinLearningRate && *o.LearningRate <= studio.MaxLearningRate) {
			return bad("learning_rate %g is out of bounds [%g, %g]", *o.LearningRate, studio.MinLearningRate, studio.MaxLearningRate)
		}
		p.LearningRate = *o.LearningRate
	}
	if o.Resolution != nil {
		if !slices.Contains(studio.TrainingResolutions(), *o.Resolution) {
			return bad("resolution %d is not one of %v", *o.Resolution, studio.TrainingResolutions())
		}
		p.Resolution = *o.Resolution
	}
	if o.TriggerWord != nil {
		if !triggerRe.MatchString(*o.TriggerWord) {
			return bad("trigger_word %q must be 2 to 32 of a-z, 0-9 and _", *o.TriggerWord)
		}
		p.TriggerWord = *o.TriggerWord
	}
	if o.CaptionTemplate != nil {
		c := *o.CaptionTemplate
		if len(c) > studio.MaxCaptionTemplate || !strings.Contains(c, "{trigger}") || strings.ContainsAny(c, "\n\r") {
			return bad("caption_template must be one line of at most %d characters containing {trigger}", studio.MaxCaptionTemplate)
		}
		p.CaptionTemplate = c
	}
	return p, nil
}
