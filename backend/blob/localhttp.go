package blob

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
)

// Codes of the local store handler's refusals, in {"error":{"code","message"}}.
const (
	CodeSignatureInvalid = "signature_invalid" // 403: the URL, or a signed header, is not what was signed
	CodeURLExpired       = "url_expired"       // 403
	CodeLengthMismatch   = "length_mismatch"   // 400 short, 413 long, 411 no Content-Length
	CodeChecksumMismatch = "checksum_mismatch" // 400: the body's sha256 is not the signed one
	CodeHeaderMissing    = "header_missing"    // 400: Content-Type or x-amz-checksum-sha256 absent
	CodeHeaderInvalid    = "header_invalid"    // 400: x-amz-checksum-sha256 is not a base64 sha256
	CodeKeyInvalid       = "key_invalid"       // 400
	CodeNotFound         = studio.ENotFound    // 404: no such object
	CodeUploadNotFound   = "upload_not_found"  // 404: the multipart upload was completed or aborted
	CodeTooSlow          = "upload_too_slow"   // 408: the body came slower than the minimum rate
	CodeMethodNotAllowed = "method_not_allowed"
	CodeInternal         = studio.EInternal
)

// Handler serves the store's presigned URLs: PUT for uploads and parts, GET
// and HEAD for downloads. Mount it, without stripping anything, at the path
// of the base URL: mux.Handle("/blob/", local.Handler()) for
// "http://host/blob".
func (l *Local) Handler() http.Handler { return http.HandlerFunc(l.serveHTTP) }

// The minimum rate of a PUT's body, unless Local.MinPutRate and
// PutRateWindow say otherwise: a body must bring DefaultMinPutRate bytes a
// second, counted over each DefaultPutRateWindow, or the connection is cut.
// A slow uplink stays far above it; a client trickling a byte every few
// seconds to hold a connection and a temporary file does not.
const (
	DefaultMinPutRate    int64 = 8 << 10
	DefaultPutRateWindow       = 20 * time.Second
)

// minRateBody reads a body under a read deadline that moves a window
// further each time a window's worth of bytes (at the minimum rate) came.
type minRateBody struct {
	r      io.Reader
	rc     *http.ResponseController
	window time.Duration
	quota  int64 // bytes due per window
	due    int64 // bytes still due in this window
}

func (b *minRateBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if b.due -= int64(n); b.due <= 0 {
		b.due = b.quota
		b.rc.SetReadDeadline(time.Now().Add(b.window))
	}
	return n, err
}

// rateLimited returns r's body, cut when it arrives slower than the
// store's minimum rate (the body as is where the connection cannot take a
// read deadline).
func (l *Local) rateLimited(w http.ResponseWriter, r *http.Request) io.Reader {
	rate, window := cmp.Or(l.MinPutRate, DefaultMinPutRate), cmp.Or(l.PutRateWindow, DefaultPutRateWindow)
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Now().Add(window)) != nil {
		return r.Body
	}
	quota := max(1, int64(float64(rate)*window.Seconds()))
	return &minRateBody{r: r.Body, rc: rc, window: window, quota: quota, due: quota}
}

