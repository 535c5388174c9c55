package app

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/sync/client"
)

// TrainingRequest starts training the uploaded dataset.
type TrainingRequest struct {
	BaseModel string          `json:"base_model"`
	Params    json.RawMessage `json:"params,omitempty"` // overrides of the preset, within its bounds
}

// pendingJobKey is the settings key of the idempotency key of a job
// request not yet answered: a retry after a crash or a timeout sends the
// same key, so the server never trains twice.
const pendingJobKey = "pending_job_idempotency_key"

// StartTraining asks the server to train a version of the uploaded,
// server-validated dataset on a base model.
func (a *App) StartTraining(req TrainingRequest) (client.JobCreated, error) {
	ctx := a.ctx
	c, err := a.signedIn()
	if err != nil {
		return client.JobCreated{}, a.fail("start training", err)
	}
	if _, err := studio.LookupBaseModel(req.BaseModel); err != nil {
		return client.JobCreated{}, a.fail("start training", err)
	}
	ds, err := a.store.DraftDataset(ctx)
	if err != nil {
		return client.JobCreated{}, a.fail("start training", err)
	}
	up, err := a.uploader(c)
	if err != nil {
		return client.JobCreated{}, a.fail("start training", err)
	}
	s, err := up.Latest(ctx, ds)
	if err != nil || s.State != "validated" {
		return client.JobCreated{}, a.fail("start training", studio.Errorf("dataset_not_validated", "upload the dataset and let the server validate it first"))
	}
	key, err := a.store.Setting(ctx, pendingJobKey)
	if err != nil {
		var b [16]byte
		_, _ = rand.Read(b[:])
		key = "desktop-" + hex.EncodeToString(b[:])
		if err := a.store.SetSettings(ctx, map[string]string{pendingJobKey: key}); err != nil {
			return client.JobCreated{}, a.fail("start training", err)
		}
	}
	job, err := c.CreateJob(ctx, key, client.JobRequest{DatasetID: s.DatasetID, BaseModel: req.BaseModel, Params: req.Params})
	if err != nil {
		// A refusal is final for this key; a network failure keeps it for
		// the retry.
		if client.Status(err) >= 400 && client.Status(err) < 500 && client.Status(err) != http.StatusConflict {
			_ = a.store.DeleteSetting(ctx, pendingJobKey)
		}
		return client.JobCreated{}, a.fail("start training", err)
	}
	_ = a.store.DeleteSetting(ctx, pendingJobKey)
	a.log.Info("training started", "job_id", job.JobID, "version_id", job.VersionID, "base_model", req.BaseModel)
	return job, nil
}

// Job reads one job's status, progress and error from the server.
func (a *App) Job(id string) (client.Job, error) {
	c, err := a.signedIn()
	if err != nil {
		return client.Job{}, a.fail("read job", err)
	}
	j, err := c.Job(a.ctx, id)
	if err != nil {
		return client.Job{}, a.fail("read job", err)
	}
	return j, nil
}

// Version is a trained LoRA as the versions screen lists it.
type Version struct {
	ID          string    `json:"id"`
	Number      int       `json:"number"`
	BaseModel   string    `json:"base_model"`
	DatasetHash string    `json:"dataset_hash"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
	Active      bool      `json:"active"`
	Weight      float64   `json:"weight,omitempty"`
}

// Versions lists the user's versions, newest first, marking the active one.
func (a *App) Versions() ([]Version, error) {
	c, err := a.signedIn()
	if err != nil {
		return nil, a.fail("list versions", err)
	}
	var out struct {
		Versions []Version `json:"versions"`
	}
	if err := c.Do(a.ctx, http.MethodGet, "/api/lora/versions", nil, nil, &out); err != nil {
		return nil, a.fail("list versions", err)
	}
	id, err := c.ActiveIdentity(a.ctx)
	if err == nil {
		for i := range out.Versions {
			if out.Versions[i].ID == id.VersionID {
				out.Versions[i].Active, out.Versions[i].Weight = true, id.Weight
			}
		}
	}
	if out.Versions == nil {
		out.Versions = []Version{}
	}
	return out.Versions, nil
}

// Activate makes a ready version the active identity with a default weight;
// activating an older one is a rollback.
func (a *App) Activate(versionID string, weight float64, targetPlatform string) (client.Identity, error) {
	c, err := a.signedIn()
	if err != nil {
		return client.Identity{}, a.fail("activate", err)
	}
	id, err := c.Activate(a.ctx, client.ActivateRequest{VersionID: versionID, Weight: weight, TargetPlatform: targetPlatform})
	if err != nil {
		return client.Identity{}, a.fail("activate", err)
	}
	return id, nil
}
