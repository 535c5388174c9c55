package blob_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/internal/studio"
)

func TestLocalPutRoundTrip(t *testing.T) {
	ctx := context.Background()
	l, _, _ := newLocal(t)
	data := testData(300_000, 1)
	o := objectFor("users/u1/datasets/d1/"+sha(data)+".jpg", data)

	req, err := l.PresignPut(ctx, o, ttl)
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != "PUT" {
		t.Errorf("method: got %s, want PUT", req.Method)
	}
	for k, want := range map[string]string{"Content-Type": "image/jpeg", "Content-Length": "300000", "X-Amz-Checksum-Sha256": b64(data)} {
		if got := req.Headers[k]; got != want {
			t.Errorf("header %s: got %q, want %q", k, got, want)
		}
	}
	if u, _ := url.Parse(req.URL); strings.Contains(strings.ToLower(u.RawQuery), "checksum") || strings.Contains(u.RawQuery, o.SHA256) {
		t.Errorf("checksum hoisted into the query of %s", req.URL)
	}
	resp, body := send(t, req, data)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT: got %d %s, want 200", resp.StatusCode, body)
	}
	if got, want := resp.Header.Get("ETag"), `"`+o.SHA256+`"`; got != want {
		t.Errorf("ETag: got %s, want %s", got, want)
	}

	info, err := l.Stat(ctx, o.Key)
	if err != nil {
		t.Fatal(err)
	}
	if want := (blob.Info{Size: o.Size, ContentType: "image/jpeg", SHA256: o.SHA256}); info != want {
		t.Errorf("Stat: got %+v, want %+v", info, want)
	}
	rc, err := l.Open(ctx, o.Key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data) {
		t.Errorf("Open: got %d bytes differing from the %d uploaded", len(got), len(data))
	}
	if err := blob.Verify(ctx, l, o); err != nil {
		t.Errorf("Verify: %v", err)
	}
	other := o
	other.SHA256 = sha([]byte("other"))
	if err := blob.Verify(ctx, l, other); studio.ErrorCode(err) != studio.EInvalid {
		t.Errorf("Verify with another sha256: got %v, want %s", err, studio.EInvalid)
	}

	get, err := l.PresignGet(ctx, o.Key, ttl)
	if err != nil {
		t.Fatal(err)
	}
	resp, body = send(t, get, nil)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("GET: got %d with %d bytes, want 200 with the object", resp.StatusCode, len(body))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "image/jpeg" {
		t.Errorf("GET Content-Type: got %s, want image/jpeg", ct)
	}
	r, _ := http.NewRequest("GET", get.URL, nil)
	r.Header.Set("Range", "bytes=10-19")
	resp, body = do(t, r)
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[10:20]) {
		t.Errorf("ranged GET: got %d %x, want 206 %x", resp.StatusCode, body, data[10:20])
	}
}

