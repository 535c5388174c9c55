package api

import (
	"context"
	"time"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/internal/studio"
)

// The interfaces below are what the routes need of the database, one per
// aggregate; *pgstore.Store implements them all (see Store). Every method
// honours ctx and scopes what it reads and changes to userID where it takes
// one: another user's row is ENotFound, never someone else's data.

// Accounts holds users and their bearer tokens (hashes only).
type Accounts interface {
	// CreateUser returns EConflict "email_taken" for a known email.
	CreateUser(ctx context.Context, email, passwordHash string) (pgstore.User, error)
	// UserByEmail returns ENotFound.
	UserByEmail(ctx context.Context, email string) (pgstore.User, error)
	CreateToken(ctx context.Context, userID string, hash []byte, ttl time.Duration) error
	RevokeToken(ctx context.Context, hash []byte) error
	// UserIDByToken returns EUnauthorized for an unknown or expired token.
	UserIDByToken(ctx context.Context, hash []byte) (string, error)
}

// Consents holds the consent records; withdrawal goes through
// erasure.Eraser, which needs EndConsent.
type Consents interface {
	RecordConsent(ctx context.Context, c pgstore.Consent) (pgstore.Consent, error)
	// LatestConsent returns the consent in force, ENotFound when there is none.
	LatestConsent(ctx context.Context, userID string) (pgstore.Consent, error)
	// LastConsent returns the newest consent, ended or not; ENotFound.
	LastConsent(ctx context.Context, userID string) (pgstore.Consent, error)
	EndConsent(ctx context.Context, userID string, end pgstore.Ending) (pgstore.Erasure, error)
}

// Datasets holds datasets, their declared uploads and committed items.
type Datasets interface {
	NewDatasetOnce(ctx context.Context, userID, idemKey, modelName string, uploads []pgstore.Upload, keyFor func(datasetID string, u pgstore.Upload) string, quota pgstore.Quota) (studio.Dataset, []pgstore.Upload, error)
	SetUploadID(ctx context.Context, datasetID, key, uploadID string, partSize int64) (string, int64, error)
	Uploads(ctx context.Context, userID, datasetID string) ([]pgstore.Upload, error)
	CommitItems(ctx context.Context, datasetID string, ups []pgstore.Upload) error
	CheckQuota(ctx context.Context, userID string, q pgstore.Quota) error
	Dataset(ctx context.Context, userID, id string) (studio.Dataset, []studio.DatasetItem, error)
	Datasets(ctx context.Context, userID string) ([]studio.Dataset, error)
	SaveValidation(ctx context.Context, userID, datasetID string, report []byte, imageCount int, ok bool, sizes map[string]pgstore.Size) (string, error)
	DeleteDataset(ctx context.Context, userID, id string) ([]string, error)
	// SetCaptions returns invalid_caption, ENotFound (the dataset or one of
	// its photos) and captioning_in_progress.
	SetCaptions(ctx context.Context, userID, datasetID string, edits []pgstore.CaptionEdit) (studio.Dataset, []studio.DatasetItem, error)
	// StartCaptionRun records and enqueues an auto-caption run. Returns
	// ENotFound, not_uploaded, captioning_in_progress and
	// captioner_unavailable.
	StartCaptionRun(ctx context.Context, r pgstore.CaptionRequest) (studio.CaptionRun, error)
}

// Jobs holds training jobs and the Idempotency-Keys of their creation.
type Jobs interface {
	// ClaimIdempotencyKey says whether to replay, refuse or run a request.
	ClaimIdempotencyKey(ctx context.Context, userID, key, hash string, ttl, lock time.Duration) (pgstore.IdemResult, error)
	ReleaseIdempotencyKey(ctx context.Context, userID, key string) error
	// CreateJob creates the version and its job, enqueues its dispatch and
	// stores n's response under its key, all or nothing. Returns ENotFound
	// and "dataset_not_validated".
	CreateJob(ctx context.Context, n pgstore.NewJob) (studio.Version, studio.Job, error)
	Job(ctx context.Context, userID, id string) (studio.Job, error)
	Jobs(ctx context.Context, userID string) ([]studio.Job, error)
	JobRef(ctx context.Context, jobID string) (studio.JobRef, error)
	CancelJob(ctx context.Context, userID, jobID, reason string) (studio.JobRef, bool, error)
	Checkpoints(ctx context.Context, userID, jobID string) ([]pgstore.Checkpoint, error)
	PromoteCheckpoint(ctx context.Context, userID, jobID string, step int) (studio.Version, error)
}

// Versions holds trained versions and the user's active identity.
type Versions interface {
	Models(ctx context.Context, userID string) ([]studio.Model, error)
	Versions(ctx context.Context, userID string) ([]studio.Version, error)
	Version(ctx context.Context, userID, id string) (studio.Version, error)
	NamedVersion(ctx context.Context, userID, id string) (pgstore.NamedVersion, error)
	Activate(ctx context.Context, userID, versionID string, weight float64, platform string) (studio.Identity, error)
	Identity(ctx context.Context, userID string) (studio.Identity, error)
}

// Store is everything the routes keep in the database.
type Store interface {
	Accounts
	Consents
	Datasets
	Jobs
	Versions
}

var _ Store = (*pgstore.Store)(nil)
