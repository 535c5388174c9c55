package studio

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// BaseModel is a trainable base model: what a LoRA is trained on. Only
// these can be trained; target platforms cannot. Each is data, one file
// under basemodels/, checked on Checked against Sources: adding or
// correcting a model is an edit to its file, not to code.
type BaseModel struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Family groups the models one LoRA pipeline shape serves (flux1,
	// flux2, sdxl, qwen-image, z-image, wan-2.2).
	Family string `json:"family"`
	// Kind is what the model generates: "image" or "video".
	Kind string `json:"kind"`
	// Trainers are the trainer programs that train it: "ai-toolkit"
	// and/or "sd-scripts"; the worker uses the first.
	Trainers []string `json:"trainers"`
	// Resolution is the training resolution, and so the recommended short
	// side of the photos.
	Resolution int `json:"resolution"`
	// DefaultWeight is the LoRA strength a new activation starts at.
	DefaultWeight float64 `json:"default_weight"`
	// RecommendedImages is the photo count the quality report recommends.
	RecommendedImages Range `json:"recommended_images"`
	// VRAMClass is the GPU memory a training run needs with the worker's
	// settings: "12gb", "16gb", "24gb", "32gb", "48gb" or "80gb".
	VRAMClass string  `json:"vram_class"`
	License   License `json:"license"`
	// Checked is the day the facts were last checked against Sources.
	Checked string   `json:"checked"`
	Sources []string `json:"sources"`
	// ThirdPartyOnly names the fields only third-party pages confirmed;
	// Unconfirmed those no source confirmed. The UI may say so.
	ThirdPartyOnly []string `json:"third_party_only"`
	Unconfirmed    []string `json:"unconfirmed"`

	// Preset is the training preset a job starts from.
	Preset Preset `json:"-"`
	// Architecture and Implementation are the SAI ModelSpec values
	// (modelspec.architecture, modelspec.implementation) of a LoRA trained
	// on this model, so tools that read ModelSpec recognise our files.
	Architecture   string `json:"-"`
	Implementation string `json:"-"`
	// AIToolkit and SDScripts are what the worker writes into the
	// trainer's configuration; one of them is set.
	AIToolkit *AIToolkitSpec `json:"-"`
	SDScripts *SDScriptsSpec `json:"-"`
	// DefaultOnWorker: a worker given no base model list trains this model
	// when its trainer is configured. The models added in late 2026 need a
	// recent ai-toolkit and are opt-in (LORASTUDIO_WORKER_BASE_MODELS).
	DefaultOnWorker bool `json:"-"`
}

// Range is an inclusive range of counts.
type Range struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// License is what the user must know about a base model's licence where
// they pick it. CommercialUse is nil when no source confirmed it.
type License struct {
	Name          string `json:"name"`
	CommercialUse *bool  `json:"commercial_use"`
	Note          string `json:"note"`
	URL           string `json:"url"`
}

// Preset is a base model's training preset.
type Preset struct {
	Rank         int     `json:"rank"`
	Steps        int     `json:"steps"`
	LearningRate float64 `json:"learning_rate"`
}

// AIToolkitSpec is the model block of an ostris/ai-toolkit job: the keys
// of toolkit/config_modules.py (ModelConfig, TrainConfig, SampleConfig).
type AIToolkitSpec struct {
	NameOrPath string `json:"name_or_path"`
	// Arch is ModelConfig.arch ("flux2", "qwen_image", "zimage",
	// "wan22_14b"…); empty with IsFlux for FLUX.1.
	Arch                string         `json:"arch,omitempty"`
	IsFlux              bool           `json:"is_flux,omitempty"`
	Quantize            bool           `json:"quantize"`
	QuantizeTE          bool           `json:"quantize_te,omitempty"`
	QType               string         `json:"qtype,omitempty"`
	QTypeTE             string         `json:"qtype_te,omitempty"`
	LowVRAM             bool           `json:"low_vram,omitempty"`
	AssistantLoRAPath   string         `json:"assistant_lora_path,omitempty"`
	CacheTextEmbeddings bool           `json:"cache_text_embeddings,omitempty"`
	TimestepType        string         `json:"timestep_type,omitempty"`
	ModelKwargs         map[string]any `json:"model_kwargs,omitempty"`
	// LoRASuffix is what ai-toolkit appends to the LoRA file's name
	// ("_low_noise" for one Wan 2.2 expert).
	LoRASuffix string       `json:"lora_suffix,omitempty"`
	Sample     SampleParams `json:"sample"`
}

