package upload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/promptforge/lorastudio/internal/backoff"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

// run is one call of Resume on a session.
type run struct {
	u *Uploader
	s *session

	mu       sync.Mutex // guards everything below, and the parts' url fields
	sent     int64
	resent   int64
	requests int
	renewals int
	gen      int // renewal generation
	files    []fileProgress
	done     int64
	val      *wire.Validation

	dbMu    sync.Mutex // one writer at a time on SQLite
	renewMu sync.Mutex // one renewal at a time
}

type fileProgress struct {
	done, total int64
	last        time.Time
}

func (r *run) stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Stats{BytesSent: r.sent, BytesResent: r.resent, Requests: r.requests, Renewals: r.renewals}
}

func (r *run) result() Result {
	st := r.stats()
	tot := r.s.total
	tot.BytesSent += st.BytesSent
	tot.BytesResent += st.BytesResent
	tot.Renewals += st.Renewals
	st.BytesTotal = tot.BytesTotal
	res := Result{Session: r.s.id, DatasetID: r.s.datasetID, State: r.s.state, Run: st, Total: tot, Validation: r.val}
	if res.Validation == nil && r.s.report != "" {
		var v wire.Validation
		if json.Unmarshal([]byte(r.s.report), &v) == nil {
			res.Validation = &v
		}
	}
	return res
}

// init declares the files to the server and records its answer.
func (r *run) init(ctx context.Context) error {
	req := wire.InitRequest{ModelName: r.s.modelName}
	for _, f := range r.s.files {
		req.Files = append(req.Files, wire.FileDecl{Name: f.name, Size: f.size, ContentType: f.contentType, SHA256: f.sha256, Caption: f.caption})
	}
	// The session's id is the key: an init whose answer was lost is
	// retried on the next resume and answers the same dataset, not a
	// second draft counted against the quota.
	out, err := r.u.cfg.API.InitDataset(ctx, "lorastudio-upload-"+r.s.id, req)
	if err != nil {
		return err
	}
	if len(out.Uploads) != len(r.s.files) || out.DatasetID == "" {
		return fmt.Errorf("upload: init answered %d uploads for %d files", len(out.Uploads), len(r.s.files))
	}
	var parts []*part
	for i, up := range out.Uploads {
		f := r.s.files[i]
		if up.Name != f.name || up.Key == "" {
			return fmt.Errorf("upload: init answered %q for %q", up.Name, f.name)
		}
		f.key = up.Key
		if up.Multipart != nil {
			f.multipartID, f.partSize = up.Multipart.UploadID, up.Multipart.PartSize
		}
		ps, err := partsOf(f, up)
		if err != nil {
			return err
		}
		parts = append(parts, ps...)
	}
	r.dbMu.Lock()
	err = r.u.saveInit(ctx, r.s, out.DatasetID, parts)
	r.dbMu.Unlock()
	if err != nil {
		return err
	}
	r.s.datasetID, r.s.state, r.s.parts = out.DatasetID, StateUploading, parts
	return nil
}

