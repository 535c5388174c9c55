package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/studio"
)

// Credentials sign in or create an account.
type Credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type tokenOut struct {
	Token string `json:"token"`
}

// Register creates an account, signs in and keeps the token for the
// following requests. Returns email_taken, weak_password or EInvalid.
func (c *Client) Register(ctx context.Context, cr Credentials) (string, error) {
	var out tokenOut
	if err := c.Do(ctx, http.MethodPost, "/api/auth/register", cr, nil, &out); err != nil {
		return "", err
	}
	c.SetToken(out.Token)
	return out.Token, nil
}

// Login signs in and keeps the token. Returns bad_credentials.
func (c *Client) Login(ctx context.Context, cr Credentials) (string, error) {
	var out tokenOut
	if err := c.Do(ctx, http.MethodPost, "/api/auth/login", cr, nil, &out); err != nil {
		return "", err
	}
	c.SetToken(out.Token)
	return out.Token, nil
}

// Logout revokes the token on the server and forgets it. The token is
// forgotten even when the server cannot be reached.
func (c *Client) Logout(ctx context.Context) error {
	err := c.Do(ctx, http.MethodPost, "/api/auth/logout", nil, nil, nil)
	c.SetToken("")
	return err
}

// ConsentText is the consent text in force in one language.
type ConsentText struct {
	Version  string `json:"version"`
	Language string `json:"language"` // BCP 47 tag of Text: the one asked for, else en
	// Languages are all the languages the text is offered in.
	Languages     []string `json:"languages"`
	Text          string   `json:"text"`
	SHA256        string   `json:"sha256"`
	Purpose       string   `json:"purpose"`
	Processors    []string `json:"processors"`
	RetentionDays int      `json:"retention_days"`
}

// ConsentRequest records consent to the text of Version, whose hash the
// user read was SHA256. The version names the text's language: the server
// records that.
type ConsentRequest struct {
	Version    string `json:"version"`
	SHA256     string `json:"sha256"`
	AttestSelf bool   `json:"attest_self"`
}

// Consent is a consent on record on the server.
type Consent struct {
	ID            string    `json:"id"`
	Version       string    `json:"version"`
	Language      string    `json:"language"` // of the text accepted
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
}

// Consent paths, for callers that queue them in the outbox.
const (
	PathConsents        = "/api/lora/consents"
	PathConsentWithdraw = "/api/lora/consents/withdraw"
	PathJobs            = "/api/lora/jobs"
	PathActivate        = "/api/lora/activate"
)

// ConsentText returns the consent text in force in the server's default
// language (English).
func (c *Client) ConsentText(ctx context.Context) (ConsentText, error) {
	return c.ConsentTextIn(ctx, "")
}

// ConsentTextIn returns the consent text in force in lang (a BCP 47 tag:
// "en", "pt-BR"); the server answers in English when it does not offer
// lang, and ConsentText.Language says which it gave. "" asks for the
// server's default.
func (c *Client) ConsentTextIn(ctx context.Context, lang string) (ConsentText, error) {
	path := "/api/lora/consent"
	if lang != "" {
		path += "?" + url.Values{"lang": {lang}}.Encode()
	}
	var out ConsentText
	return out, c.Do(ctx, http.MethodGet, path, nil, nil, &out)
}

// GiveConsent records consent to the text r names, in whichever language
// it is; Consent.Language says which. Returns consent_outdated (a version
// not in force), consent_mismatch (the hash is not that version's text) or
// attestation_required.
func (c *Client) GiveConsent(ctx context.Context, r ConsentRequest) (Consent, error) {
	var out Consent
	return out, c.Do(ctx, http.MethodPost, PathConsents, r, nil, &out)
}

// CurrentConsent returns the user's consent on record. Returns
// consent_required if there is none.
func (c *Client) CurrentConsent(ctx context.Context) (Consent, error) {
	var out Consent
	return out, c.Do(ctx, http.MethodGet, "/api/lora/consents/current", nil, nil, &out)
}

// WithdrawConsent withdraws consent and erases every photo, dataset and
// version of the user on the server.
func (c *Client) WithdrawConsent(ctx context.Context) (Erasure, error) {
	var out Erasure
	return out, c.Do(ctx, http.MethodPost, PathConsentWithdraw, nil, nil, &out)
}

// FileDecl declares one photo to upload.
type FileDecl struct {
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	SHA256      string `json:"sha256"`
}

