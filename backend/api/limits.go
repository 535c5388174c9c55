package api

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Limiter decides whether one more request of a bucket is allowed for a
// caller; when not, retry says how long to wait.
type Limiter interface {
	Allow(ctx context.Context, bucket, who string) (ok bool, retry time.Duration, err error)
}

// Limit is a token bucket: Burst requests at once, refilled at PerMinute.
type Limit struct {
	PerMinute int
	Burst     int
}

// DefaultLimits: uploads and jobs are expensive; a person using the app
// stays far below these, a script hammering the API does not.
var DefaultLimits = map[string]Limit{
	"upload": {PerMinute: 60, Burst: 20},
	"jobs":   {PerMinute: 10, Burst: 5},
	"auth":   {PerMinute: 20, Burst: 10},
	// Each read of a training log is a request to the GPU provider: a
	// desktop polling every second fits, a loop hammering it does not.
	"logs": {PerMinute: 120, Burst: 20},
}

func retrySeconds(d time.Duration) int { return max(1, int(math.Ceil(d.Seconds()))) }

// Backoff slows down guessing one account's password from any number of
// addresses: Free attempts, then a wait of First before the next, doubling
// with each attempt up to Max. The wait is bounded so that an attacker can
// delay a person by at most Max, never lock them out; attempts are
// forgotten after Forget without one, and a successful sign-in resets them.
type Backoff struct {
	Free   int
	First  time.Duration
	Max    time.Duration
	Forget time.Duration
}

// DefaultBackoff: five tries, then 1 s, 2 s, 4 s ... up to 15 minutes: a
// person who mistypes is not slowed, a guesser gets about 100 tries a day.
var DefaultBackoff = Backoff{Free: 5, First: time.Second, Max: 15 * time.Minute, Forget: 24 * time.Hour}

// delay is the wait after the n-th attempt since the last success.
func (b Backoff) delay(n int) time.Duration {
	if n < b.Free {
		return 0
	}
	if n-b.Free >= 40 {
		return b.Max
	}
	return min(b.First<<(n-b.Free), b.Max)
}

// AttemptLimiter is an optional capability of a Limiter: it throttles
// sign-in attempts per account, whatever their address, with a Backoff.
type AttemptLimiter interface {
	// Attempt counts one attempt on key and returns 0, or, while key is
	// backing off, how long to wait (that attempt is then not counted).
	Attempt(ctx context.Context, key string) (retry time.Duration, err error)
	// Succeeded forgets key's attempts.
	Succeeded(ctx context.Context, key string) error
}

// memoryLimiter keeps buckets in this process: right for one replica.
// A bucket is one number, its theoretical arrival time (GCRA, as in
// redisLimiter): a bucket whose time has passed is full, the same as no
// bucket, so it is dropped. Memory is bounded by the callers seen within
// one refill, not by every caller since the start.
type memoryLimiter struct {
	limits  map[string]Limit
	backoff Backoff
	now     func() time.Time
	mu      sync.Mutex
	tats    map[string]time.Time // bucket+"\x00"+who -> theoretical arrival time
	sweepAt int                  // sweep full buckets once len(tats) reaches this,
	sweepBy time.Time            // or at the first new bucket after this time

	amu      sync.Mutex
	attempts map[string]*attempts
}

type attempts struct {
	n     int
	until time.Time // no attempt before this
	last  time.Time
}

// NewMemoryLimiter returns a Limiter local to this process; it is also an
// AttemptLimiter with DefaultBackoff.
func NewMemoryLimiter(limits map[string]Limit) Limiter {
	return newMemoryLimiter(limits, DefaultBackoff, time.Now)
}

func newMemoryLimiter(limits map[string]Limit, b Backoff, now func() time.Time) *memoryLimiter {
	return &memoryLimiter{limits: limits, backoff: b, now: now, tats: map[string]time.Time{}, sweepAt: minSweep, attempts: map[string]*attempts{}}
}

func (m *memoryLimiter) Attempt(_ context.Context, key string) (time.Duration, error) {
	now := m.now()
	m.amu.Lock()
	defer m.amu.Unlock()
	a := m.attempts[key]
	if a == nil || now.Sub(a.last) > m.backoff.Forget {
		if len(m.attempts) >= 10_000 {
			m.sweep(now)
		}
		a = &attempts{}
		m.attempts[key] = a
	}
	if d := a.until.Sub(now); d > 0 {
		return d, nil
	}
	a.n++
	a.last, a.until = now, now.Add(m.backoff.delay(a.n))
	return 0, nil
}

