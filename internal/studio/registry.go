package studio

import (
	"slices"
	"strings"
)

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
	FluxDev      = "flux-dev"
	FluxSchnell  = "flux-schnell"
	SDXL         = "sdxl"
	Flux2Dev     = "flux-2-dev"
	Flux2Klein9B = "flux-2-klein-9b"
	Flux2Klein4B = "flux-2-klein-4b"
	QwenImage    = "qwen-image"
	ZImage       = "z-image"
	ZImageTurbo  = "z-image-turbo"
	Wan22        = "wan-2.2"

	Sora2       = "sora-2"
	Sora2Pro    = "sora-2-pro"
	Sora2ProMax = "sora-2-pro-max"
	Veo31       = "veo-3.1"
	Veo31Fast   = "veo-3.1-fast"
	Grok3       = "grok-3"
)

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
func BaseModels() []BaseModel {
	out := make([]BaseModel, len(baseModels))
	for i, m := range baseModels {
		out[i] = m.clone()
	}
	return out
}

// Platforms returns the target platforms, in display order.
func Platforms() []Platform { return slices.Clone(platforms) }

// LookupBaseModel returns the base model with the given id.
// Returns EInvalid ("unknown_base_model") if there is none.
func LookupBaseModel(id string) (BaseModel, error) {
	for _, m := range baseModels {
		if m.ID == id {
			return m.clone(), nil
		}
	}
	return BaseModel{}, Errorf(EUnknownBaseModel, "%q is not a trainable base model; choose one of %s", id, strings.Join(baseModelIDs(), ", "))
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
