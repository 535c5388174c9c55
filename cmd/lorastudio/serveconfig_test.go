package main

import (
	"slices"
	"testing"
)

// The consent names the GPU provider that actually trains: the one
// LORASTUDIO_PROVIDER selects, never a free-standing name that could
// disagree with it.
func TestProcessorsFollowTheProvider(t *testing.T) {
	const local = "storage: this server's local disk (http://127.0.0.1:8080)"
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"replicate", map[string]string{"LORASTUDIO_PROVIDER": "replicate"},
			[]string{local, "training: Replicate, Inc. (GPU training)"}},
		{"replicate ignores the self-hosted name", map[string]string{"LORASTUDIO_PROVIDER": "replicate", "LORASTUDIO_GPU_PROVIDER": "Acme GPUs"},
			[]string{local, "training: Replicate, Inc. (GPU training)"}},
		{"self-hosted", map[string]string{"LORASTUDIO_PROVIDER": "self-hosted"},
			[]string{local, "training: self-hosted GPU worker"}},
		{"self-hosted by the worker URL, operator named", map[string]string{"LORASTUDIO_WORKER_URL": "http://gpu:8090", "LORASTUDIO_GPU_PROVIDER": "Acme GPUs"},
			[]string{local, "training: Acme GPUs"}},
		{"training off", map[string]string{"LORASTUDIO_PROVIDER": "none", "LORASTUDIO_GPU_PROVIDER": "Acme GPUs"},
			[]string{local}},
		{"nothing configured", map[string]string{}, []string{local}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["LORASTUDIO_BLOB_DIR"] = t.TempDir()
			c, _, _ := testCLI(tt.env)
			cfg, err := backendConfig(c, "http://127.0.0.1:8080")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cfg.Processors, tt.want) {
				t.Errorf("processors %q, want %q", cfg.Processors, tt.want)
			}
		})
	}
}
