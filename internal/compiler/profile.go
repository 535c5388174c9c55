// Package compiler turns a prompt and an identity into what a generator
// understands: a LoRA block and a ComfyUI workflow for the pipelines that can
// load a LoRA, and a prompt rewritten in a target platform's own structure,
// with the identity in words and bound to reference images, for those that
// cannot. Platform facts live in embedded JSON profiles, one per platform.
package compiler

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/promptforge/lorastudio/internal/studio"
)

// Profile kinds.
const (
	KindLoRA   = "lora_pipeline"   // loads a LoRA: one per trainable base model
	KindTarget = "target_platform" // hosted generator: gets a Character Pack
)

// Profile statuses, shown by the UI and written into every pack.
const (
	StatusAvailable  = "available"
	StatusDeprecated = "deprecated"
	StatusShutDown   = "shut_down"
)

// Reference bindings: how a platform ties reference images to the prompt.
const (
	BindingNone        = "none"
	BindingImageTags   = "image_tags"  // <IMAGE_1>... named in the prompt (Grok Imagine)
	BindingIngredients = "ingredients" // asset images sent beside the prompt (Veo)
	BindingCameo       = "cameo"       // the user's own consent-verified cameo (Sora app)
)

// Dialogue styles.
const (
	DialogueNone   = ""
	DialogueInline = "inline_quotes"  // the person says: "…"
	DialogueBlock  = "dialogue_block" // a labelled Dialogue: section
)

// Profile is one platform's capabilities and limits, as checked on Checked
// against Sources. It is data: updating a platform is an edit to its file
// under profiles/, not to code.
type Profile struct {
	ID                    string           `json:"id"`
	Name                  string           `json:"name"`
	Vendor                string           `json:"vendor"`
	Kind                  string           `json:"kind"`
	SupportsLoRAInjection bool             `json:"supports_lora_injection"`
	Product               string           `json:"product,omitempty"`
	ModelID               string           `json:"model_id"`
	ModelIDs              []string         `json:"model_ids"`
	Output                string           `json:"output"` // "image" or "video"
	Sizes                 []string         `json:"sizes"`
	AspectRatios          []string         `json:"aspect_ratios"`
	Resolutions           []string         `json:"resolutions,omitempty"`
	DurationsS            []int            `json:"durations_s,omitempty"`
	ResolutionDurationsS  map[string][]int `json:"resolution_durations_s,omitempty"` // durations a resolution is limited to
	Defaults              Defaults         `json:"defaults"`
	References            ReferencePolicy  `json:"references"`
	App                   *AppGuide        `json:"app,omitempty"`
	NegativePrompt        bool             `json:"negative_prompt"`
	Seed                  bool             `json:"seed"`
	Audio                 bool             `json:"audio"`
	Dialogue              string           `json:"dialogue"`
	PromptMaxChars        int              `json:"prompt_max_chars"`
	PromptMaxSource       string           `json:"prompt_max_source"`
	PromptSeparator       string           `json:"prompt_separator"`
	PromptSections        []Section        `json:"prompt_sections"`
	LoRA                  *LoRASpec        `json:"lora,omitempty"`
	API                   *API             `json:"api,omitempty"`
	Status                string           `json:"status"`
	StatusNote            string           `json:"status_note"`
	Checked               string           `json:"checked"`
	Sources               []string         `json:"sources"`
	Notes                 []string         `json:"notes"`
}

// Defaults are the parameters a compile uses when the caller gives none.
type Defaults struct {
	Size        string `json:"size,omitempty"`
	AspectRatio string `json:"aspect_ratio,omitempty"`
	Resolution  string `json:"resolution,omitempty"`
	DurationS   int    `json:"duration_s,omitempty"`
}

// AppGuide is how a person who is not a developer uses a target platform
// in its own product: which one, where, and each step on its screens.
// Steps may hold {url}, {references}, {order}, {role}, {size}, {aspect},
// {resolution}, {duration}, {model} and {settings}, filled in for each pack.
type AppGuide struct {
	Name        string   `json:"name"`
	URL         string   `json:"url"`
	Steps       []string `json:"steps"`
	Unconfirmed string   `json:"unconfirmed,omitempty"`
}