func (m *memoryLimiter) Succeeded(_ context.Context, key string) error {
	m.amu.Lock()
	delete(m.attempts, key)
	m.amu.Unlock()
	return nil
}

// sweep drops forgotten accounts so the map stays bounded by recent ones.
func (m *memoryLimiter) sweep(now time.Time) {
	for k, a := range m.attempts {
		if now.Sub(a.last) > m.backoff.Forget && !a.until.After(now) {
			delete(m.attempts, k)
		}
	}
}

// minSweep is the number of buckets below which none are swept.
const minSweep = 1024

func (m *memoryLimiter) Allow(_ context.Context, bucket, who string) (bool, time.Duration, error) {
	l, ok := m.limits[bucket]
	if !ok {
		return true, 0, nil
	}
	interval := time.Minute / time.Duration(max(l.PerMinute, 1))
	key := bucket + "\x00" + who
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	tat, ok := m.tats[key]
	if !ok || tat.Before(now) {
		tat = now
	}
	if allowAt := tat.Add(-time.Duration(max(l.Burst, 1)-1) * interval); allowAt.After(now) {
		return false, allowAt.Sub(now), nil
	}
	if !ok && (len(m.tats) >= m.sweepAt || len(m.tats) > minSweep && now.After(m.sweepBy)) {
		m.sweepBuckets(now)
	}
	m.tats[key] = tat.Add(interval)
	return true, 0, nil
}

// sweepEvery bounds how long full buckets outlive a burst of new callers.
const sweepEvery = time.Minute

// sweepBuckets keeps only the buckets that are not full, in a new map (a
// Go map never gives back the room a burst made it grow), and sets the
// next sweep at twice what is left, so sweeping costs O(1) per new bucket,
// or sweepEvery from now, so a burst of callers is forgotten once it is over.
func (m *memoryLimiter) sweepBuckets(now time.Time) {
	m.sweepBy = now.Add(sweepEvery)
	live := map[string]time.Time{}
	for k, tat := range m.tats {
		if tat.After(now) {
			live[k] = tat
		}
	}
	m.tats = live
	m.sweepAt = max(minSweep, 2*len(m.tats))
}

// redisLimiter shares buckets between replicas: a GCRA token bucket kept
// in one Redis key per caller, updated atomically by a script.
type redisLimiter struct {
	limits  map[string]Limit
	backoff Backoff
	rdb     *redis.Client
	now     func() time.Time
	prefix  string // of every key, so deployments (or tests) can share one Redis
}

// NewRedisLimiter returns a Limiter (and AttemptLimiter) shared through
// Redis at url. While Redis does not answer, the same limits are kept in
// this process instead (see fallbackLimiter): never none.
func NewRedisLimiter(url string, limits map[string]Limit) (Limiter, error) {
	return newRedisLimiter(url, DefaultRedisPrefix, limits, DefaultBackoff, time.Now)
}

// DefaultRedisPrefix starts every key the limiter keeps in Redis.
const DefaultRedisPrefix = "lorastudio:"

// NewRedisLimiterPrefix is NewRedisLimiter with its keys under prefix
// instead of DefaultRedisPrefix: replicas of one deployment share buckets
// only when they share the prefix.
func NewRedisLimiterPrefix(url, prefix string, limits map[string]Limit) (Limiter, error) {
	return newRedisLimiter(url, prefix, limits, DefaultBackoff, time.Now)
}

func newRedisLimiter(url, prefix string, limits map[string]Limit, b Backoff, now func() time.Time) (*fallbackLimiter, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("ratelimit: REDIS_URL: %w", err)
	}
	// A rate limit check must not hold a request for go-redis's default
	// 5 s dial timeout and retries: Redis is local and fast, or it is down.
	setDefault(&opt.DialTimeout, 500*time.Millisecond)
	setDefault(&opt.ReadTimeout, 500*time.Millisecond)
	setDefault(&opt.WriteTimeout, 500*time.Millisecond)
	setDefault(&opt.MaxRetries, -1)
	setDefault(&opt.DialerRetries, 1)
	r := &redisLimiter{limits: limits, backoff: b, rdb: redis.NewClient(opt), now: now, prefix: prefix}
	return &fallbackLimiter{primary: r, local: newMemoryLimiter(limits, b, now), now: now}, nil
}

