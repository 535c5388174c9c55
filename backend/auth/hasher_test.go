package auth

import (
	"runtime"
	"testing"
)

// Hashes are CPU-bound: by default one runs per two cores, so a login flood
// cannot take every core from the other requests (bench/hostile: on two
// cores five at once took /healthz to a p99 of 0.4 s), and never more than
// DefaultMemoryBudget holds.
func TestDefaultHasherFollowsCores(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, tt := range []struct{ cores, hashes int }{
		{1, 1}, {2, 1}, {3, 1}, {4, 2}, {8, 4}, {10, 5}, {64, 5},
	} {
		runtime.GOMAXPROCS(tt.cores)
		if got := NewHasher(HasherConfig{}).Slots(); got != tt.hashes {
			t.Errorf("%d cores: %d hashes at once, want %d", tt.cores, got, tt.hashes)
		}
	}
	// A budget given is kept, whatever the cores.
	runtime.GOMAXPROCS(2)
	if got := NewHasher(HasherConfig{MemoryBudget: DefaultMemoryBudget}).Slots(); got != 5 {
		t.Errorf("explicit budget of 5 hashes: got %d", got)
	}
}
