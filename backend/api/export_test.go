package api

import "time"

// Test hooks: limiters with a chosen backoff and clock.

func NewMemoryLimiterAt(limits map[string]Limit, b Backoff, now func() time.Time) Limiter {
	return newMemoryLimiter(limits, b, now)
}

func NewRedisLimiterAt(url string, limits map[string]Limit, b Backoff, now func() time.Time) (Limiter, error) {
	return newRedisLimiter(url, DefaultRedisPrefix, limits, b, now)
}

// MemoryBuckets is the number of buckets l, made by NewMemoryLimiterAt, holds.
func MemoryBuckets(l Limiter) int {
	m := l.(*memoryLimiter)
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tats)
}

// StatusOf is the code-to-status table.
var StatusOf = statusOf
