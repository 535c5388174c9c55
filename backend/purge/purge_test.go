package purge_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/purge"
	"github.com/promptforge/lorastudio/internal/pgtest"
	"github.com/promptforge/lorastudio/internal/studio"
)

// One pass deletes exactly what has outlived its purpose: keys past their
// expiry that no request holds, webhook ids past the retention, uploads
// abandoned for a week. Everything younger, or still held, stays.
func TestOnce(t *testing.T) {
	ctx := context.Background()
	store, err := pgstore.Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	now := time.Now()
	at := func(d time.Duration) func() time.Time { return func() time.Time { return now.Add(d) } }
	u, err := store.CreateUser(ctx, "p@example.com", "x")
	if err != nil {
		t.Fatal(err)
	}
	keys := []struct {
		key      string
		age, ttl time.Duration
		lock     time.Duration
		wantKept bool
	}{
		{"expired", 48 * time.Hour, 24 * time.Hour, time.Minute, false},
		{"expired a minute ago", 25 * time.Hour, 24*time.Hour - time.Minute, time.Minute, false},
		{"expired, still held", 48 * time.Hour, 24 * time.Hour, 72 * time.Hour, true},
		{"fresh", time.Hour, 24 * time.Hour, time.Minute, true},
	}
	for _, k := range keys {
		store.Now = at(-k.age)
		if _, err := store.ClaimIdempotencyKey(ctx, u.ID, k.key, "h", k.ttl, k.lock); err != nil {
			t.Fatal(err)
		}
	}
	for _, ev := range []struct {
		id  string
		age time.Duration
	}{{"msg_old", 31 * 24 * time.Hour}, {"msg_new", 29 * 24 * time.Hour}} {
		store.Now = at(-ev.age)
		if _, _, err := store.ApplyJobEvent(ctx, pgstore.JobEvent{WebhookID: ev.id, JobID: "none", Status: "running"}); err != nil {
			t.Fatal(err)
		}
	}
	store.Now = time.Now

	dir := t.TempDir()
	secret := bytes.Repeat([]byte("k"), 32)
	obj := blob.Object{Key: "users/u/datasets/d/" + strings.Repeat("a", 64) + ".jpg", Size: 12 << 20, ContentType: "image/jpeg", SHA256: strings.Repeat("a", 64)}
	old, _ := blob.NewLocal(dir, "http://x/blob", secret, at(-8*24*time.Hour))
	abandoned, err := old.CreateMultipart(ctx, obj, 6<<20, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	local, _ := blob.NewLocal(dir, "http://x/blob", secret, time.Now)
	live, err := local.CreateMultipart(ctx, obj, 6<<20, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	r, err := purge.Once(ctx, purge.Config{Store: store, Blobs: local})
	if err != nil {
		t.Fatal(err)
	}
	if want := (purge.Report{Keys: 2, Events: 1, Uploads: 1}); r != want {
		t.Errorf("purged %+v, want %+v", r, want)
	}
	for _, k := range keys {
		var n int
		if err := store.Pool().QueryRow(ctx, `SELECT count(*) FROM idempotency_keys WHERE key = $1`, k.key).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if kept := n == 1; kept != k.wantKept {
			t.Errorf("key %q: kept %v, want %v", k.key, kept, k.wantKept)
		}
	}
	for id, want := range map[string]string{"msg_old": "", "msg_new": pgstore.OutcomeUnknown} {
		if got, _ := store.WebhookOutcome(ctx, id); got != want {
			t.Errorf("webhook %s: outcome %q, want %q", id, got, want)
		}
	}
	if _, err := local.PresignParts(ctx, obj, abandoned.UploadID, abandoned.PartSize, []int{1}, time.Hour); studio.ErrorCode(err) != studio.ENotFound {
		t.Errorf("the abandoned upload: %v, want not found", err)
	}
	if _, err := local.PresignParts(ctx, obj, live.UploadID, live.PartSize, []int{1}, time.Hour); err != nil {
		t.Errorf("the live upload: %v", err)
	}
	// A second pass finds nothing more.
	if r, err := purge.Once(ctx, purge.Config{Store: store, Blobs: local}); err != nil || r != (purge.Report{}) {
		t.Errorf("second pass: %+v, %v; want nothing", r, err)
	}
}

// photoMaker returns newPhoto, which makes a dataset of one photo of the
// user and returns its key and a function uploading it through a signed URL.
func photoMaker(t *testing.T, store *pgstore.Store, local *blob.Local, userID string) func(body []byte) (string, func() int) {
	ctx := context.Background()
	return func(body []byte) (string, func() int) {
		sum := sha256.Sum256(body)
		up := pgstore.Upload{Name: "a.jpg", Size: int64(len(body)), ContentType: "image/jpeg", SHA256: hex.EncodeToString(sum[:])}
		_, ups, err := store.NewDataset(ctx, userID, "me", []pgstore.Upload{up}, func(id string, up pgstore.Upload) string {
			return pgstore.KeyPrefix(userID) + "datasets/" + id + "/" + up.SHA256 + ".jpg"
		}, pgstore.Quota{})
		if err != nil {
			t.Fatal(err)
		}
		key := ups[0].Key
		req, err := local.PresignPut(ctx, blob.Object{Key: key, Size: up.Size, ContentType: up.ContentType, SHA256: up.SHA256}, 15*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return key, func() int {
			hr, _ := blob.NewHTTPRequest(ctx, req, bytes.NewReader(body))
			resp, err := http.DefaultClient.Do(hr)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
	}
}

// localStore is a local signed store served over HTTP.
func localStore(t *testing.T) *blob.Local {
	var local *blob.Local
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { local.Handler().ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	var err error
	if local, err = blob.NewLocal(t.TempDir(), srv.URL, bytes.Repeat([]byte("k"), 32), time.Now); err != nil {
		t.Fatal(err)
	}
	return local
}

// A photo upload URL signed before a withdrawal still works until it
// expires: bytes PUT through it late are deleted by the sweep after
// SweepDelay, while what the user uploads after consenting again stays.
func TestSweepAfterErasure(t *testing.T) {
	ctx := context.Background()
	store, err := pgstore.Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	local := localStore(t)
	u, err := store.CreateUser(ctx, "s@example.com", "x")
	if err != nil {
		t.Fatal(err)
	}
	newPhoto := photoMaker(t, store, local, u.ID)
	oldKey, latePut := newPhoto([]byte("the photo before the withdrawal"))
	if _, err := store.WithdrawConsent(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if code := latePut(); code/100 != 2 {
		t.Fatalf("late PUT through a URL signed before the withdrawal: %d, want it accepted (the URL is still valid)", code)
	}
	newKey, put := newPhoto([]byte("the photo after consenting again"))
	if code := put(); code/100 != 2 {
		t.Fatalf("new upload: %d", code)
	}
	exists := func(key string) bool { _, err := local.Stat(ctx, key); return err == nil }
	if !exists(oldKey) || !exists(newKey) {
		t.Fatal("the two uploads are not in storage")
	}
	cfg := purge.Config{Store: store, Blobs: local, Now: func() time.Time { return time.Now().Add(time.Hour) }}
	if r, err := purge.Once(ctx, cfg); err != nil || r.Swept != 0 || !exists(oldKey) {
		t.Fatalf("an hour later: %+v, %v; want nothing swept yet (URLs may still be valid)", r, err)
	}
	cfg.Now = func() time.Time { return time.Now().Add(pgstore.SweepDelay + time.Minute) }
	r, err := purge.Once(ctx, cfg)
	if err != nil || r.Swept != 1 {
		t.Fatalf("after SweepDelay: %+v, %v; want the erased dataset's folder swept", r, err)
	}
	if exists(oldKey) {
		t.Error("the late upload survived the sweep")
	}
	if !exists(newKey) {
		t.Error("the sweep deleted a photo uploaded after consenting again")
	}
	if r, _ := purge.Once(ctx, cfg); r.Swept != 0 {
		t.Errorf("second pass swept %d, want 0", r.Swept)
	}
}

// The retention period a user agreed to runs from the day they consented.
// Once it has passed, the purge erases their photos and trained files the
// way a withdrawal does and marks the consent ended by retention; not a
// minute before, only once, and never a consent given after the erasure.
func TestRetentionExpiry(t *testing.T) {
	ctx := context.Background()
	store, err := pgstore.Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	local := localStore(t)
	t0 := time.Now().Truncate(time.Second)
	store.Now = func() time.Time { return t0 }
	const days = 2
	expires := t0.AddDate(0, 0, days)

	// Two users consent at t0, one to 2 days and one to 365; each uploads a photo.
	type user struct {
		id, key string
		days    int
	}
	var users []*user
	for i, d := range []int{days, 365} {
		u, err := store.CreateUser(ctx, fmt.Sprintf("r%d@example.com", i), "x")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.RecordConsent(ctx, pgstore.Consent{UserID: u.ID, TextVersion: "v", TextSHA256: "h", TextLanguage: "en", AttestSelf: true,
			Purpose: "p", Processors: []string{"storage: test"}, RetentionDays: d}); err != nil {
			t.Fatal(err)
		}
		key, put := photoMaker(t, store, local, u.ID)([]byte(fmt.Sprintf("photo of user %d", i)))
		if code := put(); code/100 != 2 {
			t.Fatalf("upload: %d", code)
		}
		users = append(users, &user{id: u.ID, key: key, days: d})
	}
	short, long := users[0], users[1]
	exists := func(key string) bool { _, err := local.Stat(ctx, key); return err == nil }
	datasets := func(uid string) int {
		var n int
		if err := store.Pool().QueryRow(ctx, `SELECT count(*) FROM lora_datasets WHERE user_id = $1`, uid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	pass := func(at time.Time) purge.Report {
		t.Helper()
		r, err := purge.Once(ctx, purge.Config{Store: store, Blobs: local, Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	if r := pass(expires.Add(-time.Minute)); r.Expired != 0 || !exists(short.key) || datasets(short.id) != 1 {
		t.Fatalf("a minute before expiry: %+v; want nothing erased", r)
	}
	if c, err := store.LatestConsent(ctx, short.id); err != nil || c.WithdrawnAt != nil {
		t.Fatalf("a minute before expiry the consent is %+v, %v; want it live", c, err)
	}

	at := expires.Add(time.Minute)
	if r := pass(at); r.Expired != 1 {
		t.Fatalf("after expiry: %+v; want one user erased", r)
	}
	if exists(short.key) {
		t.Error("the photo of the expired consent is still in storage")
	}
	if n := datasets(short.id); n != 0 {
		t.Errorf("the expired user still has %d datasets", n)
	}
	c, err := store.LastConsent(ctx, short.id)
	if err != nil || c.EndedReason != pgstore.EndRetention || c.WithdrawnAt == nil || !c.WithdrawnAt.Equal(at) {
		t.Errorf("the expired consent: %+v, %v; want ended by %q at %v", c, err, pgstore.EndRetention, at)
	}
	if _, err := store.LatestConsent(ctx, short.id); studio.ErrorCode(err) != studio.ENotFound {
		t.Errorf("a live consent remains after expiry: %v", err)
	}
	if !exists(long.key) || datasets(long.id) != 1 {
		t.Error("the purge erased a user whose retention has not run out")
	}
	if r := pass(at); r.Expired != 0 {
		t.Errorf("second pass: %+v; want nothing more", r)
	}

	// Consenting again starts a new period: the next passes leave it alone.
	store.Now = func() time.Time { return at.Add(time.Minute) }
	if _, err := store.RecordConsent(ctx, pgstore.Consent{UserID: short.id, TextVersion: "v", TextSHA256: "h", TextLanguage: "en", AttestSelf: true,
		Purpose: "p", Processors: []string{"storage: test"}, RetentionDays: days}); err != nil {
		t.Fatal(err)
	}
	key, put := photoMaker(t, store, local, short.id)([]byte("a photo after consenting again"))
	if code := put(); code/100 != 2 {
		t.Fatalf("upload: %d", code)
	}
	if r := pass(at.Add(time.Hour)); r.Expired != 0 || !exists(key) || datasets(short.id) != 1 {
		t.Errorf("after consenting again: %+v; want the new consent and its photo untouched", r)
	}
	if c, err := store.LatestConsent(ctx, short.id); err != nil || c.WithdrawnAt != nil {
		t.Errorf("the new consent: %+v, %v; want it live", c, err)
	}
}

// Between finding a consent expired and erasing, the user may consent
// again: the erasure re-checks, under a lock, that the expired consent is
// still the newest live one, and leaves the new one and its data alone.
func TestExpiryLosesToANewConsent(t *testing.T) {
	ctx := context.Background()
	store, err := pgstore.Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	u, err := store.CreateUser(ctx, "n@example.com", "x")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Truncate(time.Second)
	give := func(at time.Time) {
		store.Now = func() time.Time { return at }
		if _, err := store.RecordConsent(ctx, pgstore.Consent{UserID: u.ID, TextVersion: "v", TextSHA256: "h", TextLanguage: "en", AttestSelf: true,
			Purpose: "p", Processors: []string{"storage: test"}, RetentionDays: 1}); err != nil {
			t.Fatal(err)
		}
	}
	give(t0)
	later := t0.AddDate(0, 0, 2)
	found, err := store.ExpiredConsents(ctx, later, 10)
	if err != nil || len(found) != 1 {
		t.Fatalf("expired consents: %+v, %v; want one", found, err)
	}
	give(later) // the user consents again meanwhile
	_, err = store.EndConsent(ctx, u.ID, pgstore.Ending{Reason: pgstore.EndRetention, At: later, Consent: found[0].ID})
	if !errors.Is(err, pgstore.ErrConsentRenewed) {
		t.Fatalf("ending the expired consent after a new one: %v, want ErrConsentRenewed", err)
	}
	if c, err := store.LatestConsent(ctx, u.ID); err != nil || !c.CreatedAt.Equal(later) {
		t.Errorf("newest live consent: %+v, %v; want the new one untouched", c, err)
	}
}
