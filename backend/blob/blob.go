// Package blob stores the bytes of datasets and artifacts: in S3, R2 or MinIO
// through presigned URLs, or in a local directory whose signed URLs the
// backend serves itself.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
)

// Store holds the bytes of the datasets and artifacts. Keys are chosen by the
// server (e.g. "users/{user}/datasets/{dataset}/{sha256}.jpg"), never by
// clients; every method refuses a key that ValidKey refuses with EInvalid.
//
// Uploads never go through the Store's own process memory: the Store only
// signs requests that clients send straight to the storage (or to the local
// store's Handler), and the storage verifies length, type and checksum.
type Store interface {
	// PresignPut returns one signed PUT request bound to the exact
	// Content-Length, Content-Type and checksum (x-amz-checksum-sha256,
	// base64, sent as a signed header, never hoisted into the query).
	// Returns EInvalid for a bad key, size, content type, checksum or ttl and
	// ETooLarge above MaxPutSize (use CreateMultipart).
	PresignPut(ctx context.Context, o Object, ttl time.Duration) (Request, error)

	// PresignPutMax returns one signed PUT request for an object whose size
	// and checksum are unknown in advance (a trained artifact), bound to the
	// key, the content type and at most maxSize bytes where the storage can
	// enforce it (the local store can, S3 cannot: Stat the object after and
	// refuse it when it is larger). Check the checksum after the upload.
	// Returns EInvalid for a bad key, content type, maxSize or ttl.
	PresignPutMax(ctx context.Context, key, contentType string, maxSize int64, ttl time.Duration) (Request, error)

	// CreateMultipart starts a multipart upload and presigns every part, each
	// bound to its exact length. partSize is a preference: the upload's part
	// size is PlanParts' choice, returned in Multipart.PartSize. The
	// whole-object checksum cannot be bound to the parts: check it after
	// CompleteMultipart with Verify.
	CreateMultipart(ctx context.Context, o Object, partSize int64, ttl time.Duration) (Multipart, error)

	// PresignParts re-signs some parts of an existing upload, so that expired
	// URLs are renewed rather than fatal. o must be the one given to
	// CreateMultipart and partSize its Multipart.PartSize. Returns EInvalid
	// for a part number out of range.
	PresignParts(ctx context.Context, o Object, uploadID string, partSize int64, numbers []int, ttl time.Duration) ([]Part, error)

	// CompleteMultipart assembles the parts, numbered from 1 in order, each
	// with the ETag its PUT answered. The local store also requires every
	// part and checks the declared size and sha256; S3 cannot, so always
	// Verify the object afterwards. Completing an upload already completed
	// with the same parts may succeed again (the local store's does while
	// the object matches) or return ENotFound. Returns ENotFound for an
	// unknown upload and EInvalid for a part list or ETag that does not
	// match what was uploaded (a part PUT twice keeps its last body).
	CompleteMultipart(ctx context.Context, key, uploadID string, parts []CompletedPart) error

	// AbortMultipart discards an upload and its parts. Returns ENotFound for
	// an unknown upload.
	AbortMultipart(ctx context.Context, key, uploadID string) error

	// Stat returns size, content type and, when the store knows it, the
	// sha256 (hex): S3 and R2 know it for single PUTs, not for multipart
	// objects, whose checksums are composite. Returns ENotFound if missing.
	Stat(ctx context.Context, key string) (Info, error)

	// Open streams the object. Returns ENotFound if missing.
	Open(ctx context.Context, key string) (io.ReadCloser, error)

	// PresignGet returns a signed GET request for a download.
	PresignGet(ctx context.Context, key string, ttl time.Duration) (Request, error)

	// Delete removes an object; a missing object is not an error.
	Delete(ctx context.Context, key string) error

	// DeletePrefix removes every object whose key starts with prefix and
	// aborts the multipart uploads under it: erasure on consent withdrawal.
	// The prefix must end with "/" so that "users/4/" never erases
	// "users/42/"; returns EInvalid otherwise.
	DeletePrefix(ctx context.Context, prefix string) error
}

// Object describes an object to upload, as the client declared it.
type Object struct {
	Key         string
	Size        int64
	ContentType string
	SHA256      string // hex, lower case
}

// Request is a presigned request: clients send exactly Headers with Method to
// URL, and nothing else. Content-Length is listed because it is signed; Go
// clients set it through http.Request.ContentLength.
type Request struct {
	Method  string
	URL     string
	Headers map[string]string
	Expires time.Time
}

