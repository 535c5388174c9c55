// Package instance keeps one desktop app per data folder: an exclusive lock
// on a file in the folder, taken before the database is opened, and the id
// Wails' single-instance lock uses to hand a second launch to the first.
package instance

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// LockFile is the file in the data folder that the running app holds locked.
const LockFile = "instance.lock"

// ErrRunning means another process holds the data folder's lock.
var ErrRunning = errors.New("instance: LoRA Studio is already running with this data folder")

// ID is the single-instance id of a data folder: a hash of its absolute,
// symlink-resolved path, so two data folders run side by side and one
// folder never runs twice. Wails turns it into a D-Bus name (Linux), a
// mutex name (Windows) or a lock file name (macOS): hex digits and a
// dash fit all three.
func ID(dataDir string) (string, error) {
	p, err := filepath.Abs(dataDir)
	if err != nil {
		return "", fmt.Errorf("instance: %w", err)
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	p = filepath.Clean(p)
	// Their usual file systems ignore case: C:\Data and c:\data are one folder.
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		p = strings.ToLower(p)
	}
	sum := sha256.Sum256([]byte(p))
	return "lorastudio-" + hex.EncodeToString(sum[:16]), nil
}

// Lock is the held lock of a data folder; it lasts until Release or the
// end of the process, whichever comes first (the OS drops it on a crash).
type Lock struct {
	f *os.File
}

// Acquire takes the data folder's lock without waiting.
// Returns ErrRunning when another process holds it.
func Acquire(dataDir string) (*Lock, error) {
	f, err := os.OpenFile(filepath.Join(dataDir, LockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("instance: open lock: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, err
	}
	l := &Lock{f: f}
	// What an earlier run left says nothing about this one.
	if err := l.write("starting"); err != nil {
		l.Release()
		return nil, err
	}
	return l, nil
}

// MarkReady tells a second launch that this process now answers Wails'
// single-instance message. Until then a second launch waits rather than
// take the single-instance name itself, which would make the first one
// hand itself over and exit.
func (l *Lock) MarkReady() error { return l.write("ready") }

func (l *Lock) write(state string) error {
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("instance: %w", err)
	}
	if _, err := l.f.WriteAt([]byte(state+" "+strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		return fmt.Errorf("instance: %w", err)
	}
	return nil
}

// Release drops the lock; calling it twice is harmless.
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	unlockFile(l.f)
	l.f.Close()
	l.f = nil
}

// MarkStopping tells a second launch not to hand over to this process,
// which is closing: it waits for the lock instead, and starts the app.
func (l *Lock) MarkStopping() error { return l.write("stopping") }

// Wait waits up to timeout for the process holding dataDir's lock. It
// returns ready when that app marked itself ready to take a launch over,
// or the lock when that app exited meanwhile: this launch is then the app.
// Neither, and no error, means the time ran out.
func Wait(dataDir string, timeout time.Duration) (l *Lock, ready bool, err error) {
	const poll = 50 * time.Millisecond
	deadline := time.Now().Add(timeout)
	for {
		if b, err := os.ReadFile(filepath.Join(dataDir, LockFile)); err == nil && strings.HasPrefix(string(b), "ready ") {
			return nil, true, nil
		}
		l, err := Acquire(dataDir)
		if !errors.Is(err, ErrRunning) {
			return l, false, err
		}
		if time.Now().After(deadline) {
			return nil, false, nil
		}
		time.Sleep(poll)
	}
}