// TestLocalPutRefusals sends one tampered or wrong request per case to a
// fresh presigned URL and checks the status, the code, and that nothing
// was stored.
func TestLocalPutRefusals(t *testing.T) {
	ctx := context.Background()
	data := testData(4096, 2)
	flipped := bytes.Clone(data)
	flipped[100] ^= 1
	theirs := testData(4096, 3)

	tests := []struct {
		name    string
		body    []byte
		advance time.Duration
		mutate  func(t *testing.T, l *blob.Local, req *http.Request)
		status  int
		code    string
	}{
		{name: "short body", body: data[:4095], mutate: setLength(4095), status: 400, code: blob.CodeLengthMismatch},
		{name: "long body", body: append(bytes.Clone(data), 0), mutate: setLength(4097), status: 413, code: blob.CodeLengthMismatch},
		{name: "no content length", body: data, mutate: func(t *testing.T, _ *blob.Local, req *http.Request) {
			req.ContentLength = -1
			req.Body = io.NopCloser(bytes.NewReader(data)) // unknown length: chunked
		}, status: 411, code: blob.CodeLengthMismatch},
		{name: "wrong checksum", body: flipped, status: 400, code: blob.CodeChecksumMismatch},
		{name: "expired", body: data, advance: ttl + time.Second, status: 403, code: blob.CodeURLExpired},
		{name: "tampered signature", body: data, mutate: func(t *testing.T, _ *blob.Local, req *http.Request) {
			q := req.URL.Query()
			s := []byte(q.Get("sig"))
			if s[len(s)-1] == '0' {
				s[len(s)-1] = '1'
			} else {
				s[len(s)-1] = '0'
			}
			q.Set("sig", string(s))
			req.URL.RawQuery = q.Encode()
		}, status: 403, code: blob.CodeSignatureInvalid},
		{name: "other user's key with own signature", body: data, mutate: func(t *testing.T, l *blob.Local, req *http.Request) {
			// The attacker holds a valid URL for their own key and points it at the victim's.
			mine, err := l.PresignPut(ctx, objectFor("users/u2/datasets/d9/"+sha(data)+".jpg", data), ttl)
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(mine.URL)
			req.URL.RawQuery = u.RawQuery
		}, status: 403, code: blob.CodeSignatureInvalid},
		{name: "wrong content type", body: data, mutate: func(t *testing.T, _ *blob.Local, req *http.Request) {
			req.Header.Set("Content-Type", "text/html")
		}, status: 403, code: blob.CodeSignatureInvalid},
		{name: "missing content type", body: data, mutate: func(t *testing.T, _ *blob.Local, req *http.Request) {
			req.Header.Del("Content-Type")
		}, status: 400, code: blob.CodeHeaderMissing},
		{name: "missing checksum header", body: data, mutate: func(t *testing.T, _ *blob.Local, req *http.Request) {
			req.Header.Del("X-Amz-Checksum-Sha256")
		}, status: 400, code: blob.CodeHeaderMissing},
		{name: "checksum header of another body", body: theirs, mutate: func(t *testing.T, _ *blob.Local, req *http.Request) {
			req.Header.Set("X-Amz-Checksum-Sha256", b64(theirs))
		}, status: 403, code: blob.CodeSignatureInvalid},
		{name: "length raised in the query", body: append(bytes.Clone(data), 0), mutate: func(t *testing.T, _ *blob.Local, req *http.Request) {
			setQuery(req, "length", "4097")
			req.ContentLength = 4097
		}, status: 403, code: blob.CodeSignatureInvalid},
		{name: "expiry extended in the query", body: data, advance: ttl + time.Second, mutate: func(t *testing.T, l *blob.Local, req *http.Request) {
			setQuery(req, "expires", fmt.Sprint(time.Now().Add(24*time.Hour).Unix()))
		}, status: 403, code: blob.CodeSignatureInvalid},
		{name: "download url used to upload", body: data, mutate: func(t *testing.T, l *blob.Local, req *http.Request) {
			get, err := l.PresignGet(ctx, "users/u1/datasets/d1/"+sha(data)+".jpg", ttl)
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(get.URL)
			req.URL.RawQuery = u.RawQuery
		}, status: 403, code: blob.CodeSignatureInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, clk, dir := newLocal(t)
			o := objectFor("users/u1/datasets/d1/"+sha(data)+".jpg", data)
			pre, err := l.PresignPut(ctx, o, ttl)
			if err != nil {
				t.Fatal(err)
			}
			clk.Advance(tt.advance)
			req, err := blob.NewHTTPRequest(ctx, pre, bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.mutate != nil {
				tt.mutate(t, l, req)
			}
			resp, body := do(t, req)
			if resp.StatusCode != tt.status || errorCode(t, body) != tt.code {
				t.Errorf("got %d %.200q, want %d %s", resp.StatusCode, body, tt.status, tt.code)
			}
			if _, err := l.Stat(ctx, o.Key); studio.ErrorCode(err) != studio.ENotFound {
				t.Errorf("Stat after a refused upload: got %v, want %s", err, studio.ENotFound)
			}
			if files := regularFiles(t, filepath.Join(dir, "objects")); len(files) != 0 {
				t.Errorf("a refused upload left files: %v", files)
			}
		})
	}
}

func setLength(n int64) func(*testing.T, *blob.Local, *http.Request) {
	return func(_ *testing.T, _ *blob.Local, req *http.Request) { req.ContentLength = n }
}