// Multipart is a started multipart upload with its presigned parts.
type Multipart struct {
	UploadID string
	PartSize int64
	Parts    []Part
}

// Part is the presigned PUT of one part. Its ETag comes back in the ETag
// header of the response.
type Part struct {
	Number int
	Size   int64
	Request
}

// CompletedPart names an uploaded part by number and the ETag its PUT
// answered (quoted or not).
type CompletedPart struct {
	Number int
	ETag   string
}

// Info describes a stored object.
type Info struct {
	Size        int64
	ContentType string
	SHA256      string // hex; empty when the store does not know it
}

// Limits shared by S3 and R2 (R2's maximum object is a little under 5 TiB).
const (
	MinPartSize   int64 = 5 << 20 // every part but the last
	MaxPartSize   int64 = 5 << 30 // one part, and one single PUT
	MaxParts            = 10000   // parts of one upload
	MaxObjectSize int64 = 5 << 40 // one object
	MaxPutSize          = MaxPartSize
	MaxTTL              = 7 * 24 * time.Hour // SigV4's limit on X-Amz-Expires
	maxKeyLen           = 512
)

// PlanParts picks the part size for an object of size bytes, as close to
// preferred as the rules allow: at least MinPartSize, at most MaxPartSize,
// at most MaxParts parts, all parts equal but the last (R2 requires it).
// Returns EInvalid for a size <= 0 and ETooLarge above MaxObjectSize.
func PlanParts(size, preferred int64) (partSize int64, count int, err error) {
	if size <= 0 {
		return 0, 0, studio.Errorf(studio.EInvalid, "size must be positive, got %d", size)
	}
	if size > MaxObjectSize {
		return 0, 0, studio.Errorf(studio.ETooLarge, "object of %d bytes is over the %d-byte limit of object storage", size, MaxObjectSize)
	}
	partSize = min(max(preferred, MinPartSize), MaxPartSize)
	if least := ceilDiv(size, MaxParts); partSize < least {
		partSize = least
	}
	return partSize, int(ceilDiv(size, partSize)), nil
}

