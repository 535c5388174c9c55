// Package wire is the backend's HTTP contract: the request and response
// body of every route, declared once and used as they are by the server
// (backend/api), the desktop's client (sync/client) and, generated from
// them, the frontend's validators (frontend/src/lib/api/wire.gen.ts).
//
// The struct tags carry the JSON names, which outside scripts depend on
// (never rename one), and the validation the server's framework applies
// and documents in /openapi.json (minLength, pattern, enum...). The limits
// and error codes the routes answer with live in internal/studio
// (limits.go, codes.go), because the domain enforces them too.
package wire

import (
	"encoding/json"
	"time"

	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/worker"
)

// Paths of the routes a caller queues in the desktop's outbox.
const (
	PathConsents        = "/api/lora/consents"
	PathConsentWithdraw = "/api/lora/consents/withdraw"
	PathJobs            = "/api/lora/jobs"
	PathActivate        = "/api/lora/activate"
	PathWebhook         = "/api/lora/webhook"
)

// ErrorBody is the body of every error answer: {"error":{"code","message"}},
// code one of studio.Codes().
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is an error's code and the message for the person reading it.
type ErrorDetail struct {
	Code    string `json:"code" doc:"a stable snake_case code (see the codes listed in the API's description)"`
	Message string `json:"message" doc:"what went wrong and what to do, for a person"`
}

// Credentials sign in or create an account.
type Credentials struct {
	Email    string `json:"email" format:"email" maxLength:"254" doc:"the account's email"`
	Password string `json:"password" minLength:"1" maxLength:"256" doc:"8 to 256 characters; not a common password"`
}

// Token answers a sign-in.
type Token struct {
	Token string `json:"token" doc:"send as Authorization: Bearer <token>"`
}

// ConsentText is the consent text in force.
type ConsentText struct {
	Version       string   `json:"version"`
	Language      string   `json:"language" doc:"BCP 47 tag of text: the language returned, en when the one asked for is not offered"`
	Languages     []string `json:"languages" doc:"every language the text is offered in, each its own version and hash"`
	Text          string   `json:"text"`
	SHA256        string   `json:"sha256"`
	Purpose       string   `json:"purpose"`
	Processors    []string `json:"processors"`
	RetentionDays int      `json:"retention_days"`
}

// ConsentRequest records consent to the text of Version, whose hash the
// user read was SHA256. The version names the text's language: the server
// records which one the user accepted.
type ConsentRequest struct {
	Version    string `json:"version" minLength:"1" maxLength:"64" doc:"version of the text the user read; it names the text's language too"`
	SHA256     string `json:"sha256" pattern:"^[0-9a-f]{64}$" doc:"hex SHA-256 of the text the user read"`
	AttestSelf bool   `json:"attest_self" doc:"the user attests that every photo shows themselves"`
}

// Consent is a consent on record on the server.
type Consent struct {
	ID            string    `json:"id"`
	Version       string    `json:"version"`
	Language      string    `json:"language" doc:"BCP 47 tag of the text the user accepted"`
	Purpose       string    `json:"purpose"`
	Processors    []string  `json:"processors"`
	RetentionDays int       `json:"retention_days"`
	CreatedAt     time.Time `json:"created_at"`
	Outdated      bool      `json:"outdated"`
}

// Erasure counts what a withdrawal erased.
type Erasure struct {
	Consents int `json:"consents_withdrawn"`
	Datasets int `json:"datasets_erased"`
	Items    int `json:"photos_erased"`
	Versions int `json:"versions_erased"`
	Jobs     int `json:"jobs_canceled"`
}

// FileDecl declares one photo to upload.
type FileDecl struct {
	Name        string `json:"name" minLength:"1" maxLength:"255"`
	Size        int64  `json:"size" minimum:"1" doc:"bytes; at most studio.MaxPhotoBytes (file_too_large)"`
	ContentType string `json:"content_type" enum:"image/jpeg,image/png,image/webp"`
	SHA256      string `json:"sha256" pattern:"^[0-9a-f]{64}$"`
	Caption     string `json:"caption,omitempty" maxLength:"1000" doc:"the photo's caption, naming the person as {trigger}; empty for the job's caption template (invalid_caption otherwise)"`
}

// InitRequest creates a dataset of ModelName with Files.
type InitRequest struct {
	ModelName string     `json:"model_name" minLength:"1" maxLength:"80"`
	Files     []FileDecl `json:"files" minItems:"1" maxItems:"60"`
}

// Upload is how to send one file: one request (Method, URL, Headers) or a
// Multipart upload.
type Upload struct {
	Name      string            `json:"name"`
	Key       string            `json:"key"`
	Method    string            `json:"method,omitempty"`
	URL       string            `json:"url,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	ExpiresAt *time.Time        `json:"expires_at,omitempty"`
	Multipart *Multipart        `json:"multipart,omitempty"`
}

// Multipart is a multipart upload with presigned parts.
type Multipart struct {
	UploadID string `json:"upload_id"`
	PartSize int64  `json:"part_size"`
	Parts    []Part `json:"parts"`
}

// Part is the presigned request of one part; its ETag comes back in the
// answer's ETag header.
type Part struct {
	Number  int               `json:"number"`
	Size    int64             `json:"size"`
	URL     string            `json:"url"`
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers"`
}

