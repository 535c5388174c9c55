package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/internal/update"
)

func TestReleaseSignMakesWhatTheAppVerifies(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "release.key")
	code, pubOut, errOut := runCLI(t, "release-sign", "-keygen", keyFile)
	if code != exitOK {
		t.Fatalf("keygen: exit %d: %s", code, errOut)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v; want mode 0600", fi, err)
	}
	pub, err := update.ParseKey(pubOut)
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := runCLI(t, "release-sign", "-keygen", keyFile); code != exitFail {
		t.Errorf("keygen over an existing key: exit %d, want %d", code, exitFail)
	}

	manifest := filepath.Join(dir, "release.json")
	os.WriteFile(manifest, []byte(`{"version":"0.5.0","url":"https://example.com/download","notes":"n","published":"2026-12-01"}`), 0o600)
	code, env, errOut := runCLI(t, "release-sign", "-key", keyFile, manifest)
	if code != exitOK {
		t.Fatalf("sign: exit %d: %s", code, errOut)
	}
	m, err := update.Open([]byte(env), pub)
	if err != nil {
		t.Fatalf("the app does not accept the envelope: %v", err)
	}
	if want := (update.Manifest{Version: "0.5.0", URL: "https://example.com/download", Notes: "n", Published: "2026-12-01"}); *m != want {
		t.Errorf("got %+v, want %+v", *m, want)
	}

	for name, body := range map[string]string{
		"misspelt field": `{"version":"0.5.0","url":"https://example.com/d","note":"n"}`,
		"http page":      `{"version":"0.5.0","url":"http://example.com/d"}`,
		"bad version":    `{"version":"five","url":"https://example.com/d"}`,
	} {
		os.WriteFile(manifest, []byte(body), 0o600)
		if code, out, errOut := runCLI(t, "release-sign", "-key", keyFile, manifest); code != exitFail || out != "" || errOut == "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d and a reason", name, code, out, errOut, exitFail)
		}
	}
	if code, _, errOut := runCLI(t, "release-sign", manifest); code != exitUsage || !strings.Contains(errOut, "LORASTUDIO_RELEASE_KEY") {
		t.Errorf("no key: exit %d, %q", code, errOut)
	}
}
