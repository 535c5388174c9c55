package blob_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/internal/studio"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// TestFromEnvLocal checks the default store: files under the XDG data dir
// and a secret generated once, kept, and used by the next start.
func TestFromEnvLocal(t *testing.T) {
	ctx := context.Background()
	home := t.TempDir()
	var h http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	defer ts.Close()
	env := map[string]string{"HOME": home}

	first, err := blob.FromEnv(ctx, envOf(env), ts.URL+"/blob")
	if err != nil {
		t.Fatal(err)
	}
	secretPath := filepath.Join(home, ".local", "share", "lorastudio", "blob", "secret")
	fi, err := os.Stat(secretPath)
	if err != nil {
		t.Fatalf("no generated secret: %v", err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Size() != 32 {
		t.Errorf("secret file: got mode %v and %d bytes, want 0600 and 32", fi.Mode().Perm(), fi.Size())
	}

	// A restart reads the same secret: URLs signed before it still verify.
	second, err := blob.FromEnv(ctx, envOf(env), ts.URL+"/blob")
	if err != nil {
		t.Fatal(err)
	}
	srv, ok := second.(blob.Server)
	if !ok {
		t.Fatalf("the local store %T does not serve its urls", second)
	}
	h = srv.Handler()
	data := testData(1000, 40)
	put, err := first.PresignPut(ctx, objectFor("users/u1/a.jpg", data), ttl)
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := send(t, put, data); resp.StatusCode != 200 {
		t.Errorf("PUT signed before a restart: got %d %s, want 200", resp.StatusCode, body)
	}

	// Another secret signs URLs the store refuses.
	env[blob.EnvBlobSecret] = strings.Repeat("s", 40)
	third, err := blob.FromEnv(ctx, envOf(env), ts.URL+"/blob")
	if err != nil {
		t.Fatal(err)
	}
	put, _ = third.PresignPut(ctx, objectFor("users/u1/b.jpg", data), ttl)
	if resp, body := send(t, put, data); resp.StatusCode != 403 || errorCode(t, body) != blob.CodeSignatureInvalid {
		t.Errorf("PUT signed with another secret: got %d %s, want 403 %s", resp.StatusCode, body, blob.CodeSignatureInvalid)
	}

	dir := t.TempDir()
	st, err := blob.FromEnv(ctx, envOf(map[string]string{blob.EnvStorage: "local", blob.EnvBlobDir: dir, blob.EnvBlobSecret: strings.Repeat("k", 32)}), "http://127.0.0.1:8080/blob")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.(*blob.Local); !ok {
		t.Errorf("LORASTUDIO_STORAGE=local: got %T, want *blob.Local", st)
	}
	if _, err := os.Stat(filepath.Join(dir, "secret")); !os.IsNotExist(err) {
		t.Errorf("a given secret must not be written to disk: stat says %v", err)
	}
}

func TestFromEnvS3(t *testing.T) {
	ctx := context.Background()
	base := map[string]string{
		blob.EnvStorage: "r2", blob.EnvBucket: "photos", blob.EnvEndpoint: "https://acct.r2.example.com",
		blob.EnvPathStyle: "true", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret",
	}
	st, err := blob.FromEnv(ctx, envOf(base), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.(blob.Server); ok {
		t.Errorf("an S3 store must not offer a handler")
	}
	data := []byte("x")
	put, err := st.PresignPut(ctx, objectFor("users/u1/a.jpg", data), ttl)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(put.URL)
	if u.Host != "acct.r2.example.com" || !strings.HasPrefix(u.Path, "/photos/users/u1/a.jpg") {
		t.Errorf("path-style url: got host %s path %s", u.Host, u.Path)
	}
	if cred := u.Query().Get("X-Amz-Credential"); !strings.Contains(cred, "/auto/s3/") || !strings.HasPrefix(cred, "AKID/") {
		t.Errorf("credential scope %q: want the AKID key and the R2 region auto", cred)
	}

	for name, edit := range map[string]func(map[string]string){
		"unknown storage":   func(m map[string]string) { m[blob.EnvStorage] = "gcs" },
		"no bucket":         func(m map[string]string) { delete(m, blob.EnvBucket) },
		"bad path style":    func(m map[string]string) { m[blob.EnvPathStyle] = "maybe" },
		"half a credential": func(m map[string]string) { delete(m, "AWS_SECRET_ACCESS_KEY") },
	} {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		edit(m)
		if _, err := blob.FromEnv(ctx, envOf(m), ""); studio.ErrorCode(err) != studio.EInvalid {
			t.Errorf("%s: got %v, want %s", name, err, studio.EInvalid)
		}
	}
}
