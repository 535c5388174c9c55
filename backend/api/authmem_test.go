package api_test

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/backend/auth"
)

// TestMeasureLoginMemory measures the peak resident memory of 80 sign-ins
// at once with production argon2id parameters (64 MiB each), with the
// default hashing budget and with none. It allocates gigabytes, so it runs
// only when asked: LORASTUDIO_MEASURE_LOGIN_MEMORY=1 go test ./backend/api -run TestMeasureLoginMemory -v
func TestMeasureLoginMemory(t *testing.T) {
	if os.Getenv("LORASTUDIO_MEASURE_LOGIN_MEMORY") == "" {
		t.Skip("set LORASTUDIO_MEASURE_LOGIN_MEMORY=1 to measure (allocates up to 5 GiB)")
	}
	for _, c := range []struct {
		name   string
		budget int64
	}{
		{"default budget", auth.DefaultMemoryBudget},
		{"no budget (before)", 80 * 64 << 20},
	} {
		h := auth.NewHasher(auth.HasherConfig{Params: auth.DefaultParams, MemoryBudget: c.budget, MaxWait: time.Minute})
		e := newEnv(t, func(cfg *api.Config) { cfg.Hasher = h; cfg.Limiter = api.NewMemoryLimiter(nil) })
		debug.FreeOSMemory()
		if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil { // reset the peak
			t.Skipf("cannot reset peak RSS: %v", err)
		}
		start := time.Now()
		var wg sync.WaitGroup
		for i := range 80 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := fromAddr(i)
				c.Timeout = 10 * time.Minute // a loaded machine takes long; the peak is what counts
				resp, err := c.Post(e.srv.URL+"/api/auth/login", "application/json",
					strings.NewReader(fmt.Sprintf(`{"email":"m%d@example.com","password":"a wrong passphrase"}`, i)))
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			}()
		}
		var slowest time.Duration
		stop := make(chan struct{})
		go func() { wg.Wait(); close(stop) }()
	poll:
		for {
			select {
			case <-stop:
				break poll
			default:
			}
			s := time.Now()
			e.req("GET", "/healthz", "", "")
			slowest = max(slowest, time.Since(s))
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("%s: %d hashes at once at most, peak RSS %d MiB, 80 logins in %v, slowest /healthz %v",
			c.name, h.Peak(), peakRSS(t)>>10, time.Since(start).Round(time.Millisecond), slowest.Round(time.Millisecond))
	}
}

// peakRSS reads VmHWM (KiB) from /proc/self/status.
func peakRSS(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return 0
}