// Uploads answers datasets/init and datasets/presign: one Upload per file,
// in the order asked.
type Uploads struct {
	DatasetID string   `json:"dataset_id"`
	Uploads   []Upload `json:"uploads"`
}

// PresignFile asks for new URLs of one declared file: Parts lists the part
// numbers of a multipart upload (all of them when empty).
type PresignFile struct {
	Key   string `json:"key" minLength:"1" maxLength:"512"`
	Parts []int  `json:"parts,omitempty" maxItems:"10000" doc:"multipart uploads only: the part numbers to re-sign; all of them when omitted"`
}

// PresignRequest renews upload URLs of files of an uncommitted dataset.
type PresignRequest struct {
	DatasetID string        `json:"dataset_id" format:"uuid"`
	Files     []PresignFile `json:"files" minItems:"1" maxItems:"60"`
}

// CommitPart names an uploaded part with its ETag.
type CommitPart struct {
	Number int    `json:"number" minimum:"1" maximum:"10000"`
	ETag   string `json:"etag" minLength:"1" maxLength:"200"`
}

// CommitFile names an uploaded file; Parts only for multipart uploads.
type CommitFile struct {
	Key   string       `json:"key" minLength:"1" maxLength:"512"`
	Parts []CommitPart `json:"parts,omitempty" maxItems:"10000" doc:"multipart uploads only: every part with the ETag its PUT returned"`
}

// CommitRequest records uploaded files as the dataset's photos.
type CommitRequest struct {
	DatasetID string       `json:"dataset_id" format:"uuid"`
	Files     []CommitFile `json:"files" minItems:"1" maxItems:"60"`
}

// Photo is one committed photo of a dataset.
type Photo struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Key           string `json:"key"`
	SHA256        string `json:"sha256"`
	Size          int64  `json:"size"`
	Width         int    `json:"width"`
	Height        int    `json:"height"`
	Caption       string `json:"caption" doc:"naming the person as {trigger}; empty for the job's caption template"`
	CaptionSource string `json:"caption_source" enum:"template,user,auto" doc:"template (no caption of its own), user (written or edited by the user) or auto (the worker's captioner, not yet edited)"`
}

