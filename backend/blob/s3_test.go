package blob_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/internal/studio"
)

const (
	testBucket    = "lorastudio-test"
	testAccessKey = "AKIDTEST"
	testSecretKey = "test-secret-key"
)

// newS3 starts gofakes3 in process behind s3Shim and returns a store on it.
func newS3(t testing.TB, flavor string) (*blob.S3, *s3Shim) {
	t.Helper()
	mem := s3mem.New()
	if err := mem.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	shim := &s3Shim{next: gofakes3.New(mem).Server(), checksums: map[string]string{}, now: time.Now}
	ts := httptest.NewServer(shim)
	t.Cleanup(ts.Close)
	st, err := blob.NewS3(context.Background(), blob.S3Config{
		Endpoint: ts.URL, Region: "us-east-1", Bucket: testBucket, PathStyle: true, Flavor: flavor,
		AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	return st, shim
}

// s3Shim adds to gofakes3 the two things real S3 and R2 do on presigned
// requests that gofakes3 does not: verify the SigV4 query signature
// (including every header in X-Amz-SignedHeaders, as sent) and the expiry,
// and hold a single PUT to its x-amz-checksum-sha256 (BadDigest otherwise),
// which it then answers on HEAD with checksum mode on, as S3 does.
type s3Shim struct {
	next      http.Handler
	now       func() time.Time
	mu        sync.Mutex
	checksums map[string]string // path -> base64 sha256 of single PUTs
	presigned int               // presigned requests verified
}

func (s *s3Shim) verified() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.presigned
}

func (s *s3Shim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Has("X-Amz-Signature") {
		if code, err := verifyPresigned(r, testSecretKey, s.now()); err != nil {
			s3Refuse(w, 403, code, err.Error())
			return
		}
		s.mu.Lock()
		s.presigned++
		s.mu.Unlock()
		if want := r.Header.Get("X-Amz-Checksum-Sha256"); r.Method == "PUT" && want != "" && !q.Has("uploadId") {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				s3Refuse(w, 400, "IncompleteBody", err.Error())
				return
			}
			if b64(body) != want {
				s3Refuse(w, 400, "BadDigest", "the sha256 of the body does not match x-amz-checksum-sha256")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			s.mu.Lock()
			s.checksums[r.URL.Path] = want
			s.mu.Unlock()
		}
	}
	if r.Method == "POST" && q.Has("uploadId") { // CompleteMultipartUpload replaces the object
		s.mu.Lock()
		delete(s.checksums, r.URL.Path)
		s.mu.Unlock()
	}
	if r.Method == "HEAD" && r.Header.Get("X-Amz-Checksum-Mode") == "ENABLED" {
		s.mu.Lock()
		c, ok := s.checksums[r.URL.Path]
		s.mu.Unlock()
		if ok {
			w.Header().Set("X-Amz-Checksum-Sha256", c)
			w.Header().Set("X-Amz-Checksum-Type", "FULL_OBJECT")
		}
	}
	s.next.ServeHTTP(w, r)
}

func s3Refuse(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<Error><Code>%s</Code><Message>%s</Message></Error>", code, msg)
}

// verifyPresigned checks a SigV4 presigned request the way S3 does.
func verifyPresigned(r *http.Request, secret string, now time.Time) (string, error) {
	q := r.URL.Query()
	cred := strings.Split(q.Get("X-Amz-Credential"), "/")
	if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" || len(cred) != 5 {
		return "AuthorizationQueryParametersError", fmt.Errorf("bad algorithm or credential")
	}
	date, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	expires, err2 := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || err2 != nil {
		return "AuthorizationQueryParametersError", fmt.Errorf("bad date or expiry")
	}
	if now.After(date.Add(time.Duration(expires) * time.Second)) {
		return "AccessDenied", fmt.Errorf("Request has expired")
	}
	signed := strings.Split(q.Get("X-Amz-SignedHeaders"), ";")

	var params []string
	for k, vs := range q {
		if k == "X-Amz-Signature" {
			continue
		}
		for _, v := range vs {
			params = append(params, awsEscape(k)+"="+awsEscape(v))
		}
	}
	sort.Strings(params)
	var headers strings.Builder
	for _, h := range signed {
		var v string
		switch h {
		case "host":
			v = r.Host
		case "content-length":
			v = strconv.FormatInt(r.ContentLength, 10)
		default:
			v = strings.Join(r.Header.Values(h), ",")
		}
		headers.WriteString(h + ":" + strings.TrimSpace(v) + "\n")
	}
	payload := "UNSIGNED-PAYLOAD"
	if p := q.Get("X-Amz-Content-Sha256"); p != "" {
		payload = p
	}
	canonical := strings.Join([]string{r.Method, r.URL.EscapedPath(), strings.Join(params, "&"), headers.String(), strings.Join(signed, ";"), payload}, "\n")
	scope := strings.Join(cred[1:], "/")
	ch := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + q.Get("X-Amz-Date") + "\n" + scope + "\n" + hex.EncodeToString(ch[:])
	key := []byte("AWS4" + secret)
	for _, part := range append(cred[1:4], "aws4_request") {
		key = hmacSHA256(key, part)
	}
	if want := hex.EncodeToString(hmacSHA256(key, toSign)); !hmac.Equal([]byte(want), []byte(q.Get("X-Amz-Signature"))) {
		return "SignatureDoesNotMatch", fmt.Errorf("the request signature we calculated does not match the signature you provided")
	}
	return "", nil
}

