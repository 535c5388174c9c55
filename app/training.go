package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/promptforge/lorastudio/app/localstore"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
	"github.com/promptforge/lorastudio/sync/client"
	"github.com/promptforge/lorastudio/sync/outbox"
)

// TrainingService trains on the server: the base models it offers, the
// jobs, and the versions they make.
type TrainingService struct{ *core }

// TrainingRequest starts training the uploaded dataset.
type TrainingRequest struct {
	BaseModel string          `json:"base_model"`
	Params    json.RawMessage `json:"params,omitempty"` // overrides of the preset, within its bounds
}

// EventTrainingStarted carries wire.JobCreated when the server accepts a
// training request, at once or later from the outbox.
const EventTrainingStarted = "training:started"

// TrainingStart says what became of a training request: the job, or that
// it waits in the outbox for the server.
type TrainingStart struct {
	Job     *wire.JobCreated `json:"job,omitempty"`
	Queued  bool             `json:"queued"`
	Message string           `json:"message,omitempty"`
}

// StartTraining asks the server to train a version of the uploaded,
// server-validated dataset on a base model. The request goes through the
// outbox with its idempotency key: when the server cannot be reached it is
// retried with backoff, and a retry never trains twice.
func (a *TrainingService) StartTraining(req TrainingRequest) (TrainingStart, error) {
	ctx := a.ctx
	c, err := a.signedIn()
	if err != nil {
		return TrainingStart{}, a.fail("start training", err)
	}
	if _, err := studio.LookupBaseModel(req.BaseModel); err != nil {
		return TrainingStart{}, a.fail("start training", err)
	}
	ds, err := a.store.DraftDataset(ctx)
	if err != nil {
		return TrainingStart{}, a.fail("start training", err)
	}
	up, err := a.uploader(c)
	if err != nil {
		return TrainingStart{}, a.fail("start training", err)
	}
	s, err := up.Latest(ctx, ds)
	if err != nil || s.State != "validated" {
		return TrainingStart{}, a.fail("start training", studio.Errorf(studio.EDatasetNotValidated, "upload the dataset and let the server validate it first"))
	}
	// The server trains on its copy of the captions: it must be the one
	// the user read.
	if err := a.Dataset.captionsReady(ctx, ds); err != nil {
		return TrainingStart{}, a.fail("start training", err)
	}
	var params wire.TrainingOverrides
	if len(req.Params) > 0 {
		dec := json.NewDecoder(bytes.NewReader(req.Params))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&params); err != nil {
			return TrainingStart{}, a.fail("start training", studio.Errorf(studio.EInvalid, "the training parameters are malformed: %v", err))
		}
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	var job wire.JobCreated
	sent, err := a.sendNow(ctx, c, outbox.Action{
		Kind: kindJob, Path: wire.PathJobs, IdempotencyKey: "desktop-" + hex.EncodeToString(b[:]), Ref: ds,
		Body: wire.JobRequest{DatasetID: s.DatasetID, BaseModel: req.BaseModel, Params: params},
	}, &job)
	switch {
	case err != nil:
		return TrainingStart{}, a.fail("start training", err)
	case !sent:
		return TrainingStart{Queued: true, Message: "The server did not accept the request yet; training starts as soon as it does, even if you close LoRA Studio meanwhile."}, nil
	}
	return TrainingStart{Job: &job}, nil
}

// Job reads one job's status, progress and error from the server, and
// keeps a copy so the app shows it after a restart.
func (a *TrainingService) Job(id string) (wire.Job, error) {
	c, err := a.signedIn()
	if err != nil {
		return wire.Job{}, a.fail("read job", err)
	}
	ctx, cancel := a.readCtx()
	defer cancel()
	j, err := c.Job(ctx, id)
	if err != nil {
		return wire.Job{}, a.fail("read job", err)
	}
	a.keepJob(j)
	return j, nil
}

