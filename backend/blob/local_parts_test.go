package blob_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/internal/studio"
)

// TestLocalPartURLKeepsOneBody sends 20 different bodies to one part URL:
// the store keeps the last one only (a re-PUT whose answer was lost must
// go through, but a part URL must not hold 20 bodies until the purge), and
// completion takes the ETag of the body kept.
func TestLocalPartURLKeepsOneBody(t *testing.T) {
	ctx := context.Background()
	l, _, dir := newLocal(t)
	data := testData(6*MiB, 8)
	o := objectFor("users/u1/datasets/d1/"+sha(data)+".jpg", data)
	m, err := l.CreateMultipart(ctx, o, 5*MiB, ttl)
	if err != nil {
		t.Fatal(err)
	}
	etags := uploadParts(t, m, data, []int{1})
	p2 := m.Parts[1]
	var first string
	for i := range 20 {
		body := testData(int(p2.Size), uint64(100+i))
		resp, b := send(t, p2.Request, body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PUT %d of part 2: got %d %s, want 200", i+1, resp.StatusCode, b)
		}
		if i == 0 {
			first = resp.Header.Get("ETag")
		}
	}
	if parts := partFiles(t, dir); len(parts) != 2 {
		t.Errorf("after 20 PUTs of part 2: got %d part files %v, want 2 (one per part)", len(parts), parts)
	}
	var kept int64
	for _, f := range regularFiles(t, filepath.Join(dir, "uploads")) {
		if filepath.Base(f) != "upload" {
			kept += fileSize(t, f)
		}
	}
	if kept != o.Size {
		t.Errorf("bytes kept for the upload: got %d, want %d (what was presigned)", kept, o.Size)
	}
	etags[2] = first
	if err := l.CompleteMultipart(ctx, o.Key, m.UploadID, completed(etags, 1, 2)); studio.ErrorCode(err) != studio.EInvalid {
		t.Errorf("Complete with the ETag of a replaced body: got %v, want %s", err, studio.EInvalid)
	}
	etags = uploadParts(t, m, data, []int{2}) // the right body, sent again
	etags[1] = `"` + sha(data[:5*MiB]) + `"`
	if err := l.CompleteMultipart(ctx, o.Key, m.UploadID, completed(etags, 1, 2)); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if err := blob.Verify(ctx, l, o); err != nil {
		t.Error(err)
	}
}

func fileSize(t testing.TB, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
