package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recorder is a Run that doubles its inputs and records each batch.
type recorder struct {
	mu       sync.Mutex
	batches  [][]int
	inFlight atomic.Int32
	peak     atomic.Int32
	gate     chan struct{} // when set, every batch waits for it
	fail     int           // an input that makes its batch fail
}

func (r *recorder) run(ctx context.Context, in []int) ([]int, error) {
	n := r.inFlight.Add(1)
	defer r.inFlight.Add(-1)
	for {
		p := r.peak.Load()
		if n <= p || r.peak.CompareAndSwap(p, n) {
			break
		}
	}
	if r.gate != nil {
		<-r.gate
	}
	r.mu.Lock()
	r.batches = append(r.batches, append([]int(nil), in...))
	r.mu.Unlock()
	out := make([]int, len(in))
	for i, v := range in {
		if v == r.fail && r.fail != 0 {
			return nil, fmt.Errorf("input %d is bad", v)
		}
		out[i] = 2 * v
	}
	return out, nil
}

func TestAloneRunsAtOnce(t *testing.T) {
	r := &recorder{}
	g := &Group[int, int]{Run: r.run}
	for i := 1; i <= 3; i++ {
		got, err := g.Do(context.Background(), i)
		if err != nil || got != 2*i {
			t.Fatalf("Do(%d) = %d, %v", i, got, err)
		}
	}
	if len(r.batches) != 3 {
		t.Fatalf("sequential calls ran as %v, want three batches of one", r.batches)
	}
}

// Calls that arrive while the slots are busy share the next batches, and
// each gets its own answer.
func TestConcurrentCallsShareBatches(t *testing.T) {
	for _, tc := range []struct{ slots, calls, max int }{{1, 50, 64}, {2, 100, 64}, {4, 200, 16}} {
		t.Run(fmt.Sprintf("slots=%d calls=%d max=%d", tc.slots, tc.calls, tc.max), func(t *testing.T) {
			r := &recorder{gate: make(chan struct{})}
			g := &Group[int, int]{Run: r.run, Slots: tc.slots, Max: tc.max}
			var wg sync.WaitGroup
			errs := make(chan error, tc.calls)
			for i := 1; i <= tc.calls; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got, err := g.Do(context.Background(), i)
					if err == nil && got != 2*i {
						err = fmt.Errorf("Do(%d) = %d", i, got)
					}
					if err != nil {
						errs <- err
					}
				}()
			}
			// Let the first batches start and the rest queue, then open.
			waitFor(t, func() bool { return r.inFlight.Load() == int32(tc.slots) })
			waitFor(t, func() bool { g.mu.Lock(); defer g.mu.Unlock(); return len(g.queue) == tc.calls-tc.slots })
			close(r.gate)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			seen := 0
			for _, b := range r.batches {
				seen += len(b)
				if len(b) > tc.max {
					t.Errorf("a batch of %d, over Max %d", len(b), tc.max)
				}
			}
			if seen != tc.calls {
				t.Errorf("batches held %d inputs, want %d", seen, tc.calls)
			}
			if want := tc.slots + (tc.calls-tc.slots+tc.max-1)/tc.max; len(r.batches) > want+tc.slots {
				t.Errorf("%d calls ran in %d batches, want about %d", tc.calls, len(r.batches), want)
			}
			if p := r.peak.Load(); p > int32(tc.slots) {
				t.Errorf("%d batches ran at once, over Slots %d", p, tc.slots)
			}
		})
	}
}

// One bad input fails its own call only: the batch is run again one by one.
func TestFailedBatchRetriesAlone(t *testing.T) {
	r := &recorder{gate: make(chan struct{}), fail: 7}
	g := &Group[int, int]{Run: r.run, Slots: 1}
	var wg sync.WaitGroup
	results := make([]error, 11)
	for i := 1; i <= 10; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); _, results[i] = g.Do(context.Background(), i) }()
	}
	waitFor(t, func() bool { g.mu.Lock(); defer g.mu.Unlock(); return r.inFlight.Load() == 1 && len(g.queue) == 9 })
	close(r.gate)
	wg.Wait()
	for i := 1; i <= 10; i++ {
		if (results[i] != nil) != (i == 7) {
			t.Errorf("call %d: err %v", i, results[i])
		}
	}
}

func TestCallerContextEndsWhileQueued(t *testing.T) {
	r := &recorder{gate: make(chan struct{})}
	g := &Group[int, int]{Run: r.run, Slots: 1}
	go g.Do(context.Background(), 1) // holds the only slot
	waitFor(t, func() bool { return r.inFlight.Load() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := g.Do(ctx, 2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a queued call whose context ended returned %v", err)
	}
	close(r.gate)
	// The abandoned input still runs: its effect is not undone.
	waitFor(t, func() bool { r.mu.Lock(); defer r.mu.Unlock(); return len(r.batches) == 2 })
}

// A leader answered in its first batch returns without running the
// batches queued behind it; another goroutine runs them.
func TestLeaderIsNotHeldByOthers(t *testing.T) {
	queued, release := make(chan struct{}), make(chan struct{})
	run := func(ctx context.Context, in []int) ([]int, error) {
		if in[0] == 1 {
			<-queued // the leader's batch ends once call 2 waits behind it
		} else {
			<-release
		}
		return in, nil
	}
	g := &Group[int, int]{Run: run, Slots: 1, Max: 1}
	leader := make(chan struct{})
	go func() { g.Do(context.Background(), 1); close(leader) }()
	waitFor(t, func() bool { g.mu.Lock(); defer g.mu.Unlock(); return g.leaders == 1 && len(g.queue) == 0 })
	other := make(chan struct{})
	go func() { g.Do(context.Background(), 2); close(other) }()
	waitFor(t, func() bool { g.mu.Lock(); defer g.mu.Unlock(); return len(g.queue) == 1 })
	close(queued)
	select {
	case <-leader:
	case <-time.After(5 * time.Second):
		t.Fatal("the leader waited for the batch queued behind it")
	}
	close(release)
	select {
	case <-other:
	case <-time.After(5 * time.Second):
		t.Fatal("the call queued behind the leader was never run")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}
