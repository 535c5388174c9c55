// Package download fetches a trained LoRA from a presigned URL into a file
// and survives quitting and network loss: the bytes go to "<dest>.part",
// a later Fetch resumes it with a Range request, and the file takes its
// final name only once its size and sha256 match what the server recorded.
package download

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
)

// Error codes of Fetch (studio's): EDownloadCorrupt, the bytes do not
// match the server's sha256 (the partial file is deleted so the next try
// starts over); EDownloadURLExpired, the URL was refused (expired or
// revoked): ask the server for a new one and call Fetch again, it resumes.

// Target is what to fetch and what it must be.
type Target struct {
	URL    string
	SHA256 string // hex, lower case
	Size   int64
	Dest   string // the final path; its folder must exist
}

// Progress is reported while bytes arrive.
type Progress struct {
	Done, Total int64
}

// Fetcher downloads. The zero value works.
type Fetcher struct {
	// HTTP must not add the API's bearer token. nil: a client with a
	// 60-second wait for response headers and no overall timeout.
	HTTP *http.Client
	// Progress, when set, receives the byte counts at most every
	// ProgressInterval (default 100ms) and once at the end.
	Progress         func(Progress)
	ProgressInterval time.Duration
}

var defaultClient = &http.Client{Transport: &http.Transport{
	Proxy: http.ProxyFromEnvironment, ResponseHeaderTimeout: 60 * time.Second,
}}

// PartPath is where the bytes of dest wait until they are verified.
func PartPath(dest string) string { return dest + ".part" }

// Fetch downloads t into t.Dest. A file already at t.Dest with the right
// size and sha256 is kept without a request. A "<dest>.part" from an
// earlier try is resumed where the server supports ranges, restarted where
// it does not. Returns studio.EDownloadCorrupt, studio.EDownloadURLExpired, EUnavailable for network
// trouble (worth a retry: it resumes), or an internal error for the disk.
func (f *Fetcher) Fetch(ctx context.Context, t Target) error {
	if t.Size < 0 || len(t.SHA256) != 64 {
		return studio.Errorf(studio.EInvalid, "download: the server gave no size and sha256 to check the file against")
	}
	if ok, err := matches(t.Dest, t.Size, t.SHA256); err != nil || ok {
		return err
	}
	part := PartPath(t.Dest)
	file, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	defer file.Close()
	have, err := file.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	if have > t.Size { // not this file's beginning
		if have, err = restart(file); err != nil {
			return err
		}
	}
	h := sha256.New()
	if have > 0 { // the hash covers what is already here
		if _, err := file.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("download: %w", err)
		}
		if _, err := io.CopyN(h, file, have); err != nil {
			return fmt.Errorf("download: %w", err)
		}
	}
	if have < t.Size {
		if have, err = f.get(ctx, t, file, have, h); err != nil {
			return err
		}
	}
	if have != t.Size || hex.EncodeToString(h.Sum(nil)) != t.SHA256 {
		file.Close()
		os.Remove(part)
		return studio.Errorf(studio.EDownloadCorrupt, "the downloaded file does not match the server's checksum; it was deleted, download it again")
	}
	if err := file.Sync(); err != nil {
		return fmt.Errorf("download: %w", err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("download: %w", err)
	}
	if err := os.Rename(part, t.Dest); err != nil {
		return fmt.Errorf("download: %w", err)
	}
	if d, err := os.Open(filepath.Dir(t.Dest)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func restart(file *os.File) (int64, error) {
	if err := file.Truncate(0); err != nil {
		return 0, fmt.Errorf("download: %w", err)
	}
	_, err := file.Seek(0, io.SeekStart)
	return 0, err
}

// get appends the bytes from have on to file, feeding h, and returns how
// many the file holds.
func (f *Fetcher) get(ctx context.Context, t Target, file *os.File, have int64, h hash.Hash) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL, nil)
	if err != nil {
		return have, studio.Errorf(studio.EInvalid, "download: bad URL: %v", err)
	}
	if have > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
	}
	c := f.HTTP
	if c == nil {
		c = defaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return have, ctx.Err()
		}
		return have, studio.Wrap(err, studio.EUnavailable, "the download server cannot be reached; try again, it resumes")
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusPartialContent && have > 0 && strings.HasPrefix(resp.Header.Get("Content-Range"), "bytes "+strconv.FormatInt(have, 10)+"-"):
	case resp.StatusCode == http.StatusOK:
		if have > 0 { // the server sends it whole: start over
			if have, err = restart(file); err != nil {
				return 0, err
			}
			h.Reset()
		}
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		// What we have is not a prefix the server knows: start over next time.
		restart(file)
		return 0, studio.Errorf(studio.EUnavailable, "the download could not resume; try again, it starts over")
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusNotFound:
		return have, studio.Errorf(studio.EDownloadURLExpired, "the download link expired; ask for a new one and it resumes")
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return have, studio.Errorf(studio.EUnavailable, "the download server answered %d; try again, it resumes", resp.StatusCode)
	default:
		return have, studio.Errorf(studio.EInvalid, "the download server answered %d", resp.StatusCode)
	}
	interval := f.ProgressInterval
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	var last time.Time
	buf := make([]byte, 256<<10)
	for have < t.Size {
		n, rerr := resp.Body.Read(buf[:min(int64(len(buf)), t.Size-have)])
		if n > 0 {
			if _, err := file.Write(buf[:n]); err != nil {
				return have, fmt.Errorf("download: write: %w", err)
			}
			h.Write(buf[:n])
			have += int64(n)
			if f.Progress != nil && time.Since(last) >= interval {
				last = time.Now()
				f.Progress(Progress{Done: have, Total: t.Size})
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return have, ctx.Err()
			}
			return have, studio.Wrap(rerr, studio.EUnavailable, "the download was cut off; try again, it resumes")
		}
	}
	if f.Progress != nil {
		f.Progress(Progress{Done: have, Total: t.Size})
	}
	if have < t.Size {
		return have, studio.Errorf(studio.EUnavailable, "the download ended early; try again, it resumes")
	}
	return have, nil
}

// matches reports whether path holds size bytes (any number when size < 0)
// hashing to sum.
func matches(path string, size int64, sum string) (bool, error) {
	fh, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("download: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil || (size >= 0 && st.Size() != size) {
		return false, err
	}
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return false, fmt.Errorf("download: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)) == sum, nil
}

// Verify reports whether the file at path is exactly the one described
// (any size when size < 0): the desktop checks an installed or downloaded
// copy with it.
func Verify(path string, size int64, sha256Hex string) (bool, error) {
	return matches(path, size, sha256Hex)
}
