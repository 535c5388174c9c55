package studio

import "slices"

// BaseModel is a trainable base model: what a LoRA is trained on. Only
// these can be trained; target platforms cannot.
type BaseModel struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Resolution is the training resolution, and so the recommended short
	// side of the photos.
	Resolution int `json:"resolution"`
	// DefaultWeight is the LoRA strength a new activation starts at.
	DefaultWeight float64 `json:"default_weight"`
	// Architecture and Implementation are the SAI ModelSpec values
	// (modelspec.architecture, modelspec.implementation) of a LoRA trained
	// on this model, spelled as in kohya sd-scripts' sai_model_spec.py, so
	// tools that read ModelSpec recognise our files.
	Architecture   string `json:"-"`
	Implementation string `json:"-"`
}

// Platform is a target platform: a hosted generator that cannot load a
// LoRA. The trained identity reaches it through a Character Pack instead.
type Platform struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Vendor string `json:"vendor"`
	Kind   string `json:"kind"` // "video" or "image"
}

// The fixed ids of ../shared/ARCHITECTURE.md; tests and scripts rely on them.
const (
	FluxDev     = "flux-dev"
	FluxSchnell = "flux-schnell"
	SDXL        = "sdxl"

	Sora2       = "sora-2"
	Sora2Pro    = "sora-2-pro"
	Sora2ProMax = "sora-2-pro-max"
	Veo31       = "veo-3.1"
	Veo31Fast   = "veo-3.1-fast"
	Grok3       = "grok-3"
)

// ModelSpec implementations: the reference code a LoRA's weights load into.
const (
	implFlux        = "https://github.com/black-forest-labs/flux"
	implStabilityAI = "https://github.com/Stability-AI/generative-models"
)

var baseModels = []BaseModel{
	{ID: FluxDev, Name: "Flux dev", Resolution: 1024, DefaultWeight: 1.0, Architecture: "flux-1-dev/lora", Implementation: implFlux},
	{ID: FluxSchnell, Name: "Flux schnell", Resolution: 1024, DefaultWeight: 1.0, Architecture: "flux-1-schnell/lora", Implementation: implFlux},
	{ID: SDXL, Name: "SDXL", Resolution: 1024, DefaultWeight: 0.8, Architecture: "stable-diffusion-xl-v1-base/lora", Implementation: implStabilityAI},
}

// The order is the one the product owner asked the dropdown to show.
var platforms = []Platform{
	{ID: Sora2ProMax, Name: "Sora 2 Pro Max", Vendor: "OpenAI", Kind: "video"},
	{ID: Sora2, Name: "Sora 2", Vendor: "OpenAI", Kind: "video"},
	{ID: Sora2Pro, Name: "Sora 2 Pro", Vendor: "OpenAI", Kind: "video"},
	{ID: Veo31Fast, Name: "Veo 3.1 Fast", Vendor: "Google", Kind: "video"},
	{ID: Veo31, Name: "Veo 3.1", Vendor: "Google", Kind: "video"},
	{ID: Grok3, Name: "Grok 3", Vendor: "xAI", Kind: "video"},
}

// BaseModels returns the trainable base models, in display order.
func BaseModels() []BaseModel { return slices.Clone(baseModels) }

// Platforms returns the target platforms, in display order.
func Platforms() []Platform { return slices.Clone(platforms) }

// LookupBaseModel returns the base model with the given id.
// Returns EInvalid ("unknown_base_model") if there is none.
func LookupBaseModel(id string) (BaseModel, error) {
	for _, m := range baseModels {
		if m.ID == id {
			return m, nil
		}
	}
	return BaseModel{}, Errorf(EUnknownBaseModel, "%q is not a trainable base model; choose one of flux-dev, flux-schnell, sdxl", id)
}

// LookupPlatform returns the target platform with the given id.
// Returns EInvalid ("unknown_platform") if there is none.
func LookupPlatform(id string) (Platform, error) {
	for _, p := range platforms {
		if p.ID == id {
			return p, nil
		}
	}
	return Platform{}, Errorf(EUnknownPlatform, "%q is not a target platform; choose one of sora-2, sora-2-pro, sora-2-pro-max, veo-3.1, veo-3.1-fast, grok-3", id)
}

// IsTrainable reports whether id names a trainable base model. Target
// platforms are never trainable.
func IsTrainable(id string) bool {
	_, err := LookupBaseModel(id)
	return err == nil
}