func (l *Local) tooSlow() *httpError {
	rate, window := cmp.Or(l.MinPutRate, DefaultMinPutRate), cmp.Or(l.PutRateWindow, DefaultPutRateWindow)
	return refuse(http.StatusRequestTimeout, CodeTooSlow, "the body came slower than %d bytes/s over %s: send it again (a multipart upload resumes by part)", rate, window)
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

type httpError struct {
	status        int
	code, message string
}

func refuse(status int, code, format string, args ...any) *httpError {
	return &httpError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func (l *Local) serveHTTP(w http.ResponseWriter, r *http.Request) {
	var herr *httpError
	key, ok := strings.CutPrefix(r.URL.Path, l.base.Path+"/")
	switch {
	case !ok || !ValidKey(key):
		herr = refuse(http.StatusBadRequest, CodeKeyInvalid, "invalid object key in path %q", r.URL.Path)
	case r.Method == http.MethodPut:
		herr = l.servePut(w, r, key)
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		herr = l.serveGet(w, r, key)
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT")
		herr = refuse(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method %s not allowed", r.Method)
	}
	if herr != nil {
		writeError(w, herr)
	}
}

func writeError(w http.ResponseWriter, e *httpError) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": e.code, "message": e.message}})
}

func (l *Local) internal(r *http.Request, err error) *httpError {
	if l.Log != nil {
		l.Log.ErrorContext(r.Context(), "local blob store", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	return refuse(http.StatusInternalServerError, CodeInternal, "internal error")
}

// signedQuery is what a URL's query carries besides the signature.
type signedQuery struct {
	expires int64
	length  int64
	upload  string
	part    int
	sig     string
	max     int64 // PresignPutMax URLs: the most bytes the body may have
}

func parseQuery(r *http.Request, put bool) (signedQuery, *httpError) {
	q := r.URL.Query()
	var s signedQuery
	var err error
	bad := refuse(http.StatusForbidden, CodeSignatureInvalid, "the url is not a valid signed url")
	if s.sig = q.Get("sig"); s.sig == "" {
		return s, bad
	}
	if s.expires, err = strconv.ParseInt(q.Get("expires"), 10, 64); err != nil {
		return s, bad
	}
	if !put {
		return s, nil
	}
	if m := q.Get("max"); m != "" {
		if s.max, err = parseLength(m); err != nil || s.max == 0 {
			return s, bad
		}
		return s, nil
	}
	if s.length, err = parseLength(q.Get("length")); err != nil {
		return s, bad
	}
	if s.upload = q.Get("upload"); s.upload != "" {
		if s.part, err = strconv.Atoi(q.Get("part")); err != nil || s.part < 1 || s.part > MaxParts {
			return s, bad
		}
	}
	return s, nil
}

func (l *Local) checkExpiry(s signedQuery) *httpError {
	if l.now().Unix() > s.expires {
		return refuse(http.StatusForbidden, CodeURLExpired, "the url expired; ask for a new one")
	}
	return nil
}

// servePut checks, in this order, the signature (over the URL and the
// signed headers as sent), the expiry, and the declared length, all before
// reading a byte; then streams the body to a temporary file while hashing
// it, and publishes it only if length and checksum match.
func (l *Local) servePut(w http.ResponseWriter, r *http.Request, key string) *httpError {
	s, herr := parseQuery(r, true)
	if herr != nil {
		return herr
	}
	if s.max > 0 {
		return l.servePutMax(w, r, key, s)
	}
	var contentType, sum string
	if s.upload == "" {
		contentType = r.Header.Get(HeaderContentType)
		b64 := r.Header.Get(HeaderChecksumSHA256)
		if contentType == "" || b64 == "" {
			return refuse(http.StatusBadRequest, CodeHeaderMissing, "send the signed headers %s and %s", HeaderContentType, HeaderChecksumSHA256)
		}
		var err error
		if sum, err = checksumHex(b64); err != nil {
			return refuse(http.StatusBadRequest, CodeHeaderInvalid, "%s is not a base64 sha256", HeaderChecksumSHA256)
		}
	}
	if !l.verify(s.sig, http.MethodPut, key, s.length, contentType, sum, s.upload, s.part, s.expires) {
		return refuse(http.StatusForbidden, CodeSignatureInvalid, "the signature does not match the url and headers")
	}
	if herr := l.checkExpiry(s); herr != nil {
		return herr
	}
	switch {
	case r.ContentLength < 0:
		return refuse(http.StatusLengthRequired, CodeLengthMismatch, "send Content-Length: %d", s.length)
	case r.ContentLength > s.length:
		return refuse(http.StatusRequestEntityTooLarge, CodeLengthMismatch, "body has %d bytes, the url is for %d", r.ContentLength, s.length)
	case r.ContentLength < s.length:
		return refuse(http.StatusBadRequest, CodeLengthMismatch, "body has %d bytes, the url is for %d", r.ContentLength, s.length)
	}

	var dir string
	var u uploadMeta
	if s.upload == "" {
		dir = filepath.Dir(l.objectPath(key))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return l.internal(r, err)
		}
	} else {
		var err error
		if dir, err = l.uploadDir(key, s.upload); err == nil {
			u, err = loadUpload(dir, key)
		}
		if err != nil {
			if studio.ErrorCode(err) == studio.ENotFound {
				return refuse(http.StatusNotFound, CodeUploadNotFound, "the multipart upload was completed or aborted")
			}
			return l.internal(r, err)
		}
		if partLen(u.Size, u.PartSize, s.part) != s.length {
			return refuse(http.StatusBadRequest, CodeLengthMismatch, "part %d of this upload does not have %d bytes", s.part, s.length)
		}
	}

	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	tmp, got, err := receive(dir, l.rateLimited(w, r), s.length, *bp)
	var lerr *lengthError
	switch {
	case errors.As(err, &lerr):
		return refuse(http.StatusBadRequest, CodeLengthMismatch, "%s", lerr.Error())
	case errors.Is(err, os.ErrDeadlineExceeded):
		return l.tooSlow()
	case errors.Is(err, fs.ErrNotExist) && s.upload != "":
		return refuse(http.StatusNotFound, CodeUploadNotFound, "the multipart upload was completed or aborted")
	case err != nil:
		return l.internal(r, err)
	}

	if s.upload == "" {
		if got != sum {
			os.Remove(tmp)
			return refuse(http.StatusBadRequest, CodeChecksumMismatch, "the body's sha256 is %s, the url is for %s", got, sum)
		}
		if err := l.publish(tmp, key, objectMeta{Size: s.length, ContentType: contentType, SHA256: sum}); err != nil {
			os.Remove(tmp)
			if studio.ErrorCode(err) == studio.EConflict {
				return refuse(http.StatusConflict, studio.EConflict, "%s", studio.ErrorMessage(err))
			}
			return l.internal(r, err)
		}
	} else {
		// One file per part: a second body replaces the first. Complete
		// checks each part's sha256 against the ETag it is given.
		if err := os.Rename(tmp, filepath.Join(dir, partName(s.part))); err != nil {
			os.Remove(tmp)
			if errors.Is(err, fs.ErrNotExist) {
				return refuse(http.StatusNotFound, CodeUploadNotFound, "the multipart upload was completed or aborted")
			}
			return l.internal(r, err)
		}
		if err := syncDir(dir); err != nil {
			return l.internal(r, err)
		}
	}
	b64, _ := checksumBase64(got)
	w.Header().Set("ETag", `"`+got+`"`)
	w.Header().Set(HeaderChecksumSHA256, b64)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (l *Local) serveGet(w http.ResponseWriter, r *http.Request, key string) *httpError {
	s, herr := parseQuery(r, false)
	if herr != nil {
		return herr
	}
	if !l.verify(s.sig, http.MethodGet, key, 0, "", "", "", 0, s.expires) {
		return refuse(http.StatusForbidden, CodeSignatureInvalid, "the signature does not match the url")
	}
	if herr := l.checkExpiry(s); herr != nil {
		return herr
	}
	m, f, err := l.readObject(r.Context(), key, true)
	if err != nil {
		if studio.ErrorCode(err) == studio.ENotFound {
			return refuse(http.StatusNotFound, CodeNotFound, "no such object")
		}
		return l.internal(r, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return l.internal(r, err)
	}
	h := w.Header()
	h.Set("Content-Type", m.ContentType)
	h.Set("ETag", `"`+m.SHA256+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store") // face photos: no shared caches
	http.ServeContent(w, r, "", fi.ModTime(), f)
	return nil
}

// servePutMax serves a PresignPutMax URL: signature (over the key, the
// Content-Type as sent and the maximum), expiry, a Content-Length no
// larger than the maximum, all before reading a byte; the sha256 is
// computed as the body streams in and recorded with the object.
func (l *Local) servePutMax(w http.ResponseWriter, r *http.Request, key string, s signedQuery) *httpError {
	contentType := r.Header.Get(HeaderContentType)
	if contentType == "" {
		return refuse(http.StatusBadRequest, CodeHeaderMissing, "send the signed header %s", HeaderContentType)
	}
	if !l.verify(s.sig, methodPutMax, key, s.max, contentType, "", "", 0, s.expires) {
		return refuse(http.StatusForbidden, CodeSignatureInvalid, "the signature does not match the url and headers")
	}
	if herr := l.checkExpiry(s); herr != nil {
		return herr
	}
	switch {
	case r.ContentLength < 0:
		return refuse(http.StatusLengthRequired, CodeLengthMismatch, "send Content-Length (at most %d)", s.max)
	case r.ContentLength == 0:
		return refuse(http.StatusBadRequest, CodeLengthMismatch, "the body is empty")
	case r.ContentLength > s.max:
		return refuse(http.StatusRequestEntityTooLarge, CodeLengthMismatch, "body has %d bytes, the url allows at most %d", r.ContentLength, s.max)
	}
	dir := filepath.Dir(l.objectPath(key))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return l.internal(r, err)
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	tmp, got, err := receive(dir, l.rateLimited(w, r), r.ContentLength, *bp)
	var lerr *lengthError
	switch {
	case errors.As(err, &lerr):
		return refuse(http.StatusBadRequest, CodeLengthMismatch, "%s", lerr.Error())
	case errors.Is(err, os.ErrDeadlineExceeded):
		return l.tooSlow()
	case err != nil:
		return l.internal(r, err)
	}
	if err := l.publish(tmp, key, objectMeta{Size: r.ContentLength, ContentType: contentType, SHA256: got}); err != nil {
		os.Remove(tmp)
		if studio.ErrorCode(err) == studio.EConflict {
			return refuse(http.StatusConflict, studio.EConflict, "%s", studio.ErrorMessage(err))
		}
		return l.internal(r, err)
	}
	b64, _ := checksumBase64(got)
	w.Header().Set("ETag", `"`+got+`"`)
	w.Header().Set(HeaderChecksumSHA256, b64)
	w.WriteHeader(http.StatusOK)
	return nil
}
