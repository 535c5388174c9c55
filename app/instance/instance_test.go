package instance_test

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wailsapp/wails/v2/pkg/options"

	"github.com/promptforge/lorastudio/app/instance"
)

func TestIDIsOnePerDataFolder(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	for _, d := range []string{a, b} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(root, "link-to-a")
	if err := os.Symlink(a, link); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	t.Cleanup(func() { os.Chdir(wd) })
	if err := os.Chdir(root); err != nil {
		t.Fatal(err)
	}
	id := func(p string) string {
		t.Helper()
		s, err := instance.ID(p)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	idA := id(a)
	// Wails makes a D-Bus name of it on Linux: letters, digits, '-' only.
	if !regexp.MustCompile(`^lorastudio-[0-9a-f]{32}$`).MatchString(idA) {
		t.Errorf("id %q: want lorastudio- and 32 hex digits", idA)
	}
	for _, same := range []string{a + "/", a + "/../a", "a", "./a", link} {
		if got := id(same); got != idA {
			t.Errorf("ID(%q) = %s, want %s (the same folder as %s)", same, got, idA, a)
		}
	}
	if id(b) == idA {
		t.Errorf("two data folders got one id %s", idA)
	}
	if id(a) != id(a) {
		t.Error("the id changes between calls")
	}
}

func TestLockIsExclusivePerFolder(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	l, err := instance.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := instance.Acquire(dir); !errors.Is(err, instance.ErrRunning) {
		t.Fatalf("second lock on one folder: got %v, want ErrRunning", err)
	}
	o, err := instance.Acquire(other)
	if err != nil {
		t.Fatalf("another folder's lock: %v", err)
	}
	o.Release()
	l.Release()
	l.Release() // twice is harmless
	again, err := instance.Acquire(dir)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again.Release()
}

func TestWait(t *testing.T) {
	dir := t.TempDir()
	// A ready mark left by a run that crashed must not count.
	if err := os.WriteFile(filepath.Join(dir, instance.LockFile), []byte("ready 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	first, err := instance.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	if l, ready, err := instance.Wait(dir, 150*time.Millisecond); l != nil || ready || err != nil {
		t.Fatalf("before MarkReady: got %v, %v, %v; want the time to run out", l, ready, err)
	}

	go func() {
		time.Sleep(100 * time.Millisecond)
		first.MarkReady()
	}()
	start := time.Now()
	if l, ready, err := instance.Wait(dir, 5*time.Second); l != nil || !ready || err != nil {
		t.Fatalf("after MarkReady: got %v, %v, %v; want ready", l, ready, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Wait took %v", d)
	}

	// A closing app takes no launch over: the launch waits, then is the app.
	if err := first.MarkStopping(); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		first.Release()
	}()
	l, ready, err := instance.Wait(dir, 5*time.Second)
	if l == nil || ready || err != nil {
		t.Fatalf("after the first app exited: got %v, %v, %v; want the lock", l, ready, err)
	}
	defer l.Release()
	if _, err := instance.Acquire(dir); !errors.Is(err, instance.ErrRunning) {
		t.Errorf("the lock Wait returned is not held: %v", err)
	}
}

type fakeWindow struct{ raised, notified int }

func (w *fakeWindow) Raise()  { w.raised++ }
func (w *fakeWindow) Notify() { w.notified++ }

func TestSecondLaunchRaisesAndOnlyLogsItsArguments(t *testing.T) {
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("A", 10*instance.MaxLoggedChars)
	args := []string{victim, "--delete-everything", long, "line\nforged log line\x1b[31m", "5", "6", "7"}
	cases := []struct {
		name string
		data options.SecondInstanceData
	}{
		{"no arguments", options.SecondInstanceData{}},
		{"hostile arguments", options.SecondInstanceData{Args: args, WorkingDirectory: "/" + long}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logBuf bytes.Buffer
			w := &fakeWindow{}
			instance.OnSecondLaunch(w, slog.New(slog.NewTextHandler(&logBuf, nil)))(tc.data)
			if w.raised != 1 || w.notified != 1 {
				t.Errorf("raised %d, notified %d times; want 1 and 1", w.raised, w.notified)
			}
			out := logBuf.String()
			if strings.Count(out, "\n") != 1 {
				t.Errorf("want one log line, got %q", out)
			}
			if strings.Contains(out, long) || strings.Contains(out, "forged log line\x1b") {
				t.Errorf("the log holds an uncapped or raw argument: %q", out)
			}
			if len(out) > 2000 {
				t.Errorf("log line is %d bytes", len(out))
			}
			if b, err := os.ReadFile(victim); err != nil || string(b) != "x" {
				t.Errorf("the path given as an argument was touched: %q, %v", b, err)
			}
		})
	}
}

func TestCapped(t *testing.T) {
	got := instance.Capped([]string{"a", strings.Repeat("é", 100), "\x00", "d", "e"})
	if len(got) != instance.MaxLoggedArgs {
		t.Fatalf("got %d args, want %d", len(got), instance.MaxLoggedArgs)
	}
	if got[0] != `"a"` || got[2] != `"\x00"` {
		t.Errorf("quoting: got %q", got)
	}
	// 64 bytes of two-byte runes: 32 runes, each escaped as \u00e9.
	if want := `"` + strings.Repeat(`\u00e9`, 32) + `"…`; got[1] != want {
		t.Errorf("cut: got %s, want %s", got[1], want)
	}
}