// gcra: KEYS[1] the bucket; ARGV now (ms), interval per token (ms), burst.
// Stores the theoretical arrival time; allows when it is not too far ahead.
var gcra = redis.NewScript(`
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
if tat < now then tat = now end
local allow_at = tat - (burst - 1) * interval
if allow_at > now then
  return allow_at - now
end
tat = tat + interval
redis.call('SET', KEYS[1], tat, 'PX', math.ceil(tat - now + interval))
return 0
`)

func (r *redisLimiter) Allow(ctx context.Context, bucket, who string) (bool, time.Duration, error) {
	l, ok := r.limits[bucket]
	if !ok {
		return true, 0, nil
	}
	interval := 60_000 / l.PerMinute
	wait, err := gcra.Run(ctx, r.rdb, []string{r.prefix + "rl:" + bucket + ":" + who},
		r.now().UnixMilli(), interval, l.Burst).Int64()
	if err != nil {
		return false, 0, fmt.Errorf("ratelimit: redis: %w", err)
	}
	if wait > 0 {
		return false, time.Duration(wait) * time.Millisecond, nil
	}
	return true, 0, nil
}

// attempt: KEYS[1] the account; ARGV now, free, first, max, forget (ms).
// Mirrors memoryLimiter.Attempt.
var attempt = redis.NewScript(`
local now = tonumber(ARGV[1])
local free, first, maxd, forget = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
if now - last > forget then
  redis.call('DEL', KEYS[1])
end
local untl = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if untl > now then
  return untl - now
end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local d = 0
if n >= free then
  if n - free >= 40 then d = maxd else d = math.min(first * 2 ^ (n - free), maxd) end
end
redis.call('HSET', KEYS[1], 'until', now + d, 'last', now)
redis.call('PEXPIRE', KEYS[1], forget + d)
return 0
`)

func (r *redisLimiter) Attempt(ctx context.Context, key string) (time.Duration, error) {
	b := r.backoff
	wait, err := attempt.Run(ctx, r.rdb, []string{r.prefix + "login:" + key}, r.now().UnixMilli(),
		b.Free, b.First.Milliseconds(), b.Max.Milliseconds(), b.Forget.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("ratelimit: redis: %w", err)
	}
	return time.Duration(wait) * time.Millisecond, nil
}

func (r *redisLimiter) Succeeded(ctx context.Context, key string) error {
	if err := r.rdb.Del(ctx, r.prefix+"login:"+key).Err(); err != nil {
		return fmt.Errorf("ratelimit: redis: %w", err)
	}
	return nil
}

// fallbackLimiter uses Redis while it answers and a process-local limiter
// with the same limits while it does not: a Redis outage makes the limits
// per replica, never absent. It logs the outage once and the recovery once,
// and tries Redis again at most every probeEvery while it is down.
type fallbackLimiter struct {
	primary *redisLimiter
	local   *memoryLimiter
	now     func() time.Time

	mu    sync.Mutex
	down  bool
	probe time.Time // next time to try Redis while down
}

const probeEvery = time.Second

// usePrimary says whether to try Redis for this call.
func (f *fallbackLimiter) usePrimary() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.down || !f.now().Before(f.probe)
}

// result records how Redis answered and reports whether it did.
func (f *fallbackLimiter) result(ctx context.Context, err error) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		if f.down {
			f.down = false
			logger(ctx).Info("rate limiter: redis answers again; limits shared between replicas")
		}
		return true
	}
	if !f.down {
		f.down = true
		logger(ctx).Warn("rate limiter: redis unavailable; limiting in this process until it answers", "err", err)
	}
	f.probe = f.now().Add(probeEvery)
	return false
}

func (f *fallbackLimiter) Allow(ctx context.Context, bucket, who string) (bool, time.Duration, error) {
	if f.usePrimary() {
		ok, retry, err := f.primary.Allow(ctx, bucket, who)
		if f.result(ctx, err) {
			return ok, retry, nil
		}
	}
	return f.local.Allow(ctx, bucket, who)
}

func (f *fallbackLimiter) Attempt(ctx context.Context, key string) (time.Duration, error) {
	if f.usePrimary() {
		retry, err := f.primary.Attempt(ctx, key)
		if f.result(ctx, err) {
			return retry, nil
		}
	}
	return f.local.Attempt(ctx, key)
}

func (f *fallbackLimiter) Succeeded(ctx context.Context, key string) error {
	_ = f.local.Succeeded(ctx, key) // attempts counted here during an outage
	if f.usePrimary() {
		f.result(ctx, f.primary.Succeeded(ctx, key))
	}
	return nil
}
