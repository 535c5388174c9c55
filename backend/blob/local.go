package blob

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
)

// Local is the local signed store, the development default: objects live in
// a directory and the backend serves their presigned URLs itself through
// Handler, which verifies what the URL was signed for (method, key, exact
// length, content type, checksum, upload id and part number, expiry) before
// it writes a byte, and writes atomically.
//
// Layout under dir:
//
//	objects/<key>          the bytes
//	objects/<key>~meta     JSON {size, content_type, sha256} ('~' is not a key character)
//	uploads/<id>/upload    JSON of a multipart upload in progress
//	uploads/<id>/NNNNN     its part NNNNN: the body of the last PUT of the part
//	uploads/.done-<id>/    a completed upload: its upload JSON and the ETags
//	                       it was completed with (purged with old uploads)
//
// Temporary files start with ".tmp-" (no key segment starts with '.');
// NewLocal and PurgeUploads remove those left by a crash.
type Local struct {
	// Log receives the handler's internal errors; nil discards them.
	Log *slog.Logger

	// MinPutRate (bytes per second) and PutRateWindow bound how slowly a
	// PUT's body may arrive; zero means DefaultMinPutRate and
	// DefaultPutRateWindow. Set them before serving.
	MinPutRate    int64
	PutRateWindow time.Duration

	objects string
	uploads string
	base    *url.URL
	secret  []byte
	now     func() time.Time

	// mu orders publishing an object (sidecar, then bytes) against readers
	// of the pair, so Stat never pairs new bytes with an old sidecar.
	mu sync.RWMutex
}

const (
	metaSuffix     = "~meta"
	uploadMetaName = "upload"
	legacyClaimed  = ".completing-" // the earlier protocol's claim; see CompleteMultipart
	donePrefix     = ".done-"
	tempPrefix     = ".tmp-"
	minSecretLen   = 32
)

type objectMeta struct {
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	SHA256      string `json:"sha256"`
}

type uploadMeta struct {
	Key         string    `json:"key"`
	Size        int64     `json:"size"`
	ContentType string    `json:"content_type"`
	SHA256      string    `json:"sha256"`
	PartSize    int64     `json:"part_size"`
	Created     time.Time `json:"created"`
}

// NewLocal opens (creating it if needed) a local store in dir whose URLs
// start with baseURL (e.g. "http://127.0.0.1:8080/blob") and are signed with
// secret (at least 32 bytes). now is the clock (nil for time.Now).
func NewLocal(dir, baseURL string, secret []byte, now func() time.Time) (*Local, error) {
	if len(secret) < minSecretLen {
		return nil, studio.Errorf(studio.EInvalid, "local store secret must have at least %d bytes, got %d", minSecretLen, len(secret))
	}
	base, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.RawQuery != "" {
		return nil, studio.Errorf(studio.EInvalid, "invalid local store base url %q: want http(s)://host[:port][/path]", baseURL)
	}
	if dir == "" {
		return nil, studio.Errorf(studio.EInvalid, "local store directory is empty")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local store directory: %w", err)
	}
	l := &Local{
		objects: filepath.Join(abs, "objects"),
		uploads: filepath.Join(abs, "uploads"),
		base:    base,
		secret:  append([]byte(nil), secret...),
		now:     now,
	}
	if l.now == nil {
		l.now = time.Now
	}
	for _, d := range []string{l.objects, l.uploads} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("create local store: %w", err)
		}
	}
	if err := l.sweepTemps(context.Background()); err != nil {
		return nil, fmt.Errorf("open local store: %w", err)
	}
	return l, nil
}

// StaleTempAge is how long a temporary file goes unwritten before it is
// taken for the leftover of a crash. A PUT in flight writes at least every
// PutRateWindow (or is cut), and a completion writes continuously, so a
// file this old is nobody's, even with several replicas on the folder.
const StaleTempAge = 10 * time.Minute