// JobLog returns the end of a job's training log from the server.
func (a *TrainingService) JobLog(id string) (wire.JobLog, error) {
	c, err := a.signedIn()
	if err != nil {
		return wire.JobLog{}, a.fail("read training log", err)
	}
	ctx, cancel := a.readCtx()
	defer cancel()
	l, err := c.JobLog(ctx, id)
	if err != nil {
		return wire.JobLog{}, a.fail("read training log", err)
	}
	return l, nil
}

// keepJob copies a job's state into SQLite, so the app shows it after a
// restart.
func (a *TrainingService) keepJob(j wire.Job) {
	row := localstore.JobRow{ID: j.ID, VersionID: j.VersionID, Status: j.Status, Progress: j.Progress, LogsURL: j.LogsURL, Error: j.Error}
	saved, err := a.store.SaveJob(a.ctx, row)
	if err == nil && !saved {
		// Its version is new here: copy the versions, then the job.
		if _, verr := a.Versions(); verr == nil {
			_, err = a.store.SaveJob(a.ctx, row)
		}
	}
	if err != nil {
		a.log.Warn("job not replicated", "job_id", j.ID, "err", err)
	}
}

// TrainingCancel says what became of a cancel: the job as the server has
// it now, or that the cancel waits in the outbox for the server.
type TrainingCancel struct {
	Job    *wire.Job `json:"job,omitempty"`
	Queued bool      `json:"queued"`
}

// CancelTraining stops a training job. The job is canceled on the server
// first, so whatever its worker reports afterwards is discarded; offline,
// the cancel waits in the outbox and goes as soon as the server answers.
func (a *TrainingService) CancelTraining(jobID string) (TrainingCancel, error) {
	ctx := a.ctx
	c, err := a.signedIn()
	if err != nil {
		return TrainingCancel{}, a.fail("cancel training", err)
	}
	if jobID == "" {
		return TrainingCancel{}, a.fail("cancel training", studio.Errorf(studio.EInvalid, "which training? no job id was given"))
	}
	var j wire.Job
	sent, err := a.sendNow(ctx, c, outbox.Action{Kind: kindCancel, Path: client.JobCancelPath(jobID), Ref: jobID}, &j)
	switch {
	case err != nil:
		return TrainingCancel{}, a.fail("cancel training", err)
	case !sent:
		return TrainingCancel{Queued: true}, nil
	}
	a.keepJob(j)
	a.log.Info("training canceled", "job_id", j.ID)
	return TrainingCancel{Job: &j}, nil
}

// LastJob returns the training job seen last, from the local copy, so the
// training panel can pick up where it was. Returns ENotFound.
func (a *TrainingService) LastJob() (wire.JobCreated, error) {
	j, err := a.store.LastJob(a.ctx)
	if err != nil {
		return wire.JobCreated{}, a.fail("last job", err)
	}
	return wire.JobCreated{JobID: j.ID, VersionID: j.VersionID, Status: j.Status}, nil
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
	// Download is the LoRA file on this computer, when downloaded.
	Download *LocalLoRA `json:"download,omitempty"`
}

// VersionList is the versions screen's content; Offline says it is the
// copy kept on this computer because the server could not be reached.
type VersionList struct {
	Versions []Version `json:"versions"`
	Offline  bool      `json:"offline"`
}

