package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/backend/pgstore"
)

// quotaFiles declares n files of size bytes, distinct by seed.
func quotaFiles(seed string, sizes ...int) string {
	var files []string
	for i, n := range sizes {
		sum := sha256.Sum256([]byte(fmt.Sprint(seed, i)))
		files = append(files, fmt.Sprintf(`{"name":"%s%d.jpg","size":%d,"content_type":"image/jpeg","sha256":"%s"}`, seed, i, n, hex.EncodeToString(sum[:])))
	}
	return `{"model_name":"me","files":[` + strings.Join(files, ",") + `]}`
}

// TestStorageQuota: datasets/init counts what the user's datasets hold or
// are uploading, in bytes and files, and refuses past the quota with
// quota_exceeded and a message that gives usage, limit and the way out;
// presign refuses once over a quota lowered since.
func TestStorageQuota(t *testing.T) {
	var store *pgstore.Store
	e := newEnv(t, func(c *api.Config) {
		c.Quota = pgstore.Quota{Bytes: 3000, Files: 3}
		store = c.Store.(*pgstore.Store)
	})
	alice := e.register("alice@example.com")
	presignConsent(e, alice)
	code, _, body := e.req("POST", "/api/lora/datasets/init", alice, quotaFiles("a", 1000, 1000))
	if code != 200 {
		t.Fatalf("init within the quota: %d %s", code, body)
	}
	var first struct {
		DatasetID string `json:"dataset_id"`
		Uploads   []struct{ Key string }
	}
	json.Unmarshal([]byte(body), &first)

	tests := []struct {
		name   string
		body   string
		status int
	}{
		{"one file too many", quotaFiles("b", 100, 100), 403},
		{"bytes over", quotaFiles("c", 1001), 403},
		{"up to the limit exactly", quotaFiles("d", 1000), 200},
		{"nothing left", quotaFiles("e", 1), 403},
	}
	for _, tt := range tests {
		code, _, body := e.req("POST", "/api/lora/datasets/init", alice, tt.body)
		if code != tt.status {
			t.Errorf("%s: got %d %s, want %d", tt.name, code, body, tt.status)
			continue
		}
		if code == 403 {
			if c := errorCode(t, body); c != "quota_exceeded" {
				t.Errorf("%s: code %s, want quota_exceeded", tt.name, c)
			}
			for _, want := range []string{"2.0 KiB in 2 photos", "2.9 KiB and 3 photos", "delete datasets"} {
				if tt.name != "nothing left" && !strings.Contains(body, want) {
					t.Errorf("%s: message %s does not say %q", tt.name, body, want)
				}
			}
		}
	}

	// Another user has a quota of their own.
	bob := e.register("bob@example.com")
	presignConsent(e, bob)
	if code, _, body := e.req("POST", "/api/lora/datasets/init", bob, quotaFiles("f", 1000, 1000, 1000)); code != 200 {
		t.Errorf("another user's init: got %d %s, want 200", code, body)
	}

	// Concurrent inits cannot both take the last of the quota.
	carol := e.register("carol@example.com")
	presignConsent(e, carol)
	var wg sync.WaitGroup
	codes := make(chan int, 6)
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, _, _ := e.req("POST", "/api/lora/datasets/init", carol, quotaFiles(fmt.Sprint("g", i), 900))
			codes <- code
		}()
	}
	wg.Wait()
	close(codes)
	ok := 0
	for c := range codes {
		if c == 200 {
			ok++
		}
	}
	if ok != 3 {
		t.Errorf("6 concurrent inits of one file against a quota of 3 files: %d succeeded, want 3", ok)
	}

	// A quota lowered since (here: more declared behind its back) stops
	// the re-signing of URLs.
	uid := strings.Split(first.Uploads[0].Key, "/")[1]
	if _, _, err := store.NewDataset(context.Background(), uid, "me", []pgstore.Upload{{Name: "x.jpg", Size: 5000, ContentType: "image/jpeg", SHA256: strings.Repeat("e", 64)}},
		func(id string, u pgstore.Upload) string { return pgstore.KeyPrefix(uid) + "datasets/" + id + "/x.jpg" }, pgstore.Quota{}); err != nil {
		t.Fatal(err)
	}
	code, _, body = e.req("POST", "/api/lora/datasets/presign", alice, `{"dataset_id":"`+first.DatasetID+`","files":[{"key":"`+first.Uploads[0].Key+`"}]}`)
	if code != 403 || errorCode(t, body) != "quota_exceeded" {
		t.Errorf("presign over the quota: got %d %s, want 403 quota_exceeded", code, body)
	}
}