func setQuery(req *http.Request, k, v string) {
	q := req.URL.Query()
	q.Set(k, v)
	req.URL.RawQuery = q.Encode()
}

func regularFiles(t testing.TB, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestLocalBodyShorterThanItsContentLength sends, over a raw connection, a
// Content-Length that matches the URL and then fewer bytes: the server
// sees the body end early and must refuse it and store nothing.
func TestLocalBodyShorterThanItsContentLength(t *testing.T) {
	ctx := context.Background()
	l, _, dir := newLocal(t)
	data := testData(64<<10, 4)
	o := objectFor("users/u1/datasets/d1/"+sha(data)+".jpg", data)
	pre, err := l.PresignPut(ctx, o, ttl)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(pre.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\n", u.RequestURI(), u.Host)
	for k, v := range pre.Headers {
		fmt.Fprintf(conn, "%s: %s\r\n", k, v)
	}
	fmt.Fprintf(conn, "\r\n")
	conn.Write(data[:len(data)/2])
	conn.(*net.TCPConn).CloseWrite()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || errorCode(t, body) != blob.CodeLengthMismatch {
		t.Errorf("got %d %s, want 400 %s", resp.StatusCode, body, blob.CodeLengthMismatch)
	}
	if files := regularFiles(t, filepath.Join(dir, "objects")); len(files) != 0 {
		t.Errorf("a truncated upload left files: %v", files)
	}
}

func TestLocalHandlerRefusesBadPaths(t *testing.T) {
	l, _, _ := newLocal(t)
	h := l.Handler()
	for _, p := range []string{
		"/blob/users/../../etc/passwd",
		"/blob/users/%2e%2e/%2e%2e/etc/passwd",
		"/blob//etc/passwd",
		"/blob/users/u1/.hidden",
		"/blob/users/u1/a~meta",
		"/other/users/u1/a.jpg",
	} {
		t.Run(p, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", p+"?expires=1&sig=00", nil))
			if w.Code != 400 || errorCode(t, w.Body.Bytes()) != blob.CodeKeyInvalid {
				t.Errorf("got %d %s, want 400 %s", w.Code, w.Body, blob.CodeKeyInvalid)
			}
		})
	}
}

func TestLocalGetRefusals(t *testing.T) {
	ctx := context.Background()
	l, clk, _ := newLocal(t)
	data := testData(1000, 5)
	o := objectFor("users/u1/datasets/d1/"+sha(data)+".jpg", data)
	put, _ := l.PresignPut(ctx, o, ttl)
	if resp, body := send(t, put, data); resp.StatusCode != 200 {
		t.Fatalf("PUT: got %d %s", resp.StatusCode, body)
	}
	get, err := l.PresignGet(ctx, o.Key, ttl)
	if err != nil {
		t.Fatal(err)
	}
	missing, _ := l.PresignGet(ctx, "users/u1/datasets/d1/missing.jpg", ttl)
	u, _ := url.Parse(get.URL)
	other := *u
	other.Path = "/blob/users/u2/datasets/d1/" + sha(data) + ".jpg"

	tests := []struct {
		name    string
		url     string
		method  string
		advance time.Duration
		status  int
		code    string
	}{
		{"other key, same signature", other.String(), "GET", 0, 403, blob.CodeSignatureInvalid},
		{"missing object", missing.URL, "GET", 0, 404, blob.CodeNotFound},
		{"download url used to upload", get.URL, "PUT", 0, 403, blob.CodeSignatureInvalid},
		{"method not allowed", get.URL, "DELETE", 0, 405, blob.CodeMethodNotAllowed},
		{"expired", get.URL, "GET", ttl + time.Second, 403, blob.CodeURLExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Advance(tt.advance)
			req, _ := http.NewRequest(tt.method, tt.url, nil)
			resp, body := do(t, req)
			if resp.StatusCode != tt.status || errorCode(t, body) != tt.code {
				t.Errorf("got %d %.200q, want %d %s", resp.StatusCode, body, tt.status, tt.code)
			}
		})
	}
}

