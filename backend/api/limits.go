package api

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"
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

// memoryLimiter keeps buckets in this process: right for one replica.
type memoryLimiter struct {
	limits  map[string]Limit
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// NewMemoryLimiter returns a Limiter local to this process.
func NewMemoryLimiter(limits map[string]Limit) Limiter {
	return &memoryLimiter{limits: limits, buckets: map[string]*rate.Limiter{}}
}

func (m *memoryLimiter) Allow(_ context.Context, bucket, who string) (bool, time.Duration, error) {
	l, ok := m.limits[bucket]
	if !ok {
		return true, 0, nil
	}
	m.mu.Lock()
	b, ok := m.buckets[bucket+"\x00"+who]
	if !ok {
		b = rate.NewLimiter(rate.Limit(float64(l.PerMinute)/60), l.Burst)
		m.buckets[bucket+"\x00"+who] = b
	}
	m.mu.Unlock()
	r := b.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel()
		return false, d, nil
	}
	return true, 0, nil
}

// redisLimiter shares buckets between replicas: a GCRA token bucket kept
// in one Redis key per caller, updated atomically by a script.
type redisLimiter struct {
	limits map[string]Limit
	rdb    *redis.Client
	now    func() time.Time
}

// NewRedisLimiter returns a Limiter shared through Redis at url.
func NewRedisLimiter(url string, limits map[string]Limit) (Limiter, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("ratelimit: REDIS_URL: %w", err)
	}
	return &redisLimiter{limits: limits, rdb: redis.NewClient(opt), now: time.Now}, nil
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
	wait, err := gcra.Run(ctx, r.rdb, []string{"lorastudio:rl:" + bucket + ":" + who},
		r.now().UnixMilli(), interval, l.Burst).Int64()
	if err != nil {
		return false, 0, fmt.Errorf("ratelimit: redis: %w", err)
	}
	if wait > 0 {
		return false, time.Duration(wait) * time.Millisecond, nil
	}
	return true, 0, nil
}