// Versions lists the user's versions, newest first, marking the active
// one. The server owns them; when it cannot be reached, the last copy seen
// is shown instead, marked offline.
func (a *TrainingService) Versions() (VersionList, error) {
	c, err := a.signedIn()
	if err != nil {
		return VersionList{}, a.fail("list versions", err)
	}
	// A server that does not answer soon is treated as unreachable: the
	// copy kept here shows at once instead.
	ctx, cancel := a.readCtx()
	defer cancel()
	vs, err := c.Versions(ctx)
	if studio.ErrorCode(err) == studio.EUnavailable { // unreachable, or silent past the read timeout
		return a.localVersions()
	}
	if err != nil {
		return VersionList{}, a.fail("list versions", err)
	}
	var active *localstore.IdentityRow
	if id, err := c.ActiveIdentity(ctx); err == nil {
		active = &localstore.IdentityRow{VersionID: id.VersionID, Weight: id.Weight, TargetPlatform: id.TargetPlatform}
	}
	out := VersionList{Versions: make([]Version, len(vs))}
	for i, v := range vs {
		out.Versions[i] = Version{ID: v.ID, Number: v.Number, BaseModel: v.BaseModel, DatasetHash: v.DatasetHash, Status: v.Status, CreatedAt: v.CreatedAt}
	}
	rows := make([]localstore.VersionRow, len(out.Versions))
	for i, v := range out.Versions {
		rows[i] = localstore.VersionRow{ID: v.ID, Number: v.Number, BaseModel: v.BaseModel, DatasetHash: v.DatasetHash, Status: v.Status, CreatedAt: v.CreatedAt}
		if active != nil && v.ID == active.VersionID {
			out.Versions[i].Active, out.Versions[i].Weight = true, active.Weight
		}
	}
	if err := a.store.ReplaceVersions(a.ctx, rows, active); err != nil {
		a.log.Warn("versions not replicated", "err", err)
	}
	if out.Versions == nil {
		out.Versions = []Version{}
	}
	a.LoRA.markDownloaded(out.Versions)
	return VersionList{Versions: out.Versions}, nil
}

func (a *TrainingService) localVersions() (VersionList, error) {
	rows, active, err := a.store.Versions(a.ctx)
	if err != nil {
		return VersionList{}, a.fail("list versions", err)
	}
	out := VersionList{Versions: make([]Version, len(rows)), Offline: true}
	for i, r := range rows {
		out.Versions[i] = Version{ID: r.ID, Number: r.Number, BaseModel: r.BaseModel, DatasetHash: r.DatasetHash, Status: r.Status, CreatedAt: r.CreatedAt}
		if active != nil && r.ID == active.VersionID {
			out.Versions[i].Active, out.Versions[i].Weight = true, active.Weight
		}
	}
	a.LoRA.markDownloaded(out.Versions)
	return out, nil
}

// Activation says what became of an activation: the identity now active,
// or that it waits in the outbox for the server.
type Activation struct {
	Identity *wire.Identity `json:"identity,omitempty"`
	Queued   bool           `json:"queued"`
}

// Activate makes a ready version the active identity with a weight;
// activating an older one is a rollback. It goes through the outbox, so an
// activation made offline takes effect when the server answers.
func (a *TrainingService) Activate(versionID string, weight float64, targetPlatform string) (Activation, error) {
	c, err := a.signedIn()
	if err != nil {
		return Activation{}, a.fail("activate", err)
	}
	var ident wire.Identity
	sent, err := a.sendNow(a.ctx, c, outbox.Action{Kind: kindActivate, Path: wire.PathActivate, Ref: versionID,
		Body: wire.ActivateRequest{VersionID: versionID, Weight: wire.Weight(weight), TargetPlatform: targetPlatform}}, &ident)
	switch {
	case err != nil:
		return Activation{}, a.fail("activate", err)
	case !sent:
		return Activation{Queued: true}, nil
	}
	return Activation{Identity: &ident}, nil
}

// sendNow queues act in the outbox and sends what is due at once. sent is
// false when act waits for the server (offline, say); otherwise the
// server's answer is decoded into out. An action the server refuses at
// once is dropped from the queue, since its caller reports the refusal.
func (a *TrainingService) sendNow(ctx context.Context, c *client.Client, act outbox.Action, out any) (sent bool, err error) {
	box, err := a.outboxFor(c)
	if err != nil {
		return false, err
	}
	id, err := box.Enqueue(ctx, act)
	if err != nil {
		return false, err
	}
	if _, err := box.Flush(ctx, true); err != nil {
		a.log.Warn("outbox flush", "err", err)
	}
	o, ok := a.acct.outcome(id)
	switch {
	case !ok:
		return false, nil
	case o.err != nil:
		_ = box.Dismiss(ctx, id)
		return false, o.err
	}
	return true, json.Unmarshal(o.response, out)
}
