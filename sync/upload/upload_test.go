package upload_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
	"github.com/promptforge/lorastudio/sync/client"
	"github.com/promptforge/lorastudio/sync/synctest"
	"github.com/promptforge/lorastudio/sync/upload"
)

const partSize = 5 << 20 // the backend's default part size

// fixture is one test's backend, signed-in client, local database and photos.
type fixture struct {
	be     *synctest.Backend
	api    *client.Client
	dbDir  string
	db     *sql.DB
	photos []upload.Photo
	total  int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{be: synctest.NewBackend(t, nil), dbDir: t.TempDir()}
	f.api = f.be.SignUp(t, "alice@example.com")
	f.db = synctest.OpenDB(t, f.dbDir)
	for _, p := range synctest.Dataset(t) {
		f.photos = append(f.photos, upload.Photo{Name: p.Name, Path: p.Path})
	}
	return f
}

// uploader returns a new Uploader on f's database, as a restarted app would.
func (f *fixture) uploader(t *testing.T, mod func(*upload.Config)) *upload.Uploader {
	t.Helper()
	cfg := upload.Config{DB: f.db, API: f.api, Dir: filepath.Join(f.dbDir, "uploads"), Concurrency: 3, RetryBase: time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	u, err := upload.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// reopen closes the local database and opens it again, like a restart.
func (f *fixture) reopen(t *testing.T) {
	t.Helper()
	f.db.Close()
	f.db = synctest.OpenDB(t, f.dbDir)
}

func (f *fixture) request() upload.Request {
	return upload.Request{Ref: "local-dataset", ModelName: "me", Photos: f.photos, MinResolution: 256}
}

// checkServer asserts the server has every photo committed with the sha256
// of its stripped copy, and a validation report.
func checkServer(t *testing.T, f *fixture, res upload.Result) {
	t.Helper()
	if res.State != upload.StateValidated && res.State != upload.StateRejected {
		t.Fatalf("state %q, want validated or rejected", res.State)
	}
	if res.Validation == nil || res.Validation.Report == nil || res.Validation.Report.ImageCount != len(f.photos) {
		t.Fatalf("validation: %+v, want a report of %d images", res.Validation, len(f.photos))
	}
	ds, err := f.api.Dataset(context.Background(), res.DatasetID)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Status != res.State || ds.ImageCount != len(f.photos) || len(ds.Items) != len(f.photos) {
		t.Fatalf("server dataset: status %s, %d images, %d items; want %s, %d", ds.Status, ds.ImageCount, len(ds.Items), res.State, len(f.photos))
	}
	want := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(f.dbDir, "uploads", res.Session, "*.jpg"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		want[hex.EncodeToString(sum[:])] = true
	}
	for _, it := range ds.Items {
		if !want[it.SHA256] {
			t.Errorf("server item %s has sha256 %s, which is no stripped copy", it.Name, it.SHA256)
		}
	}
	if len(want) != len(f.photos) {
		t.Errorf("%d stripped copies, want %d", len(want), len(f.photos))
	}
}

func TestUploadFlow(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	fileDone := map[int]upload.Progress{}
	var events int
	var lastDone int64
	u := f.uploader(t, func(c *upload.Config) {
		c.Progress = func(p upload.Progress) {
			mu.Lock()
			defer mu.Unlock()
			events++
			if p.FileState == "done" {
				fileDone[p.Index] = p
			}
			if p.Done > p.Total || p.FileDone > p.FileTotal {
				t.Errorf("progress over its total: %+v", p)
			}
			lastDone = max(lastDone, p.Done)
		}
	})
	start := time.Now()
	res, err := u.Upload(context.Background(), f.request())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("20 photos (%d bytes) uploaded, committed and validated in %v: %s", res.Total.BytesTotal, time.Since(start), res.State)
	checkServer(t, f, res)

	if res.Run.BytesSent != res.Total.BytesTotal || res.Run.BytesResent != 0 || res.Run.Renewals != 0 {
		t.Errorf("run stats %+v: want every byte sent once (%d), none re-sent, no renewal", res.Run, res.Total.BytesTotal)
	}
	if want := len(f.photos) + 1; res.Run.Requests != want { // 19 PUTs + 2 parts
		t.Errorf("%d storage requests, want %d (19 single PUTs and 2 parts)", res.Run.Requests, want)
	}
	if len(fileDone) != len(f.photos) {
		t.Errorf("%d files reported done, want %d (%d events)", len(fileDone), len(f.photos), events)
	}
	for i, p := range fileDone {
		if p.FileDone != p.FileTotal || p.File != f.photos[i].Name {
			t.Errorf("file %d done event %+v: want file_done = file_total and name %s", i, p, f.photos[i].Name)
		}
	}
	if lastDone != res.Total.BytesTotal {
		t.Errorf("overall progress reached %d, want %d", lastDone, res.Total.BytesTotal)
	}
	_, puts := f.be.Received()
	for k, n := range puts {
		if n != 1 {
			t.Errorf("%s was sent %d times, want once", k, n)
		}
	}

	// The session is finished: Sessions no longer lists it and Resume
	// returns the stored result without sending anything.
	if ss, err := u.Sessions(context.Background()); err != nil || len(ss) != 0 {
		t.Errorf("unfinished sessions %v, %v; want none", ss, err)
	}
	again, err := u.Resume(context.Background(), res.Session)
	if err != nil || again.State != res.State || again.Run.BytesSent != 0 || again.Validation == nil {
		t.Errorf("resume of a finished session: %+v, %v", again, err)
	}
}

// killer is an http.RoundTripper between the uploader and the storage that
// kills the upload half-way: it calls kill once the body of a big part is
// half read and five small files went, and from then on fails every request if down is set.
type killer struct {
	next  http.RoundTripper
	kill  func()
	down  bool
	once  sync.Once
	dead  atomic.Bool
	fired atomic.Bool
	small atomic.Int32 // small files acknowledged
}

func (k *killer) RoundTrip(r *http.Request) (*http.Response, error) {
	if k.dead.Load() {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, errors.New("network is unreachable")
	}
	if r.ContentLength >= 1<<20 && r.Body != nil {
		r.Body = &halfway{ReadCloser: r.Body, k: k, half: r.ContentLength / 2}
	}
	resp, err := k.next.RoundTrip(r)
	if err == nil && resp.StatusCode/100 == 2 && r.ContentLength < 1<<20 {
		k.small.Add(1)
	}
	return resp, err
}

type halfway struct {
	io.ReadCloser
	k    *killer
	half int64
	n    int64
}

func (h *halfway) Read(p []byte) (int, error) {
	if h.k.dead.Load() {
		return 0, errors.New("network is unreachable")
	}
	n, err := h.ReadCloser.Read(p)
	h.n += int64(n)
	if h.n >= h.half {
		// Kill once some small files went too, so that the kill leaves
		// parts acknowledged, parts in flight and parts not started.
		for deadline := time.Now().Add(10 * time.Second); h.k.small.Load() < 5 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		h.k.once.Do(func() {
			h.k.fired.Store(true)
			if h.k.down {
				h.k.dead.Store(true)
			}
			h.k.kill()
		})
		if h.k.dead.Load() {
			return n, errors.New("network is unreachable")
		}
	}
	return n, err
}

type partRow struct {
	url      string
	number   int
	size     int64
	attempts int
	acked    bool
}

func parts(t *testing.T, db *sql.DB, session string) []partRow {
	t.Helper()
	rows, err := db.Query(`SELECT url, number, size_bytes, attempts, acked_at IS NOT NULL FROM sync_upload_parts WHERE upload_id = ?`, session)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []partRow
	for rows.Next() {
		var p partRow
		if err := rows.Scan(&p.url, &p.number, &p.size, &p.attempts, &p.acked); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// serverID names a part the way synctest.Backend counts them.
func serverID(t *testing.T, p partRow) string {
	u, err := url.Parse(p.url)
	if err != nil {
		t.Fatal(err)
	}
	id := u.Path + "#"
	if p.number > 0 {
		id += strconv.Itoa(p.number)
	}
	return id
}

// TestResumeAfterKill kills an upload half-way through the big photo's
// first part, then resumes it with a new Uploader on the reopened database,
// as the app does after a restart: only the parts not acknowledged are sent
// again, and the dataset is committed and validated.
func TestResumeAfterKill(t *testing.T) {
	tests := []struct {
		name string
		down bool // the network goes down (requests fail) rather than the app quitting (context cancelled)
	}{
		{"app quits", false},
		{"network lost", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			k := &killer{next: http.DefaultTransport, kill: func() {
				if !tt.down {
					cancel()
				}
			}, down: tt.down}
			u1 := f.uploader(t, func(c *upload.Config) {
				c.HTTP = &http.Client{Transport: k}
				c.Attempts = 2
			})
			first, err := u1.Upload(ctx, f.request())
			if err == nil || !k.fired.Load() {
				t.Fatalf("first run: err %v, killed %v; want it killed half-way", err, k.fired.Load())
			}
			if tt.down && studio.ErrorCode(err) != studio.EUnavailable {
				t.Errorf("network lost: got %v, want code %s", err, studio.EUnavailable)
			}
			if !tt.down && !errors.Is(err, context.Canceled) {
				t.Errorf("app quit: got %v, want context.Canceled", err)
			}
			before := parts(t, f.db, first.Session)
			var acked, inflight int
			var inflightBytes int64
			for _, p := range before {
				switch {
				case p.acked:
					acked++
				case p.attempts > 0:
					inflight++
					inflightBytes += p.size
				}
			}
			t.Logf("killed after %d of %d bytes sent: %d parts acknowledged, %d in flight (%d bytes), %d not started",
				first.Run.BytesSent, first.Total.BytesTotal, acked, inflight, inflightBytes, len(before)-acked-inflight)
			if acked == 0 || inflight == 0 {
				t.Fatalf("kill point: %d acknowledged, %d in flight; want some of each", acked, inflight)
			}

			// A restart: new database handle, new client, new uploader.
			f.reopen(t)
			ss := f.uploader(t, nil)
			pending, err := ss.Sessions(context.Background())
			if err != nil || len(pending) != 1 || pending[0].ID != first.Session || pending[0].State != upload.StateUploading {
				t.Fatalf("pending sessions after restart: %+v, %v", pending, err)
			}
			api := f.be.Client(t)
			api.SetToken(f.api.Token())
			f.api = api
			u2 := f.uploader(t, nil)
			res, err := u2.Resume(context.Background(), first.Session)
			if err != nil {
				t.Fatalf("resume: %v", err)
			}
			checkServer(t, f, res)

			t.Logf("resume: sent %d bytes, of which %d re-sent (%d parts were in flight; part size %d); all runs: %d sent for %d",
				res.Run.BytesSent, res.Run.BytesResent, inflight, partSize, res.Total.BytesSent, res.Total.BytesTotal)
			if res.Run.BytesResent != inflightBytes {
				t.Errorf("re-sent %d bytes, want %d: exactly the parts in flight at the kill", res.Run.BytesResent, inflightBytes)
			}
			if res.Run.BytesResent >= int64(inflight)*partSize {
				t.Errorf("re-sent %d bytes, want < one part size (%d) per in-flight part (%d)", res.Run.BytesResent, partSize, inflight)
			}
			var ackedBytes int64
			for _, p := range before {
				if p.acked {
					ackedBytes += p.size
				}
			}
			if want := first.Total.BytesTotal - ackedBytes; res.Run.BytesSent != want {
				t.Errorf("resume sent %d bytes, want %d (everything not acknowledged)", res.Run.BytesSent, want)
			}
			_, puts := f.be.Received()
			for _, p := range before {
				if p.acked && puts[serverID(t, p)] != 1 {
					t.Errorf("part acknowledged before the kill was sent %d times, want once", puts[serverID(t, p)])
				}
			}
			if res.Total.BytesResent != res.Run.BytesResent || res.Total.BytesSent != first.Run.BytesSent+res.Run.BytesSent {
				t.Errorf("session totals %+v do not add up the runs %+v and %+v", res.Total, first.Run, res.Run)
			}
		})
	}
}

// statusCounter counts the storage's answers by status.
type statusCounter struct {
	next http.RoundTripper
	mu   sync.Mutex
	by   map[int]int
}

func (s *statusCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(r)
	if err == nil {
		s.mu.Lock()
		s.by[resp.StatusCode]++
		s.mu.Unlock()
	}
	return resp, err
}

// TestExpiredURLsRenewed lets every URL expire between two runs: the
// resumed upload renews them, either because the storage answers 403
// url_expired, or beforehand, when the uploader's clock knows they expired.
func TestExpiredURLsRenewed(t *testing.T) {
	tests := []struct {
		name       string
		knowsClock bool // the uploader's clock agrees with the storage's
		want403    bool
	}{
		{"storage says expired", false, true},
		{"known expired before sending", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			// First run: datasets/init answers, then the network is down
			// before a byte is sent.
			k := &killer{next: http.DefaultTransport, kill: func() {}}
			k.dead.Store(true)
			u1 := f.uploader(t, func(c *upload.Config) {
				c.HTTP = &http.Client{Transport: k}
				c.Attempts = 1
			})
			first, err := u1.Upload(context.Background(), f.request())
			if studio.ErrorCode(err) != studio.EUnavailable || first.DatasetID == "" {
				t.Fatalf("first run: %+v, %v; want the dataset initialised and the network down", first, err)
			}

			f.be.Clock.Advance(time.Hour) // every URL (15 minutes) is now expired
			sc := &statusCounter{next: http.DefaultTransport, by: map[int]int{}}
			u2 := f.uploader(t, func(c *upload.Config) {
				c.HTTP = &http.Client{Transport: sc}
				if tt.knowsClock {
					c.Now = f.be.Clock.Now
				}
			})
			res, err := u2.Resume(context.Background(), first.Session)
			if err != nil {
				t.Fatalf("resume after expiry: %v", err)
			}
			checkServer(t, f, res)
			if res.Run.Renewals != 1 {
				t.Errorf("%d renewals, want 1 (every URL in one call)", res.Run.Renewals)
			}
			if got := sc.by[http.StatusForbidden] > 0; got != tt.want403 {
				t.Errorf("storage answered 403 %d times; want some: %v", sc.by[http.StatusForbidden], tt.want403)
			}
			if res.Run.BytesResent >= 1<<20 { // big bodies wait for 100 Continue, which a refusal never sends
				t.Errorf("re-sent %d bytes after 403s, want < 1 MiB (only small files go without Expect: 100-continue)", res.Run.BytesResent)
			}
			if res.Run.BytesSent < res.Total.BytesTotal || res.Run.BytesSent > res.Total.BytesTotal+1<<20 {
				t.Errorf("sent %d bytes for %d", res.Run.BytesSent, res.Total.BytesTotal)
			}
			t.Logf("renewed: %d storage answers by status %v; %d bytes sent, %d re-sent", res.Run.Requests, sc.by, res.Run.BytesSent, res.Run.BytesResent)
		})
	}
}

func TestPrepareRefuses(t *testing.T) {
	dir := t.TempDir()
	db := synctest.OpenDB(t, dir)
	photos := synctest.Dataset(t)[:2]
	junk := filepath.Join(dir, "notes.jpg")
	os.WriteFile(junk, []byte("not a photo at all"), 0o600)
	u, err := upload.New(upload.Config{DB: db, API: &client.Client{}, Dir: filepath.Join(dir, "uploads")})
	if err != nil {
		t.Fatal(err)
	}
	// One more than studio.MaxDatasetPhotos, the most datasets/init takes:
	// refused before any photo is stripped.
	tooMany := make([]upload.Photo, studio.MaxDatasetPhotos+1)
	for i := range tooMany {
		tooMany[i] = upload.Photo{Name: fmt.Sprintf("%d.jpg", i), Path: photos[i%2].Path}
	}
	tests := []struct {
		name   string
		photos []upload.Photo
		code   string
	}{
		{"nothing", nil, studio.EInvalid},
		{"the same photo twice", []upload.Photo{{Name: "a.jpg", Path: photos[0].Path}, {Name: "b.jpg", Path: photos[0].Path}}, "duplicate_file"},
		{"not a photo", []upload.Photo{{Name: "notes.jpg", Path: junk}}, "unsupported_format"},
		{"missing", []upload.Photo{{Name: "gone.jpg", Path: filepath.Join(dir, "gone.jpg")}}, "unreadable"},
		{"more than the server takes", tooMany, studio.EInvalid},
		{"a caption without {trigger}", []upload.Photo{{Name: "a.jpg", Path: photos[0].Path, Caption: "a photo of me"}}, studio.EInvalidCaption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := u.Prepare(context.Background(), upload.Request{ModelName: "me", Photos: tt.photos})
			if got := studio.ErrorCode(err); got != tt.code {
				t.Errorf("got %v (code %s), want code %s", err, got, tt.code)
			}
		})
	}
	if ss, _ := u.Sessions(context.Background()); len(ss) != 0 {
		t.Errorf("refused requests left %d sessions", len(ss))
	}
}

// A rate cap holds the bytes on the wire to it: timed from the first
// progress report to the last, the ~8.5 MB set cannot move faster than
// 16 MiB/s (on loopback it otherwise takes a fraction of that time).
func TestBytesPerSecondCap(t *testing.T) {
	be := synctest.NewBackend(t, nil)
	db := synctest.OpenDB(t, t.TempDir())
	var first, last time.Time
	var firstDone, total int64
	up, err := upload.New(upload.Config{
		DB: db, API: be.SignUp(t, "cap@example.com"), Dir: t.TempDir(), BytesPerSecond: 16 << 20,
		Progress: func(p upload.Progress) {
			if p.Done == 0 {
				return
			}
			if first.IsZero() {
				first, firstDone = time.Now(), p.Done
			}
			last, total = time.Now(), p.Done
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var photos []upload.Photo
	for _, p := range synctest.Dataset(t) {
		photos = append(photos, upload.Photo{Name: p.Name, Path: p.Path})
	}
	if _, err := up.Upload(context.Background(), upload.Request{Ref: "d", ModelName: "me", Photos: photos, MinResolution: 256}); err != nil {
		t.Fatal(err)
	}
	moved := total - firstDone
	floor := time.Duration(float64(moved) / float64(16<<20) * float64(time.Second))
	if took := last.Sub(first); took < floor*8/10 {
		t.Errorf("%d bytes in %v under a 16 MiB/s cap: faster than the cap allows (at least %v)", moved, took, floor)
	}
}

// Each photo's caption is declared at init, and an upload prepared before
// a restart declares the same captions when it resumes: the server's
// photos carry them, and Files reports them.
func TestCaptionsSurviveAResume(t *testing.T) {
	f := newFixture(t)
	captions := map[string]string{
		f.photos[0].Name: "a photo of {trigger} person laughing at the beach",
		f.photos[3].Name: "{trigger} in a red coat",
	}
	req := f.request()
	for i := range req.Photos {
		req.Photos[i].Caption = captions[req.Photos[i].Name]
	}
	id, err := f.uploader(t, nil).Prepare(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	f.reopen(t) // quit before init: nothing was sent
	u := f.uploader(t, nil)
	res, err := u.Resume(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	checkServer(t, f, res)
	ds, err := f.api.Dataset(context.Background(), res.DatasetID)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range ds.Items {
		want, source := captions[it.Name], studio.CaptionTemplate
		if want != "" {
			source = studio.CaptionUser
		}
		if it.Caption != want || it.CaptionSource != source {
			t.Errorf("server photo %s: caption %q (%s), want %q (%s)", it.Name, it.Caption, it.CaptionSource, want, source)
		}
	}
	files, err := u.Files(context.Background(), id)
	if err != nil || len(files) != len(f.photos) {
		t.Fatalf("files: %d, %v; want %d", len(files), err, len(f.photos))
	}
	for i, fl := range files {
		if fl.Name != f.photos[i].Name || fl.Path != f.photos[i].Path || fl.Caption != captions[fl.Name] || len(fl.SHA256) != 64 {
			t.Errorf("file %d: %+v", i, fl)
		}
	}
}

// lostInit performs the first init on the server and then loses its
// answer, as a connection cut on the way back does.
type lostInit struct {
	*client.Client
	calls atomic.Int32
}

func (l *lostInit) InitDataset(ctx context.Context, key string, r wire.InitRequest) (wire.Uploads, error) {
	out, err := l.Client.InitDataset(ctx, key, r)
	if l.calls.Add(1) == 1 && err == nil {
		return wire.Uploads{}, studio.Errorf(studio.EUnavailable, "the connection was reset")
	}
	return out, err
}

// An init whose answer was lost is retried with the session's key: the
// upload finishes on the dataset the first init made, and the server holds
// no second draft counting the photos against the quota again.
func TestLostInitAnswerMakesOneDataset(t *testing.T) {
	f := newFixture(t)
	api := &lostInit{Client: f.api}
	u := f.uploader(t, func(c *upload.Config) { c.API = api })
	ctx := context.Background()
	res, err := u.Upload(ctx, f.request())
	if err != nil {
		if res, err = u.Resume(ctx, res.Session); err != nil {
			t.Fatalf("resume after the lost init answer: %v", err)
		}
	}
	if api.calls.Load() < 2 {
		t.Fatalf("init called %d times, want the lost answer retried", api.calls.Load())
	}
	checkServer(t, f, res)
	var all wire.Datasets
	if err := f.api.Do(ctx, http.MethodGet, "/api/lora/datasets", nil, nil, &all); err != nil {
		t.Fatal(err)
	}
	if len(all.Datasets) != 1 || all.Datasets[0].ID != res.DatasetID {
		var ids []string
		for _, d := range all.Datasets {
			ids = append(ids, d.ID+" ("+d.Status+")")
		}
		t.Errorf("the server holds %d datasets after a lost init answer, want only %s: %v", len(all.Datasets), res.DatasetID, ids)
	}
}