// uploadParts PUTs the given parts of m in the given order and returns the
// ETags by part number.
func uploadParts(t testing.TB, m blob.Multipart, data []byte, order []int) map[int]string {
	t.Helper()
	etags := map[int]string{}
	for _, n := range order {
		p := m.Parts[n-1]
		off := int64(n-1) * m.PartSize
		resp, body := send(t, p.Request, data[off:off+p.Size])
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PUT part %d: got %d %s, want 200", n, resp.StatusCode, body)
		}
		if etags[n] = resp.Header.Get("ETag"); etags[n] == "" {
			t.Fatalf("PUT part %d: no ETag", n)
		}
	}
	return etags
}

func completed(etags map[int]string, order ...int) []blob.CompletedPart {
	var parts []blob.CompletedPart
	for _, n := range order {
		parts = append(parts, blob.CompletedPart{Number: n, ETag: etags[n]})
	}
	return parts
}

func TestLocalMultipart(t *testing.T) {
	ctx := context.Background()
	l, clk, dir := newLocal(t)
	data := testData(11*MiB, 6)
	o := objectFor("users/u1/datasets/d1/"+sha(data)+".jpg", data)

	m, err := l.CreateMultipart(ctx, o, 5*MiB, ttl)
	if err != nil {
		t.Fatal(err)
	}
	if m.PartSize != 5*MiB || len(m.Parts) != 3 {
		t.Fatalf("got part size %d and %d parts, want %d and 3", m.PartSize, len(m.Parts), 5*MiB)
	}
	for i, want := range []int64{5 * MiB, 5 * MiB, 1 * MiB} {
		if p := m.Parts[i]; p.Number != i+1 || p.Size != want || p.Headers["Content-Length"] != fmt.Sprint(want) {
			t.Errorf("part %d: got number %d size %d headers %v, want size %d", i+1, p.Number, p.Size, p.Headers, want)
		}
	}

	// A part's URL is bound to its length and its upload.
	resp, body := send(t, m.Parts[0].Request, data[:m.PartSize])
	if resp.StatusCode != 200 {
		t.Fatalf("PUT part 1: got %d %s", resp.StatusCode, body)
	}
	req, _ := blob.NewHTTPRequest(ctx, m.Parts[2].Request, bytes.NewReader(data[:2*MiB]))
	req.ContentLength = 2 * MiB
	if resp, body := do(t, req); resp.StatusCode != 413 || errorCode(t, body) != blob.CodeLengthMismatch {
		t.Errorf("part 3 with 2 MiB: got %d %s, want 413 %s", resp.StatusCode, body, blob.CodeLengthMismatch)
	}
	req, _ = blob.NewHTTPRequest(ctx, m.Parts[1].Request, bytes.NewReader(data[5*MiB:10*MiB]))
	setQuery(req, "part", "1")
	if resp, body := do(t, req); resp.StatusCode != 403 || errorCode(t, body) != blob.CodeSignatureInvalid {
		t.Errorf("part 2's url as part 1: got %d %s, want 403 %s", resp.StatusCode, body, blob.CodeSignatureInvalid)
	}

	// Expired part URLs are renewed, not fatal.
	clk.Advance(ttl + time.Second)
	req, _ = blob.NewHTTPRequest(ctx, m.Parts[2].Request, bytes.NewReader(data[10*MiB:]))
	if resp, body := do(t, req); resp.StatusCode != 403 || errorCode(t, body) != blob.CodeURLExpired {
		t.Errorf("expired part url: got %d %s, want 403 %s", resp.StatusCode, body, blob.CodeURLExpired)
	}
	renewed, err := l.PresignParts(ctx, o, m.UploadID, m.PartSize, []int{1, 2, 3}, ttl)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.PresignParts(ctx, o, m.UploadID, m.PartSize, []int{4}, ttl); studio.ErrorCode(err) != studio.EInvalid {
		t.Errorf("PresignParts of part 4 of 3: got %v, want %s", err, studio.EInvalid)
	}
	m.Parts = renewed
	etags := uploadParts(t, m, data, []int{3, 1, 2}) // out of order

	wrong := completed(etags, 1, 2, 3)
	wrong[1].ETag = `"` + sha([]byte("not part 2")) + `"`
	for name, parts := range map[string][]blob.CompletedPart{
		"wrong etag":     wrong,
		"out of order":   completed(etags, 2, 1, 3),
		"missing a part": completed(etags, 1, 2),
	} {
		if err := l.CompleteMultipart(ctx, o.Key, m.UploadID, parts); studio.ErrorCode(err) != studio.EInvalid {
			t.Errorf("Complete with %s: got %v, want %s", name, err, studio.EInvalid)
		}
		if _, err := l.Stat(ctx, o.Key); studio.ErrorCode(err) != studio.ENotFound {
			t.Errorf("Stat after Complete with %s: got %v, want %s", name, err, studio.ENotFound)
		}
	}
	if err := l.CompleteMultipart(ctx, "users/u2/datasets/d1/x.jpg", m.UploadID, completed(etags, 1, 2, 3)); studio.ErrorCode(err) != studio.ENotFound {
		t.Errorf("Complete under another key: got %v, want %s", err, studio.ENotFound)
	}

	if err := l.CompleteMultipart(ctx, o.Key, m.UploadID, completed(etags, 1, 2, 3)); err != nil {
		t.Fatal(err)
	}
	info, err := l.Stat(ctx, o.Key)
	if err != nil {
		t.Fatal(err)
	}
	if want := (blob.Info{Size: o.Size, ContentType: o.ContentType, SHA256: o.SHA256}); info != want {
		t.Errorf("Stat: got %+v, want %+v", info, want)
	}
	if got, err := blob.SHA256(ctx, l, o.Key); err != nil || got != o.SHA256 {
		t.Errorf("SHA256: got %s %v, want %s", got, err, o.SHA256)
	}
	// Completing again with the same parts is idempotent (a commit retried
	// after its answer was lost); with other parts it is refused.
	if err := l.CompleteMultipart(ctx, o.Key, m.UploadID, completed(etags, 1, 2, 3)); err != nil {
		t.Errorf("second Complete: got %v, want success", err)
	}
	if err := l.CompleteMultipart(ctx, o.Key, m.UploadID, wrong); studio.ErrorCode(err) != studio.EInvalid {
		t.Errorf("second Complete with other parts: got %v, want %s", err, studio.EInvalid)
	}
	if resp, body := send(t, m.Parts[0].Request, data[:m.PartSize]); resp.StatusCode != 404 || errorCode(t, body) != blob.CodeUploadNotFound {
		t.Errorf("part PUT after Complete: got %d %s, want 404 %s", resp.StatusCode, body, blob.CodeUploadNotFound)
	}
	if _, err := l.PresignParts(ctx, o, m.UploadID, m.PartSize, []int{1}, ttl); studio.ErrorCode(err) != studio.ENotFound {
		t.Errorf("PresignParts after Complete: got %v, want %s", err, studio.ENotFound)
	}
	if parts := partFiles(t, dir); len(parts) != 0 {
		t.Errorf("Complete left parts behind: %v", parts)
	}
	// The record of the completion goes with the hourly purge of old uploads.
	if n, err := l.PurgeUploads(ctx, clk.Now().Add(time.Hour)); err != nil || n != 1 {
		t.Errorf("PurgeUploads: got %d %v, want 1", n, err)
	}
	if files := regularFiles(t, filepath.Join(dir, "uploads")); len(files) != 0 {
		t.Errorf("PurgeUploads left %v", files)
	}
}