// sweepTemps removes the temporary files (objects being received or
// assembled) that a crash left behind: those not written for StaleTempAge.
// It uses the real clock, as file times do.
func (l *Local) sweepTemps(ctx context.Context) error {
	cutoff := time.Now().Add(-StaleTempAge)
	for _, root := range []string{l.objects, l.uploads} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil // removed meanwhile (a completion, a purge)
				}
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if d.IsDir() || !strings.HasPrefix(d.Name(), tempPrefix) {
				return nil
			}
			if fi, err := d.Info(); err == nil && fi.ModTime().Before(cutoff) {
				if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("sweep temporary files: %w", err)
		}
	}
	return nil
}

var _ Store = (*Local)(nil)
var _ Server = (*Local)(nil)

// sign returns the hex HMAC-SHA256 of everything a URL is bound to. Every
// field is free of newlines (keys, content types, hex and decimal are
// checked), so the string is unambiguous.
func (l *Local) sign(method, key string, length int64, contentType, sum, uploadID string, part int, expires int64) string {
	m := hmac.New(sha256.New, l.secret)
	fmt.Fprintf(m, "lorastudio-blob-v1\n%s\n%s\n%d\n%s\n%s\n%s\n%d\n%d", method, key, length, contentType, sum, uploadID, part, expires)
	return hex.EncodeToString(m.Sum(nil))
}

func (l *Local) verify(sig, method, key string, length int64, contentType, sum, uploadID string, part int, expires int64) bool {
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	want, _ := hex.DecodeString(l.sign(method, key, length, contentType, sum, uploadID, part, expires))
	return hmac.Equal(got, want)
}

func (l *Local) url(key string, q url.Values) string {
	return l.base.String() + "/" + key + "?" + q.Encode()
}

func (l *Local) expiry(ttl time.Duration) (time.Time, error) {
	if err := checkTTL(ttl); err != nil {
		return time.Time{}, err
	}
	return time.Unix(l.now().Add(ttl).Unix(), 0), nil
}

// PresignPut implements Store.
func (l *Local) PresignPut(ctx context.Context, o Object, ttl time.Duration) (Request, error) {
	if err := checkObject(o, true); err != nil {
		return Request{}, err
	}
	exp, err := l.expiry(ttl)
	if err != nil {
		return Request{}, err
	}
	q := url.Values{
		"length":  {strconv.FormatInt(o.Size, 10)},
		"expires": {strconv.FormatInt(exp.Unix(), 10)},
		"sig":     {l.sign("PUT", o.Key, o.Size, o.ContentType, o.SHA256, "", 0, exp.Unix())},
	}
	return Request{Method: "PUT", URL: l.url(o.Key, q), Headers: putHeaders(o), Expires: exp}, nil
}

// CreateMultipart implements Store. partSize is a preference: the upload's
// part size is PlanParts' choice, returned in Multipart.PartSize.
func (l *Local) CreateMultipart(ctx context.Context, o Object, partSize int64, ttl time.Duration) (Multipart, error) {
	if err := checkObject(o, false); err != nil {
		return Multipart{}, err
	}
	partSize, count, err := PlanParts(o.Size, partSize)
	if err != nil {
		return Multipart{}, err
	}
	exp, err := l.expiry(ttl)
	if err != nil {
		return Multipart{}, err
	}
	id := rand.Text() // 26 base32 characters, 130 bits
	dir := filepath.Join(l.uploads, id)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return Multipart{}, fmt.Errorf("create upload: %w", err)
	}
	u := uploadMeta{Key: o.Key, Size: o.Size, ContentType: o.ContentType, SHA256: o.SHA256, PartSize: partSize, Created: l.now().UTC()}
	b, _ := json.Marshal(u)
	if err := writeFileAtomic(filepath.Join(dir, uploadMetaName), b); err != nil {
		os.RemoveAll(dir)
		return Multipart{}, fmt.Errorf("create upload: %w", err)
	}
	m := Multipart{UploadID: id, PartSize: partSize, Parts: make([]Part, count)}
	for i := range m.Parts {
		m.Parts[i] = l.presignPart(id, u, i+1, exp)
	}
	return m, nil
}

