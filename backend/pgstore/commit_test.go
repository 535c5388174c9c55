package pgstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/promptforge/lorastudio/backend/pgstore"
)

// Photos of one dataset committed at once (two halves on two replicas, or
// one file each) all count: the dataset's image_count and status are
// recomputed after every other commit of it has finished, never from a
// snapshot that misses one. Without the lock a commit's count missed a
// photo committed meanwhile, and the dataset stayed a draft for good.
func TestConcurrentCommitsCountEveryPhoto(t *testing.T) {
	ctx := context.Background()
	s, uid := openStoreWithUser(t, "commit@example.com")
	const n = 20
	for round := range 6 {
		var decl []pgstore.Upload
		for i := range n {
			decl = append(decl, pgstore.Upload{Name: fmt.Sprintf("%d.jpg", i), Size: 10, ContentType: "image/jpeg", SHA256: fmt.Sprintf("%064x", i)})
		}
		d, ups, err := s.NewDataset(ctx, uid, fmt.Sprintf("m%d", round), decl,
			func(id string, up pgstore.Upload) string { return "users/" + uid + "/" + id + "/" + up.Name }, pgstore.Quota{Bytes: 1 << 30, Files: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for _, up := range ups {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.CommitItems(ctx, d.ID, []pgstore.Upload{up}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		got, items, err := s.Dataset(ctx, uid, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != n || got.ImageCount != n || got.Status != "uploaded" {
			t.Errorf("round %d: %d items, image_count %d, status %s; want %d, %d, uploaded", round, len(items), got.ImageCount, got.Status, n, n)
		}
	}
}