// partFiles lists the files under uploads that are neither an upload's
// record nor its completion record.
func partFiles(t testing.TB, dir string) []string {
	t.Helper()
	var parts []string
	for _, f := range regularFiles(t, filepath.Join(dir, "uploads")) {
		if b := filepath.Base(f); b != "upload" && b != "completed" {
			parts = append(parts, f)
		}
	}
	return parts
}

// TestLocalMultipartWrongChecksum declares a sha256 that the parts do not
// add up to: Complete refuses and publishes nothing.
func TestLocalMultipartWrongChecksum(t *testing.T) {
	ctx := context.Background()
	l, _, dir := newLocal(t)
	data := testData(6*MiB, 7)
	o := objectFor("users/u1/datasets/d1/big.jpg", data)
	o.SHA256 = sha([]byte("something else"))
	m, err := l.CreateMultipart(ctx, o, 5*MiB, ttl)
	if err != nil {
		t.Fatal(err)
	}
	etags := uploadParts(t, m, data, []int{1, 2})
	err = l.CompleteMultipart(ctx, o.Key, m.UploadID, completed(etags, 1, 2))
	if studio.ErrorCode(err) != studio.EInvalid || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("Complete: got %v, want %s about the sha256", err, studio.EInvalid)
	}
	if files := regularFiles(t, filepath.Join(dir, "objects")); len(files) != 0 {
		t.Errorf("a refused Complete left files: %v", files)
	}
	if err := l.AbortMultipart(ctx, o.Key, m.UploadID); err != nil {
		t.Errorf("Abort: %v", err)
	}
	if err := l.AbortMultipart(ctx, o.Key, m.UploadID); studio.ErrorCode(err) != studio.ENotFound {
		t.Errorf("second Abort: got %v, want %s", err, studio.ENotFound)
	}
	if files := regularFiles(t, filepath.Join(dir, "uploads")); len(files) != 0 {
		t.Errorf("Abort left parts behind: %v", files)
	}
}

