package worker

import "strings"

// The wire format between the backend and a GPU worker (../shared/ARCHITECTURE.md,
// "Worker protocol"). Both directions are signed with Standard Webhooks.

// Params are a job's training parameters, resolved from the base model's
// preset and the user's overrides.
type Params struct {
	Rank            int     `json:"rank"`
	Steps           int     `json:"steps"`
	LearningRate    float64 `json:"learning_rate"`
	Resolution      int     `json:"resolution"`
	TriggerWord     string  `json:"trigger_word"`
	CaptionTemplate string  `json:"caption_template"` // "{trigger}" is replaced by the trigger word
}

// Item is one photo to download.
type Item struct {
	Name   string `json:"name"`
	URL    string `json:"url"`
	SHA256 string `json:"sha256"` // hex
	Size   int64  `json:"size"`
	// Caption is the photo's caption with the trigger word in place
	// (studio.ResolveCaption); "" for Caption(Params), the template.
	Caption string `json:"caption,omitempty"`
}

// Upload is the presigned request for the artifact: send exactly Headers
// with Method to URL, with a body of at most MaxSize bytes.
type Upload struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	MaxSize int64             `json:"max_size"`
}

// Dispatch is the body of POST {worker}/jobs.
type Dispatch struct {
	JobID       string `json:"job_id"`
	DispatchKey string `json:"dispatch_key"` // the same on every retry of this job's dispatch
	BaseModel   string `json:"base_model"`
	Params      Params `json:"params"`
	Items       []Item `json:"items"`
	Artifact    Upload `json:"artifact"`
	WebhookURL  string `json:"webhook_url"`
	// ImagesZip is the photos and captions as one zip, for hosted trainers
	// that take a single archive (Replicate); the worker does not use it.
	ImagesZip string `json:"images_zip,omitempty"`
	// Meta is what the worker writes into the artifact's safetensors
	// header as SAI ModelSpec keys, whatever trainer made it.
	Meta ArtifactMeta `json:"meta"`
	// Sampling asks for sample images and intermediate checkpoints; absent,
	// the trainer saves the final LoRA only.
	Sampling *Sampling `json:"sampling,omitempty"`
}

// ArtifactMeta describes a version for the ModelSpec keys of its file.
type ArtifactMeta struct {
	Title       string `json:"title"`        // modelspec.title, e.g. "alice v3"
	VersionID   string `json:"version_id"`   // LoRA Studio's version id
	DatasetHash string `json:"dataset_hash"` // "sha256:…" of the training photos
	// TriggerPhrase is how the captions name the person, e.g. "ohwx person".
	TriggerPhrase string `json:"trigger_phrase"`
}

// Sampling asks the trainer to render sample images and save a checkpoint
// every Every steps. Slots are planned by the backend, one per checkpoint
// step in increasing order, the last at Params.Steps.
type Sampling struct {
	Every   int      `json:"every"`
	Prompts []string `json:"prompts"` // each names the trigger phrase
	Slots   []Slot   `json:"slots"`
}

// Slot holds the presigned uploads of one checkpoint: its LoRA (nil for
// the final step, whose file goes to Dispatch.Artifact) and one PNG per
// sample prompt, in the order of Sampling.Prompts.
type Slot struct {
	Step     int      `json:"step"`
	Artifact *Upload  `json:"artifact,omitempty"`
	Samples  []Upload `json:"samples"`
}

// Checkpoint reports one uploaded checkpoint in a webhook.
type Checkpoint struct {
	Step int `json:"step"`
	// Checksum ("sha256:<hex>") and Size are of the checkpoint's LoRA; both
	// are empty for the final step, whose file is the Event's artifact.
	Checksum string   `json:"checksum,omitempty"`
	Size     int64    `json:"size,omitempty"`
	Samples  []Sample `json:"samples"`
}

// Sample reports one uploaded sample image of a checkpoint.
type Sample struct {
	Index    int    `json:"index"` // into Sampling.Prompts
	Checksum string `json:"checksum"`
	Size     int64  `json:"size"`
}

// Event is the body of a webhook the worker sends.
type Event struct {
	JobID       string  `json:"job_id"`
	DispatchKey string  `json:"dispatch_key"`
	Status      string  `json:"status"` // running, succeeded, failed
	Progress    float64 `json:"progress"`
	LogsURL     string  `json:"logs_url,omitempty"`
	Error       string  `json:"error,omitempty"`
	Checksum    string  `json:"checksum,omitempty"` // "sha256:<hex>" of the uploaded artifact
	Size        int64   `json:"size,omitempty"`
	// Checkpoint is set on the webhook sent once a checkpoint and its
	// samples are uploaded (a running one, or the succeeded one).
	Checkpoint *Checkpoint `json:"checkpoint,omitempty"`
}

// CaptionJob is the body of POST {worker}/captions: describe each photo
// with the worker's captioner. The worker answers synchronously with a
// CaptionResult once every photo is described, or an error; the backend
// holds the request for as long as the captioner takes.
type CaptionJob struct {
	DatasetID string `json:"dataset_id"`
	Items     []Item `json:"items"` // Caption unused
}

// CaptionResult answers a CaptionJob: one description per item, in order,
// as the captioner wrote it (the backend composes the caption around it).
type CaptionResult struct {
	Captions []ItemCaption `json:"captions"`
}

// ItemCaption is the captioner's description of one item.
type ItemCaption struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

// Caption returns the caption of a photo without one of its own: the
// job's template with the trigger word.
func Caption(p Params) string {
	return strings.ReplaceAll(p.CaptionTemplate, "{trigger}", p.TriggerWord)
}
