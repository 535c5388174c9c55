package training

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/internal/safetensors"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
	"github.com/promptforge/lorastudio/internal/worker"
)

// Ingester applies verified webhooks of the providers to jobs.
type Ingester struct {
	Store    IngestStore
	Blobs    blob.Store
	Verifier stdwebhook.Verifier // every secret a provider may sign with
	// Replicate, when set, authorises downloads of its trained weights.
	Replicate   *Replicate
	MaxArtifact int64        // default 2 GiB
	HTTP        *http.Client // downloads from Replicate
	Log         *slog.Logger
}

// Result is what the webhook answers when it accepted a message; its
// Outcome is one of pgstore's Outcome* values.
type Result = wire.WebhookResult

// Errors of Ingest, mapped by the HTTP layer.
var (
	ErrUnauthenticated = errors.New("webhook signature invalid")
	ErrMalformed       = errors.New("webhook body malformed")
)

// Message is a verified webhook, parsed: what Apply needs and nothing of
// the body, which may be megabytes of Replicate's logs.
type Message struct {
	ID    string // the webhook id, deduplicated on
	Event pgstore.JobEvent
	fetch string // Replicate's weights URL, on success
	ckpt  *worker.Checkpoint
}

// Ingest verifies a webhook over its raw body and applies it. A verified
// message always gets a Result (duplicate, ignored, erased...), so the
// sender stops retrying; an error means either that it was not verified
// (ErrUnauthenticated), not understood (ErrMalformed), or that applying it
// failed for now (retry).
func (in *Ingester) Ingest(ctx context.Context, h http.Header, query url.Values, body []byte) (Result, error) {
	m, err := in.Read(ctx, h, query, body)
	if err != nil {
		return Result{}, err
	}
	return in.Apply(ctx, m)
}

// Read verifies a webhook over its raw body, then parses it. Returns
// ErrUnauthenticated or ErrMalformed. The Message keeps nothing of body.
func (in *Ingester) Read(ctx context.Context, h http.Header, query url.Values, body []byte) (Message, error) {
	id, err := in.Verifier.Verify(h, body)
	if err != nil {
		return Message{}, fmt.Errorf("%w: %v", ErrUnauthenticated, err)
	}
	ev, fetch, ckpt, err := in.parse(ctx, query, body)
	if err != nil {
		return Message{}, err
	}
	return Message{ID: id, Event: ev, fetch: fetch, ckpt: ckpt}, nil
}

