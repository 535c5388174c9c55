package charpack

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
)

// modified is every entry's timestamp: a fixed time keeps packs
// byte-for-byte reproducible.
var modified = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Reader limits: a pack is small; anything far larger is not one of ours.
const (
	maxEntries   = 64
	maxFileBytes = 32 << 20
	maxLoRABytes = 8 << 30 // an SDXL LoRA of high rank is a few hundred MB
)

// WriteZip writes the pack as a zip: entries sorted by path, the manifest
// among them, fixed timestamps and modes, text deflated at a fixed level
// and JPEGs stored (they do not compress).
func (p *Pack) WriteZip(w io.Writer) error {
	man, err := json.MarshalIndent(p.Manifest, "", "  ")
	if err != nil {
		return err
	}
	entries := append([]File{{Path: ManifestName, Data: append(man, '\n')}}, p.Files...)
	// The manifest sorts among the files: one rule, no special case.
	sortFiles(entries)

	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.DefaultCompression)
	})
	for _, f := range entries {
		h := &zip.FileHeader{Name: f.Path, Method: zip.Deflate, Modified: modified}
		if strings.HasSuffix(f.Path, ".jpg") || strings.HasSuffix(f.Path, ".safetensors") {
			h.Method = zip.Store
		}
		h.SetMode(0o644)
		if strings.HasSuffix(f.Path, ".sh") {
			h.SetMode(0o755) // unzip keeps it runnable
		}
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if f.Source != "" {
			if err := copySource(fw, f); err != nil {
				return err
			}
			continue
		}
		if _, err := fw.Write(f.Data); err != nil {
			return err
		}
	}
	return zw.Close()
}

// copySource streams a file from disk and checks it is still the one that
// was hashed for the manifest.
func copySource(w io.Writer, f File) error {
	src, err := os.Open(f.Source)
	if err != nil {
		return studio.Wrap(err, studio.EInvalidLoRA, "cannot read "+f.Source+" again: was it moved?")
	}
	defer src.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), src)
	if err != nil {
		return err
	}
	if n != f.size || hex.EncodeToString(h.Sum(nil)) != f.sum {
		return studio.Errorf(studio.EInvalidLoRA, "%s changed while the pack was written; write it again once it no longer changes", f.Source)
	}
	return nil
}