func TestLocalDeletePrefix(t *testing.T) {
	ctx := context.Background()
	l, _, dir := newLocal(t)
	keys := []string{"users/u1/datasets/d1/a.jpg", "users/u1/datasets/d2/b.jpg", "users/u10/datasets/d1/c.jpg"}
	for i, k := range keys {
		data := testData(100, uint64(10+i))
		put, err := l.PresignPut(ctx, objectFor(k, data), ttl)
		if err != nil {
			t.Fatal(err)
		}
		if resp, body := send(t, put, data); resp.StatusCode != 200 {
			t.Fatalf("PUT %s: got %d %s", k, resp.StatusCode, body)
		}
	}
	big := testData(6*MiB, 9)
	m, err := l.CreateMultipart(ctx, objectFor("users/u1/datasets/d3/big.jpg", big), 5*MiB, ttl)
	if err != nil {
		t.Fatal(err)
	}
	uploadParts(t, m, big, []int{1})

	for _, bad := range []string{"", "/", "users/u1", "users/../", "users/u1//"} {
		if err := l.DeletePrefix(ctx, bad); studio.ErrorCode(err) != studio.EInvalid {
			t.Errorf("DeletePrefix(%q): got %v, want %s", bad, err, studio.EInvalid)
		}
	}
	if err := l.DeletePrefix(ctx, "users/u1/"); err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		_, err := l.Stat(ctx, k)
		if want := map[bool]string{true: studio.ENotFound, false: ""}[i < 2]; studio.ErrorCode(err) != want {
			t.Errorf("Stat(%s) after erasure of users/u1/: got %v, want %q", k, err, want)
		}
	}
	if files := regularFiles(t, filepath.Join(dir, "uploads")); len(files) != 0 {
		t.Errorf("erasure left upload parts: %v", files)
	}
	if err := l.Delete(ctx, keys[2]); err != nil {
		t.Fatal(err)
	}
	if err := l.Delete(ctx, keys[2]); err != nil {
		t.Errorf("deleting a missing object: got %v, want nil", err)
	}
	if _, err := l.Stat(ctx, keys[2]); studio.ErrorCode(err) != studio.ENotFound {
		t.Errorf("Stat after Delete: got %v, want %s", err, studio.ENotFound)
	}
}