// ReferencePolicy says how many reference images a platform takes, in what
// role, and how the prompt names them.
type ReferencePolicy struct {
	Max        int    `json:"max"`
	Role       string `json:"role,omitempty"`
	Binding    string `json:"binding"`
	Upload     bool   `json:"upload"`   // false: the images stay with the user (Sora cameo)
	MaxSide    int    `json:"max_side"` // long side of the re-encoded JPEG, in pixels
	DurationsS []int  `json:"durations_s,omitempty"`
	Note       string `json:"note"`
	// Unconfirmed, when set, says what about taking references this
	// check could not confirm; a pack's steps say it before relying on it.
	Unconfirmed string `json:"unconfirmed,omitempty"`
}

// Section is one part of a platform's prompt structure, in order. Field is
// one of the Prompt fields; a Label renders the part as "Label: text".
type Section struct {
	Field string `json:"field"`
	Label string `json:"label,omitempty"`
}

// LoRASpec is what a LoRA pipeline needs: the weight bounds and the
// reference ComfyUI workflow's models and sampler settings. WeightMin and
// WeightMax are studio.MinLoRAWeight and MaxLoRAWeight, filled in when the
// profile loads (its file leaves them out).
type LoRASpec struct {
	WeightMin     float64 `json:"weight_min"`
	WeightMax     float64 `json:"weight_max"`
	WeightDefault float64 `json:"weight_default"`
	// Workflow is the graph's shape: "sdxl", "flux", "flux2",
	// "qwen_image", "z_image" or "wan22" (a video graph).
	Workflow   string `json:"workflow"`
	Checkpoint string `json:"checkpoint,omitempty"`
	UNet       string `json:"unet,omitempty"`
	// UNetLowNoise is Wan 2.2 A14B's second expert; UNet is then the
	// high-noise one.
	UNetLowNoise string   `json:"unet_low_noise,omitempty"`
	CLIP         []string `json:"clip,omitempty"`
	// CLIPType is CLIPLoader's type for a single text encoder ("flux2",
	// "qwen_image", "lumina2", "wan").
	CLIPType  string  `json:"clip_type,omitempty"`
	VAE       string  `json:"vae,omitempty"`
	Steps     int     `json:"steps"`
	CFG       float64 `json:"cfg"`
	Guidance  float64 `json:"guidance,omitempty"`
	Shift     float64 `json:"shift,omitempty"` // ModelSamplingAuraFlow / ModelSamplingSD3
	FPS       int     `json:"fps,omitempty"`   // video: frames per second of the clip
	Sampler   string  `json:"sampler"`
	Scheduler string  `json:"scheduler"`
}

// loraWorkflows are the workflow shapes comfyWorkflow builds, with the
// profile fields each one needs.
var loraWorkflows = map[string]func(l *LoRASpec) bool{
	"sdxl": func(l *LoRASpec) bool { return l.Checkpoint != "" },
	"flux": func(l *LoRASpec) bool { return l.UNet != "" && len(l.CLIP) == 2 && l.VAE != "" },
	"flux2": func(l *LoRASpec) bool {
		return l.UNet != "" && len(l.CLIP) == 1 && l.CLIPType == "flux2" && l.VAE != ""
	},
	"qwen_image": func(l *LoRASpec) bool {
		return l.UNet != "" && len(l.CLIP) == 1 && l.CLIPType == "qwen_image" && l.VAE != "" && l.Shift > 0
	},
	"z_image": func(l *LoRASpec) bool {
		return l.UNet != "" && len(l.CLIP) == 1 && l.CLIPType == "lumina2" && l.VAE != "" && l.Shift > 0
	},
	"wan22": func(l *LoRASpec) bool {
		return l.UNet != "" && l.UNetLowNoise != "" && len(l.CLIP) == 1 && l.CLIPType == "wan" && l.VAE != "" && l.Shift > 0 && l.FPS > 0 && l.Steps >= 2
	},
}

