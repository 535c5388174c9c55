package main

import (
	"io"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/backend/auth"
)

func TestHashMemoryFromEnv(t *testing.T) {
	tests := []struct {
		value string
		slots int // 0: refused
	}{
		{"", 5},
		{"64", 1},
		{"1024", 16},
		{"63", 0},
		{"lots", 0},
	}
	for _, tt := range tests {
		env := map[string]string{"LORASTUDIO_HASH_MEMORY_MB": tt.value, "LORASTUDIO_BLOB_DIR": t.TempDir(), "LORASTUDIO_BLOB_SECRET": strings.Repeat("k", 32)}
		c := &cli{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string { return env[k] }}
		cfg, err := backendConfig(c, "http://127.0.0.1:8080")
		if tt.slots == 0 {
			if err == nil || !strings.Contains(err.Error(), "LORASTUDIO_HASH_MEMORY_MB") {
				t.Errorf("%q: got %v, want an error naming the variable", tt.value, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tt.value, err)
		}
		h := cfg.Hasher
		if h == nil { // what api.New makes
			h = auth.NewHasher(auth.HasherConfig{Params: cfg.Password})
		}
		got := h.Slots()
		if got != tt.slots {
			t.Errorf("%q: got %d hashes at once, want %d", tt.value, got, tt.slots)
		}
	}
}