// SampleParams are how the trainer renders sample images.
type SampleParams struct {
	Steps    int     `json:"steps"`
	Guidance float64 `json:"guidance"`
	Frames   int     `json:"frames,omitempty"` // video models: 1 renders a still
	FPS      int     `json:"fps,omitempty"`
}

// SDScriptsSpec is what kohya-ss/sd-scripts needs beyond the job.
type SDScriptsSpec struct {
	NameOrPath string `json:"name_or_path"`
}

// Trainer programs.
const (
	TrainerAIToolkit = "ai-toolkit"
	TrainerSDScripts = "sd-scripts"
)

// Base model kinds.
const (
	KindImage = "image"
	KindVideo = "video"
)

// VRAMClasses are the GPU memory classes, smallest first.
var VRAMClasses = []string{"12gb", "16gb", "24gb", "32gb", "48gb", "80gb"}

// baseModelFile is the JSON of one basemodels/*.json file.
type baseModelFile struct {
	ID                string   `json:"id"`
	Name              string   `json:"name"`
	Order             int      `json:"order"`
	Family            string   `json:"family"`
	Kind              string   `json:"kind"`
	Trainers          []string `json:"trainers"`
	Resolution        int      `json:"resolution"`
	DefaultWeight     float64  `json:"default_weight"`
	Preset            Preset   `json:"preset"`
	RecommendedImages Range    `json:"recommended_images"`
	VRAMClass         string   `json:"vram_class"`
	License           License  `json:"license"`
	ModelSpec         struct {
		Architecture   string `json:"architecture"`
		Implementation string `json:"implementation"`
	} `json:"modelspec"`
	AIToolkit       *AIToolkitSpec `json:"ai_toolkit"`
	SDScripts       *SDScriptsSpec `json:"sd_scripts"`
	DefaultOnWorker bool           `json:"default_on_worker"`
	Checked         string         `json:"checked"`
	Sources         []string       `json:"sources"`
	ThirdPartyOnly  []string       `json:"third_party_only"`
	Unconfirmed     []string       `json:"unconfirmed"`
	Notes           []string       `json:"notes"`
}

//go:embed basemodels/*.json
var baseModelFS embed.FS

// baseModels is loaded once at init: a broken file is a build-time bug,
// and the tests load every file.
var baseModels = mustLoadBaseModels(baseModelFS)

func mustLoadBaseModels(fsys fs.FS) []BaseModel {
	ms, err := LoadBaseModels(fsys)
	if err != nil {
		panic(err)
	}
	return ms
}

var (
	idRe = regexp.MustCompile(`^[a-z0-9]+(?:[.-][a-z0-9]+)*$`)
	// the fields a file may name as third-party-only or unconfirmed
	factFields = []string{"license", "vram_class", "preset", "resolution", "recommended_images", "modelspec", "trainers"}
)

