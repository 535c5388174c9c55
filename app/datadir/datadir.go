// Package datadir finds the folder where the desktop app keeps its
// database, imported photos, thumbnails and logs.
package datadir

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// EnvVar overrides the folder; tests and scripts rely on it.
const EnvVar = "LORASTUDIO_DATA_DIR"

// Resolve returns the data folder: $LORASTUDIO_DATA_DIR when set, otherwise
// the OS's per-user application-data folder (XDG_DATA_HOME on Linux,
// Application Support on macOS, %AppData% on Windows) plus "LoRA Studio".
// It creates the folder with owner-only permissions: it holds face photos.
func Resolve(getenv func(string) string) (string, error) {
	dir := getenv(EnvVar)
	if dir == "" {
		base, err := osDataHome(getenv)
		if err != nil {
			return "", fmt.Errorf("datadir: no home folder to keep data in; set %s: %w", EnvVar, err)
		}
		dir = filepath.Join(base, "LoRA Studio")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("datadir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("datadir: create %s: %w", dir, err)
	}
	return dir, nil
}

func osDataHome(getenv func(string) string) (string, error) {
	switch runtime.GOOS {
	case "windows", "darwin":
		return os.UserConfigDir() // %AppData%, ~/Library/Application Support
	default:
		if x := getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
			return x, nil
		}
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(home, ".local", "share"), nil
	}
}