// InitRequest creates a dataset of ModelName with Files.
type InitRequest struct {
	ModelName string     `json:"model_name"`
	Files     []FileDecl `json:"files"`
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

// InitDataset creates a dataset and presigns its uploads. Returns
// consent_required, consent_outdated, duplicate_file, file_too_large or
// storage_unavailable.
func (c *Client) InitDataset(ctx context.Context, r InitRequest) (Uploads, error) {
	var out Uploads
	return out, c.Do(ctx, http.MethodPost, "/api/lora/datasets/init", r, nil, &out)
}

// PresignFile asks for new URLs of one declared file: Parts lists the part
// numbers of a multipart upload (all of them when empty).
type PresignFile struct {
	Key   string `json:"key"`
	Parts []int  `json:"parts,omitempty"`
}

// PresignRequest renews upload URLs of files of an uncommitted dataset.
type PresignRequest struct {
	DatasetID string        `json:"dataset_id"`
	Files     []PresignFile `json:"files"`
}

// PresignDataset renews upload URLs (expired ones, typically). Returns
// ENotFound, unknown_upload, or EConflict for a file already committed.
func (c *Client) PresignDataset(ctx context.Context, r PresignRequest) (Uploads, error) {
	var out Uploads
	return out, c.Do(ctx, http.MethodPost, "/api/lora/datasets/presign", r, nil, &out)
}

// CommitPart names an uploaded part with its ETag.
type CommitPart struct {
	Number int    `json:"number"`
	ETag   string `json:"etag"`
}

// CommitFile names an uploaded file; Parts only for multipart uploads.
type CommitFile struct {
	Key   string       `json:"key"`
	Parts []CommitPart `json:"parts,omitempty"`
}

// CommitRequest records uploaded files as the dataset's photos.
type CommitRequest struct {
	DatasetID string       `json:"dataset_id"`
	Files     []CommitFile `json:"files"`
}

// Item is one committed photo.
type Item struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Key    string `json:"key"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// Dataset is a dataset as the server has it.
type Dataset struct {
	ID          string          `json:"id"`
	ModelID     string          `json:"model_id"`
	Status      string          `json:"status"`
	ImageCount  int             `json:"image_count"`
	DatasetHash string          `json:"dataset_hash,omitempty"`
	Items       []Item          `json:"items"`
	Report      json.RawMessage `json:"report,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// CommitDataset checks the uploaded objects and records them. Returns
// upload_missing, upload_mismatch, unknown_upload or storage_unavailable.
func (c *Client) CommitDataset(ctx context.Context, r CommitRequest) (Dataset, error) {
	var out Dataset
	return out, c.Do(ctx, http.MethodPost, "/api/lora/datasets/commit", r, nil, &out)
}

// ValidateRequest re-validates a committed dataset on the server.
type ValidateRequest struct {
	DatasetID     string `json:"dataset_id"`
	BaseModel     string `json:"base_model,omitempty"`
	MinResolution int    `json:"min_resolution,omitempty"`
}

// Validation is the server's verdict on a dataset.
type Validation struct {
	DatasetID string          `json:"dataset_id"`
	Status    string          `json:"status"` // validated or rejected
	Report    *dataset.Report `json:"report"`
}

// ValidateDataset runs the dataset engine on the server. Returns
// not_uploaded before every photo is committed.
func (c *Client) ValidateDataset(ctx context.Context, r ValidateRequest) (Validation, error) {
	var out Validation
	return out, c.Do(ctx, http.MethodPost, "/api/lora/datasets/validate", r, nil, &out)
}

// Dataset returns one dataset with its photos and report. Returns ENotFound.
func (c *Client) Dataset(ctx context.Context, id string) (Dataset, error) {
	var out Dataset
	return out, c.Do(ctx, http.MethodGet, "/api/lora/datasets/"+url.PathEscape(id), nil, nil, &out)
}

// DeleteDataset deletes a dataset, its photos and their stored bytes.
func (c *Client) DeleteDataset(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodDelete, "/api/lora/datasets/"+url.PathEscape(id), nil, nil, nil)
}

// BaseModel is a base model the server's GPU provider trains, with the
// preset a job on it starts from.
type BaseModel struct {
	studio.BaseModel
	Preset Preset `json:"preset"`
}

// Preset is the training parameters a job starts from unless overridden.
type Preset struct {
	Rank            int     `json:"rank"`
	Steps           int     `json:"steps"`
	LearningRate    float64 `json:"learning_rate"`
	Resolution      int     `json:"resolution"`
	TriggerWord     string  `json:"trigger_word"`
	CaptionTemplate string  `json:"caption_template"`
}

// BaseModels returns the base models the server can train on.
func (c *Client) BaseModels(ctx context.Context) ([]BaseModel, error) {
	out := []BaseModel{}
	return out, c.Do(ctx, http.MethodGet, "/api/lora/base-models", nil, nil, &out)
}

// JobRequest starts training a version on a validated dataset.
type JobRequest struct {
	DatasetID string          `json:"dataset_id"`
	BaseModel string          `json:"base_model"`
	Params    json.RawMessage `json:"params,omitempty"`
}

// JobCreated answers a job creation (and its replays).
type JobCreated struct {
	JobID     string `json:"job_id"`
	VersionID string `json:"version_id"`
	Status    string `json:"status"`
}

