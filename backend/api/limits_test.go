package api_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/internal/studio"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// The memory limiter forgets callers whose bucket has refilled: many
// distinct addresses, each seen once, leave it holding only the recent ones.
func TestMemoryLimiterEvicts(t *testing.T) {
	ctx := context.Background()
	limits := map[string]api.Limit{"upload": {PerMinute: 60, Burst: 20}} // refills one token a second
	for _, tc := range []struct {
		name    string
		keys    int
		perTick int           // distinct callers between clock steps
		tick    time.Duration // how far the clock moves
		want    int           // at most this many buckets afterwards
	}{
		{"one caller a millisecond", 100_000, 1, time.Millisecond, 2 * 2048},
		{"a thousand callers a second", 100_000, 1000, time.Second, 2 * 2048},
		{"a burst then quiet", 100_000, 100_000, time.Second, 2 * 2048},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
			l := api.NewMemoryLimiterAt(limits, api.DefaultBackoff, clock.now)
			for i := range tc.keys {
				if ok, _, err := l.Allow(ctx, "upload", fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255)); !ok || err != nil {
					t.Fatalf("first request of caller %d: got ok=%v err=%v, want allowed", i, ok, err)
				}
				if (i+1)%tc.perTick == 0 {
					clock.add(tc.tick)
				}
			}
			// New callers after every bucket has refilled sweep what is full.
			clock.add(2 * time.Minute)
			for i := range minSweepProbe {
				l.Allow(ctx, "upload", fmt.Sprintf("late-%d", i))
			}
			if got := api.MemoryBuckets(l); got > tc.want {
				t.Fatalf("after %d distinct callers: got %d buckets, want at most %d", tc.keys, got, tc.want)
			}
		})
	}
}

// minSweepProbe is enough new callers to reach any sweep threshold left
// by a sweep of at most 2048 live buckets.
const minSweepProbe = 4096

// Evicting a full bucket changes nothing: a caller back after a refill
// gets its whole burst, one still limited keeps its wait.
func TestMemoryLimiterEvictionKeepsLimits(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := api.NewMemoryLimiterAt(map[string]api.Limit{"jobs": {PerMinute: 10, Burst: 5}}, api.DefaultBackoff, clock.now)
	allowed := func(who string, n int) int {
		got := 0
		for range n {
			if ok, _, _ := l.Allow(ctx, "jobs", who); ok {
				got++
			}
		}
		return got
	}
	if got := allowed("hot", 10); got != 5 {
		t.Fatalf("burst: got %d allowed, want 5", got)
	}
	for i := range 5000 { // enough new callers to sweep several times
		allowed(fmt.Sprintf("cold-%d", i), 1)
	}
	if got := allowed("hot", 1); got != 0 {
		t.Fatalf("limited caller after sweeps: got %d allowed, want 0", got)
	}
	_, retry, _ := l.Allow(ctx, "jobs", "hot")
	if retry <= 0 || retry > 6*time.Second {
		t.Fatalf("retry: got %v, want in (0, 6s]", retry)
	}
	clock.add(time.Minute) // refilled: swept or not, the whole burst again
	for i := range 5000 {
		allowed(fmt.Sprintf("later-%d", i), 1)
	}
	if got := allowed("hot", 10); got != 5 {
		t.Fatalf("burst after refill: got %d allowed, want 5", got)
	}
}

// BenchmarkMemoryLimiterDistinctKeys reports the heap the limiter holds
// after 1M distinct callers, as bytes/limiter: a thousand a second (a scan
// from many addresses), and all at once followed by a quiet minute and
// one new caller.
func BenchmarkMemoryLimiterDistinctKeys(b *testing.B) {
	ctx := context.Background()
	const keys = 1_000_000
	for _, bc := range []struct {
		name    string
		perTick int
	}{{"1000 a second", 1000}, {"burst then quiet", keys}} {
		b.Run(bc.name, func(b *testing.B) {
			var held uint64
			for range b.N {
				clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
				l := api.NewMemoryLimiterAt(api.DefaultLimits, api.DefaultBackoff, clock.now)
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				for i := range keys {
					l.Allow(ctx, "upload", fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255))
					if (i+1)%bc.perTick == 0 {
						clock.add(time.Second)
					}
				}
				clock.add(2 * time.Minute)
				l.Allow(ctx, "upload", "late")
				runtime.GC()
				runtime.ReadMemStats(&after)
				held = after.HeapAlloc - min(before.HeapAlloc, after.HeapAlloc)
				runtime.KeepAlive(l)
			}
			b.ReportMetric(float64(held), "bytes/limiter")
		})
	}
}

// apply too, and refuses one byte more with 413 file_too_large.
func TestInitMaxPhotoBytes(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.register("limits@example.com")
	e.consent(tok)
	sha := strings.Repeat("ab", 32)
	for _, tt := range []struct {
		size   int64
		status int
		code   string
	}{
		{studio.MaxPhotoBytes, 200, ""},
		{studio.MaxPhotoBytes + 1, 413, studio.EFileTooLarge},
	} {
		body := fmt.Sprintf(`{"model_name":"me","files":[{"name":"a.jpg","size":%d,"content_type":"image/jpeg","sha256":"%s"}]}`, tt.size, sha)
		status, _, out := e.req("POST", "/api/lora/datasets/init", tok, body)
		if status != tt.status || tt.code != "" && errorCode(t, out) != tt.code {
			t.Errorf("size %d: got %d %s, want %d %s", tt.size, status, out, tt.status, tt.code)
		}
	}
}
