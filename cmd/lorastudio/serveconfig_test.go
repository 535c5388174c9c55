package main

import (
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/backend/auth"
	"github.com/promptforge/lorastudio/backend/pgstore"
)

func TestBackendConfigQuota(t *testing.T) {
	tests := []struct {
		env     map[string]string
		want    pgstore.Quota
		wantErr string
	}{
		{map[string]string{}, pgstore.Quota{}, ""}, // api.New applies the default
		{map[string]string{"LORASTUDIO_QUOTA_BYTES": "10485760", "LORASTUDIO_QUOTA_FILES": "40"}, pgstore.Quota{Bytes: 10 << 20, Files: 40}, ""},
		{map[string]string{"LORASTUDIO_QUOTA_BYTES": "100"}, pgstore.Quota{}, "LORASTUDIO_QUOTA_BYTES"},
		{map[string]string{"LORASTUDIO_QUOTA_FILES": "0"}, pgstore.Quota{}, "LORASTUDIO_QUOTA_FILES"},
	}
	for _, tt := range tests {
		tt.env["LORASTUDIO_BLOB_DIR"] = t.TempDir()
		tt.env["LORASTUDIO_BLOB_SECRET"] = strings.Repeat("s", 32)
		c, _, _ := testCLI(tt.env)
		cfg, err := backendConfig(c, "http://127.0.0.1:1")
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: got error %v, want one about %s", tt.env, err, tt.wantErr)
			}
			continue
		}
		if err != nil || cfg.Quota != tt.want {
			t.Errorf("%v: got %+v %v, want %+v", tt.env, cfg.Quota, err, tt.want)
		}
	}
}

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

func TestHashMemoryFromEnv(t *testing.T) {
	tests := []struct {
		value string
		slots int // 0: refused
	}{
		{"", auth.NewHasher(auth.HasherConfig{}).Slots()}, // one per two cores: TestDefaultHasherFollowsCores
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

func TestRateLimits(t *testing.T) {
	tests := []struct {
		env     string
		want    map[string]api.Limit // the buckets that differ from the defaults
		wantErr bool
	}{
		{"", nil, false},
		{"upload=600/100", map[string]api.Limit{"upload": {PerMinute: 600, Burst: 100}}, false},
		{" jobs=60/20  auth=1/1 ", map[string]api.Limit{"jobs": {PerMinute: 60, Burst: 20}, "auth": {PerMinute: 1, Burst: 1}}, false},
		{"uploads=600/100", nil, true}, // no such bucket: a typo is refused, not ignored
		{"upload=600", nil, true},
		{"upload=0/10", nil, true},
		{"upload=10/x", nil, true},
	}
	for _, tt := range tests {
		got, err := rateLimits(tt.env)
		if (err != nil) != tt.wantErr {
			t.Errorf("%q: got error %v, want error %v", tt.env, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		want := maps.Clone(api.DefaultLimits)
		maps.Copy(want, tt.want)
		if !maps.Equal(got, want) {
			t.Errorf("%q: got %v, want %v", tt.env, got, want)
		}
	}
}