// API names the endpoint an example request body is written for.
type API struct {
	Name     string `json:"name"`
	Method   string `json:"method"`
	Endpoint string `json:"endpoint"`
	Format   string `json:"format"` // openai_videos, vertex_veo, xai_videos
}

//go:embed profiles/*.json
var profileFS embed.FS

// registry is loaded once at init: a broken profile is a build-time bug, and
// the tests load every file.
var registry = mustLoad(profileFS)

func mustLoad(fsys fs.FS) []Profile {
	ps, err := LoadProfiles(fsys)
	if err != nil {
		panic(err)
	}
	return ps
}

// LoadProfiles reads and checks every profiles/*.json file of fsys. The
// order is LoRA pipelines as studio.BaseModels lists them, then target
// platforms as studio.Platforms lists them.
func LoadProfiles(fsys fs.FS) ([]Profile, error) {
	names, err := fs.Glob(fsys, "profiles/*.json")
	if err != nil {
		return nil, err
	}
	byID := map[string]Profile{}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var p Profile
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("profile %s: %w", name, err)
		}
		if l := p.LoRA; l != nil {
			// The weight range is the contract's, one for every pipeline.
			if l.WeightMin != 0 || l.WeightMax != 0 {
				return nil, fmt.Errorf("profile %s: leave out weight_min and weight_max: every LoRA pipeline takes studio.MinLoRAWeight to MaxLoRAWeight", name)
			}
			l.WeightMin, l.WeightMax = studio.MinLoRAWeight, studio.MaxLoRAWeight
		}
		if want := strings.TrimSuffix(path.Base(name), ".json"); p.ID != want {
			return nil, fmt.Errorf("profile %s: id %q does not match its file name", name, p.ID)
		}
		if err := p.validate(); err != nil {
			return nil, fmt.Errorf("profile %s: %w", name, err)
		}
		byID[p.ID] = p
	}
	var out []Profile
	for _, m := range studio.BaseModels() {
		p, ok := byID[m.ID]
		if !ok {
			return nil, fmt.Errorf("no profile for LoRA pipeline %q", m.ID)
		}
		out = append(out, p)
		delete(byID, m.ID)
	}
	for _, pl := range studio.Platforms() {
		p, ok := byID[pl.ID]
		if !ok {
			return nil, fmt.Errorf("no profile for target platform %q", pl.ID)
		}
		out = append(out, p)
		delete(byID, pl.ID)
	}
	for id := range byID {
		return nil, fmt.Errorf("profile %q is neither a trainable base model nor a target platform", id)
	}
	return out, nil
}

var knownFields = map[string]bool{"subject": true, "action": true, "scene": true, "style": true, "camera": true, "lighting": true, "dialogue": true, "audio": true}