// Dataset is a dataset as the server has it.
type Dataset struct {
	ID          string          `json:"id"`
	ModelID     string          `json:"model_id"`
	Status      string          `json:"status"`
	ImageCount  int             `json:"image_count"`
	DatasetHash string          `json:"dataset_hash,omitempty"`
	Items       []Photo         `json:"items"`
	Captioning  *CaptionRun     `json:"captioning,omitempty" doc:"the last auto-caption run, if any"`
	Report      json.RawMessage `json:"report,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// CaptionEdit sets one photo's caption.
type CaptionEdit struct {
	PhotoID string `json:"photo_id" format:"uuid"`
	Caption string `json:"caption" maxLength:"1000" doc:"naming the person as {trigger}; empty for the job's caption template"`
}

// CaptionsRequest sets captions of a committed dataset's photos (PUT
// /api/lora/datasets/{id}/captions); the photos not named keep theirs. The
// answer is the dataset with its new hash. Refused with
// captioning_in_progress while an auto-caption run is queued or running.
type CaptionsRequest struct {
	Captions []CaptionEdit `json:"captions" minItems:"1" maxItems:"60"`
}

// AutoCaptionRequest asks the training provider's captioner to describe
// every photo of a committed dataset (POST
// /api/lora/datasets/{id}/autocaption). Each photo's caption becomes
// Template, a comma, then the description, with source auto, for the user
// to review before training; a photo whose caption the user wrote is
// left alone unless Overwrite.
type AutoCaptionRequest struct {
	Template  string `json:"template,omitempty" maxLength:"200" doc:"naming the person as {trigger}; default the base models' caption template"`
	Overwrite bool   `json:"overwrite,omitempty" doc:"replace the captions the user wrote too"`
}

// CaptionRun is the state of a dataset's last auto-caption run.
type CaptionRun = studio.CaptionRun

// Datasets lists the user's datasets.
type Datasets struct {
	Datasets []Dataset `json:"datasets"`
}

// ValidateRequest re-validates a committed dataset on the server.
type ValidateRequest struct {
	DatasetID     string `json:"dataset_id" format:"uuid"`
	BaseModel     string `json:"base_model,omitempty" maxLength:"64" doc:"a trainable base model id (GET /api/lora/base-models): its data sets the recommended resolution and photo count"`
	MinResolution int    `json:"min_resolution,omitempty" minimum:"64" maximum:"4096"`
}

// Validation is the server's verdict on a dataset.
type Validation struct {
	DatasetID string          `json:"dataset_id"`
	Status    string          `json:"status" doc:"validated or rejected"`
	Report    *dataset.Report `json:"report"`
}

// TrainingParams are a job's training parameters (a base model's preset
// with the overrides applied).
type TrainingParams = worker.Params

// TrainingOverrides are what a user may change of a preset; nil keeps the
// preset's value. Bounds: studio.MinRank to MaxRank, and so on.
type TrainingOverrides struct {
	Rank            *int     `json:"rank,omitempty" doc:"LoRA rank, 4 to 128"`
	Steps           *int     `json:"steps,omitempty" doc:"training steps, 100 to 6000"`
	LearningRate    *float64 `json:"learning_rate,omitempty" doc:"1e-6 to 1e-3"`
	Resolution      *int     `json:"resolution,omitempty" doc:"512, 768 or 1024"`
	TriggerWord     *string  `json:"trigger_word,omitempty" doc:"2 to 32 of a-z, 0-9, _"`
	CaptionTemplate *string  `json:"caption_template,omitempty" doc:"at most 200 characters, must contain {trigger}"`
}

// BaseModel is a trainable base model with the preset a job starts from.
type BaseModel struct {
	studio.BaseModel
	Preset TrainingParams `json:"preset"`
}

// JobRequest starts training a version on a validated dataset.
type JobRequest struct {
	DatasetID string            `json:"dataset_id" format:"uuid"`
	BaseModel string            `json:"base_model" maxLength:"64" doc:"a trainable base model id, one of GET /api/lora/base-models (unknown_base_model otherwise)"`
	Params    TrainingOverrides `json:"params,omitempty"`
}

// JobCreated answers a job creation (and its replays).
type JobCreated struct {
	JobID     string `json:"job_id"`
	VersionID string `json:"version_id"`
	Status    string `json:"status"`
}

// Job is a training job as the server has it.
type Job struct {
	ID        string    `json:"id"`
	VersionID string    `json:"version_id"`
	Status    string    `json:"status" enum:"queued,dispatched,running,succeeded,failed,canceled"`
	Progress  float64   `json:"progress"`
	LogsURL   string    `json:"logs_url"`
	Error     string    `json:"error"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Jobs lists the user's jobs.
type Jobs struct {
	Jobs []Job `json:"jobs"`
}

// JobLog is the end of a job's training log.
type JobLog struct {
	Log       string `json:"log" doc:"the last lines, at most 16 KiB"`
	Available bool   `json:"available" doc:"false when the provider keeps no log for it (yet)"`
}

// Checkpoints lists the checkpoints a job has saved so far.
type Checkpoints struct {
	Checkpoints []studio.Checkpoint `json:"checkpoints"`
}

// ActivateRequest makes a version the user's active identity.
type ActivateRequest struct {
	VersionID      string   `json:"version_id" format:"uuid"`
	Weight         *float64 `json:"weight,omitempty" doc:"studio.MinLoRAWeight to MaxLoRAWeight; default: the base model's (1.0 Flux, 0.8 SDXL)"`
	TargetPlatform string   `json:"target_platform" minLength:"1" maxLength:"64" doc:"a target platform id (sora-2...) or the version's base model for its LoRA pipeline"`
}

// Weight returns w as an ActivateRequest's weight: nil, the base model's
// default, for 0.
func Weight(w float64) *float64 {
	if w == 0 {
		return nil
	}
	return &w
}

// Identity is the user's active identity.
type Identity = studio.Identity

// Version is one trained version as the server lists it.
type Version struct {
	ID             string          `json:"id"`
	ModelID        string          `json:"model_id"`
	DatasetID      string          `json:"dataset_id"`
	Number         int             `json:"number"`
	BaseModel      string          `json:"base_model"`
	Params         json.RawMessage `json:"params"`
	DatasetHash    string          `json:"dataset_hash" doc:"of the photos and the captions the version was trained on"`
	Status         string          `json:"status"`
	ArtifactSHA256 string          `json:"artifact_sha256,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
}

// Versions lists the user's versions.
type Versions struct {
	Versions []Version `json:"versions"`
}

// Model is a model with its versions, oldest first.
type Model struct {
	studio.Model
	Versions []Version `json:"versions"`
}

// Models lists the user's models.
type Models struct {
	Models []Model `json:"models"`
}

// Artifact is a short-lived download of a ready version's .safetensors.
type Artifact = studio.Artifact

// WebhookEvent is the body of a webhook our worker sends to
// POST /api/lora/webhook, signed the Standard Webhooks way.
type WebhookEvent = worker.Event

// WebhookResult answers a webhook the server verified: what became of it.
type WebhookResult struct {
	Outcome string `json:"outcome" enum:"applied,ignored,erased,unknown,duplicate" doc:"applied; ignored (late or out of order: the job is already past it); erased (the job was erased on consent withdrawal); unknown (no such job); duplicate (this webhook id was processed before)"`
	JobID   string `json:"job_id,omitempty"`
	Status  string `json:"status,omitempty" doc:"the job's status after it"`
}

// Health answers /healthz.
type Health struct {
	Status   string `json:"status" enum:"ok,unavailable"`
	Database string `json:"database"`
	Version  string `json:"version,omitempty"`
	Error    string `json:"error,omitempty"`
}

//go:generate go run ./gen ../..