func sortFiles(fs []File) {
	slices.SortFunc(fs, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
}

// ReadFile opens the pack at name and verifies it; see Read.
func ReadFile(name string) (*Pack, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, studio.Wrap(err, studio.ENotFound, "cannot read the pack "+name+": check the path")
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.IsDir() {
		return nil, studio.Errorf(studio.EInvalidPack, "%s is not a file: name the pack's .zip", name)
	}
	return Read(f, fi.Size())
}

// Read opens a pack and verifies it: the manifest's schema, every file's
// size and sha256, and that the zip holds exactly the files the manifest
// lists. Returns "invalid_pack" for something that is not a pack, and
// "pack_tampered" when a file was changed, added or removed.
func Read(r io.ReaderAt, size int64) (*Pack, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, studio.Wrap(err, studio.EInvalidPack, "not a zip file")
	}
	if len(zr.File) > maxEntries {
		return nil, studio.Errorf(studio.EInvalidPack, "the pack has %d entries; a Character Pack has at most %d", len(zr.File), maxEntries)
	}
	content := map[string]entry{}
	for _, f := range zr.File {
		if err := checkPath(f.Name); err != nil {
			return nil, studio.Errorf(studio.EPackTampered, "the pack holds an entry with an unsafe name %q", f.Name)
		}
		if _, dup := content[f.Name]; dup {
			return nil, studio.Errorf(studio.EPackTampered, "the pack holds %s twice", f.Name)
		}
		e, err := readEntry(f)
		if err != nil {
			return nil, err
		}
		content[f.Name] = e
	}
	me, ok := content[ManifestName]
	if !ok || me.data == nil {
		return nil, studio.Errorf(studio.EInvalidPack, "the pack has no %s", ManifestName)
	}
	raw := me.data
	delete(content, ManifestName)
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, studio.Wrap(err, studio.EInvalidPack, "the manifest is not valid JSON of a Character Pack")
	}
	if m.SchemaVersion != SchemaVersion {
		return nil, studio.Errorf(studio.EInvalidPack, "manifest schema version %d; this reader knows %d", m.SchemaVersion, SchemaVersion)
	}

	pack := &Pack{Manifest: m}
	for _, mf := range m.Files {
		e, ok := content[mf.Path]
		if !ok {
			return nil, studio.Errorf(studio.EPackTampered, "%s is listed in the manifest but missing from the pack", mf.Path)
		}
		delete(content, mf.Path)
		if e.size != mf.Size {
			return nil, studio.Errorf(studio.EPackTampered, "%s is %d bytes; the manifest says %d", mf.Path, e.size, mf.Size)
		}
		if e.sum != mf.SHA256 {
			return nil, studio.Errorf(studio.EPackTampered, "%s does not match its sha256 in the manifest (sha256 %s, manifest %s)", mf.Path, e.sum, mf.SHA256)
		}
		pack.Files = append(pack.Files, File{Path: mf.Path, Data: e.data})
	}
	for name := range content {
		return nil, studio.Errorf(studio.EPackTampered, "%s is in the pack but not in the manifest", name)
	}
	for _, ref := range m.References {
		if pack.File(ref.Path) == nil {
			return nil, studio.Errorf(studio.EPackTampered, "reference %s is not among the pack's files", ref.Path)
		}
	}
	sortFiles(pack.Files)
	return pack, nil
}

// entry is one zip entry as read: its digest and size, and its bytes
// unless it is a LoRA (streamed through the hash, not kept).
type entry struct {
	data []byte
	sum  string
	size int64
}

func readEntry(f *zip.File) (entry, error) {
	limit, keep := int64(maxFileBytes), true
	if strings.HasPrefix(f.Name, "loras/") && strings.HasSuffix(f.Name, ".safetensors") {
		limit, keep = maxLoRABytes, false
	}
	if f.UncompressedSize64 > uint64(limit) {
		return entry{}, studio.Errorf(studio.EInvalidPack, "%s is %d bytes; such pack files are at most %d", f.Name, f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return entry{}, studio.Wrap(err, studio.EInvalidPack, "cannot open "+f.Name)
	}
	defer rc.Close()
	h := sha256.New()
	var buf bytes.Buffer
	w := io.Writer(h)
	if keep {
		w = io.MultiWriter(h, &buf)
	}
	// The header's size is not trusted: read one byte past the limit.
	n, err := io.Copy(w, io.LimitReader(rc, limit+1))
	if err != nil {
		if errors.Is(err, zip.ErrChecksum) || errors.Is(err, zip.ErrFormat) {
			return entry{}, studio.Wrap(err, studio.EPackTampered, f.Name+" is corrupt: its bytes do not match the zip's checksum")
		}
		return entry{}, studio.Wrap(err, studio.EInvalidPack, "cannot read "+f.Name)
	}
	if n > limit {
		return entry{}, studio.Errorf(studio.EInvalidPack, "%s is over %d bytes", f.Name, limit)
	}
	e := entry{sum: hex.EncodeToString(h.Sum(nil)), size: n}
	if keep {
		e.data = buf.Bytes()
	}
	return e, nil
}

// checkPath accepts only clean, relative, forward-slash paths, so a pack
// can be unzipped anywhere without escaping its folder.
func checkPath(p string) error {
	switch {
	case p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, `\`) || strings.HasSuffix(p, "/"):
		return fmt.Errorf("unsafe path %q", p)
	case path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("unsafe path %q", p)
	}
	return nil
}
