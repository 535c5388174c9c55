package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

// Register creates an account, signs in and keeps the token for the
// following requests. Returns email_taken, weak_password or EInvalid.
func (c *Client) Register(ctx context.Context, cr wire.Credentials) (string, error) {
	var out wire.Token
	if err := c.Do(ctx, http.MethodPost, "/api/auth/register", cr, nil, &out); err != nil {
		return "", err
	}
	c.SetToken(out.Token)
	return out.Token, nil
}

// Login signs in and keeps the token. Returns bad_credentials.
func (c *Client) Login(ctx context.Context, cr wire.Credentials) (string, error) {
	var out wire.Token
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

// ConsentText returns the consent text in force in the server's default
// language (English).
func (c *Client) ConsentText(ctx context.Context) (wire.ConsentText, error) {
	return c.ConsentTextIn(ctx, "")
}

// ConsentTextIn returns the consent text in force in lang (a BCP 47 tag:
// "en", "pt-BR"); the server answers in English when it does not offer
// lang, and ConsentText.Language says which it gave. "" asks for the
// server's default.
func (c *Client) ConsentTextIn(ctx context.Context, lang string) (wire.ConsentText, error) {
	path := "/api/lora/consent"
	if lang != "" {
		path += "?" + url.Values{"lang": {lang}}.Encode()
	}
	var out wire.ConsentText
	return out, c.Do(ctx, http.MethodGet, path, nil, nil, &out)
}

// GiveConsent records consent to the text r names, in whichever language
// it is; Consent.Language says which. Returns consent_outdated (a version
// not in force), consent_mismatch (the hash is not that version's text) or
// attestation_required.
func (c *Client) GiveConsent(ctx context.Context, r wire.ConsentRequest) (wire.Consent, error) {
	var out wire.Consent
	return out, c.Do(ctx, http.MethodPost, wire.PathConsents, r, nil, &out)
}

// CurrentConsent returns the user's consent on record. Returns
// consent_required if there is none.
func (c *Client) CurrentConsent(ctx context.Context) (wire.Consent, error) {
	var out wire.Consent
	return out, c.Do(ctx, http.MethodGet, "/api/lora/consents/current", nil, nil, &out)
}

// WithdrawConsent withdraws consent and erases every photo, dataset and
// version of the user on the server.
func (c *Client) WithdrawConsent(ctx context.Context) (wire.Erasure, error) {
	var out wire.Erasure
	return out, c.Do(ctx, http.MethodPost, wire.PathConsentWithdraw, nil, nil, &out)
}

// InitDataset creates a dataset and presigns its uploads. A non-empty
// idempotencyKey makes a retry safe: the same key and request answer the
// same dataset, presigned afresh. Returns consent_required,
// consent_outdated, duplicate_file, file_too_large, storage_unavailable,
// idempotency_key_reused or idempotency_key_in_flight.
func (c *Client) InitDataset(ctx context.Context, idempotencyKey string, r wire.InitRequest) (wire.Uploads, error) {
	var out wire.Uploads
	var hdr http.Header
	if idempotencyKey != "" {
		hdr = http.Header{"Idempotency-Key": {idempotencyKey}}
	}
	return out, c.Do(ctx, http.MethodPost, "/api/lora/datasets/init", r, hdr, &out)
}

// PresignDataset renews upload URLs (expired ones, typically). Returns
// ENotFound, unknown_upload, or EConflict for a file already committed.
func (c *Client) PresignDataset(ctx context.Context, r wire.PresignRequest) (wire.Uploads, error) {
	var out wire.Uploads
	return out, c.Do(ctx, http.MethodPost, "/api/lora/datasets/presign", r, nil, &out)
}

// CommitDataset checks the uploaded objects and records them. Returns
// upload_missing, upload_mismatch, unknown_upload or storage_unavailable.
func (c *Client) CommitDataset(ctx context.Context, r wire.CommitRequest) (wire.Dataset, error) {
	var out wire.Dataset
	return out, c.Do(ctx, http.MethodPost, "/api/lora/datasets/commit", r, nil, &out)
}

// ValidateDataset runs the dataset engine on the server. Returns
// not_uploaded before every photo is committed.
func (c *Client) ValidateDataset(ctx context.Context, r wire.ValidateRequest) (wire.Validation, error) {
	var out wire.Validation
	return out, c.Do(ctx, http.MethodPost, "/api/lora/datasets/validate", r, nil, &out)
}

// Dataset returns one dataset with its photos and report. Returns ENotFound.
func (c *Client) Dataset(ctx context.Context, id string) (wire.Dataset, error) {
	var out wire.Dataset
	return out, c.Do(ctx, http.MethodGet, "/api/lora/datasets/"+url.PathEscape(id), nil, nil, &out)
}

// SetCaptions sets captions of a committed dataset's photos and returns
// the dataset with its new hash. Returns invalid_caption, ENotFound, or
// captioning_in_progress while an auto-caption run is not finished.
func (c *Client) SetCaptions(ctx context.Context, datasetID string, r wire.CaptionsRequest) (wire.Dataset, error) {
	var out wire.Dataset
	return out, c.Do(ctx, http.MethodPut, "/api/lora/datasets/"+url.PathEscape(datasetID)+"/captions", r, nil, &out)
}

// AutoCaption queues a run of the training provider's captioner over a
// committed dataset; Dataset(id).Captioning follows it, and its captions
// arrive in the photos once it is done. Returns captioner_unavailable,
// captioning_in_progress, invalid_caption (the template) or ENotFound.
func (c *Client) AutoCaption(ctx context.Context, datasetID string, r wire.AutoCaptionRequest) (wire.CaptionRun, error) {
	var out wire.CaptionRun
	return out, c.Do(ctx, http.MethodPost, "/api/lora/datasets/"+url.PathEscape(datasetID)+"/autocaption", r, nil, &out)
}

// DeleteDataset deletes a dataset, its photos and their stored bytes.
func (c *Client) DeleteDataset(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodDelete, "/api/lora/datasets/"+url.PathEscape(id), nil, nil, nil)
}

