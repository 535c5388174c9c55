package studio

import (
	"encoding/json"
	"time"
)

// Model is a named identity of one user (lora_models): the person whose
// photos train it. It owns datasets and versions.
type Model struct {
	ID        string    `json:"id"`
	UserID    string    `json:"user_id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Dataset statuses, in the order a dataset moves through them.
const (
	DatasetDraft     = "draft"     // created, photos still arriving
	DatasetUploaded  = "uploaded"  // every declared file committed
	DatasetValidated = "validated" // the engine passed it: trainable
	DatasetRejected  = "rejected"  // the engine failed it: see the report
)

// Dataset is one set of photos of a model (lora_datasets).
type Dataset struct {
	ID            string          `json:"id"`
	ModelID       string          `json:"model_id"`
	UserID        string          `json:"user_id"`
	Status        string          `json:"status"`
	ImageCount    int             `json:"image_count"`
	DatasetHash   string          `json:"dataset_hash,omitempty"`
	QualityReport json.RawMessage `json:"quality_report,omitempty"`
	// Captioning is the last auto-caption run, nil when there was none.
	Captioning *CaptionRun `json:"captioning,omitempty"`
	CreatedAt  time.Time   `json:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at"`
}

// States of an auto-caption run.
const (
	CaptionRunQueued  = "queued"
	CaptionRunRunning = "running"
	CaptionRunDone    = "done"
	CaptionRunFailed  = "failed"
)

// CaptionRun is the state of a dataset's last auto-caption run; the API
// answers it as it is (wire.CaptionRun).
type CaptionRun struct {
	Status      string     `json:"status" enum:"queued,running,done,failed"`
	Error       string     `json:"error,omitempty" doc:"why it failed, for a person"`
	Captioned   int        `json:"captioned" doc:"photos whose caption the run wrote"`
	RequestedAt time.Time  `json:"requested_at"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
}

// DatasetItem is one photo of a dataset (lora_dataset_items).
type DatasetItem struct {
	ID          string `json:"id"`
	DatasetID   string `json:"dataset_id"`
	Name        string `json:"name"`
	Key         string `json:"key"` // storage key (backend) or path under the data dir (desktop)
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	// Caption names the person as {trigger}; "" for the job's template.
	Caption       string    `json:"caption"`
	CaptionSource string    `json:"caption_source"` // CaptionTemplate, CaptionUser or CaptionAuto
	CreatedAt     time.Time `json:"created_at"`
}

// Version statuses.
const (
	VersionPending = "pending" // its job has not succeeded yet
	VersionReady   = "ready"   // artifact checked: can be activated
	VersionFailed  = "failed"
	VersionDeleted = "deleted" // erased on consent withdrawal
)

// Version is one trained LoRA of a model (lora_versions).
type Version struct {
	ID             string          `json:"id"`
	ModelID        string          `json:"model_id"`
	DatasetID      string          `json:"dataset_id"`
	Number         int             `json:"number"`
	BaseModel      string          `json:"base_model"`
	Params         json.RawMessage `json:"params"`
	DatasetHash    string          `json:"dataset_hash"`
	Status         string          `json:"status"`
	ArtifactURL    string          `json:"artifact_url,omitempty"`
	ArtifactSHA256 string          `json:"artifact_sha256,omitempty"`
	ArtifactSize   int64           `json:"artifact_size,omitempty"` // bytes
	CreatedAt      time.Time       `json:"created_at"`
}

// Job statuses. They only move forward, in this order; the last three are final.
const (
	JobQueued     = "queued"
	JobDispatched = "dispatched"
	JobRunning    = "running"
	JobSucceeded  = "succeeded"
	JobFailed     = "failed"
	JobCanceled   = "canceled"
)

var jobRank = map[string]int{JobQueued: 0, JobDispatched: 1, JobRunning: 2, JobSucceeded: 3, JobFailed: 3, JobCanceled: 3}

// JobCanMove reports whether a job may move from one status to another:
// forward only, and never out of a final status.
func JobCanMove(from, to string) bool {
	f, ok1 := jobRank[from]
	t, ok2 := jobRank[to]
	if !ok1 || !ok2 || f == 3 {
		return false
	}
	return t > f || (from == JobRunning && to == JobRunning) // progress updates
}

// Job is one training run of a version (lora_jobs).
type Job struct {
	ID        string    `json:"id"`
	VersionID string    `json:"version_id"`
	Status    string    `json:"status"`
	Progress  float64   `json:"progress"`
	LogsURL   string    `json:"logs_url,omitempty"`
	Error     string    `json:"error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Identity is the version a user has activated (user_identity_active).
type Identity struct {
	UserID         string    `json:"user_id"`
	ModelID        string    `json:"lora_model_id"`
	VersionID      string    `json:"lora_version_id"`
	Weight         float64   `json:"weight"`
	TargetPlatform string    `json:"target_platform"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// JobRef is a job as the dispatcher, the webhook and the GPU providers see
// it: not scoped to a user, since they act for the system.
type JobRef struct {
	ID            string
	UserID        string
	VersionID     string
	Status        string
	Provider      string
	ProviderJobID string
	DispatchKey   string
	ArtifactKey   string
}
