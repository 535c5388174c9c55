package main

import (
	"strings"
	"testing"

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
