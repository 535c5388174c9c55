package clustertest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// EnvBinary names a lorastudio binary to run instead of building one.
const EnvBinary = "LORASTUDIO_BINARY"

var build struct {
	once sync.Once
	path string
	err  error
}

// Binary returns the path of a lorastudio binary built from this module's
// source, once per process (later calls return the same path). It is built
// with -race when this program is, so a test run under -race reuses the
// packages it compiled and the servers it starts are checked for races
// too. The output lives in a folder of the temporary directory keyed by the
// module and the race mode, so `go build` relinks only what changed;
// processes building at once take turns (a file lock).
func Binary() (string, error) {
	build.once.Do(func() {
		if p := os.Getenv(EnvBinary); p != "" {
			build.path = p
			return
		}
		build.path, build.err = buildBinary()
	})
	return build.path, build.err
}

func buildBinary() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("clustertest: cannot find the module's source")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..")
	h := sha256.Sum256([]byte(fmt.Sprintf("%s race=%v %s", root, raceEnabled, runtime.Version())))
	dir := filepath.Join(os.TempDir(), "lorastudio-clustertest-"+hex.EncodeToString(h[:6]))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	unlock, err := lockFile(filepath.Join(dir, "lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	out := filepath.Join(dir, "lorastudio")
	args := []string{"build", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./cmd/lorastudio")...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("clustertest: go %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, b)
	}
	return out, nil
}
