package datadir_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/promptforge/lorastudio/app/datadir"
)

func TestResolve(t *testing.T) {
	tmp := t.TempDir()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"override", map[string]string{"LORASTUDIO_DATA_DIR": filepath.Join(tmp, "over")}, filepath.Join(tmp, "over")},
		{"xdg", map[string]string{"XDG_DATA_HOME": filepath.Join(tmp, "xdg")}, filepath.Join(tmp, "xdg", "LoRA Studio")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "xdg" && runtime.GOOS != "linux" {
				t.Skip("XDG_DATA_HOME applies on Linux only")
			}
			got, err := datadir.Resolve(func(k string) string { return tt.env[k] })
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
			fi, err := os.Stat(got)
			if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
				t.Errorf("folder: %v, %v; want a 0700 directory", fi, err)
			}
		})
	}
}
