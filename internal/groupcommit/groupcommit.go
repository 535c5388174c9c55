// Package groupcommit runs concurrent calls of one operation as batches:
// each call waits while a batch is in flight, and whatever queued
// meanwhile goes in the next batch together. Under load many calls share
// one transaction (one WAL flush and a few round trips instead of several
// each); alone, a call runs at once in a batch of its own, so nothing
// waits for a timer.
//
// There is no goroutine to start or stop: the caller that finds a free
// slot leads, running batches until its own call is answered; if others
// are still queued it hands the slot to a new goroutine that goes on until
// the queue is empty.
package groupcommit

import (
	"context"
	"sync"
	"time"
)

// Group batches calls of Run.
type Group[I, O any] struct {
	// Run does a batch of inputs at once, answering one output per input
	// in their order, or an error for all of them. After an error with
	// more than one input, each is run again alone, so one bad input
	// fails only its own call.
	Run func(ctx context.Context, in []I) ([]O, error)
	// Max is the most inputs in a batch (default 64); Slots the most
	// batches in flight at once (default 4); Timeout bounds a batch,
	// whose context is none of its callers' (default 30 s).
	Max     int
	Slots   int
	Timeout time.Duration

	mu      sync.Mutex
	queue   []*call[I, O]
	leaders int
}

type call[I, O any] struct {
	ctx  context.Context
	in   I
	out  O
	err  error
	done chan struct{}
}

// Do runs in within a batch and returns its output. A call whose context
// ends while it waits returns the context's error; its input may still be
// in a batch that completes.
func (g *Group[I, O]) Do(ctx context.Context, in I) (O, error) {
	c := &call[I, O]{ctx: ctx, in: in, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, c)
	lead := g.leaders < g.slots()
	if lead {
		g.leaders++
	}
	g.mu.Unlock()
	if lead {
		g.lead(c)
	}
	select {
	case <-c.done:
		return c.out, c.err
	case <-ctx.Done():
		var zero O
		return zero, ctx.Err()
	}
}

// lead runs batches until own is answered (any call, when own is nil) and
// the queue is empty, then frees its slot.
func (g *Group[I, O]) lead(own *call[I, O]) {
	for {
		g.mu.Lock()
		n := min(len(g.queue), g.max())
		if n == 0 {
			g.leaders--
			g.mu.Unlock()
			return
		}
		batch := make([]*call[I, O], n)
		copy(batch, g.queue)
		g.queue = g.queue[n:]
		if len(g.queue) == 0 {
			g.queue = nil // do not keep the backing array growing
		}
		g.mu.Unlock()
		g.run(batch)
		if own != nil && isDone(own) {
			// Answered: the rest of the queue is a new leader's, so this
			// caller's answer is not held up by other callers' batches.
			g.mu.Lock()
			more := len(g.queue) > 0
			if !more {
				g.leaders--
			}
			g.mu.Unlock()
			if more {
				go g.lead(nil)
			}
			return
		}
	}
}

func isDone[I, O any](c *call[I, O]) bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (g *Group[I, O]) run(batch []*call[I, O]) {
	// The batch outlives any one caller: a client that hangs up must not
	// roll back the others' work. It keeps the first caller's values
	// (logging, tracing).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(batch[0].ctx), g.timeout())
	defer cancel()
	in := make([]I, len(batch))
	for i, c := range batch {
		in[i] = c.in
	}
	out, err := g.Run(ctx, in)
	if err == nil && len(out) != len(in) {
		panic("groupcommit: Run answered a different number of outputs than inputs")
	}
	if err != nil && len(batch) > 1 {
		for _, c := range batch {
			g.run([]*call[I, O]{c})
		}
		return
	}
	for i, c := range batch {
		if err != nil {
			c.err = err
		} else {
			c.out = out[i]
		}
		close(c.done)
	}
}

func (g *Group[I, O]) max() int {
	if g.Max > 0 {
		return g.Max
	}
	return 64
}

func (g *Group[I, O]) slots() int {
	if g.Slots > 0 {
		return g.Slots
	}
	return 4
}

func (g *Group[I, O]) timeout() time.Duration {
	if g.Timeout > 0 {
		return g.Timeout
	}
	return 30 * time.Second
}