// LoadBaseModels reads and strictly checks every basemodels/*.json file of
// fsys (unknown keys, missing facts, a file name that is not the id, an
// unknown trainer or VRAM class, no sources) and returns the models in
// their display order.
func LoadBaseModels(fsys fs.FS) ([]BaseModel, error) {
	names, err := fs.Glob(fsys, "basemodels/*.json")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no base models under basemodels/")
	}
	type ordered struct {
		order int
		m     BaseModel
	}
	var all []ordered
	orders := map[int]string{}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var f baseModelFile
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("base model %s: %w", name, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("base model %s: more than one JSON value", name)
		}
		if want := strings.TrimSuffix(path.Base(name), ".json"); f.ID != want {
			return nil, fmt.Errorf("base model %s: id %q does not match its file name", name, f.ID)
		}
		if err := f.validate(); err != nil {
			return nil, fmt.Errorf("base model %s: %w", name, err)
		}
		if other, dup := orders[f.Order]; dup {
			return nil, fmt.Errorf("base model %s: order %d is also %s's", name, f.Order, other)
		}
		orders[f.Order] = f.ID
		all = append(all, ordered{f.Order, f.model()})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].order < all[j].order })
	out := make([]BaseModel, len(all))
	for i, o := range all {
		out[i] = o.m
	}
	return out, nil
}

func (f baseModelFile) validate() error {
	switch {
	case !idRe.MatchString(f.ID) || f.Name == "" || f.Family == "" || f.Order <= 0:
		return fmt.Errorf("needs an id (lowercase, digits, '-' and '.'), a name, a family and an order above 0")
	case f.Kind != KindImage && f.Kind != KindVideo:
		return fmt.Errorf("kind %q is not image or video", f.Kind)
	case f.Resolution < 512 || f.Resolution > 2048 || f.Resolution%64 != 0:
		return fmt.Errorf("resolution %d is not a multiple of 64 in [512, 2048]", f.Resolution)
	case f.DefaultWeight <= 0 || f.DefaultWeight > 2:
		return fmt.Errorf("default_weight %v is not in (0, 2]", f.DefaultWeight)
	case f.Preset.Rank < 4 || f.Preset.Rank > 128 || f.Preset.Steps < 100 || f.Preset.Steps > 6000 ||
		!(f.Preset.LearningRate >= 1e-6 && f.Preset.LearningRate <= 1e-3):
		return fmt.Errorf("preset %+v is outside rank [4, 128], steps [100, 6000], learning_rate [1e-6, 1e-3]", f.Preset)
	case f.RecommendedImages.Min < 1 || f.RecommendedImages.Max < f.RecommendedImages.Min:
		return fmt.Errorf("recommended_images %+v needs 1 <= min <= max", f.RecommendedImages)
	case !slices.Contains(VRAMClasses, f.VRAMClass):
		return fmt.Errorf("vram_class %q is not one of %v", f.VRAMClass, VRAMClasses)
	case f.License.Name == "" || f.License.Note == "" || !strings.HasPrefix(f.License.URL, "https://"):
		return fmt.Errorf("license needs a name, a note for the picker and an https url")
	case f.ModelSpec.Architecture == "" || !strings.HasPrefix(f.ModelSpec.Implementation, "https://"):
		return fmt.Errorf("modelspec needs an architecture and an https implementation")
	case len(f.Sources) == 0 || len(f.Notes) == 0:
		return fmt.Errorf("needs sources and notes")
	}
	if _, err := time.Parse(time.DateOnly, f.Checked); err != nil {
		return fmt.Errorf("checked %q is not a date (YYYY-MM-DD)", f.Checked)
	}
	for _, s := range f.Sources {
		if !strings.HasPrefix(s, "https://") {
			return fmt.Errorf("source %q is not an https URL", s)
		}
	}
	if c := f.License.CommercialUse; c == nil && !slices.Contains(f.Unconfirmed, "license") {
		return fmt.Errorf("license.commercial_use is null but license is not listed as unconfirmed")
	} else if c != nil && !*c && !strings.Contains(strings.ToLower(f.License.Note), "non-commercial") {
		return fmt.Errorf("a non-commercial licence's note must say non-commercial where the user picks")
	}
	for _, list := range [][]string{f.ThirdPartyOnly, f.Unconfirmed} {
		for _, field := range list {
			if !slices.Contains(factFields, field) {
				return fmt.Errorf("third_party_only/unconfirmed names %q, not one of %v", field, factFields)
			}
		}
	}
	for _, field := range f.ThirdPartyOnly {
		if slices.Contains(f.Unconfirmed, field) {
			return fmt.Errorf("%q is both third-party-only and unconfirmed", field)
		}
	}
	if len(f.Trainers) == 0 {
		return fmt.Errorf("needs at least one trainer")
	}
	for _, t := range f.Trainers {
		switch t {
		case TrainerAIToolkit, TrainerSDScripts:
		default:
			return fmt.Errorf("trainer %q is not %s or %s", t, TrainerAIToolkit, TrainerSDScripts)
		}
	}
	if slices.Contains(f.Trainers, TrainerAIToolkit) != (f.AIToolkit != nil) {
		return fmt.Errorf("lists ai-toolkit as a trainer if and only if it has an ai_toolkit block")
	}
	if slices.Contains(f.Trainers, TrainerSDScripts) != (f.SDScripts != nil) {
		return fmt.Errorf("lists sd-scripts as a trainer if and only if it has an sd_scripts block")
	}
	if a := f.AIToolkit; a != nil {
		switch {
		case a.NameOrPath == "":
			return fmt.Errorf("ai_toolkit needs name_or_path")
		case (a.Arch == "") == !a.IsFlux:
			return fmt.Errorf("ai_toolkit needs exactly one of arch and is_flux")
		case a.Sample.Steps <= 0 || a.Sample.Guidance < 0:
			return fmt.Errorf("ai_toolkit.sample needs steps above 0 and a guidance of 0 or more")
		case f.Kind == KindVideo && (a.Sample.Frames <= 0 || a.Sample.FPS <= 0):
			return fmt.Errorf("a video model's ai_toolkit.sample needs frames and fps")
		}
	}
	if s := f.SDScripts; s != nil && s.NameOrPath == "" {
		return fmt.Errorf("sd_scripts needs name_or_path")
	}
	return nil
}

