package blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/internal/s3test"
	"github.com/promptforge/lorastudio/internal/studio"
)

// The S3 store's tests run against a real MinIO (internal/s3test): it checks
// SigV4 query signatures, expiry and x-amz-checksum-sha256 the way S3 does.

// newS3 returns a store of the given flavor on a new bucket of srv.
func newS3(t testing.TB, srv *s3test.Server, flavor string) (*blob.S3, string) {
	t.Helper()
	bucket := srv.NewBucket(t)
	st, err := blob.NewS3(context.Background(), blob.S3Config{
		Endpoint: srv.Endpoint, Region: s3test.Region, Bucket: bucket, PathStyle: true, Flavor: flavor,
		AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	return st, bucket
}

// offlineS3 returns a store that must make no request: for input checks.
func offlineS3(t testing.TB) *blob.S3 {
	t.Helper()
	st, err := blob.NewS3(context.Background(), blob.S3Config{
		Endpoint: "http://127.0.0.1:1", Region: "us-east-1", Bucket: "offline", PathStyle: true,
		AccessKeyID: "AKIDTEST", SecretAccessKey: "test-secret-key",
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// checkPresignedURL asserts, independently of the store's own guard, what
// the URL must say: these headers signed, no checksum in the query, the ttl.
func checkPresignedURL(t testing.TB, r blob.Request, ttl time.Duration, signed ...string) {
	t.Helper()
	u, err := url.Parse(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	list := strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
	for _, h := range signed {
		if !slices.Contains(list, h) {
			t.Errorf("X-Amz-SignedHeaders %q lacks %s", q.Get("X-Amz-SignedHeaders"), h)
		}
	}
	for k := range q {
		if lk := strings.ToLower(k); strings.Contains(lk, "checksum") && lk != "x-amz-checksum-mode" {
			t.Errorf("query carries %s=%s: a hoisted checksum is not held against the body", k, q.Get(k))
		}
	}
	if got, want := q.Get("X-Amz-Expires"), strconv.Itoa(int(ttl.Seconds())); got != want {
		t.Errorf("X-Amz-Expires: got %s, want %s", got, want)
	}
	if _, ok := r.Headers["Host"]; ok {
		t.Errorf("Headers list Host, which clients must not set")
	}
	if d := time.Until(r.Expires); d < ttl-time.Minute || d > ttl+time.Minute {
		t.Errorf("Expires: got %s from now, want about %s", d, ttl)
	}
}

// refused asserts that the server refused req with status and S3 error code.
func refused(t testing.TB, name string, req *http.Request, status int, code string) {
	t.Helper()
	resp, body := do(t, req)
	if resp.StatusCode != status || !strings.Contains(string(body), "<Code>"+code+"</Code>") {
		t.Errorf("%s: got %d %s, want %d %s", name, resp.StatusCode, body, status, code)
	}
}

func TestS3PresignedPut(t *testing.T) {
	srv := s3test.Start(t)
	for _, flavor := range []string{blob.FlavorS3, blob.FlavorR2} {
		t.Run(flavor, func(t *testing.T) {
			ctx := context.Background()
			st, bucket := newS3(t, srv, flavor)
			data := testData(300_000, 21)
			o := objectFor("users/u1/datasets/d1/"+sha(data)+".jpg", data)

			put, err := st.PresignPut(ctx, o, ttl)
			if err != nil {
				t.Fatal(err)
			}
			checkPresignedURL(t, put, ttl, "content-length", "content-type", "host", "x-amz-checksum-sha256")
			for k, want := range map[string]string{"Content-Type": "image/jpeg", "Content-Length": "300000", "X-Amz-Checksum-Sha256": b64(data)} {
				if got := put.Headers[k]; got != want {
					t.Errorf("header %s: got %q, want %q", k, got, want)
				}
			}

			// Refusals by the server, each before the good upload.
			flipped := bytes.Clone(data)
			flipped[7] ^= 1
			long := append(bytes.Clone(data), 0)
			tests := []struct {
				name   string
				body   []byte
				edit   func(*http.Request)
				status int
				code   string
			}{
				{"wrong content type", data, func(r *http.Request) { r.Header.Set("Content-Type", "text/html") }, 403, "SignatureDoesNotMatch"},
				// MinIO: a signed header missing; S3 says SignatureDoesNotMatch.
				{"checksum dropped", data, func(r *http.Request) { r.Header.Del("X-Amz-Checksum-Sha256") }, 400, "AccessDenied"},
				{"checksum of another body", flipped, func(r *http.Request) { r.Header.Set("X-Amz-Checksum-Sha256", b64(flipped)) }, 403, "SignatureDoesNotMatch"},
				// MinIO's code; S3 and R2 say BadDigest.
				{"wrong body, signed checksum", flipped, nil, 400, "XAmzContentChecksumMismatch"},
				{"short body", data[:1000], func(r *http.Request) { r.ContentLength = 1000 }, 403, "SignatureDoesNotMatch"},
				{"long body", long, func(r *http.Request) { r.ContentLength = int64(len(long)) }, 403, "SignatureDoesNotMatch"},
				{"other user's key", data, func(r *http.Request) {
					r.URL.Path = "/" + bucket + "/users/u2/datasets/d1/" + sha(data) + ".jpg"
				}, 403, "SignatureDoesNotMatch"},
				{"expiry raised", data, func(r *http.Request) {
					q := r.URL.Query()
					q.Set("X-Amz-Expires", strconv.Itoa(int(blob.MaxTTL/time.Second)))
					r.URL.RawQuery = q.Encode()
				}, 403, "SignatureDoesNotMatch"},
			}
			for _, tt := range tests {
				req, err := blob.NewHTTPRequest(ctx, put, bytes.NewReader(tt.body))
				if err != nil {
					t.Fatal(err)
				}
				if tt.edit != nil {
					tt.edit(req)
				}
				refused(t, tt.name, req, tt.status, tt.code)
			}
			for _, key := range []string{o.Key, "users/u2/datasets/d1/" + sha(data) + ".jpg"} {
				if _, err := st.Stat(ctx, key); studio.ErrorCode(err) != studio.ENotFound {
					t.Errorf("Stat(%s) after refusals: got %v, want %s", key, err, studio.ENotFound)
				}
			}

			resp, body := send(t, put, data)
			if resp.StatusCode != 200 {
				t.Fatalf("PUT: got %d %s", resp.StatusCode, body)
			}
			info, err := st.Stat(ctx, o.Key)
			if err != nil {
				t.Fatal(err)
			}
			if want := (blob.Info{Size: o.Size, ContentType: o.ContentType, SHA256: o.SHA256}); info != want {
				t.Errorf("Stat: got %+v, want %+v", info, want)
			}
			if err := blob.Verify(ctx, st, o); err != nil {
				t.Errorf("Verify: %v", err)
			}
			rc, err := st.Open(ctx, o.Key)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.Equal(got, data) {
				t.Errorf("Open: got %d bytes differing from the %d uploaded", len(got), len(data))
			}

			get, err := st.PresignGet(ctx, o.Key, ttl)
			if err != nil {
				t.Fatal(err)
			}
			checkPresignedURL(t, get, ttl, "host")
			if resp, body := send(t, get, nil); resp.StatusCode != 200 || !bytes.Equal(body, data) {
				t.Errorf("GET: got %d with %d bytes, want 200 with the object", resp.StatusCode, len(body))
			}
			other, _ := blob.NewHTTPRequest(ctx, get, nil)
			other.URL.Path = strings.Replace(other.URL.Path, "/users/u1/", "/users/u2/", 1)
			refused(t, "GET of another key", other, 403, "SignatureDoesNotMatch")

			if _, err := st.Stat(ctx, "users/u1/datasets/d1/missing.jpg"); studio.ErrorCode(err) != studio.ENotFound {
				t.Errorf("Stat of a missing key: got %v, want %s", err, studio.ENotFound)
			}
			if _, err := st.Open(ctx, "users/u1/datasets/d1/missing.jpg"); studio.ErrorCode(err) != studio.ENotFound {
				t.Errorf("Open of a missing key: got %v, want %s", err, studio.ENotFound)
			}
		})
	}
}

// TestS3PresignedURLsExpire waits out real URLs: the server, not the store,
// holds them to X-Amz-Date + X-Amz-Expires.
func TestS3PresignedURLsExpire(t *testing.T) {
	ctx := context.Background()
	st, _ := newS3(t, s3test.Start(t), blob.FlavorR2)
	data := testData(2000, 23)
	o := objectFor("users/u1/datasets/d1/a.jpg", data)
	put, err := st.PresignPut(ctx, o, ttl)
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := send(t, put, data); resp.StatusCode != 200 {
		t.Fatalf("PUT: got %d %s", resp.StatusCode, body)
	}

	const short = 2 * time.Second
	late := objectFor("users/u1/datasets/d1/b.jpg", data)
	putLate, err := st.PresignPut(ctx, late, short)
	if err != nil {
		t.Fatal(err)
	}
	get, err := st.PresignGet(ctx, o.Key, short)
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := send(t, get, nil); resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("GET before expiry: got %d with %d bytes, want 200 with the object", resp.StatusCode, len(body))
	}
	// X-Amz-Date has whole seconds; a second past Expires is past it for sure.
	time.Sleep(time.Until(get.Expires.Add(time.Second)))
	for name, r := range map[string]blob.Request{"GET": get, "PUT": putLate} {
		req, _ := blob.NewHTTPRequest(ctx, r, bytes.NewReader(data))
		refused(t, "expired "+name, req, 403, "AccessDenied")
	}
	if _, err := st.Stat(ctx, late.Key); studio.ErrorCode(err) != studio.ENotFound {
		t.Errorf("Stat after the expired PUT: got %v, want %s", err, studio.ENotFound)
	}
}

// TestS3Multipart uploads 40 MB through presigned part URLs, as the desktop
// does for a big file, and reads it back.
func TestS3Multipart(t *testing.T) {
	ctx := context.Background()
	st, _ := newS3(t, s3test.Start(t), blob.FlavorR2)
	const size = 40_000_000
	data := testData(size, 22)
	o := objectFor("users/u1/datasets/d1/"+sha(data)+".jpg", data)

	m, err := st.CreateMultipart(ctx, o, 8*MiB, ttl)
	if err != nil {
		t.Fatal(err)
	}
	if m.UploadID == "" || m.PartSize != 8*MiB || len(m.Parts) != 5 {
		t.Fatalf("got upload %q, part size %d, %d parts; want an id, %d, 5", m.UploadID, m.PartSize, len(m.Parts), 8*MiB)
	}
	for i, p := range m.Parts {
		want := int64(8 * MiB)
		if i == 4 {
			want = size - 4*8*MiB
		}
		if p.Number != i+1 || p.Size != want || p.Headers["Content-Length"] != fmt.Sprint(want) {
			t.Errorf("part %d: got number %d size %d headers %v, want size %d", i+1, p.Number, p.Size, p.Headers, want)
		}
		checkPresignedURL(t, p.Request, ttl, "content-length", "host")
		u, _ := url.Parse(p.URL)
		if u.Query().Get("partNumber") != fmt.Sprint(i+1) || u.Query().Get("uploadId") != m.UploadID {
			t.Errorf("part %d url %s: wrong partNumber or uploadId", i+1, p.URL)
		}
	}

	// A part URL is bound to its length, its number and its upload.
	short, _ := blob.NewHTTPRequest(ctx, m.Parts[0].Request, bytes.NewReader(data[:MiB]))
	short.ContentLength = MiB
	refused(t, "part 1 with 1 MiB", short, 403, "SignatureDoesNotMatch")
	renumbered, _ := blob.NewHTTPRequest(ctx, m.Parts[0].Request, bytes.NewReader(data[:m.PartSize]))
	q := renumbered.URL.Query()
	q.Set("partNumber", "2")
	renumbered.URL.RawQuery = q.Encode()
	refused(t, "part 1's url as part 2", renumbered, 403, "SignatureDoesNotMatch")

	renewed, err := st.PresignParts(ctx, o, m.UploadID, m.PartSize, []int{5}, 2*ttl)
	if err != nil {
		t.Fatal(err)
	}
	if len(renewed) != 1 || renewed[0].Number != 5 || renewed[0].Size != size-4*8*MiB {
		t.Fatalf("PresignParts: got %+v, want part 5", renewed)
	}
	checkPresignedURL(t, renewed[0].Request, 2*ttl, "content-length", "host")
	m.Parts[4] = renewed[0]
	if _, err := st.PresignParts(ctx, o, m.UploadID, m.PartSize, []int{0}, ttl); studio.ErrorCode(err) != studio.EInvalid {
		t.Errorf("PresignParts of part 0: got %v, want %s", err, studio.EInvalid)
	}
	if _, err := st.PresignParts(ctx, o, m.UploadID, 3*MiB, []int{1}, ttl); studio.ErrorCode(err) != studio.EInvalid {
		t.Errorf("PresignParts with a part size under 5 MiB: got %v, want %s", err, studio.EInvalid)
	}

	etags := uploadParts(t, m, data, []int{2, 5, 1, 4, 3})
	wrong := completed(etags, 1, 2, 3, 4, 5)
	wrong[2].ETag = `"0123456789abcdef0123456789abcdef"`
	if err := st.CompleteMultipart(ctx, o.Key, m.UploadID, wrong); studio.ErrorCode(err) != studio.EInvalid {
		t.Errorf("Complete with a wrong etag: got %v, want %s", err, studio.EInvalid)
	}
	if err := st.CompleteMultipart(ctx, o.Key, m.UploadID, completed(etags, 2, 1, 3, 4, 5)); studio.ErrorCode(err) != studio.EInvalid {
		t.Errorf("Complete out of order: got %v, want %s", err, studio.EInvalid)
	}
	if err := st.CompleteMultipart(ctx, o.Key, m.UploadID, completed(etags, 1, 2, 3, 4, 5)); err != nil {
		t.Fatal(err)
	}
	info, err := st.Stat(ctx, o.Key)
	if err != nil {
		t.Fatal(err)
	}
	// No plain sha256 for a multipart object: Verify streams it.
	if want := (blob.Info{Size: o.Size, ContentType: o.ContentType}); info != want {
		t.Errorf("Stat: got %+v, want %+v", info, want)
	}
	get, err := st.PresignGet(ctx, o.Key, ttl)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := blob.NewHTTPRequest(ctx, get, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || n != size || hex.EncodeToString(h.Sum(nil)) != o.SHA256 {
		t.Errorf("GET: got %d, %d bytes, sha256 %x, %v; want 200, %d bytes, %s", resp.StatusCode, n, h.Sum(nil), err, size, o.SHA256)
	}
	if err := blob.Verify(ctx, st, o); err != nil {
		t.Errorf("Verify: %v", err)
	}
	bad := o
	bad.SHA256 = sha([]byte("other"))
	if err := blob.Verify(ctx, st, bad); studio.ErrorCode(err) != studio.EInvalid {
		t.Errorf("Verify with another sha256: got %v, want %s", err, studio.EInvalid)
	}
}

func TestS3DeletePrefix(t *testing.T) {
	ctx := context.Background()
	st, bucket := newS3(t, s3test.Start(t), blob.FlavorS3)
	keys := []string{"users/u1/datasets/d1/a.jpg", "users/u1/datasets/d2/b.jpg", "users/u10/datasets/d1/c.jpg"}
	for i, k := range keys {
		data := testData(1000, uint64(30+i))
		put, err := st.PresignPut(ctx, objectFor(k, data), ttl)
		if err != nil {
			t.Fatal(err)
		}
		if resp, body := send(t, put, data); resp.StatusCode != 200 {
			t.Fatalf("PUT %s: got %d %s", k, resp.StatusCode, body)
		}
	}
	big := testData(6*MiB, 33)
	m, err := st.CreateMultipart(ctx, objectFor("users/u1/datasets/d3/big.jpg", big), 5*MiB, ttl)
	if err != nil {
		t.Fatal(err)
	}
	uploadParts(t, m, big, []int{1})
	if n := uploadsIn(t, st, bucket); n != 1 {
		t.Fatalf("%d multipart uploads in progress, want 1", n)
	}

	if err := st.DeletePrefix(ctx, "users/u1"); studio.ErrorCode(err) != studio.EInvalid {
		t.Errorf("DeletePrefix without the slash: got %v, want %s", err, studio.EInvalid)
	}
	if err := st.DeletePrefix(ctx, "users/u1/"); err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		_, err := st.Stat(ctx, k)
		if want := map[bool]string{true: studio.ENotFound, false: ""}[i < 2]; studio.ErrorCode(err) != want {
			t.Errorf("Stat(%s) after erasure of users/u1/: got %v, want %q", k, err, want)
		}
	}
	if n := uploadsIn(t, st, bucket); n != 0 {
		t.Errorf("erasure left %d multipart uploads", n)
	}
	if err := st.CompleteMultipart(ctx, "users/u1/datasets/d3/big.jpg", m.UploadID, []blob.CompletedPart{{Number: 1, ETag: "x"}}); studio.ErrorCode(err) != studio.ENotFound {
		t.Errorf("Complete of an aborted upload: got %v, want %s", err, studio.ENotFound)
	}
	if err := st.Delete(ctx, keys[2]); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Stat(ctx, keys[2]); studio.ErrorCode(err) != studio.ENotFound {
		t.Errorf("Stat after Delete: got %v, want %s", err, studio.ENotFound)
	}
}

// uploadsIn counts the multipart uploads in progress in the bucket; MinIO
// lists them all only without a prefix.
func uploadsIn(t testing.TB, st *blob.S3, bucket string) int {
	t.Helper()
	ups, err := st.Client().ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	return len(ups.Uploads)
}

func TestNewS3RefusesBadConfig(t *testing.T) {
	ctx := context.Background()
	for name, cfg := range map[string]blob.S3Config{
		"no bucket":      {Region: "us-east-1"},
		"unknown flavor": {Region: "us-east-1", Bucket: "b", Flavor: "gcs"},
		"half a key":     {Region: "us-east-1", Bucket: "b", AccessKeyID: "x"},
	} {
		if _, err := blob.NewS3(ctx, cfg); studio.ErrorCode(err) != studio.EInvalid {
			t.Errorf("%s: got %v, want %s", name, err, studio.EInvalid)
		}
	}
}

// countingProxy forwards TCP to addr and counts the connections the
// client opens and those it closes.
func countingProxy(t *testing.T, addr string) (url string, opened, closed *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	opened, closed = new(atomic.Int64), new(atomic.Int64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			opened.Add(1)
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", addr)
				if err != nil {
					return
				}
				defer up.Close()
				go io.Copy(c, up)
				// The client's side ends when it closes the connection.
				io.Copy(up, c)
				closed.Add(1)
			}()
		}
	}()
	return "http://" + ln.Addr().String(), opened, closed
}

// Under load the store keeps its connections to storage for the next
// burst: after 32 checks at once, none of the connections they opened is
// closed. (Counting the connections a second burst opens was flaky: it
// may run more checks at once than the first and rightly open more.)
func TestS3ReusesConnections(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t)
	bucket := srv.NewBucket(t)
	endpoint, opened, closed := countingProxy(t, strings.TrimPrefix(srv.Endpoint, "http://"))
	st, err := blob.NewS3(ctx, blob.S3Config{
		Endpoint: endpoint, Region: s3test.Region, Bucket: bucket, PathStyle: true,
		AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	const atOnce = 32 // four commits checking 8 objects each
	var wg sync.WaitGroup
	for i := range atOnce {
		wg.Go(func() {
			if _, err := st.Stat(ctx, fmt.Sprintf("missing/%d", i)); studio.ErrorCode(err) != studio.ENotFound {
				t.Errorf("stat: %v, want not found", err)
			}
		})
	}
	wg.Wait()
	// A connection the pool drops is closed as its request returns; give
	// the proxy time to see it.
	time.Sleep(300 * time.Millisecond)
	if n := closed.Load(); n != 0 {
		t.Errorf("%d of the %d connections opened by %d checks at once were closed once idle instead of kept", n, opened.Load(), atOnce)
	}
	if opened.Load() < 2 {
		t.Errorf("%d checks at once opened %d connections; the test needs them to overlap", atOnce, opened.Load())
	}
}