// transfer sends every part not acknowledged yet, Concurrency at a time,
// biggest first; the first failure that retrying does not cure stops it.
func (r *run) transfer(ctx context.Context) error {
	r.files = make([]fileProgress, len(r.s.files))
	var todo []*part
	for _, f := range r.s.files {
		r.files[f.position].total = f.size
	}
	for _, p := range r.s.parts {
		if p.acked {
			r.files[p.pos].done += p.size
			r.done += p.size
		} else {
			todo = append(todo, p)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	slices.SortStableFunc(todo, func(a, b *part) int {
		if a.size != b.size {
			return int(b.size - a.size)
		}
		return 0
	})
	// URLs that expired while the app was closed are renewed in one call.
	soon := r.u.cfg.Now().Add(time.Minute)
	var stale []*part
	for _, p := range todo {
		if !p.expires.IsZero() && p.expires.Before(soon) {
			stale = append(stale, p)
		}
	}
	if len(stale) > 0 {
		if err := r.renew(ctx, stale); err != nil {
			return err
		}
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan *part)
	var wg sync.WaitGroup
	for range min(r.u.cfg.Concurrency, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				if err := r.sendPart(ctx, p); err != nil {
					cancel(err)
					return
				}
			}
		}()
	}
feed:
	for _, p := range todo {
		select {
		case jobs <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return context.Cause(ctx) // nil when every part went
}

// sendPart sends one part until the storage acknowledges it: temporary
// failures are retried with backoff (Attempts in all), an expired URL is
// renewed (twice at most).
func (r *run) sendPart(ctx context.Context, p *part) error {
	f := r.s.files[p.pos]
	failures, renewals := 0, 0
	for {
		r.mu.Lock()
		method, target, headers, gen := p.method, p.url, p.headers, p.gen
		resend := p.attempts > 0
		r.mu.Unlock()
		etag, err := r.put(ctx, f, p, method, target, headers, resend)
		if err == nil {
			r.dbMu.Lock()
			err = r.u.ack(context.WithoutCancel(ctx), r.s.id, p, etag)
			r.dbMu.Unlock()
			if err != nil {
				return err
			}
			r.mu.Lock()
			p.etag, p.acked = etag, true
			r.mu.Unlock()
			r.fileDone(p)
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		var ue *urlError
		switch {
		case errors.As(err, &ue) && ue.status == http.StatusForbidden && renewals < 2:
			renewals++
			if err := r.renewAfter(ctx, gen); err != nil {
				return err
			}
		case isTemporary(err) && failures+1 < r.u.cfg.Attempts:
			failures++
			// At most 1024 times the first delay: a part is small, the wait need not grow past that.
			d := backoff.Policy{Base: r.u.cfg.RetryBase, Max: r.u.cfg.RetryBase << 10}.Delay(failures)
			r.u.cfg.Log.Debug("part failed; retrying", "file", f.name, "part", p.number, "in", d, "err", err)
			if err := backoff.Sleep(ctx, d); err != nil {
				return err
			}
		case errors.As(err, &ue) && ue.status == http.StatusNotFound:
			return studio.Wrap(err, studio.ENotFound, fmt.Sprintf("the storage no longer has the upload of %s (deleted, or abandoned too long)", f.name))
		default:
			if errors.As(err, &ue) {
				return studio.Wrap(err, studio.EUploadRefused, fmt.Sprintf("the storage refused %s (%d %s); upload the dataset again", f.name, ue.status, ue.code))
			}
			var se *studio.Error
			if errors.As(err, &se) {
				return err
			}
			return studio.Wrap(err, studio.EUnavailable, "the connection broke while uploading "+f.name+"; the upload will resume where it stopped")
		}
	}
}

// urlError is a refusal by the storage.
type urlError struct {
	status int
	code   string
	msg    string
}

func (e *urlError) Error() string {
	return fmt.Sprintf("storage answered %d %s %s", e.status, e.code, e.msg)
}

func isTemporary(err error) bool {
	var ue *urlError
	if errors.As(err, &ue) {
		s := ue.status
		return s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500
	}
	return true // no answer: the network
}

// put sends one presigned request with the part's bytes, read from the
// stripped copy, counting what leaves.
func (r *run) put(ctx context.Context, f *file, p *part, method, target string, headers map[string]string, resend bool) (string, error) {
	fh, err := os.Open(f.path)
	if err != nil {
		return "", studio.Wrap(err, studio.EUnreadable, "the copy of "+f.name+" prepared for upload is gone; upload the dataset again")
	}
	defer fh.Close()
	body := &countingReader{ctx: ctx, r: io.NewSectionReader(fh, p.offset, p.size), run: r, part: p, resend: resend}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	req.ContentLength = p.size
	for k, v := range headers {
		if http.CanonicalHeaderKey(k) == "Content-Length" {
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || n != p.size {
				return "", fmt.Errorf("upload: part %d of %s is signed for %s bytes, has %d", p.number, f.name, v, p.size)
			}
			continue // net/http sends ContentLength; a header would be ignored, a chunked body refused
		}
		req.Header.Set(k, v)
	}
	if p.size >= 1<<20 {
		// The storage refuses an expired or bad URL before reading the
		// body: wait for its go-ahead rather than send megabytes for nothing.
		req.Header.Set("Expect", "100-continue")
	}
	r.mu.Lock()
	r.requests++
	r.mu.Unlock()
	resp, err := r.u.cfg.HTTP.Do(req)
	if err != nil {
		body.rollback()
		return "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		body.rollback()
		return "", storageError(resp.StatusCode, raw)
	}
	return resp.Header.Get("ETag"), nil
}

// storageError reads the local store's JSON error or S3's XML one.
func storageError(status int, raw []byte) error {
	e := &urlError{status: status}
	var j wire.ErrorBody
	if json.Unmarshal(raw, &j) == nil && j.Error.Code != "" {
		e.code, e.msg = j.Error.Code, j.Error.Message
		return e
	}
	s := string(raw)
	e.code, e.msg = between(s, "<Code>", "</Code>"), between(s, "<Message>", "</Message>")
	return e
}

func between(s, a, b string) string {
	_, rest, ok := strings.Cut(s, a)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, b)
	return v
}

// countingReader counts a part's bytes as they are handed to the network.
type countingReader struct {
	ctx     context.Context
	r       io.Reader
	run     *run
	part    *part
	resend  bool
	started bool
	n       int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	if !c.started {
		// Record the attempt before its first byte leaves: after a crash,
		// this part's bytes count as re-sent.
		c.started = true
		if err := c.run.markAttempt(c.part); err != nil {
			return 0, err
		}
	}
	if lim := c.run.u.limit; lim != nil {
		if len(b) > limitChunk {
			b = b[:limitChunk]
		}
		if err := lim.WaitN(c.ctx, len(b)); err != nil {
			return 0, err
		}
	}
	n, err := c.r.Read(b)
	if n > 0 {
		c.n += int64(n)
		c.run.sentBytes(c.part, int64(n), c.resend)
	}
	return n, err
}

func (r *run) markAttempt(p *part) error {
	r.dbMu.Lock()
	err := r.u.markAttempt(context.Background(), r.s.id, p)
	r.dbMu.Unlock()
	if err != nil {
		return err
	}
	r.mu.Lock()
	p.attempts++
	r.mu.Unlock()
	return nil
}

// rollback takes an attempt that failed back out of the progress (it stays
// counted as sent).
func (c *countingReader) rollback() {
	r := c.run
	r.mu.Lock()
	r.files[c.part.pos].done -= c.n
	r.done -= c.n
	r.mu.Unlock()
}

func (r *run) sentBytes(p *part, n int64, resend bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent += n
	if resend {
		r.resent += n
	}
	fp := &r.files[p.pos]
	fp.done += n
	r.done += n
	if now := time.Now(); now.Sub(fp.last) >= r.u.cfg.ProgressInterval {
		fp.last = now
		r.emit(p.pos, "uploading")
	}
}

// fileDone reports a file whose every part is acknowledged.
func (r *run) fileDone(p *part) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, q := range r.s.parts {
		if q.pos == p.pos && !q.acked {
			return
		}
	}
	r.emit(p.pos, "done")
}

// emit calls Progress; r.mu is held, which serialises the calls.
func (r *run) emit(pos int, state string) {
	if r.u.cfg.Progress == nil {
		return
	}
	fp := r.files[pos]
	r.u.cfg.Progress(Progress{Session: r.s.id, File: r.s.files[pos].name, Index: pos, FileDone: fp.done, FileTotal: fp.total,
		Done: r.done, Total: r.s.total.BytesTotal, FileState: state})
}

// renewAfter renews every URL not yet acknowledged, unless another worker
// already did since gen was signed.
func (r *run) renewAfter(ctx context.Context, gen int) error {
	r.renewMu.Lock() // the others wait for the renewal in progress, then use it
	defer r.renewMu.Unlock()
	r.mu.Lock()
	if r.gen > gen {
		r.mu.Unlock()
		return nil
	}
	var parts []*part
	for _, p := range r.s.parts {
		if !p.acked {
			parts = append(parts, p)
		}
	}
	r.mu.Unlock()
	return r.renew(ctx, parts)
}

// renew asks the server for new URLs of parts, in one call, and records them.
func (r *run) renew(ctx context.Context, parts []*part) error {
	req := wire.PresignRequest{DatasetID: r.s.datasetID}
	byPos := map[int][]*part{}
	var order []int
	for _, p := range parts {
		if _, ok := byPos[p.pos]; !ok {
			order = append(order, p.pos)
		}
		byPos[p.pos] = append(byPos[p.pos], p)
	}
	slices.Sort(order)
	for _, pos := range order {
		f := r.s.files[pos]
		pf := wire.PresignFile{Key: f.key}
		if f.multipartID != "" {
			for _, p := range byPos[pos] {
				pf.Parts = append(pf.Parts, p.number)
			}
		}
		req.Files = append(req.Files, pf)
	}
	out, err := r.u.cfg.API.PresignDataset(ctx, req)
	if err != nil {
		return err
	}
	if len(out.Uploads) != len(order) {
		return fmt.Errorf("upload: renewal answered %d uploads for %d files", len(out.Uploads), len(order))
	}
	var renewed []*part
	r.mu.Lock()
	r.gen++
	gen := r.gen
	for i, pos := range order {
		f := r.s.files[pos]
		fresh, err := partsOf(f, out.Uploads[i])
		if err != nil {
			r.mu.Unlock()
			return err
		}
		for _, np := range fresh {
			for _, p := range byPos[pos] {
				if p.number == np.number {
					p.method, p.url, p.headers, p.expires, p.gen = np.method, np.url, np.headers, np.expires, gen
					renewed = append(renewed, p)
				}
			}
		}
	}
	r.renewals++
	r.mu.Unlock()
	r.u.cfg.Log.Info("upload urls renewed", "session", r.s.id, "parts", len(renewed))
	r.dbMu.Lock()
	defer r.dbMu.Unlock()
	return r.u.saveURLs(ctx, r.s.id, renewed)
}

// commit records every file with the server, multipart ones with their
// parts' ETags.
func (r *run) commit(ctx context.Context) error {
	req := wire.CommitRequest{DatasetID: r.s.datasetID}
	for _, f := range r.s.files {
		cf := wire.CommitFile{Key: f.key}
		if f.multipartID != "" {
			for _, p := range r.s.parts {
				if p.pos == f.position {
					cf.Parts = append(cf.Parts, wire.CommitPart{Number: p.number, ETag: p.etag})
				}
			}
			slices.SortFunc(cf.Parts, func(a, b wire.CommitPart) int { return a.Number - b.Number })
		}
		req.Files = append(req.Files, cf)
	}
	if _, err := r.u.cfg.API.CommitDataset(ctx, req); err != nil {
		return err
	}
	if err := r.u.setState(ctx, r.s.id, StateCommitted, ""); err != nil {
		return err
	}
	r.s.state = StateCommitted
	return nil
}

// validate asks the server's engine for its verdict and records it.
func (r *run) validate(ctx context.Context) error {
	v, err := r.u.cfg.API.ValidateDataset(ctx, wire.ValidateRequest{DatasetID: r.s.datasetID, BaseModel: r.s.baseModel, MinResolution: r.s.minRes})
	if err != nil {
		return err
	}
	state := StateRejected
	if v.Status == StateValidated {
		state = StateValidated
	}
	if err := r.u.setState(ctx, r.s.id, state, jsonString(v)); err != nil {
		return err
	}
	r.s.state, r.val = state, &v
	return nil
}

func parseURL(s string) (*url.URL, error) { return url.Parse(s) }

func parseInt(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }
