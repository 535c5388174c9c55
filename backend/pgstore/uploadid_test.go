package pgstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/internal/studio"
)

// A multipart upload id is recorded once: when a retried init races the
// first and both start a multipart upload for one file, every caller gets
// the id recorded first, so the client and the commit agree on it.
func TestSetUploadIDKeepsTheFirst(t *testing.T) {
	ctx := context.Background()
	s, uid := openStoreWithUser(t, "uploadid@example.com")
	d, ups, err := s.NewDataset(ctx, uid, "me", []pgstore.Upload{{Name: "a.jpg", Size: 20 << 20, ContentType: "image/jpeg", SHA256: fmt.Sprintf("%064x", 1)}},
		func(id string, up pgstore.Upload) string { return "users/" + uid + "/" + id + "/" + up.Name }, pgstore.Quota{Bytes: 1 << 30, Files: 10})
	if err != nil {
		t.Fatal(err)
	}
	key := ups[0].Key
	const racers = 8
	got := make([]string, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			id, size, err := s.SetUploadID(ctx, d.ID, key, fmt.Sprintf("upload-%d", i), int64(5+i)<<20)
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = fmt.Sprintf("%s/%d", id, size)
		})
	}
	wg.Wait()
	for i := range got {
		if got[i] != got[0] {
			t.Fatalf("racers were told different upload ids: %v", got)
		}
	}
	stored, err := s.Uploads(ctx, uid, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec := fmt.Sprintf("%s/%d", stored[0].UploadID, stored[0].PartSize); rec != got[0] {
		t.Errorf("recorded %s, racers were told %s", rec, got[0])
	}
	if _, _, err := s.SetUploadID(ctx, d.ID, "users/none.jpg", "x", 1); studio.ErrorCode(err) != studio.ENotFound {
		t.Errorf("an upload not declared: %v, want not found", err)
	}
}