func (l *Local) presignPart(id string, u uploadMeta, n int, exp time.Time) Part {
	size := partLen(u.Size, u.PartSize, n)
	q := url.Values{
		"length":  {strconv.FormatInt(size, 10)},
		"upload":  {id},
		"part":    {strconv.Itoa(n)},
		"expires": {strconv.FormatInt(exp.Unix(), 10)},
		"sig":     {l.sign("PUT", u.Key, size, "", "", id, n, exp.Unix())},
	}
	return Part{Number: n, Size: size, Request: Request{
		Method:  "PUT",
		URL:     l.url(u.Key, q),
		Headers: map[string]string{HeaderContentLength: strconv.FormatInt(size, 10)},
		Expires: exp,
	}}
}

// validUploadID accepts what rand.Text makes; it guards the uploads path.
func validUploadID(id string) bool {
	if len(id) != 26 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('A' <= c && c <= 'Z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}

// loadUpload reads the upload id of key from dir (its directory).
func loadUpload(dir, key string) (uploadMeta, error) {
	var u uploadMeta
	b, err := os.ReadFile(filepath.Join(dir, uploadMetaName))
	if err == nil {
		err = json.Unmarshal(b, &u)
	}
	if errors.Is(err, fs.ErrNotExist) || (err == nil && u.Key != key) {
		return u, studio.Errorf(studio.ENotFound, "no multipart upload %q for key %q", filepath.Base(dir), key)
	}
	if err != nil {
		return u, fmt.Errorf("read upload: %w", err)
	}
	return u, nil
}

func (l *Local) uploadDir(key, id string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	if !validUploadID(id) {
		return "", studio.Errorf(studio.ENotFound, "no multipart upload %q for key %q", id, key)
	}
	dir := filepath.Join(l.uploads, id)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		// A completion of the earlier protocol killed midway left its claim:
		// give the upload back, so that it can be completed or resumed.
		if os.Rename(filepath.Join(l.uploads, legacyClaimed+id), dir) == nil {
			syncDir(l.uploads)
		}
	}
	return dir, nil
}

// PresignParts implements Store.
func (l *Local) PresignParts(ctx context.Context, o Object, uploadID string, partSize int64, numbers []int, ttl time.Duration) ([]Part, error) {
	dir, err := l.uploadDir(o.Key, uploadID)
	if err != nil {
		return nil, err
	}
	u, err := loadUpload(dir, o.Key)
	if err != nil {
		return nil, err
	}
	if u.Size != o.Size || u.ContentType != o.ContentType || u.SHA256 != o.SHA256 || u.PartSize != partSize {
		return nil, studio.Errorf(studio.EInvalid, "object or part size differ from those of upload %q", uploadID)
	}
	exp, err := l.expiry(ttl)
	if err != nil {
		return nil, err
	}
	count := int(ceilDiv(u.Size, u.PartSize))
	parts := make([]Part, 0, len(numbers))
	for _, n := range numbers {
		if n < 1 || n > count {
			return nil, studio.Errorf(studio.EInvalid, "part %d out of range [1, %d]", n, count)
		}
		parts = append(parts, l.presignPart(uploadID, u, n, exp))
	}
	return parts, nil
}

// partName is the one file of part n: a second PUT of the part replaces
// the first (rename is atomic), so a part URL never stores two bodies.
func partName(n int) string { return fmt.Sprintf("%05d", n) }

// legacyPartName is how parts were named before (one file per body, by
// sha256); uploads begun then are still completed.
func legacyPartName(n int, sum string) string { return fmt.Sprintf("%05d.%s", n, sum) }

// doneRecord lists the ETags an upload was completed with; it is written
// into the upload's folder just before the folder becomes .done-<id>.
const doneRecord = "completed"

// CompleteMultipart implements Store. Completion needs no lock and leaves
// nothing that a crash (kill -9) at any point could wedge:
//
//  1. the parts are concatenated into a temporary file beside the object
//     while each part's sha256 is checked against its ETag and the whole
//     is hashed; the object is published only if size and sha256 are the
//     declared ones. Two completions at once each publish the same bytes.
//  2. the ETags are recorded, then uploads/<id> is renamed .done-<id> and
//     its parts removed. A crash before the rename leaves the upload as it
//     was, and the next completion redoes step 1; after it, the next
//     completion finds .done-<id> and succeeds again if the parts are the
//     same and the object still matches.
//
// A .completing-<id> folder left by the earlier protocol (which claimed the
// upload by renaming it and wedged it when killed) is renamed back first.
// Returns ENotFound for an unknown upload, EInvalid for a part list that
// does not match the uploaded parts.
func (l *Local) CompleteMultipart(ctx context.Context, key, uploadID string, parts []CompletedPart) error {
	dir, err := l.uploadDir(key, uploadID)
	if err != nil {
		return err
	}
	done := filepath.Join(l.uploads, donePrefix+uploadID)
	u, err := loadUpload(dir, key)
	if studio.ErrorCode(err) == studio.ENotFound {
		if du, derr := loadUpload(done, key); derr == nil {
			return l.completedAgain(ctx, done, du, uploadID, parts)
		}
	}
	if err != nil {
		return err
	}
	sums, err := checkParts(u, uploadID, parts)
	if err != nil {
		return err
	}
	files := make([]string, len(sums))
	for i, sum := range sums {
		n := i + 1
		want := partLen(u.Size, u.PartSize, n)
		for _, name := range []string{partName(n), legacyPartName(n, sum)} {
			if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.Size() == want {
				files[i] = filepath.Join(dir, name)
				break
			}
		}
		if files[i] == "" {
			return studio.Errorf(studio.EInvalid, "part %d has not been uploaded (or not with %d bytes): upload it, then complete again", n, want)
		}
	}
	if err := l.assemble(ctx, key, u, files, sums); err != nil {
		return err
	}
	// Published: from here on, a failure still leaves a completed object,
	// and the next completion finishes the bookkeeping.
	b, _ := json.Marshal(sums)
	if err := writeFileAtomic(filepath.Join(dir, doneRecord), b); err != nil {
		return fmt.Errorf("complete upload: %w", err)
	}
	if err := os.Rename(dir, done); err != nil {
		if _, serr := os.Stat(done); serr == nil {
			os.RemoveAll(dir) // a concurrent completion got there first
			return nil
		}
		return fmt.Errorf("complete upload: %w", err)
	}
	if err := syncDir(l.uploads); err != nil {
		return fmt.Errorf("complete upload: %w", err)
	}
	removeParts(done)
	return nil
}

// checkParts checks that parts lists every part of u, numbered from 1 in
// order, and returns their sha256s (hex) from the ETags.
func checkParts(u uploadMeta, uploadID string, parts []CompletedPart) ([]string, error) {
	count := int(ceilDiv(u.Size, u.PartSize))
	if len(parts) != count {
		return nil, studio.Errorf(studio.EInvalid, "upload %q has %d parts, got %d", uploadID, count, len(parts))
	}
	sums := make([]string, count)
	for i, p := range parts {
		if p.Number != i+1 {
			return nil, studio.Errorf(studio.EInvalid, "parts must be numbered 1 to %d in order, got %d at position %d", count, p.Number, i+1)
		}
		sums[i] = strings.Trim(p.ETag, `"`)
		if _, err := checksumBase64(sums[i]); err != nil {
			return nil, studio.Errorf(studio.EInvalid, "part %d: invalid etag %q", p.Number, p.ETag)
		}
	}
	return sums, nil
}

// completedAgain answers a completion of an upload already completed:
// success if the parts are those it was completed with and the object is
// still the declared one, so a commit retried after a crash goes through.
func (l *Local) completedAgain(ctx context.Context, done string, u uploadMeta, uploadID string, parts []CompletedPart) error {
	removeParts(done) // a crash may have left them
	sums, err := checkParts(u, uploadID, parts)
	if err != nil {
		return err
	}
	var was []string
	if b, err := os.ReadFile(filepath.Join(done, doneRecord)); err == nil && json.Unmarshal(b, &was) == nil && !slices.Equal(was, sums) {
		return studio.Errorf(studio.EInvalid, "upload %q was completed with other parts", uploadID)
	}
	m, _, err := l.readObject(ctx, u.Key, false)
	if err != nil || m.Size != u.Size || m.SHA256 != u.SHA256 {
		return studio.Errorf(studio.ENotFound, "multipart upload %q was completed but its object is gone or changed; start a new upload", uploadID)
	}
	return nil
}

// removeParts deletes the part files of a completed upload's folder, and
// the temporary files of part PUTs that were cut by the completion.
func removeParts(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if n := e.Name(); n != uploadMetaName && n != doneRecord {
			os.Remove(filepath.Join(dir, n))
		}
	}
}

