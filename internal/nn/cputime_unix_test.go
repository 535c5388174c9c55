//go:build unix

package nn

import (
	"syscall"
	"time"
)

// CPUTime returns the process's user+system CPU time, so benchmarks on a
// shared machine can report CPU per op besides wall time.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
