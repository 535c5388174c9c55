package main

import (
	"slices"
	"testing"
	"time"
)

// A percentile must not reorder the latencies: -timeline pairs each with
// its send time by index (p sorted them in place, and the timeline showed
// the sorted values as a latency growing through the run).
func TestPercentileKeepsOrder(t *testing.T) {
	s := &stats{}
	start := time.Now()
	for i, ms := range []int{9, 1, 7, 3, 5} {
		s.lat = append(s.lat, time.Duration(ms)*time.Millisecond)
		s.sentAt = append(s.sentAt, start.Add(time.Duration(i)*time.Millisecond))
	}
	before := slices.Clone(s.lat)
	for _, tt := range []struct {
		q    float64
		want float64
	}{{0, 1}, {0.5, 5}, {0.99, 9}} {
		if got := s.p(tt.q); got != tt.want {
			t.Errorf("p(%v) = %v ms, want %v", tt.q, got, tt.want)
		}
	}
	if !slices.Equal(s.lat, before) {
		t.Errorf("p reordered the latencies: %v, was %v", s.lat, before)
	}
}
