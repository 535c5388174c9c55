package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
)

// Rewrite copies the safetensors file of size bytes read from r to w with
// meta merged into its header's __metadata__ (meta's keys win over the
// trainer's; the trainer's other keys stay). The header is re-encoded with
// sorted keys and padded with spaces to a multiple of 8 bytes, as the
// format asks, so the same input and meta always give the same bytes; the
// tensor data is streamed through unchanged. A malformed file is refused
// before anything is written. It returns the number of bytes written.
func Rewrite(w io.Writer, r io.Reader, size int64, meta map[string]string) (int64, error) {
	h, err := readHeader(r, size)
	if err != nil {
		return 0, &FormatError{err}
	}
	merged := maps.Clone(h.meta)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, meta)
	hdr, err := encodeHeader(h.tensors, merged)
	if err != nil {
		return 0, err
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(hdr)))
	n, err := w.Write(lenBuf[:])
	written := int64(n)
	if err != nil {
		return written, err
	}
	n, err = w.Write(hdr)
	written += int64(n)
	if err != nil {
		return written, err
	}
	m, err := io.CopyN(w, r, h.dataLen)
	written += m
	if err != nil {
		return written, fmt.Errorf("data: %w", err)
	}
	return written, nil
}

// FormatError is Rewrite's refusal of a file that is not a well-formed
// safetensors file (as opposed to a failure to read or write it).
type FormatError struct{ Err error }

func (e *FormatError) Error() string { return e.Err.Error() }
func (e *FormatError) Unwrap() error { return e.Err }

// encodeHeader writes the header JSON, padded with spaces to 8 bytes.
func encodeHeader(tensors map[string]json.RawMessage, meta map[string]string) ([]byte, error) {
	all := maps.Clone(tensors)
	m, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	all[metadataKey] = m
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // titles keep their & and <, as a trainer writes them
	if err := enc.Encode(all); err != nil {
		return nil, err
	}
	hdr := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	if len(hdr) > MaxHeader {
		return nil, fmt.Errorf("the header would have %d bytes, over %d", len(hdr), MaxHeader)
	}
	return hdr, nil
}

// RewriteFile rewrites the safetensors file at path in place with meta
// merged into its __metadata__ (see Rewrite; a malformed file is a
// *FormatError and stays as it was): through a temporary file in
// the same folder, synced, then renamed over it, so a crash leaves the old
// file or the new one, never half of each.
func RewriteFile(path string, meta map[string]string) error {
	src, err := os.Open(path)
	if err != nil {
		return err
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".rewrite-*.safetensors")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := Rewrite(tmp, src, fi.Size(), meta); err != nil {
		tmp.Close()
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), fi.Mode().Perm()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