// TestLocalConcurrentUploads runs parallel uploads, to distinct keys and to
// one shared key, with readers in between; run it with -race.
func TestLocalConcurrentUploads(t *testing.T) {
	ctx := context.Background()
	l, _, _ := newLocal(t)
	shared := testData(200_000, 99)
	sharedObj := objectFor("users/u1/datasets/d1/shared.jpg", shared)
	const workers, each = 8, 4
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*3)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				data := testData(50_000+w*1000+i, uint64(w*100+i))
				o := objectFor(fmt.Sprintf("users/u%d/datasets/d1/%d.jpg", w, i), data)
				for _, up := range []struct {
					o blob.Object
					b []byte
				}{{o, data}, {sharedObj, shared}} {
					put, err := l.PresignPut(ctx, up.o, ttl)
					if err != nil {
						errs <- err
						continue
					}
					req, _ := blob.NewHTTPRequest(ctx, put, bytes.NewReader(up.b))
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						errs <- err
						continue
					}
					resp.Body.Close()
					if resp.StatusCode != 200 {
						errs <- fmt.Errorf("PUT %s: %d", up.o.Key, resp.StatusCode)
					}
				}
				if info, err := l.Stat(ctx, sharedObj.Key); err == nil && info.SHA256 != sharedObj.SHA256 {
					errs <- fmt.Errorf("Stat of the shared key during writes: sha256 %s, want %s", info.SHA256, sharedObj.SHA256)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for w := range workers {
		for i := range each {
			data := testData(50_000+w*1000+i, uint64(w*100+i))
			if err := blob.Verify(ctx, l, objectFor(fmt.Sprintf("users/u%d/datasets/d1/%d.jpg", w, i), data)); err != nil {
				t.Error(err)
			}
		}
	}
	if err := blob.Verify(ctx, l, sharedObj); err != nil {
		t.Error(err)
	}
}

func TestLocalPresignRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	l, _, _ := newLocal(t)
	data := []byte("x")
	good := objectFor("users/u1/a.jpg", data)
	tests := []struct {
		name string
		edit func(*blob.Object)
		ttl  time.Duration
		code string
	}{
		{"traversal key", func(o *blob.Object) { o.Key = "users/../../etc/passwd" }, ttl, studio.EInvalid},
		{"absolute key", func(o *blob.Object) { o.Key = "/etc/passwd" }, ttl, studio.EInvalid},
		{"zero size", func(o *blob.Object) { o.Size = 0 }, ttl, studio.EInvalid},
		{"too large for one put", func(o *blob.Object) { o.Size = blob.MaxPutSize + 1 }, ttl, studio.ETooLarge},
		{"no content type", func(o *blob.Object) { o.ContentType = "" }, ttl, studio.EInvalid},
		{"content type with newline", func(o *blob.Object) { o.ContentType = "image/jpeg\nx: y" }, ttl, studio.EInvalid},
		{"upper-case sha256", func(o *blob.Object) { o.SHA256 = strings.ToUpper(o.SHA256) }, ttl, studio.EInvalid},
		{"short sha256", func(o *blob.Object) { o.SHA256 = o.SHA256[:10] }, ttl, studio.EInvalid},
		{"zero ttl", func(o *blob.Object) {}, 0, studio.EInvalid},
		{"ttl over 7 days", func(o *blob.Object) {}, 8 * 24 * time.Hour, studio.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good
			tt.edit(&o)
			if _, err := l.PresignPut(ctx, o, tt.ttl); studio.ErrorCode(err) != tt.code {
				t.Errorf("got %v, want %s", err, tt.code)
			}
		})
	}
	if _, err := blob.NewLocal(t.TempDir(), "http://x/blob", []byte("short"), nil); studio.ErrorCode(err) != studio.EInvalid {
		t.Errorf("NewLocal with a short secret: got %v, want %s", err, studio.EInvalid)
	}
}

// An erasure while an upload into the same prefix is writing its temporary
// file (a consent withdrawn while the worker uploads a checkpoint) succeeds:
// os.RemoveAll alone failed with "directory not empty" when the writer
// created its file between RemoveAll's listing and its rmdir.
func TestLocalDeletePrefixDuringAWrite(t *testing.T) {
	ctx := context.Background()
	l, _, dir := newLocal(t)
	// Each failed removal needs a file created during it, so fewer writes
	// than DeletePrefix's attempts must always end in an erasure.
	const maxWrites = 15
	for round := range 50 {
		obj := filepath.Join(dir, "objects", "users", "u1", "jobs", "j1")
		if err := os.MkdirAll(obj, 0o700); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() { // uploads creating their temporary files, a burst of them
			defer close(done)
			for range maxWrites {
				select {
				case <-stop:
					return
				default:
				}
				os.MkdirAll(obj, 0o700)
				if f, err := os.CreateTemp(obj, "part-"); err == nil {
					f.Close()
				}
			}
		}()
		err := l.DeletePrefix(ctx, "users/u1/")
		close(stop)
		<-done
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		os.RemoveAll(filepath.Join(dir, "objects", "users"))
	}
}
