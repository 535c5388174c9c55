// Package backoff computes exponential retry delays with jitter and waits
// them out while honouring a context: the one retry schedule of the
// backend's dispatch, the desktop's uploads and outbox, and the worker.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Policy is exponential backoff with jitter: retry n (1-based) waits a
// time drawn uniformly from [d/2, d], where d = min(Base·2^(n-1), Max).
// Half the delay is kept so that retries still spread out over time; the
// other half is random so that many clients failing together do not retry
// together. A zero Max means no cap beyond Base·2^62.
type Policy struct {
	Base, Max time.Duration
}

// Ceiling returns d, the longest wait before retry n: Base·2^(n-1) capped
// at Max. Retries before the first (n < 1) count as the first.
func (p Policy) Ceiling(n int) time.Duration {
	if p.Base <= 0 {
		return 0
	}
	d := p.Base
	for i := 1; i < n; i++ {
		if p.Max > 0 && d >= p.Max || d > 1<<62/2 {
			break
		}
		d *= 2
	}
	if p.Max > 0 && d > p.Max {
		d = p.Max
	}
	return d
}

// Delay returns the wait before retry n, drawn from [Ceiling(n)/2, Ceiling(n)].
func (p Policy) Delay(n int) time.Duration {
	d := p.Ceiling(n)
	return d/2 + rand.N(d/2+1)
}

// Sleep waits d, or less if ctx is done first; it then returns ctx's cause.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