// assemble concatenates files, the parts of u, into a temporary file beside
// key's object, checking each part's sha256 against sums and the whole
// against u, and publishes it.
func (l *Local) assemble(ctx context.Context, key string, u uploadMeta, files, sums []string) error {
	obj := l.objectPath(key)
	if err := os.MkdirAll(filepath.Dir(obj), 0o700); err != nil {
		return fmt.Errorf("complete upload: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(obj), tempPrefix)
	if err != nil {
		return fmt.Errorf("complete upload: %w", err)
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	whole := sha256.New()
	buf := make([]byte, 256<<10)
	var total int64
	for i, f := range files {
		part := sha256.New()
		n, err := copyFile(ctx, io.MultiWriter(tmp, whole, part), f, buf)
		total += n
		if err != nil {
			return fmt.Errorf("complete upload: %w", err)
		}
		if got := hex.EncodeToString(part.Sum(nil)); got != sums[i] {
			return studio.Errorf(studio.EInvalid, "part %d: the uploaded part has etag %q, not %q (it was uploaded again since): complete with the latest etag", i+1, got, sums[i])
		}
	}
	sum := hex.EncodeToString(whole.Sum(nil))
	if total != u.Size {
		return studio.Errorf(studio.EInvalid, "assembled object has %d bytes, want %d", total, u.Size)
	}
	if sum != u.SHA256 {
		return studio.Errorf(studio.EInvalid, "assembled object has sha256 %s, want %s", sum, u.SHA256)
	}
	if err := closeSynced(tmp); err != nil {
		return fmt.Errorf("complete upload: %w", err)
	}
	name := tmp.Name()
	tmp = nil
	if err := l.publish(name, key, objectMeta{Size: total, ContentType: u.ContentType, SHA256: sum}); err != nil {
		os.Remove(name)
		return err
	}
	return nil
}

func copyFile(ctx context.Context, w io.Writer, path string, buf []byte) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return io.CopyBuffer(w, ctxReader{ctx, f}, buf)
}

// AbortMultipart implements Store.
func (l *Local) AbortMultipart(ctx context.Context, key, uploadID string) error {
	dir, err := l.uploadDir(key, uploadID)
	if err != nil {
		return err
	}
	if _, err := loadUpload(dir, key); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("abort upload: %w", err)
	}
	return nil
}

func (l *Local) objectPath(key string) string {
	return filepath.Join(l.objects, filepath.FromSlash(key))
}

// publish moves a finished temporary file to key, sidecar first.
func (l *Local) publish(tmpPath, key string, m objectMeta) error {
	obj := l.objectPath(key)
	b, _ := json.Marshal(m)
	metaTmp, err := writeTemp(filepath.Dir(obj), b)
	if err != nil {
		return fmt.Errorf("publish %q: %w", key, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := os.Rename(metaTmp, obj+metaSuffix); err != nil {
		os.Remove(metaTmp)
		return fmt.Errorf("publish %q: %w", key, err)
	}
	if err := os.Rename(tmpPath, obj); err != nil {
		if fi, serr := os.Stat(obj); serr == nil && fi.IsDir() {
			return studio.Errorf(studio.EConflict, "key %q is a prefix of other keys", key)
		}
		return fmt.Errorf("publish %q: %w", key, err)
	}
	return syncDir(filepath.Dir(obj))
}

// readObject returns the meta of key under the read lock, with the bytes
// opened if open is set. The meta is recomputed from the bytes when the
// sidecar is missing or stale (a crash between the two renames).
func (l *Local) readObject(ctx context.Context, key string, open bool) (objectMeta, *os.File, error) {
	if err := checkKey(key); err != nil {
		return objectMeta{}, nil, err
	}
	obj := l.objectPath(key)
	l.mu.RLock()
	var m objectMeta
	b, merr := os.ReadFile(obj + metaSuffix)
	if merr == nil {
		merr = json.Unmarshal(b, &m)
	}
	f, err := os.Open(obj)
	var fi os.FileInfo
	if err == nil {
		fi, err = f.Stat()
	}
	l.mu.RUnlock()
	if err != nil || fi.IsDir() {
		if f != nil {
			f.Close()
		}
		if err == nil || errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return m, nil, studio.Errorf(studio.ENotFound, "object %q not found", key)
		}
		return m, nil, fmt.Errorf("open %q: %w", key, err)
	}
	if merr != nil || m.Size != fi.Size() {
		h := sha256.New()
		if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
			f.Close()
			return m, nil, fmt.Errorf("hash %q: %w", key, err)
		}
		m = objectMeta{Size: fi.Size(), ContentType: "application/octet-stream", SHA256: hex.EncodeToString(h.Sum(nil))}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			f.Close()
			return m, nil, err
		}
	}
	if !open {
		f.Close()
		f = nil
	}
	return m, f, nil
}