func (f baseModelFile) model() BaseModel {
	nonNil := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return BaseModel{
		ID: f.ID, Name: f.Name, Family: f.Family, Kind: f.Kind, Trainers: f.Trainers,
		Resolution: f.Resolution, DefaultWeight: f.DefaultWeight, RecommendedImages: f.RecommendedImages,
		VRAMClass: f.VRAMClass, License: f.License, Checked: f.Checked, Sources: f.Sources,
		ThirdPartyOnly: nonNil(f.ThirdPartyOnly), Unconfirmed: nonNil(f.Unconfirmed),
		Preset: f.Preset, Architecture: f.ModelSpec.Architecture, Implementation: f.ModelSpec.Implementation,
		AIToolkit: f.AIToolkit, SDScripts: f.SDScripts, DefaultOnWorker: f.DefaultOnWorker,
	}
}

// clone copies the slices and pointers so callers cannot edit the registry.
func (m BaseModel) clone() BaseModel {
	m.Trainers = slices.Clone(m.Trainers)
	m.Sources = slices.Clone(m.Sources)
	m.ThirdPartyOnly = slices.Clone(m.ThirdPartyOnly)
	m.Unconfirmed = slices.Clone(m.Unconfirmed)
	if c := m.License.CommercialUse; c != nil {
		v := *c
		m.License.CommercialUse = &v
	}
	if a := m.AIToolkit; a != nil {
		c := *a
		if a.ModelKwargs != nil {
			c.ModelKwargs = make(map[string]any, len(a.ModelKwargs))
			for k, v := range a.ModelKwargs {
				c.ModelKwargs[k] = v
			}
		}
		m.AIToolkit = &c
	}
	if s := m.SDScripts; s != nil {
		c := *s
		m.SDScripts = &c
	}
	return m
}

// Trainer is the trainer program the worker uses for m.
func (m BaseModel) Trainer() string { return m.Trainers[0] }

// NonCommercial reports whether m's licence forbids commercial use.
func (m BaseModel) NonCommercial() bool {
	return m.License.CommercialUse != nil && !*m.License.CommercialUse
}

func baseModelIDs() []string {
	ids := make([]string, len(baseModels))
	for i, m := range baseModels {
		ids[i] = m.ID
	}
	return ids
}
