// Package synctest gives the sync packages' tests the real thing to talk
// to: the backend's api.Server on an httptest server with a throwaway
// Postgres database and the local signed store, a migrated local SQLite
// store, and the fixture photos. It is imported by tests only.
package synctest

import (
	"bytes"
	"context"
	"database/sql"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disintegration/imaging"

	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/backend/auth"
	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/purge"
	"github.com/promptforge/lorastudio/internal/pgtest"
	"github.com/promptforge/lorastudio/internal/sqlitedb"
	"github.com/promptforge/lorastudio/internal/wire"
	"github.com/promptforge/lorastudio/sync/client"
)

// Clock is a settable clock for the storage's URL signatures and checks.
type Clock struct {
	mu  sync.Mutex
	off time.Duration
}

// Now returns the real time plus every Advance so far.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// Backend is a running backend.
type Backend struct {
	URL   string
	Clock *Clock // the local store's clock: Advance it to expire URLs

	mu   sync.Mutex
	puts map[string]int64 // bytes received by storage PUTs, by URL path + part
	reqs map[string]int   // storage PUTs received, by URL path + part
	down bool             // answer 503 to everything, as during an outage
	deaf bool             // refuse storage PUTs with a 400
	slow time.Duration    // wait this long before answering API requests

	cfg   api.Config
	store *pgstore.Store // cfg.Store, for the purge
}

// Purge runs one pass of the backend's hourly purge as if at now: with a
// now past a consent's retention period, it erases that user.
func (b *Backend) Purge(ctx context.Context, now time.Time) (purge.Report, error) {
	return purge.Once(ctx, purge.Config{Store: b.store, Blobs: b.cfg.Blobs, Now: func() time.Time { return now }})
}

// SetSlow makes every API request wait d before it is handled, as behind a
// network that has gone silent (0 ends it).
func (b *Backend) SetSlow(d time.Duration) {
	b.mu.Lock()
	b.slow = d
	b.mu.Unlock()
}

// RefuseStorage makes the storage refuse (true) every PUT with a 400, as a
// misbehaving proxy would, so that an upload stops half-way.
func (b *Backend) RefuseStorage(refuse bool) {
	b.mu.Lock()
	b.deaf = refuse
	b.mu.Unlock()
}

// SetDown starts (true) or ends an outage: meanwhile every request gets a
// 503 with a Retry-After of one second, as from a proxy in front of a
// server being restarted.
func (b *Backend) SetDown(down bool) {
	b.mu.Lock()
	b.down = down
	b.mu.Unlock()
}

// NewBackend starts api.New on an httptest server, exactly as the backend's
// own tests do, with mod applied to its config.
func NewBackend(tb testing.TB, mod func(*api.Config)) *Backend {
	tb.Helper()
	ctx := context.Background()
	store, err := pgstore.Open(ctx, pgtest.NewDatabase(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(store.Close)
	b := &Backend{Clock: &Clock{}, puts: map[string]int64{}, reqs: map[string]int{}}
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		down, deaf, slow := b.down, b.deaf, b.slow
		b.mu.Unlock()
		if slow > 0 && strings.HasPrefix(r.URL.Path, "/api/") {
			select {
			case <-time.After(slow):
			case <-r.Context().Done():
				return
			}
		}
		if down {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
			return
		}
		if deaf && r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/blob/") {
			http.Error(w, "refused", http.StatusBadRequest)
			return
		}
		if r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/blob/") {
			id := r.URL.Path + "#" + r.URL.Query().Get("part")
			// A copy: the server must still see its own body, or it would
			// answer 100 Continue to drain it after a refusal.
			r = r.WithContext(r.Context())
			r.Body = &countBody{ReadCloser: r.Body, b: b, id: id}
			b.mu.Lock()
			b.reqs[id]++
			b.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	b.URL = srv.URL
	local, err := blob.NewLocal(tb.TempDir(), srv.URL+"/blob", bytes.Repeat([]byte("k"), 32), b.Clock.Now)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := api.Config{Store: store, Blobs: local, BlobHandler: local.Handler(),
		Password: auth.Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32}, Processors: []string{"storage: test", "training: test"},
		MultipartFrom: 6 << 20}
	if mod != nil {
		mod(&cfg)
	}
	h, b.cfg, b.store = api.New(cfg), cfg, store
	return b
}

