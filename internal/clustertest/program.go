package clustertest

import (
	"fmt"
	"log"
	"os"
	"sync"
)

// TB is the part of testing.TB the harness uses; *testing.T and
// *testing.B have it, and so does Program, for a bench outside go test.
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
	Cleanup(func())
	TempDir() string
	Failed() bool
}

// Program is a TB for a main program: Fatal logs, runs the cleanups and
// exits 1; Close runs the cleanups (servers stopped, databases dropped).
type Program struct {
	mu       sync.Mutex
	cleanups []func()
	failed   bool
}

var _ TB = (*Program)(nil)

func (p *Program) Helper() {}

func (p *Program) Fatal(args ...any) { p.Fatalf("%s", fmt.Sprint(args...)) }

func (p *Program) Fatalf(format string, args ...any) {
	log.Printf("FATAL: "+format, args...)
	p.mu.Lock()
	p.failed = true
	p.mu.Unlock()
	p.Close()
	os.Exit(1)
}

func (p *Program) Errorf(format string, args ...any) {
	log.Printf("ERROR: "+format, args...)
	p.mu.Lock()
	p.failed = true
	p.mu.Unlock()
}

func (p *Program) Logf(format string, args ...any) { log.Printf(format, args...) }

func (p *Program) Cleanup(f func()) {
	p.mu.Lock()
	p.cleanups = append(p.cleanups, f)
	p.mu.Unlock()
}

func (p *Program) TempDir() string {
	dir, err := os.MkdirTemp("", "lorastudio-cluster-")
	if err != nil {
		p.Fatal(err)
	}
	p.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func (p *Program) Failed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed
}

// Close runs the cleanups, last registered first, once.
func (p *Program) Close() {
	p.mu.Lock()
	fs := p.cleanups
	p.cleanups = nil
	p.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}
