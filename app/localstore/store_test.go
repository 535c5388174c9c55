package localstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/promptforge/lorastudio/app/localstore"
)

// Transactions that read before they write (EraseDatasets) run while other
// connections write (the outbox, an upload): none may fail with "database
// is locked", which a deferred transaction does at once when its snapshot
// went stale.
func TestConcurrentWritersWait(t *testing.T) {
	ctx := context.Background()
	s, err := localstore.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 150
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range n {
			if _, err := s.EraseDatasets(ctx); err != nil {
				errs <- fmt.Errorf("erase %d: %w", i, err)
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i := range n {
			if err := s.SetSettings(ctx, map[string]string{"k": fmt.Sprint(i)}); err != nil {
				errs <- fmt.Errorf("settings %d: %w", i, err)
			}
			if _, err := s.DB().ExecContext(ctx, `INSERT INTO sync_outbox (kind, method, path, next_attempt_at) VALUES ('x', 'POST', '/x', '')`); err != nil {
				errs <- fmt.Errorf("outbox %d: %w", i, err)
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