// CreateJob starts a training job; idempotencyKey makes retries safe (the
// same key replays the stored answer). Prefer queueing it in the outbox.
func (c *Client) CreateJob(ctx context.Context, idempotencyKey string, r JobRequest) (JobCreated, error) {
	var out JobCreated
	hdr := http.Header{"Idempotency-Key": {idempotencyKey}}
	return out, c.Do(ctx, http.MethodPost, PathJobs, r, hdr, &out)
}

// Job is a training job as the server has it.
type Job struct {
	ID        string    `json:"id"`
	VersionID string    `json:"version_id"`
	Status    string    `json:"status"`
	Progress  float64   `json:"progress"`
	LogsURL   string    `json:"logs_url"`
	Error     string    `json:"error"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Job returns one job. Returns ENotFound.
func (c *Client) Job(ctx context.Context, id string) (Job, error) {
	var out Job
	return out, c.Do(ctx, http.MethodGet, PathJobs+"/"+url.PathEscape(id), nil, nil, &out)
}

// JobLog is the end of a job's training log.
type JobLog struct {
	Log       string `json:"log"`
	Available bool   `json:"available"`
}

// JobLog returns the last lines of a job's training log.
func (c *Client) JobLog(ctx context.Context, id string) (JobLog, error) {
	var out JobLog
	return out, c.Do(ctx, http.MethodGet, PathJobs+"/"+url.PathEscape(id)+"/logs", nil, nil, &out)
}

// JobCancelPath is the path that cancels job id, for the outbox.
func JobCancelPath(id string) string { return PathJobs + "/" + url.PathEscape(id) + "/cancel" }

// CancelJob cancels a training that has not finished and returns the job.
// Canceling again answers the same; a finished job is job_finished.
func (c *Client) CancelJob(ctx context.Context, id string) (Job, error) {
	var out Job
	return out, c.Do(ctx, http.MethodPost, JobCancelPath(id), nil, nil, &out)
}

// ActivateRequest makes a version the user's active identity.
type ActivateRequest struct {
	VersionID      string  `json:"version_id"`
	Weight         float64 `json:"weight,omitempty"` // 0: the base model's default
	TargetPlatform string  `json:"target_platform"`
}

// Identity is the user's active identity.
type Identity struct {
	ModelID        string    `json:"lora_model_id"`
	VersionID      string    `json:"lora_version_id"`
	Weight         float64   `json:"weight"`
	TargetPlatform string    `json:"target_platform"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Activate activates a version. Prefer queueing it in the outbox.
func (c *Client) Activate(ctx context.Context, r ActivateRequest) (Identity, error) {
	var out Identity
	return out, c.Do(ctx, http.MethodPost, PathActivate, r, nil, &out)
}

// ActiveIdentity returns the user's active identity. Returns ENotFound
// when none is active.
func (c *Client) ActiveIdentity(ctx context.Context) (Identity, error) {
	var out Identity
	return out, c.Do(ctx, http.MethodGet, "/api/lora/identity", nil, nil, &out)
}

// Checkpoints lists the checkpoints a job has saved so far. Returns ENotFound.
func (c *Client) Checkpoints(ctx context.Context, jobID string) ([]studio.Checkpoint, error) {
	var out struct {
		Checkpoints []studio.Checkpoint `json:"checkpoints"`
	}
	return out.Checkpoints, c.Do(ctx, http.MethodGet, PathJobs+"/"+url.PathEscape(jobID)+"/checkpoints", nil, nil, &out)
}

// Version is one trained version as the server lists it.
type Version struct {
	ID             string    `json:"id"`
	ModelID        string    `json:"model_id"`
	DatasetID      string    `json:"dataset_id"`
	Number         int       `json:"number"`
	BaseModel      string    `json:"base_model"`
	DatasetHash    string    `json:"dataset_hash"`
	Status         string    `json:"status"`
	ArtifactSHA256 string    `json:"artifact_sha256,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// Versions returns the user's trained versions, newest first.
func (c *Client) Versions(ctx context.Context) ([]Version, error) {
	var out struct {
		Versions []Version `json:"versions"`
	}
	err := c.Do(ctx, http.MethodGet, "/api/lora/versions", nil, nil, &out)
	return out.Versions, err
}

// PromoteCheckpoint makes the checkpoint at step of a succeeded job a
// version, or returns the one made before. Returns ENotFound and
// "job_not_succeeded".
func (c *Client) PromoteCheckpoint(ctx context.Context, jobID string, step int) (Version, error) {
	var out Version
	path := fmt.Sprintf("%s/%s/checkpoints/%d/promote", PathJobs, url.PathEscape(jobID), step)
	return out, c.Do(ctx, http.MethodPost, path, nil, nil, &out)
}