// Apply applies a verified message to its job, once per message id: a
// success's artifact is first checked (Replicate's weights copied into our
// storage), and ApplyJob moves the job forward only. A webhook and the
// reconciliation (Reconciler) both end here.
func (in *Ingester) Apply(ctx context.Context, m Message) (Result, error) {
	id, ev, fetch, ckpt := m.ID, m.Event, m.fetch, m.ckpt
	ev.WebhookID = id
	// A duplicate of an event that reads storage (a success's artifact, a
	// checkpoint) is answered before that work; any other event goes
	// straight to ApplyJob, which records the id and applies it once:
	// one database round trip less on the most frequent webhook, progress.
	if ev.Status == studio.JobSucceeded || ckpt != nil {
		if o, err := in.Store.WebhookOutcome(ctx, id); err != nil {
			return Result{}, err
		} else if o != "" {
			return Result{Outcome: pgstore.OutcomeDuplicate}, nil
		}
	}
	res := Result{JobID: ev.JobID}
	if ev.Status == studio.JobSucceeded {
		ref, err := in.Store.JobRef(ctx, ev.JobID)
		switch {
		case studio.ErrorCode(err) == studio.ENotFound:
			// Erased or unknown: ApplyJobEvent says which; nothing to check.
		case err != nil:
			return Result{}, err
		case studio.JobCanMove(ref.Status, studio.JobSucceeded):
			ev.ArtifactKey = ref.ArtifactKey
			if err := in.checkArtifact(ctx, ref, &ev, fetch); err != nil {
				return Result{}, err
			}
		}
	}
	if ckpt != nil && (ev.Status == studio.JobRunning || ev.Status == studio.JobSucceeded) {
		if err := in.applyCheckpoint(ctx, &ev, ckpt); err != nil {
			return Result{}, err
		}
	}
	in.clean(&ev)
	applied, err := in.Store.ApplyJob(ctx, ev)
	if err != nil {
		return Result{}, err
	}
	// The answer says what was recorded: an event claiming success whose
	// artifact was rejected, or arriving after a cancel, did not succeed.
	res.Outcome, res.Status = applied.Outcome, applied.Status
	outcome, erasedKey := applied.Outcome, applied.ErasedKey
	switch outcome {
	case pgstore.OutcomeErased:
		// The bytes may have landed after the erasure: delete, never keep.
		if erasedKey != "" {
			if err := in.Blobs.Delete(ctx, erasedKey); err != nil {
				return Result{}, err
			}
		}
	case pgstore.OutcomeIgnored:
		if ev.Status == studio.JobSucceeded {
			if ref, err := in.Store.JobRef(ctx, ev.JobID); err == nil && ref.Status != studio.JobSucceeded && ref.ArtifactKey != "" {
				_ = in.Blobs.Delete(ctx, ref.ArtifactKey) // a canceled or failed job keeps no artifact
			}
		}
	}
	in.log().Info("webhook", "webhook_id", id, "job_id", ev.JobID, "status", ev.Status, "outcome", outcome)
	return res, nil
}

// Limits of the text a provider reports, which the desktop shows.
const (
	MaxEventError = 4 << 10 // bytes of a job's error message
	MaxLogsURL    = 2 << 10 // bytes of a job's logs URL
)

// clean makes a provider's text safe to store and show, so no content can
// make a webhook fail for good (Postgres refuses NUL): the error loses its
// control characters and is capped, and a logs URL that is not an absolute
// http(s) URL is dropped, since the desktop renders it as a link.
func (in *Ingester) clean(ev *pgstore.JobEvent) {
	ev.Error = studio.CleanText(ev.Error, MaxEventError)
	if ev.LogsURL != "" && !linkURL(ev.LogsURL) {
		in.log().Warn("webhook: logs_url dropped: not an http(s) URL", "job_id", ev.JobID, "logs_url", studio.CleanText(ev.LogsURL, 200))
		ev.LogsURL = ""
	}
}

