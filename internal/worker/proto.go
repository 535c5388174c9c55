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
}

// Caption returns the caption of every photo of a job.
func Caption(p Params) string {
	return strings.ReplaceAll(p.CaptionTemplate, "{trigger}", p.TriggerWord)
}