// Stat implements Store; the sha256 is the one computed when the bytes came in.
func (l *Local) Stat(ctx context.Context, key string) (Info, error) {
	m, _, err := l.readObject(ctx, key, false)
	if err != nil {
		return Info{}, err
	}
	return Info{Size: m.Size, ContentType: m.ContentType, SHA256: m.SHA256}, nil
}

// Open implements Store.
func (l *Local) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	_, f, err := l.readObject(ctx, key, true)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// PresignGet implements Store.
func (l *Local) PresignGet(ctx context.Context, key string, ttl time.Duration) (Request, error) {
	if err := checkKey(key); err != nil {
		return Request{}, err
	}
	exp, err := l.expiry(ttl)
	if err != nil {
		return Request{}, err
	}
	q := url.Values{
		"expires": {strconv.FormatInt(exp.Unix(), 10)},
		"sig":     {l.sign("GET", key, 0, "", "", "", 0, exp.Unix())},
	}
	return Request{Method: "GET", URL: l.url(key, q), Headers: map[string]string{}, Expires: exp}, nil
}

// Delete implements Store.
func (l *Local) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	obj := l.objectPath(key)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range []string{obj, obj + metaSuffix} {
		if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
			continue // a prefix of other keys, not an object
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return fmt.Errorf("delete %q: %w", key, err)
		}
	}
	return nil
}