// linkURL reports whether raw is fit to show as a link: an absolute http
// or https URL of reasonable length without control characters.
func linkURL(raw string) bool {
	if len(raw) > MaxLogsURL || studio.CheckText("logs_url", raw, false) != nil {
		return false
	}
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func (in *Ingester) log() *slog.Logger {
	if in.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return in.Log
}

// parse reads either our worker's Event or Replicate's training object
// (the webhook URL we gave Replicate carries ?provider=replicate&job=ID).
// fetch is the Replicate weights URL to download, if any.
func (in *Ingester) parse(ctx context.Context, query url.Values, body []byte) (ev pgstore.JobEvent, fetch string, ckpt *worker.Checkpoint, err error) {
	if query.Get("provider") == "replicate" {
		var t ReplicateTraining
		if err := json.Unmarshal(body, &t); err != nil || t.ID == "" {
			return ev, "", nil, fmt.Errorf("%w: not a replicate training", ErrMalformed)
		}
		if err := studio.CheckText("id", t.ID, false); err != nil {
			return ev, "", nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		ev, fetch, err := in.replicateEvent(ctx, t, query.Get("job"))
		return ev, fetch, nil, err
	}
	var e worker.Event
	dec := json.NewDecoder(bytes.NewReader(body)) // no copy of the body
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.JobID == "" {
		return ev, "", nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	switch e.Status {
	case studio.JobDispatched, studio.JobRunning, studio.JobSucceeded, studio.JobFailed, studio.JobCanceled:
	default:
		return ev, "", nil, fmt.Errorf("%w: unknown status %q", ErrMalformed, e.Status)
	}
	ev = pgstore.JobEvent{JobID: e.JobID, Status: e.Status, Progress: e.Progress, LogsURL: e.LogsURL, Error: e.Error}
	if e.Status == studio.JobSucceeded {
		sum, ok := strings.CutPrefix(e.Checksum, "sha256:")
		if !ok || len(sum) != 64 || e.Size <= 0 {
			ev.Status, ev.Error = studio.JobFailed, "the worker reported success without a sha256 checksum and size"
		}
		ev.ArtifactSHA256, ev.ArtifactSize = strings.ToLower(sum), e.Size
	}
	return ev, "", e.Checkpoint, nil
}

// replicateEvent maps a training object to our event and the weights URL
// to fetch. jobHint is the job id of the webhook URL, used when the
// training is not recorded on a job (yet, or any more).
func (in *Ingester) replicateEvent(ctx context.Context, t ReplicateTraining, jobHint string) (ev pgstore.JobEvent, fetch string, err error) {
	ref, err := in.Store.JobRefByProvider(ctx, "replicate", t.ID)
	switch {
	case err == nil:
		ev.JobID = ref.ID
	case studio.ErrorCode(err) == studio.ENotFound:
		// The dispatch's answer may not be recorded yet, or the job was
		// erased: the job id of the webhook URL decides.
		ev.JobID = jobHint
	default:
		return ev, "", err
	}
	ev.Status, ev.Progress, ev.LogsURL, ev.Error = t.Event()
	if ev.Status == "" {
		return ev, "", fmt.Errorf("%w: unknown replicate status %q", ErrMalformed, t.Status)
	}
	if ev.Status == studio.JobSucceeded {
		if t.Output == nil || t.Output.Weights == "" {
			ev.Status, ev.Error = studio.JobFailed, "replicate reported success without weights"
		} else {
			fetch = t.Output.Weights
		}
	}
	return ev, fetch, nil
}

// checkArtifact proves the artifact before the version becomes ready: its
// size and sha256 are the reported ones and it is a safetensors LoRA. A
// failed check turns the event into a failure and deletes the bytes. For
// Replicate the weights are first copied into our storage.
func (in *Ingester) checkArtifact(ctx context.Context, ref pgstore.JobRef, ev *pgstore.JobEvent, fetch string) error {
	maxArt := in.MaxArtifact
	if maxArt == 0 {
		maxArt = 2 << 30
	}
	reject := func(format string, args ...any) error {
		ev.Status, ev.Error = studio.JobFailed, "artifact rejected: "+fmt.Sprintf(format, args...)
		ev.ArtifactKey, ev.ArtifactSHA256, ev.ArtifactSize = "", "", 0
		if err := in.Blobs.Delete(ctx, ref.ArtifactKey); err != nil {
			in.log().Warn("could not delete a rejected artifact", "key", ref.ArtifactKey, "err", err)
		}
		return nil
	}
	if fetch != "" {
		meta, err := in.modelSpec(ctx, ref)
		if err != nil {
			return err
		}
		sum, size, err := in.copyReplicateWeights(ctx, fetch, ref.ArtifactKey, maxArt, meta)
		if err != nil {
			var rej *rejection
			if errors.As(err, &rej) {
				return reject("%s", rej.msg)
			}
			return err
		}
		ev.ArtifactSHA256, ev.ArtifactSize = sum, size
	}
	info, err := in.Blobs.Stat(ctx, ref.ArtifactKey)
	if studio.ErrorCode(err) == studio.ENotFound {
		return reject("nothing was uploaded")
	}
	if err != nil {
		return err
	}
	if info.Size > maxArt {
		return reject("%d bytes is over the %d-byte limit", info.Size, maxArt)
	}
	if info.Size != ev.ArtifactSize {
		return reject("stored size %d differs from the reported %d", info.Size, ev.ArtifactSize)
	}
	sum := info.SHA256
	if sum == "" {
		if sum, err = blob.SHA256(ctx, in.Blobs, ref.ArtifactKey); err != nil {
			return err
		}
	}
	if sum != ev.ArtifactSHA256 {
		return reject("stored sha256 %s differs from the reported %s", sum, ev.ArtifactSHA256)
	}
	rc, err := in.Blobs.Open(ctx, ref.ArtifactKey)
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := safetensors.Check(rc, info.Size); err != nil {
		return reject("not a safetensors LoRA: %v", err)
	}
	return nil
}

type rejection struct{ msg string }

func (r *rejection) Error() string { return r.msg }

// modelSpec returns the ModelSpec keys of the job's version, for hosted
// trainers that do not run our worker (Replicate).
func (in *Ingester) modelSpec(ctx context.Context, ref pgstore.JobRef) (map[string]string, error) {
	v, err := in.Store.NamedVersion(ctx, ref.UserID, ref.VersionID)
	if err != nil {
		return nil, err
	}
	var p Params
	if err := json.Unmarshal(v.Params, &p); err != nil {
		return nil, fmt.Errorf("ingest: params of version %s: %w", v.ID, err)
	}
	return worker.ModelSpec(v.BaseModel, p, ArtifactMeta(v.ModelName, v.Version, p), time.Now())
}

// copyReplicateWeights downloads the trained weights (a tar holding the
// .safetensors, or the file itself) and stores the safetensors at key,
// with meta written into its header on the way, so the stored file and its
// sha256 carry the ModelSpec keys.
func (in *Ingester) copyReplicateWeights(ctx context.Context, src, key string, maxArt int64, meta map[string]string) (string, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return "", 0, &rejection{"bad weights url"}
	}
	if in.Replicate != nil && strings.HasPrefix(src, in.Replicate.base()) {
		req.Header.Set("Authorization", "Bearer "+in.Replicate.Token) // never sent to other hosts
	}
	c := in.HTTP
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Minute}
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", 0, fmt.Errorf("download weights: %s", resp.Status)
	}
	tmp, err := os.CreateTemp("", "lorastudio-weights-")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, maxArt*2+1))
	if err != nil {
		return "", 0, err
	}
	if n > maxArt*2 {
		return "", 0, &rejection{"the weights download is too large"}
	}
	tmp.Seek(0, io.SeekStart)
	var payload io.Reader = tmp
	size := n
	tr := tar.NewReader(tmp)
	found := false
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		if hdr.Typeflag == tar.TypeReg && strings.HasSuffix(hdr.Name, ".safetensors") {
			payload, size, found = tr, hdr.Size, true
			break
		}
	}
	if !found {
		tmp.Seek(0, io.SeekStart) // not a tar: the file itself
	}
	if size > maxArt {
		return "", 0, &rejection{"the weights are over the size limit"}
	}
	out, err := os.CreateTemp("", "lorastudio-lora-")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	h := sha256.New()
	size, err = safetensors.Rewrite(io.MultiWriter(out, h), io.LimitReader(payload, size), size, meta)
	var fe *safetensors.FormatError
	if errors.As(err, &fe) {
		return "", 0, &rejection{"the weights are not a safetensors file: " + fe.Error()}
	}
	if err != nil {
		return "", 0, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	put, err := in.Blobs.PresignPut(ctx, blob.Object{Key: key, Size: size, ContentType: "application/octet-stream", SHA256: sum}, time.Hour)
	if err != nil {
		return "", 0, err
	}
	out.Seek(0, io.SeekStart)
	preq, err := blob.NewHTTPRequest(ctx, put, out)
	if err != nil {
		return "", 0, err
	}
	presp, err := c.Do(preq)
	if err != nil {
		return "", 0, err
	}
	presp.Body.Close()
	if presp.StatusCode/100 != 2 {
		return "", 0, fmt.Errorf("store weights: %s", presp.Status)
	}
	return sum, size, nil
}