// BaseModels returns the base models the server can train on.
func (c *Client) BaseModels(ctx context.Context) ([]wire.BaseModel, error) {
	out := []wire.BaseModel{}
	return out, c.Do(ctx, http.MethodGet, "/api/lora/base-models", nil, nil, &out)
}

// CreateJob starts a training job; idempotencyKey makes retries safe (the
// same key replays the stored answer). Prefer queueing it in the outbox.
func (c *Client) CreateJob(ctx context.Context, idempotencyKey string, r wire.JobRequest) (wire.JobCreated, error) {
	var out wire.JobCreated
	hdr := http.Header{"Idempotency-Key": {idempotencyKey}}
	return out, c.Do(ctx, http.MethodPost, wire.PathJobs, r, hdr, &out)
}

// wire.Job returns one job. Returns ENotFound.
func (c *Client) Job(ctx context.Context, id string) (wire.Job, error) {
	var out wire.Job
	return out, c.Do(ctx, http.MethodGet, wire.PathJobs+"/"+url.PathEscape(id), nil, nil, &out)
}

// wire.JobLog returns the last lines of a job's training log.
func (c *Client) JobLog(ctx context.Context, id string) (wire.JobLog, error) {
	var out wire.JobLog
	return out, c.Do(ctx, http.MethodGet, wire.PathJobs+"/"+url.PathEscape(id)+"/logs", nil, nil, &out)
}

// JobCancelPath is the path that cancels job id, for the outbox.
func JobCancelPath(id string) string { return wire.PathJobs + "/" + url.PathEscape(id) + "/cancel" }

// CancelJob cancels a training that has not finished and returns the job.
// Canceling again answers the same; a finished job is job_finished.
func (c *Client) CancelJob(ctx context.Context, id string) (wire.Job, error) {
	var out wire.Job
	return out, c.Do(ctx, http.MethodPost, JobCancelPath(id), nil, nil, &out)
}

// Activate activates a version. Prefer queueing it in the outbox.
func (c *Client) Activate(ctx context.Context, r wire.ActivateRequest) (wire.Identity, error) {
	var out wire.Identity
	return out, c.Do(ctx, http.MethodPost, wire.PathActivate, r, nil, &out)
}

// ActiveIdentity returns the user's active identity. Returns ENotFound
// when none is active.
func (c *Client) ActiveIdentity(ctx context.Context) (wire.Identity, error) {
	var out wire.Identity
	return out, c.Do(ctx, http.MethodGet, "/api/lora/identity", nil, nil, &out)
}

// Checkpoints lists the checkpoints a job has saved so far. Returns ENotFound.
func (c *Client) Checkpoints(ctx context.Context, jobID string) ([]studio.Checkpoint, error) {
	var out wire.Checkpoints
	return out.Checkpoints, c.Do(ctx, http.MethodGet, wire.PathJobs+"/"+url.PathEscape(jobID)+"/checkpoints", nil, nil, &out)
}

// Versions returns the user's trained versions, newest first.
func (c *Client) Versions(ctx context.Context) ([]wire.Version, error) {
	var out struct {
		Versions []wire.Version `json:"versions"`
	}
	err := c.Do(ctx, http.MethodGet, "/api/lora/versions", nil, nil, &out)
	return out.Versions, err
}

// PromoteCheckpoint makes the checkpoint at step of a succeeded job a
// version, or returns the one made before. Returns ENotFound and
// "job_not_succeeded".
func (c *Client) PromoteCheckpoint(ctx context.Context, jobID string, step int) (wire.Version, error) {
	var out wire.Version
	path := fmt.Sprintf("%s/%s/checkpoints/%d/promote", wire.PathJobs, url.PathEscape(jobID), step)
	return out, c.Do(ctx, http.MethodPost, path, nil, nil, &out)
}