// removeAttempts bounds DeletePrefix's retries against concurrent writers.
const removeAttempts = 20

// DeletePrefix implements Store. A prefix of whole segments is exactly one
// directory of the layout, so erasure is one RemoveAll plus the uploads.
func (l *Local) DeletePrefix(ctx context.Context, prefix string) error {
	if err := checkPrefix(prefix); err != nil {
		return err
	}
	// An upload into the prefix writes its temporary file outside the lock
	// (only its final rename takes it), so a file can appear between
	// RemoveAll's listing and its rmdir: remove again, and the upload's own
	// rename then fails for want of its file.
	var err error
	for range removeAttempts {
		l.mu.Lock()
		err = os.RemoveAll(l.objectPath(strings.TrimSuffix(prefix, "/")))
		l.mu.Unlock()
		if !errors.Is(err, syscall.ENOTEMPTY) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("delete prefix %q: %w", prefix, err)
	}
	entries, err := os.ReadDir(l.uploads)
	if err != nil {
		return fmt.Errorf("delete prefix %q: %w", prefix, err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		dir := filepath.Join(l.uploads, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, uploadMetaName))
		if err != nil {
			continue // gone meanwhile, or not an upload
		}
		var u uploadMeta
		if json.Unmarshal(b, &u) == nil && strings.HasPrefix(u.Key, prefix) {
			if err := os.RemoveAll(dir); err != nil {
				return fmt.Errorf("delete prefix %q: %w", prefix, err)
			}
		}
	}
	return nil
}