// partLen returns the length of part n (1-based) of an object cut in parts of
// partSize bytes, or 0 if there is no such part.
func partLen(size, partSize int64, n int) int64 {
	off := int64(n-1) * partSize
	if n < 1 || off >= size {
		return 0
	}
	return min(partSize, size-off)
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// checkPlan checks that partSize is one PlanParts could have chosen for size
// and returns the number of parts.
func checkPlan(size, partSize int64) (int, error) {
	want, count, err := PlanParts(size, partSize)
	if err != nil {
		return 0, err
	}
	if want != partSize {
		return 0, studio.Errorf(studio.EInvalid, "part size %d does not fit an object of %d bytes (PlanParts gives %d)", partSize, size, want)
	}
	return count, nil
}

// ValidKey reports whether key is acceptable: slash-separated segments of
// letters, digits, '.', '_', '-', each starting with a letter or digit (so
// no "..", no hidden files, no absolute path), at most 512 bytes.
func ValidKey(key string) bool {
	if key == "" || len(key) > maxKeyLen {
		return false
	}
	for seg := range strings.SplitSeq(key, "/") {
		if !validSegment(seg) {
			return false
		}
	}
	return true
}

func validSegment(seg string) bool {
	if seg == "" || !isAlnum(seg[0]) {
		return false
	}
	for i := 1; i < len(seg); i++ {
		if c := seg[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func checkKey(key string) error {
	if !ValidKey(key) {
		return studio.Errorf(studio.EInvalid, "invalid object key %q", key)
	}
	return nil
}

// checkPrefix accepts a prefix made of whole valid segments ending in "/".
func checkPrefix(prefix string) error {
	if !strings.HasSuffix(prefix, "/") || !ValidKey(strings.TrimSuffix(prefix, "/")) {
		return studio.Errorf(studio.EInvalid, "invalid key prefix %q: want segments ending with /", prefix)
	}
	return nil
}

func checkTTL(ttl time.Duration) error {
	if ttl < time.Second || ttl > MaxTTL {
		return studio.Errorf(studio.EInvalid, "url lifetime %s out of range [1s, %s]", ttl, MaxTTL)
	}
	return nil
}

// checkObject validates what every store needs of an upload. single says
// whether it is for one PUT (which MaxPutSize bounds).
func checkObject(o Object, single bool) error {
	if err := checkKey(o.Key); err != nil {
		return err
	}
	if o.Size <= 0 {
		return studio.Errorf(studio.EInvalid, "size must be positive, got %d", o.Size)
	}
	if single && o.Size > MaxPutSize {
		return studio.Errorf(studio.ETooLarge, "object of %d bytes is over the %d-byte limit of one PUT: use a multipart upload", o.Size, MaxPutSize)
	}
	if !validContentType(o.ContentType) {
		return studio.Errorf(studio.EInvalid, "invalid content type %q", o.ContentType)
	}
	if _, err := checksumBase64(o.SHA256); err != nil {
		return err
	}
	return nil
}

// validContentType accepts a printable ASCII media type: it is signed, sent
// as a header, and part of the local store's signature string.
func validContentType(ct string) bool {
	if ct == "" || len(ct) > 255 || !strings.Contains(ct, "/") {
		return false
	}
	for i := 0; i < len(ct); i++ {
		if ct[i] < 0x20 || ct[i] > 0x7e {
			return false
		}
	}
	return strings.TrimSpace(ct) == ct
}

// checksumBase64 turns a hex sha256 into the base64 form of the
// x-amz-checksum-sha256 header.
func checksumBase64(hexSum string) (string, error) {
	b, err := hex.DecodeString(hexSum)
	if err != nil || len(b) != sha256.Size || strings.ToLower(hexSum) != hexSum {
		return "", studio.Errorf(studio.EInvalid, "invalid sha256 %q: want 64 lower-case hex digits", hexSum)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// checksumHex turns an x-amz-checksum-sha256 value into hex.
func checksumHex(b64 string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("invalid sha256 checksum %q", b64)
	}
	return hex.EncodeToString(b), nil
}

// Header names as Request.Headers spells them.
const (
	HeaderContentType    = "Content-Type"
	HeaderContentLength  = "Content-Length"
	HeaderChecksumSHA256 = "X-Amz-Checksum-Sha256"
)

func putHeaders(o Object) map[string]string {
	b64, _ := checksumBase64(o.SHA256) // checked by checkObject
	return map[string]string{
		HeaderContentType:    o.ContentType,
		HeaderContentLength:  strconv.FormatInt(o.Size, 10),
		HeaderChecksumSHA256: b64,
	}
}

// NewHTTPRequest builds the http.Request a client sends for r with body:
// exactly r's headers, and the signed length as ContentLength (net/http
// ignores a Content-Length header and would otherwise send a file chunked).
func NewHTTPRequest(ctx context.Context, r Request, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return nil, err
	}
	for k, v := range r.Headers {
		if http.CanonicalHeaderKey(k) == HeaderContentLength {
			n, err := parseLength(v)
			if err != nil {
				return nil, err
			}
			req.ContentLength = n
			continue
		}
		req.Header.Set(k, v)
	}
	return req, nil
}

func parseLength(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != s {
		return 0, fmt.Errorf("invalid length %q", s)
	}
	return n, nil
}

// SHA256 streams the object through sha256 and returns the hex digest. The
// backend uses it where Stat cannot tell (multipart objects on S3 and R2).
func SHA256(ctx context.Context, s Store, key string) (string, error) {
	rc, err := s.Open(ctx, key)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, ctxReader{ctx, rc}, make([]byte, 256<<10)); err != nil {
		return "", studio.Wrap(err, studio.EUnavailable, fmt.Sprintf("reading object %q failed", key))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Verify checks that the stored object matches what the client declared:
// size, content type and sha256 (from Stat, or streamed when Stat does not
// know it). Returns ENotFound if it is missing and EInvalid, with a message
// naming the difference, if it does not match.
func Verify(ctx context.Context, s Store, o Object) error {
	info, err := s.Stat(ctx, o.Key)
	if err != nil {
		return err
	}
	if info.Size != o.Size {
		return studio.Errorf(studio.EInvalid, "object %q has %d bytes, want %d", o.Key, info.Size, o.Size)
	}
	if info.ContentType != o.ContentType {
		return studio.Errorf(studio.EInvalid, "object %q has content type %q, want %q", o.Key, info.ContentType, o.ContentType)
	}
	sum := info.SHA256
	if sum == "" {
		if sum, err = SHA256(ctx, s, o.Key); err != nil {
			return err
		}
	}
	if sum != o.SHA256 {
		return studio.Errorf(studio.EInvalid, "object %q has sha256 %s, want %s", o.Key, sum, o.SHA256)
	}
	return nil
}

// ctxReader stops a long copy when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Server is implemented by the stores whose URLs the backend serves itself
// (the local store): mount Handler at the path of the store's base URL.
type Server interface {
	Handler() http.Handler
}
