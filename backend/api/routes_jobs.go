package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

// Training holds what the training routes need. A zero Training answers
// "training_unavailable" on POST /api/lora/jobs. The store puts each new
// job's dispatch in the queue (pgstore.Store.Queue) as it creates the job.
type Training struct {
	Provider training.Provider
	Ingester *training.Ingester
	// DispatchSecret derives each job's dispatch key (training.DispatchKey).
	DispatchSecret []byte
	// IdempotencyTTL is how long an Idempotency-Key is remembered, default 24 h.
	IdempotencyTTL time.Duration
	// IdempotencyLock is how long an unfinished claim blocks the key before
	// another request may take it over, default 1 minute.
	IdempotencyLock time.Duration
	// WebhookReadTimeout bounds the reading of one webhook body, default
	// DefaultWebhookReadTimeout; WebhookReads bounds the bodies read at
	// once, default DefaultWebhookReads, and ReplicateWebhookReads those of
	// Replicate, default DefaultReplicateWebhookReads.
	WebhookReadTimeout    time.Duration
	WebhookReads          int
	ReplicateWebhookReads int
}

// DefaultIdempotencyTTL is how long a key of POST /api/lora/jobs is kept.
const DefaultIdempotencyTTL = 24 * time.Hour

type createJobIn struct {
	IdempotencyKey string `header:"Idempotency-Key" doc:"required: 1 to 255 printable ASCII characters, quoted or not; the same key with the same body replays the first response for 24 h"`
	Body           wire.JobRequest
}

type createJobOut struct {
	Status   int
	Replayed string `header:"Idempotent-Replayed"`
	Body     wire.JobCreated
}

type jobOut struct{ Body wire.Job }

type jobsOut struct{ Body wire.Jobs }

type jobIDIn struct {
	ID string `path:"id" maxLength:"64"`
}

func (s *Server) registerJobs() {
	tags := []string{"training"}
	register(s, huma.Operation{
		OperationID: "jobs-create", Method: http.MethodPost, Path: "/api/lora/jobs",
		Summary: "Train a new version of the dataset's model (Idempotency-Key required)", Security: bearer,
		DefaultStatus: http.StatusAccepted, Metadata: map[string]any{"rate_limit": "jobs"}, Tags: tags,
	}, s.createJob)
	register(s, huma.Operation{
		OperationID: "jobs-list", Method: http.MethodGet, Path: "/api/lora/jobs",
		Summary: "The user's training jobs with status and progress", Security: bearer, Tags: tags,
	}, s.listJobs)
	register(s, huma.Operation{
		OperationID: "jobs-get", Method: http.MethodGet, Path: "/api/lora/jobs/{id}",
		Summary: "One training job", Security: bearer, Tags: tags,
	}, s.getJob)
	register(s, huma.Operation{
		OperationID: "jobs-logs", Method: http.MethodGet, Path: "/api/lora/jobs/{id}/logs",
		Summary: "The end of a job's training log, as its provider has it", Security: bearer,
		Metadata: map[string]any{"rate_limit": "logs"}, Tags: tags,
	}, s.jobLogs)
	register(s, huma.Operation{
		OperationID: "jobs-cancel", Method: http.MethodPost, Path: "/api/lora/jobs/{id}/cancel",
		Summary: "Cancel a training that has not finished (canceling again answers the same)", Security: bearer, Tags: tags,
	}, s.cancelJob)
}

// idempotencyKey checks the header: required, at most 255 characters of
// printable ASCII, as an sf-string ("…") or bare.
func idempotencyKey(raw string) (string, error) {
	if raw == "" {
		return "", studio.Errorf(studio.EIdempotencyKeyRequired, "send an Idempotency-Key header (a random string, e.g. a UUID) so a retried request never trains twice")
	}
	k := raw
	if len(k) >= 2 && k[0] == '"' && k[len(k)-1] == '"' {
		k = k[1 : len(k)-1]
	}
	if k == "" || len(k) > 255 {
		return "", studio.Errorf(studio.EIdempotencyKeyInvalid, "the Idempotency-Key must have 1 to 255 characters")
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e || k[i] == '"' || k[i] == '\\' {
			return "", studio.Errorf(studio.EIdempotencyKeyInvalid, "the Idempotency-Key must be printable ASCII without spaces, quotes or backslashes")
		}
	}
	return k, nil
}