func (p Profile) validate() error {
	switch {
	case p.Name == "" || p.ModelID == "" || len(p.ModelIDs) == 0 || p.ModelIDs[0] != p.ModelID:
		return fmt.Errorf("needs a name, a model_id and model_ids starting with it")
	case p.Status != StatusAvailable && p.Status != StatusDeprecated && p.Status != StatusShutDown:
		return fmt.Errorf("status %q is not available, deprecated or shut_down", p.Status)
	case p.Checked == "" || len(p.Sources) == 0 || p.StatusNote == "":
		return fmt.Errorf("needs a checked date, sources and a status note")
	case p.PromptMaxChars <= 0 || len(p.PromptSections) == 0 || p.PromptSeparator == "":
		return fmt.Errorf("needs a prompt limit, separator and sections")
	}
	for _, s := range p.PromptSections {
		if !knownFields[s.Field] {
			return fmt.Errorf("unknown prompt section field %q", s.Field)
		}
	}
	lora := p.Kind == KindLoRA
	if lora != studio.IsTrainable(p.ID) || lora != p.SupportsLoRAInjection || lora != (p.LoRA != nil) {
		return fmt.Errorf("kind %q, supports_lora_injection and the lora block disagree with the studio registry", p.Kind)
	}
	if !lora {
		if _, err := studio.LookupPlatform(p.ID); err != nil {
			return err
		}
		switch p.References.Binding {
		case BindingImageTags, BindingIngredients, BindingCameo:
		default:
			return fmt.Errorf("target platform needs a reference binding, got %q", p.References.Binding)
		}
		if p.References.Max < 1 || p.References.MaxSide < 256 || len(p.DurationsS) == 0 {
			return fmt.Errorf("target platform needs references (max, max_side) and durations")
		}
		if p.App == nil || p.App.Name == "" || p.App.URL == "" || len(p.App.Steps) == 0 {
			return fmt.Errorf("target platform needs app steps for people who do not use its API")
		}
	} else if l := p.LoRA; l.WeightMin > l.WeightDefault || l.WeightDefault > l.WeightMax {
		return fmt.Errorf("lora weight default %v is outside [%v, %v]", l.WeightDefault, l.WeightMin, l.WeightMax)
	} else if ok, known := loraWorkflows[l.Workflow]; known && !ok(l) {
		return fmt.Errorf("lora workflow %q is missing a model, text encoder, VAE or sampling field it needs", l.Workflow)
	} else if !known {
		return fmt.Errorf("lora workflow %q is not one of sdxl, flux, flux2, qwen_image, z_image, wan22", l.Workflow)
	} else if bm, _ := studio.LookupBaseModel(p.ID); (p.Output == "video") != (bm.Kind == studio.KindVideo) || (l.Workflow == "wan22") != (p.Output == "video") {
		return fmt.Errorf("output %q disagrees with the base model's kind %q or the workflow %q", p.Output, bm.Kind, l.Workflow)
	}
	if p.Defaults.Size != "" && !slices.Contains(p.Sizes, p.Defaults.Size) {
		return fmt.Errorf("default size %q is not one of the sizes", p.Defaults.Size)
	}
	if p.Defaults.DurationS != 0 && !slices.Contains(p.DurationsS, p.Defaults.DurationS) {
		return fmt.Errorf("default duration %d is not one of the durations", p.Defaults.DurationS)
	}
	return nil
}

// Profiles returns every profile: the LoRA pipelines, then the target
// platforms, in the studio registries' display order.
func Profiles() []Profile {
	out := make([]Profile, len(registry))
	for i, p := range registry {
		out[i] = p.clone()
	}
	return out
}

// Lookup returns the profile with the given id.
// Returns "unknown_platform" if there is none.
func Lookup(id string) (Profile, error) {
	for _, p := range registry {
		if p.ID == id {
			return p.clone(), nil
		}
	}
	ids := make([]string, len(registry))
	for i, p := range registry {
		ids[i] = p.ID
	}
	return Profile{}, studio.Errorf(studio.EUnknownPlatform, "%q is not a known platform; choose one of %s", id, strings.Join(ids, ", "))
}

// clone copies the slices so callers cannot edit the registry.
func (p Profile) clone() Profile {
	p.ModelIDs = slices.Clone(p.ModelIDs)
	p.Sizes = slices.Clone(p.Sizes)
	p.AspectRatios = slices.Clone(p.AspectRatios)
	p.Resolutions = slices.Clone(p.Resolutions)
	p.DurationsS = slices.Clone(p.DurationsS)
	if p.ResolutionDurationsS != nil {
		m := make(map[string][]int, len(p.ResolutionDurationsS))
		for k, v := range p.ResolutionDurationsS {
			m[k] = slices.Clone(v)
		}
		p.ResolutionDurationsS = m
	}
	p.References.DurationsS = slices.Clone(p.References.DurationsS)
	p.PromptSections = slices.Clone(p.PromptSections)
	p.Sources = slices.Clone(p.Sources)
	p.Notes = slices.Clone(p.Notes)
	if p.App != nil {
		a := *p.App
		a.Steps = slices.Clone(a.Steps)
		p.App = &a
	}
	if p.LoRA != nil {
		l := *p.LoRA
		l.CLIP = slices.Clone(l.CLIP)
		p.LoRA = &l
	}
	if p.API != nil {
		a := *p.API
		p.API = &a
	}
	return p
}
