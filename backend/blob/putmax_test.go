package blob_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/internal/s3test"
	"github.com/promptforge/lorastudio/internal/studio"
)

const artifactType = "application/octet-stream"

func TestLocalPutMax(t *testing.T) {
	ctx := context.Background()
	data := testData(5000, 31)
	key := "users/u1/artifacts/j1.safetensors"
	tests := []struct {
		name    string
		body    []byte
		advance time.Duration
		mutate  func(t *testing.T, l *blob.Local, req *http.Request)
		status  int
		code    string
	}{
		{name: "under the max", body: data[:4000], status: 200},
		{name: "exactly the max", body: data, status: 200},
		{name: "over the max", body: append(bytes.Clone(data), 1), status: 413, code: blob.CodeLengthMismatch},
		{name: "empty", body: []byte{}, status: 400, code: blob.CodeLengthMismatch},
		{name: "no content length", body: data, mutate: func(t *testing.T, _ *blob.Local, req *http.Request) {
			req.ContentLength = -1
			req.Body = io.NopCloser(bytes.NewReader(data))
		}, status: 411, code: blob.CodeLengthMismatch},
		{name: "other content type", body: data, mutate: func(t *testing.T, _ *blob.Local, req *http.Request) {
			req.Header.Set("Content-Type", "text/html")
		}, status: 403, code: blob.CodeSignatureInvalid},
		{name: "max raised in the url", body: data, mutate: func(t *testing.T, _ *blob.Local, req *http.Request) {
			q := req.URL.Query()
			q.Set("max", "999999")
			req.URL.RawQuery = q.Encode()
		}, status: 403, code: blob.CodeSignatureInvalid},
		{name: "max url replayed as an exact-length url", body: data, mutate: func(t *testing.T, _ *blob.Local, req *http.Request) {
			q := req.URL.Query()
			q.Set("length", q.Get("max"))
			q.Del("max")
			req.URL.RawQuery = q.Encode()
			req.Header.Set(blob.HeaderChecksumSHA256, b64(data))
		}, status: 403, code: blob.CodeSignatureInvalid},
		{name: "other key", body: data, mutate: func(t *testing.T, _ *blob.Local, req *http.Request) {
			req.URL.Path = strings.Replace(req.URL.Path, "/u1/", "/u2/", 1)
		}, status: 403, code: blob.CodeSignatureInvalid},
		{name: "expired", body: data, advance: ttl + time.Second, status: 403, code: blob.CodeURLExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, clk, _ := newLocal(t)
			req, err := l.PresignPutMax(ctx, key, artifactType, int64(len(data)), ttl)
			if err != nil {
				t.Fatal(err)
			}
			if u, _ := url.Parse(req.URL); u.Query().Get("length") != "" {
				t.Errorf("a max url carries an exact length: %s", req.URL)
			}
			clk.Advance(tt.advance)
			hr, err := blob.NewHTTPRequest(ctx, req, bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			hr.ContentLength = int64(len(tt.body))
			if tt.mutate != nil {
				tt.mutate(t, l, hr)
			}
			resp, body := do(t, hr)
			if resp.StatusCode != tt.status {
				t.Fatalf("got %d %s, want %d", resp.StatusCode, body, tt.status)
			}
			info, serr := l.Stat(ctx, key)
			if tt.status != 200 {
				if got := errorCode(t, body); got != tt.code {
					t.Errorf("code: got %s, want %s", got, tt.code)
				}
				if studio.ErrorCode(serr) != studio.ENotFound {
					t.Errorf("refused upload stored anyway: %+v %v", info, serr)
				}
				return
			}
			want := blob.Info{Size: int64(len(tt.body)), ContentType: artifactType, SHA256: sha(tt.body)}
			if serr != nil || info != want {
				t.Errorf("Stat: got %+v %v, want %+v", info, serr, want)
			}
			if got := resp.Header.Get("ETag"); got != `"`+sha(tt.body)+`"` {
				t.Errorf("ETag: got %s, want the body's sha256", got)
			}
		})
	}
}

func TestPresignPutMaxRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	l, _, _ := newLocal(t)
	st := offlineS3(t)
	tests := []struct {
		name, key, ct string
		max           int64
		ttl           time.Duration
	}{
		{"bad key", "../x", artifactType, 10, ttl},
		{"zero max", "users/u1/a", artifactType, 0, ttl},
		{"max over one PUT", "users/u1/a", artifactType, blob.MaxPutSize + 1, ttl},
		{"bad content type", "users/u1/a", "nope", 10, ttl},
		{"ttl too long", "users/u1/a", artifactType, 10, blob.MaxTTL + time.Hour},
	}
	for _, tt := range tests {
		for name, s := range map[string]blob.Store{"local": l, "s3": st} {
			if _, err := s.PresignPutMax(ctx, tt.key, tt.ct, tt.max, tt.ttl); studio.ErrorCode(err) != studio.EInvalid {
				t.Errorf("%s %s: got %v, want %s", name, tt.name, err, studio.EInvalid)
			}
		}
	}
}

// On S3 the URL binds the key and content type; the length is checked by
// the backend after the upload (Stat), so the test shows both halves.
func TestS3PutMax(t *testing.T) {
	ctx := context.Background()
	st, _ := newS3(t, s3test.Start(t), blob.FlavorR2)
	data := testData(70_000, 32)
	key := "users/u1/artifacts/j1.safetensors"
	req, err := st.PresignPutMax(ctx, key, artifactType, 100_000, ttl)
	if err != nil {
		t.Fatal(err)
	}
	checkPresignedURL(t, req, ttl, "content-type", "host")
	wrongType, _ := blob.NewHTTPRequest(ctx, req, bytes.NewReader(data))
	wrongType.ContentLength = int64(len(data))
	wrongType.Header.Set("Content-Type", "text/html")
	if resp, body := do(t, wrongType); resp.StatusCode != 403 || !strings.Contains(string(body), "SignatureDoesNotMatch") {
		t.Errorf("wrong content type: got %d %s, want 403 SignatureDoesNotMatch", resp.StatusCode, body)
	}
	good, _ := blob.NewHTTPRequest(ctx, req, bytes.NewReader(data))
	good.ContentLength = int64(len(data))
	if resp, body := do(t, good); resp.StatusCode != 200 {
		t.Fatalf("PUT: got %d %s", resp.StatusCode, body)
	}
	info, err := st.Stat(ctx, key)
	if err != nil || info.Size != int64(len(data)) || info.ContentType != artifactType {
		t.Fatalf("Stat: got %+v %v", info, err)
	}
	if sum, err := blob.SHA256(ctx, st, key); err != nil || sum != sha(data) {
		t.Errorf("SHA256: got %s %v, want %s", sum, err, sha(data))
	}
}