func hmacSHA256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// awsEscape is SigV4's URI encoding: everything but A-Z a-z 0-9 - _ . ~.
func awsEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
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

func TestS3PresignedPut(t *testing.T) {
	for _, flavor := range []string{blob.FlavorS3, blob.FlavorR2} {
		t.Run(flavor, func(t *testing.T) {
			ctx := context.Background()
			st, shim := newS3(t, flavor)
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

			// Refusals, each by the shim's S3 rules, before the good upload.
			wrongType, _ := blob.NewHTTPRequest(ctx, put, bytes.NewReader(data))
			wrongType.Header.Set("Content-Type", "text/html")
			noChecksum, _ := blob.NewHTTPRequest(ctx, put, bytes.NewReader(data))
			noChecksum.Header.Del("X-Amz-Checksum-Sha256")
			flipped := bytes.Clone(data)
			flipped[7] ^= 1
			badBody, _ := blob.NewHTTPRequest(ctx, put, bytes.NewReader(flipped))
			short, _ := blob.NewHTTPRequest(ctx, put, bytes.NewReader(data[:1000]))
			short.ContentLength = 1000
			otherKey, _ := blob.NewHTTPRequest(ctx, put, bytes.NewReader(data))
			otherKey.URL.Path = "/" + testBucket + "/users/u2/datasets/d1/" + sha(data) + ".jpg"
			for name, tc := range map[string]struct {
				req    *http.Request
				status int
				code   string
			}{
				"wrong content type": {wrongType, 403, "SignatureDoesNotMatch"},
				"checksum dropped":   {noChecksum, 403, "SignatureDoesNotMatch"},
				"wrong body":         {badBody, 400, "BadDigest"},
				"short body":         {short, 403, "SignatureDoesNotMatch"},
				"other user's key":   {otherKey, 403, "SignatureDoesNotMatch"},
			} {
				resp, body := do(t, tc.req)
				if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.code) {
					t.Errorf("%s: got %d %s, want %d %s", name, resp.StatusCode, body, tc.status, tc.code)
				}
			}
			if _, err := st.Stat(ctx, o.Key); studio.ErrorCode(err) != studio.ENotFound {
				t.Errorf("Stat after refusals: got %v, want %s", err, studio.ENotFound)
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
			// The wrong body passes the signature and fails the digest.
			if n := shim.verified(); n != 3 {
				t.Errorf("the shim verified %d presigned requests, want 3 (wrong body, PUT, GET)", n)
			}
			shim.now = func() time.Time { return time.Now().Add(ttl + time.Minute) }
			if resp, body := send(t, get, nil); resp.StatusCode != 403 {
				t.Errorf("expired GET: got %d %s, want 403", resp.StatusCode, body)
			}
			if _, err := st.Stat(ctx, "users/u1/datasets/d1/missing.jpg"); studio.ErrorCode(err) != studio.ENotFound {
				t.Errorf("Stat of a missing key: got %v, want %s", err, studio.ENotFound)
			}
			if _, err := st.Open(ctx, "users/u1/datasets/d1/missing.jpg"); studio.ErrorCode(err) != studio.ENotFound {
				t.Errorf("Open of a missing key: got %v, want %s", err, studio.ENotFound)
			}
		})
	}
}