func (s *Server) createJob(ctx context.Context, in *createJobIn) (*createJobOut, error) {
	key, err := idempotencyKey(in.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	tr := s.cfg.Training
	if tr.Provider == nil {
		return nil, studio.Errorf(studio.ETrainingUnavailable, "this server has no GPU provider configured")
	}
	uid := userID(ctx)
	canon, _ := json.Marshal(in.Body) // the decoded body: key order and spacing do not matter
	sum := sha256.Sum256(canon)
	hash := hex.EncodeToString(sum[:])
	claim, err := s.cfg.Store.ClaimIdempotencyKey(ctx, uid, key, hash, tr.IdempotencyTTL, tr.IdempotencyLock)
	if err != nil {
		return nil, err
	}
	switch claim.State {
	case pgstore.IdemReplay:
		out := &createJobOut{Status: claim.Status, Replayed: "true"}
		if err := json.Unmarshal(claim.Body, &out.Body); err != nil {
			return nil, err
		}
		return out, nil
	case pgstore.IdemMismatch:
		return nil, studio.Errorf(studio.EIdempotencyKeyReused, "this Idempotency-Key was used with another request body; use a new key for a new request")
	case pgstore.IdemInFlight:
		return nil, studio.Errorf(studio.EIdempotencyKeyInFlight, "a request with this Idempotency-Key is still being processed; retry in a moment")
	}
	out, err := s.runCreateJob(ctx, uid, key, in)
	if err != nil {
		// Nothing was committed: free the key so the client can retry it.
		if rerr := s.cfg.Store.ReleaseIdempotencyKey(context.WithoutCancel(ctx), uid, key); rerr != nil {
			logger(ctx).Error("release idempotency key", "err", rerr)
		}
		return nil, err
	}
	return out, nil
}

func (s *Server) runCreateJob(ctx context.Context, uid, key string, in *createJobIn) (*createJobOut, error) {
	tr := s.cfg.Training
	if err := s.requireConsent(ctx); err != nil {
		return nil, err
	}
	params, err := training.Resolve(in.Body.BaseModel, in.Body.Params)
	if err != nil {
		return nil, err
	}
	supported, err := tr.Provider.BaseModels(ctx)
	if err != nil {
		return nil, studio.Wrap(err, studio.EProviderUnavailable, "the GPU provider did not answer; try again later")
	}
	if !slices.Contains(supported, in.Body.BaseModel) {
		return nil, studio.Errorf(studio.EBaseModelUnsupported, "the GPU provider (%s) trains %s, not %s", tr.Provider.Name(), strings.Join(supported, ", "), in.Body.BaseModel)
	}
	raw, _ := json.Marshal(params)
	out := &createJobOut{Status: http.StatusAccepted}
	v, j, err := s.cfg.Store.CreateJob(ctx, pgstore.NewJob{
		UserID: uid, DatasetID: in.Body.DatasetID, BaseModel: in.Body.BaseModel, Params: raw, Provider: tr.Provider.Name(),
		DispatchKey:    func(jobID string) string { return training.DispatchKey(tr.DispatchSecret, jobID) },
		ArtifactKey:    func(jobID string) string { return training.ArtifactKey(uid, jobID) },
		IdempotencyKey: key,
		Respond: func(v studio.Version, j studio.Job) (int, []byte) {
			out.Body = wire.JobCreated{JobID: j.ID, VersionID: v.ID, Status: j.Status}
			b, _ := json.Marshal(out.Body)
			return out.Status, b
		},
	})
	if err != nil {
		return nil, err
	}
	logger(ctx).Info("training job created", "job_id", j.ID, "version_id", v.ID, "version", v.Number, "base_model", v.BaseModel)
	return out, nil
}

func toJobBody(j studio.Job) wire.Job {
	return wire.Job{ID: j.ID, VersionID: j.VersionID, Status: j.Status, Progress: j.Progress, LogsURL: j.LogsURL, Error: j.Error, CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt}
}

func (s *Server) getJob(ctx context.Context, in *jobIDIn) (*jobOut, error) {
	j, err := s.cfg.Store.Job(ctx, userID(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return &jobOut{Body: toJobBody(j)}, nil
}

type jobLogsOut struct{ Body wire.JobLog }

// logTailMax bounds the log a client polls.
const logTailMax = 16 << 10

// jobLogs returns the end of the job's log from its provider, so the
// desktop can show training as it happens.
func (s *Server) jobLogs(ctx context.Context, in *jobIDIn) (*jobLogsOut, error) {
	j, err := s.cfg.Store.Job(ctx, userID(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	out := &jobLogsOut{}
	lt, ok := s.cfg.Training.Provider.(training.LogTail)
	if !ok || j.Status == studio.JobQueued {
		return out, nil
	}
	ref, err := s.cfg.Store.JobRef(ctx, j.ID)
	if err != nil {
		return nil, err
	}
	log, err := lt.LogTail(ctx, ref, logTailMax)
	if err != nil {
		return nil, studio.Wrap(err, studio.EProviderUnavailable, "the GPU provider did not send the log; try again")
	}
	out.Body.Log, out.Body.Available = log, log != ""
	return out, nil
}

// cancelJob cancels the job here first, so nothing the provider reports
// afterwards can make it a version, then asks the provider to stop it. A
// provider that cannot be reached keeps training for nothing: its result is
// discarded when it arrives.
func (s *Server) cancelJob(ctx context.Context, in *jobIDIn) (*jobOut, error) {
	uid := userID(ctx)
	ref, moved, err := s.cfg.Store.CancelJob(ctx, uid, in.ID, "canceled by the user")
	if err != nil {
		return nil, err
	}
	if p := s.cfg.Training.Provider; moved && p != nil && ref.Status != studio.JobQueued {
		if err := p.Cancel(ctx, ref); err != nil {
			logger(ctx).Warn("could not cancel a job at its provider; its result will be discarded", "job_id", ref.ID, "err", err)
		}
	}
	logger(ctx).Info("training job canceled", "job_id", ref.ID, "was", ref.Status, "moved", moved)
	j, err := s.cfg.Store.Job(ctx, uid, in.ID)
	if err != nil {
		return nil, err
	}
	return &jobOut{Body: toJobBody(j)}, nil
}

func (s *Server) listJobs(ctx context.Context, _ *struct{}) (*jobsOut, error) {
	js, err := s.cfg.Store.Jobs(ctx, userID(ctx))
	if err != nil {
		return nil, err
	}
	out := &jobsOut{}
	out.Body.Jobs = []wire.Job{}
	for _, j := range js {
		out.Body.Jobs = append(out.Body.Jobs, toJobBody(j))
	}
	return out, nil
}
