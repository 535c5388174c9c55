package backoff_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/internal/backoff"
)

func TestCeiling(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    backoff.Policy
		n    int
		want time.Duration
	}{
		{"first retry waits base", backoff.Policy{Base: time.Second, Max: time.Minute}, 1, time.Second},
		{"zeroth counts as first", backoff.Policy{Base: time.Second, Max: time.Minute}, 0, time.Second},
		{"negative counts as first", backoff.Policy{Base: time.Second, Max: time.Minute}, -3, time.Second},
		{"doubles", backoff.Policy{Base: time.Second, Max: time.Minute}, 4, 8 * time.Second},
		{"capped at max", backoff.Policy{Base: time.Second, Max: time.Minute}, 7, time.Minute},
		{"stays at max far out", backoff.Policy{Base: time.Second, Max: time.Minute}, 1000, time.Minute},
		{"max below base", backoff.Policy{Base: time.Minute, Max: time.Second}, 1, time.Second},
		{"no max, no overflow", backoff.Policy{Base: time.Second}, 1000, time.Second << 32},
		{"zero base", backoff.Policy{Max: time.Minute}, 3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Ceiling(tc.n); got != tc.want {
				t.Fatalf("Ceiling(%d): got %v, want %v", tc.n, got, tc.want)
			}
		})
	}
}

// Every delay lies in [ceiling/2, ceiling], and the draws spread over
// that range rather than sticking to one end.
func TestDelayBounds(t *testing.T) {
	p := backoff.Policy{Base: 100 * time.Millisecond, Max: 5 * time.Second}
	for n := 1; n <= 12; n++ {
		hi := p.Ceiling(n)
		lo := hi / 2
		minSeen, maxSeen := hi, time.Duration(0)
		for range 2000 {
			d := p.Delay(n)
			if d < lo || d > hi {
				t.Fatalf("Delay(%d): got %v, want in [%v, %v]", n, d, lo, hi)
			}
			minSeen, maxSeen = min(minSeen, d), max(maxSeen, d)
		}
		if spread := maxSeen - minSeen; spread < (hi-lo)*8/10 {
			t.Fatalf("Delay(%d): draws spread over %v of [%v, %v], want most of it", n, spread, lo, hi)
		}
	}
}

func TestSleep(t *testing.T) {
	if err := backoff.Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatalf("Sleep: got %v, want nil", err)
	}
	cause := errors.New("shutting down")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(cause)
	start := time.Now()
	if err := backoff.Sleep(ctx, time.Hour); !errors.Is(err, cause) {
		t.Fatalf("Sleep after cancel: got %v, want %v", err, cause)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("Sleep after cancel took %v, want at once", el)
	}
}
