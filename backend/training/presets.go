// Package training turns a validated dataset into a trained LoRA: presets
// and their bounds, the providers that train (a self-hosted worker,
// Replicate), the River job that dispatches with retries, and the ingestion
// of their signed webhooks.
package training

import (
	"regexp"
	"strings"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/worker"
)

// Params are a job's training parameters.
type Params = worker.Params

// Overrides are what a user may change; nil keeps the preset.
type Overrides struct {
	Rank            *int     `json:"rank,omitempty" doc:"LoRA rank, 4 to 128"`
	Steps           *int     `json:"steps,omitempty" doc:"training steps, 100 to 6000"`
	LearningRate    *float64 `json:"learning_rate,omitempty" doc:"1e-6 to 1e-3"`
	Resolution      *int     `json:"resolution,omitempty" doc:"512, 768 or 1024"`
	TriggerWord     *string  `json:"trigger_word,omitempty" doc:"2 to 32 of a-z, 0-9, _"`
	CaptionTemplate *string  `json:"caption_template,omitempty" doc:"at most 200 characters, must contain {trigger}"`
}

// Presets per base model: sane defaults for a face LoRA on 15 to 40 photos.
var Presets = map[string]Params{
	studio.FluxDev:     {Rank: 16, Steps: 1000, LearningRate: 4e-4, Resolution: 1024, TriggerWord: "ohwx", CaptionTemplate: "a photo of {trigger} person"},
	studio.FluxSchnell: {Rank: 16, Steps: 1000, LearningRate: 4e-4, Resolution: 1024, TriggerWord: "ohwx", CaptionTemplate: "a photo of {trigger} person"},
	studio.SDXL:        {Rank: 32, Steps: 1500, LearningRate: 1e-4, Resolution: 1024, TriggerWord: "ohwx", CaptionTemplate: "a photo of {trigger} person"},
}

// Bounds of the overrides.
const (
	MinRank, MaxRank   = 4, 128
	MinSteps, MaxSteps = 100, 6000
	MinLR, MaxLR       = 1e-6, 1e-3
	MaxCaption         = 200
)

var triggerRe = regexp.MustCompile(`^[a-z0-9_]{2,32}$`)

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
		if *o.Rank < MinRank || *o.Rank > MaxRank {
			return bad("rank %d is out of bounds [%d, %d]", *o.Rank, MinRank, MaxRank)
		}
		p.Rank = *o.Rank
	}
	if o.Steps != nil {
		if *o.Steps < MinSteps || *o.Steps > MaxSteps {
			return bad("steps %d is out of bounds [%d, %d]", *o.Steps, MinSteps, MaxSteps)
		}
		p.Steps = *o.Steps
	}
	if o.LearningRate != nil {
		if !(*o.LearningRate >= MinLR && *o.LearningRate <= MaxLR) {
			return bad("learning_rate %g is out of bounds [%g, %g]", *o.LearningRate, MinLR, MaxLR)
		}
		p.LearningRate = *o.LearningRate
	}
	if o.Resolution != nil {
		switch *o.Resolution {
		case 512, 768, 1024:
			p.Resolution = *o.Resolution
		default:
			return bad("resolution %d is not one of 512, 768, 1024", *o.Resolution)
		}
	}
	if o.TriggerWord != nil {
		if !triggerRe.MatchString(*o.TriggerWord) {
			return bad("trigger_word %q must be 2 to 32 of a-z, 0-9 and _", *o.TriggerWord)
		}
		p.TriggerWord = *o.TriggerWord
	}
	if o.CaptionTemplate != nil {
		c := *o.CaptionTemplate
		if len(c) > MaxCaption || !strings.Contains(c, "{trigger}") || strings.ContainsAny(c, "\n\r") {
			return bad("caption_template must be one line of at most %d characters containing {trigger}", MaxCaption)
		}
		p.CaptionTemplate = c
	}
	return p, nil
}
