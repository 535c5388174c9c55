package studio

import "time"

// Checkpoint is a LoRA a training job saved at Step, with the sample
// images rendered there: an item of GET /api/lora/jobs/{id}/checkpoints,
// decoded as is by the sync client. Final is the job's last step, whose
// file is the job's own version; VersionID is the version made from the
// checkpoint, if any.
type Checkpoint struct {
	Step      int      `json:"step"`
	SHA256    string   `json:"sha256"` // hex, of the checkpoint's LoRA
	Size      int64    `json:"size"`
	Final     bool     `json:"final"`
	Samples   []Sample `json:"samples"`
	VersionID string   `json:"version_id,omitempty"`
}

// Sample is one sample image of a checkpoint: a presigned GET of a PNG
// that works until ExpiresAt, and the prompt it was rendered from.
type Sample struct {
	Index     int       `json:"index"`
	Prompt    string    `json:"prompt"`
	URL       string    `json:"url"`
	SHA256    string    `json:"sha256"`
	Size      int64     `json:"size"`
	ExpiresAt time.Time `json:"expires_at"`
}
