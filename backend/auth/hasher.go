package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/sync/semaphore"
)

// DefaultMemoryBudget is the most memory argon2id may hold at once in one
// process by default: five hashes of DefaultParams. Each hash allocates its
// whole Memory up front, so without a budget N concurrent sign-ins take
// N x 64 MiB.
const DefaultMemoryBudget = 5 * 64 << 20

// defaultBudget is the budget when none is given: one hash of p per two
// cores, within DefaultMemoryBudget. Hashes are CPU-bound, so more at once
// add no sign-ins a second and only starve every other request: on two
// cores under bench/hostile's login flood, five at once took /healthz to a
// p99 of 0.4 s, one at once kept it at 34 ms, with as many sign-ins hashed.
func defaultBudget(p Params) int64 {
	hashes := int64(max(1, runtime.GOMAXPROCS(0)/2))
	return min(DefaultMemoryBudget, hashes*int64(p.Memory)<<10)
}

// DefaultMaxWait is how long a sign-in waits for hashing memory before it
// is refused as busy.
const DefaultMaxWait = 5 * time.Second

// ErrBusy is returned when no hashing memory freed up within the wait.
var ErrBusy = errors.New("auth: password hashing is at capacity")

// HasherConfig sizes a Hasher.
type HasherConfig struct {
	Params       Params        // for new hashes; zero means DefaultParams
	MemoryBudget int64         // bytes of argon2id memory in use at once; zero: one hash per two cores, within DefaultMemoryBudget
	MaxWait      time.Duration // longest wait for memory; zero means DefaultMaxWait
}

// Hasher hashes and checks passwords with argon2id while keeping the memory
// of the hashes running at once within a budget: a hash waits for its
// memory (honouring its context, up to MaxWait) rather than allocating it.
type Hasher struct {
	params  Params
	budget  int64 // KiB, the unit of Params.Memory
	maxWait time.Duration
	sem     *semaphore.Weighted

	running, peak atomic.Int64
}

// NewHasher returns a Hasher sized by c.
func NewHasher(c HasherConfig) *Hasher {
	if c.Params == (Params{}) {
		c.Params = DefaultParams
	}
	if c.MemoryBudget == 0 {
		c.MemoryBudget = defaultBudget(c.Params)
	}
	if c.MaxWait == 0 {
		c.MaxWait = DefaultMaxWait
	}
	// At least one hash must fit, whatever the budget says.
	budget := max(c.MemoryBudget>>10, int64(c.Params.Memory))
	return &Hasher{params: c.Params, budget: budget, maxWait: c.MaxWait, sem: semaphore.NewWeighted(budget)}
}

// Params returns the parameters new hashes use.
func (h *Hasher) Params() Params { return h.params }

// Slots is how many hashes of the Hasher's own parameters run at once.
func (h *Hasher) Slots() int { return int(h.budget / int64(h.params.Memory)) }

// MaxWait is the longest a hash waits for memory.
func (h *Hasher) MaxWait() time.Duration { return h.maxWait }

// Running and Peak count the hashes running now and the most ever at once.
func (h *Hasher) Running() int { return int(h.running.Load()) }
func (h *Hasher) Peak() int    { return int(h.peak.Load()) }

// Hash returns the PHC string of password. Returns ErrBusy when no memory
// freed up within MaxWait, or the context's error.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	release, err := h.acquire(ctx, h.params.Memory)
	if err != nil {
		return "", err
	}
	defer release()
	return HashPassword(password, h.params)
}

// Check reports whether password matches hash, under the budget sized by
// the hash's own memory parameter. Returns ErrBusy or the context's error
// as Hash does.
func (h *Hasher) Check(ctx context.Context, password, hash string) (bool, error) {
	p, _, _, err := parseHash(hash)
	if err != nil {
		return false, err
	}
	release, err := h.acquire(ctx, p.Memory)
	if err != nil {
		return false, err
	}
	defer release()
	return CheckPassword(password, hash)
}

// DummyHash returns a well-formed hash under the Hasher's parameters that no
// password matches (its key is random, not derived): checking a password
// against it costs what a real check costs.
func (h *Hasher) DummyHash() string {
	salt, key := make([]byte, 16), make([]byte, h.params.KeyLen)
	_, _ = rand.Read(salt)
	_, _ = rand.Read(key)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.Memory, h.params.Time, h.params.Threads, enc.EncodeToString(salt), enc.EncodeToString(key))
}

func (h *Hasher) acquire(ctx context.Context, memKiB uint32) (release func(), err error) {
	n := min(int64(memKiB), h.budget) // an old, bigger hash takes the whole budget
	wctx, cancel := context.WithTimeout(ctx, h.maxWait)
	defer cancel()
	if err := h.sem.Acquire(wctx, n); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, ErrBusy
	}
	r := h.running.Add(1)
	for p := h.peak.Load(); r > p && !h.peak.CompareAndSwap(p, r); p = h.peak.Load() {
	}
	return func() {
		h.running.Add(-1)
		h.sem.Release(n)
	}, nil
}