// PurgeUploads removes the multipart uploads started before cutoff and
// never completed or aborted (a client that gave up), the records of those
// completed before cutoff, and the temporary files a crash left (see
// StaleTempAge), and returns how many uploads it removed. S3 and R2 need a
// lifecycle rule for the same.
func (l *Local) PurgeUploads(ctx context.Context, cutoff time.Time) (int, error) {
	if err := l.sweepTemps(ctx); err != nil {
		return 0, err
	}
	entries, err := os.ReadDir(l.uploads)
	if err != nil {
		return 0, fmt.Errorf("purge uploads: %w", err)
	}
	n := 0
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		dir := filepath.Join(l.uploads, e.Name())
		started := time.Time{}
		var u uploadMeta
		if b, err := os.ReadFile(filepath.Join(dir, uploadMetaName)); err == nil && json.Unmarshal(b, &u) == nil {
			started = u.Created
		} else if info, err := e.Info(); err == nil {
			started = info.ModTime() // no readable record: its folder's age
		}
		if started.IsZero() || !started.Before(cutoff) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			return n, fmt.Errorf("purge uploads: %w", err)
		}
		n++
	}
	return n, nil
}

// receive streams at most n+1 bytes of body into a new temporary file of
// dir while hashing them, and returns the file's path and sha256 once it
// is synced. A body of another length than n is a length error.
func receive(dir string, body io.Reader, n int64, buf []byte) (path, sum string, err error) {
	tmp, err := os.CreateTemp(dir, tempPrefix)
	if err != nil {
		return "", "", err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	got, err := io.CopyBuffer(io.MultiWriter(tmp, h), io.LimitReader(body, n+1), buf)
	if errors.Is(err, io.ErrUnexpectedEOF) || (err == nil && got != n) {
		// a body shorter than its Content-Length ends in ErrUnexpectedEOF
		return "", "", &lengthError{got: got, want: n}
	}
	if err != nil {
		return "", "", err
	}
	if err := closeSynced(tmp); err != nil {
		return "", "", err
	}
	return tmp.Name(), hex.EncodeToString(h.Sum(nil)), nil
}

type lengthError struct{ got, want int64 }

func (e *lengthError) Error() string {
	return fmt.Sprintf("body has %d bytes, want %d", e.got, e.want)
}

func closeSynced(f *os.File) error {
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func writeTemp(dir string, b []byte) (string, error) {
	f, err := os.CreateTemp(dir, tempPrefix)
	if err != nil {
		return "", err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	if err := closeSynced(f); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

func writeFileAtomic(path string, b []byte) error {
	tmp, err := writeTemp(filepath.Dir(path), b)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}