func TestS3Multipart(t *testing.T) {
	ctx := context.Background()
	st, shim := newS3(t, blob.FlavorR2)
	data := testData(11*MiB, 22)
	o := objectFor("users/u1/datasets/d1/"+sha(data)+".jpg", data)

	m, err := st.CreateMultipart(ctx, o, 5*MiB, ttl)
	if err != nil {
		t.Fatal(err)
	}
	if m.UploadID == "" || m.PartSize != 5*MiB || len(m.Parts) != 3 {
		t.Fatalf("got upload %q, part size %d, %d parts; want an id, %d, 3", m.UploadID, m.PartSize, len(m.Parts), 5*MiB)
	}
	for i, want := range []int64{5 * MiB, 5 * MiB, 1 * MiB} {
		p := m.Parts[i]
		if p.Number != i+1 || p.Size != want || p.Headers["Content-Length"] != fmt.Sprint(want) {
			t.Errorf("part %d: got number %d size %d headers %v, want size %d", i+1, p.Number, p.Size, p.Headers, want)
		}
		checkPresignedURL(t, p.Request, ttl, "content-length", "host")
		u, _ := url.Parse(p.URL)
		if u.Query().Get("partNumber") != fmt.Sprint(i+1) || u.Query().Get("uploadId") != m.UploadID {
			t.Errorf("part %d url %s: wrong partNumber or uploadId", i+1, p.URL)
		}
	}

	// A part bound to 5 MiB refuses 1 MiB.
	req, _ := blob.NewHTTPRequest(ctx, m.Parts[0].Request, bytes.NewReader(data[:MiB]))
	req.ContentLength = MiB
	if resp, body := do(t, req); resp.StatusCode != 403 {
		t.Errorf("part 1 with 1 MiB: got %d %s, want 403", resp.StatusCode, body)
	}

	renewed, err := st.PresignParts(ctx, o, m.UploadID, m.PartSize, []int{3}, 2*ttl)
	if err != nil {
		t.Fatal(err)
	}
	if len(renewed) != 1 || renewed[0].Number != 3 || renewed[0].Size != MiB {
		t.Fatalf("PresignParts: got %+v, want part 3 of 1 MiB", renewed)
	}
	checkPresignedURL(t, renewed[0].Request, 2*ttl, "content-length", "host")
	m.Parts[2] = renewed[0]
	if _, err := st.PresignParts(ctx, o, m.UploadID, m.PartSize, []int{0}, ttl); studio.ErrorCode(err) != studio.EInvalid {
		t.Errorf("PresignParts of part 0: got %v, want %s", err, studio.EInvalid)
	}
	if _, err := st.PresignParts(ctx, o, m.UploadID, 3*MiB, []int{1}, ttl); studio.ErrorCode(err) != studio.EInvalid {
		t.Errorf("PresignParts with a part size under 5 MiB: got %v, want %s", err, studio.EInvalid)
	}

	etags := uploadParts(t, m, data, []int{2, 3, 1})
	wrong := completed(etags, 1, 2, 3)
	wrong[2].ETag = `"0123456789abcdef0123456789abcdef"`
	if err := st.CompleteMultipart(ctx, o.Key, m.UploadID, wrong); studio.ErrorCode(err) != studio.EInvalid {
		t.Errorf("Complete with a wrong etag: got %v, want %s", err, studio.EInvalid)
	}
	if err := st.CompleteMultipart(ctx, o.Key, m.UploadID, completed(etags, 2, 1, 3)); studio.ErrorCode(err) != studio.EInvalid {
		t.Errorf("Complete out of order: got %v, want %s", err, studio.EInvalid)
	}
	if err := st.CompleteMultipart(ctx, o.Key, m.UploadID, completed(etags, 1, 2, 3)); err != nil {
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
	if got, err := blob.SHA256(ctx, st, o.Key); err != nil || got != o.SHA256 {
		t.Errorf("SHA256: got %s %v, want %s", got, err, o.SHA256)
	}
	if err := blob.Verify(ctx, st, o); err != nil {
		t.Errorf("Verify: %v", err)
	}
	bad := o
	bad.SHA256 = sha([]byte("other"))
	if err := blob.Verify(ctx, st, bad); studio.ErrorCode(err) != studio.EInvalid {
		t.Errorf("Verify with another sha256: got %v, want %s", err, studio.EInvalid)
	}
	if n := shim.verified(); n != 3 {
		t.Errorf("the shim verified %d presigned requests, want the 3 part PUTs", n)
	}
}

func TestS3DeletePrefix(t *testing.T) {
	ctx := context.Background()
	st, _ := newS3(t, blob.FlavorS3)
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
	ups, err := st.Client().ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(testBucket), Prefix: aws.String("users/u1/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups.Uploads) != 0 {
		t.Errorf("erasure left %d multipart uploads", len(ups.Uploads))
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