type countBody struct {
	io.ReadCloser
	b  *Backend
	id string
}

func (c *countBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.b.mu.Lock()
	c.b.puts[c.id] += int64(n)
	c.b.mu.Unlock()
	return n, err
}

// Received returns the body bytes the storage read, and the PUTs it got,
// for each URL path and part ("#" then the part number, empty for a single PUT).
func (b *Backend) Received() (bytes map[string]int64, puts map[string]int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	bytes, puts = map[string]int64{}, map[string]int{}
	for k, v := range b.puts {
		bytes[k] = v
	}
	for k, v := range b.reqs {
		puts[k] = v
	}
	return bytes, puts
}

// Client returns a client of b.
func (b *Backend) Client(tb testing.TB) *client.Client {
	tb.Helper()
	c, err := client.New(b.URL, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// SignUp registers email, consents to the text in force, and returns the
// signed-in client.
func (b *Backend) SignUp(tb testing.TB, email string) *client.Client {
	tb.Helper()
	ctx := context.Background()
	c := b.Client(tb)
	if _, err := c.Register(ctx, wire.Credentials{Email: email, Password: "a long passphrase"}); err != nil {
		tb.Fatalf("register: %v", err)
	}
	text, err := c.ConsentText(ctx)
	if err != nil {
		tb.Fatalf("consent text: %v", err)
	}
	if _, err := c.GiveConsent(ctx, wire.ConsentRequest{Version: text.Version, SHA256: text.SHA256, AttestSelf: true}); err != nil {
		tb.Fatalf("consent: %v", err)
	}
	return c
}

// OpenDB opens (creating and migrating) the desktop's local database in
// dir, the way the app does, and closes it when the test ends.
func OpenDB(tb testing.TB, dir string) *sql.DB {
	tb.Helper()
	db, err := sqlitedb.Open(context.Background(), filepath.Join(dir, "lorastudio.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// PersonDir is the folder of the 24 webcam frames of one person.
func PersonDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "internal", "dataset", "testdata", "person")
}

var (
	bigOnce sync.Once
	big     []byte
	bigErr  error
)

// BigPhoto returns a phone-sized (4000x3000), grainy JPEG of a real face,
// over 6 MiB, so that it goes multipart; made once per process.
func BigPhoto(tb testing.TB) []byte {
	tb.Helper()
	bigOnce.Do(func() {
		var img image.Image
		if img, bigErr = imaging.Open(filepath.Join(PersonDir(), "cap13_07.jpg")); bigErr != nil {
			return
		}
		nrgba := imaging.Resize(img, 4000, 3000, imaging.Linear)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range nrgba.Pix {
			if i%4 != 3 {
				nrgba.Pix[i] = uint8(max(0, min(255, int(nrgba.Pix[i])+rng.IntN(41)-20)))
			}
		}
		var buf bytes.Buffer
		if bigErr = jpeg.Encode(&buf, nrgba, &jpeg.Options{Quality: 97}); bigErr == nil {
			big = buf.Bytes()
		}
	})
	if bigErr != nil {
		tb.Fatal(bigErr)
	}
	if len(big) <= 6<<20 {
		tb.Fatalf("the big photo has %d bytes, want > 6 MiB", len(big))
	}
	return big
}

// Photo is a fixture photo on disk.
type Photo struct {
	Name string
	Path string
	Size int64
}

// Dataset copies the 20-photo dataset into a new folder: 19 webcam frames
// and the big photo (as phone_photo.jpg, last).
func Dataset(tb testing.TB) []Photo {
	tb.Helper()
	entries, err := os.ReadDir(PersonDir())
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".jpg") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	dir := tb.TempDir()
	var out []Photo
	for _, n := range names[:19] {
		b, err := os.ReadFile(filepath.Join(PersonDir(), n))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, write(tb, dir, n, b))
	}
	return append(out, write(tb, dir, "phone_photo.jpg", BigPhoto(tb)))
}

func write(tb testing.TB, dir, name string, b []byte) Photo {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return Photo{Name: name, Path: p, Size: int64(len(b))}
}
