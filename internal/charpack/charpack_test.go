package charpack_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/promptforge/lorastudio/internal/charpack"
	"github.com/promptforge/lorastudio/internal/compiler"
	"github.com/promptforge/lorastudio/internal/studio"
)

func input(cands []compiler.Candidate, platform string) charpack.Input {
	return charpack.Input{
		Request: compiler.Request{
			Platform: platform,
			Prompt: compiler.Prompt{
				Subject: "wearing a red wool coat", Action: "walks along a rainy harbour and smiles",
				Scene: "a fishing harbour at dusk", Camera: "slow dolly-in", Lighting: "blue hour",
				Dialogue: "It's good to be home.", Audio: "gulls and rain", Negative: "blurry, watermark",
			},
			Identity: compiler.Identity{Name: "alice", Version: "3", Trigger: "ohwx", Describe: "a woman with short curly brown hair"},
		},
		Candidates:  cands,
		DatasetHash: "sha256:0123456789abcdef",
	}
}

func write(tb testing.TB, in charpack.Input) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if _, _, err := charpack.Write(context.Background(), &buf, in); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestPackContents writes a pack for every target platform and checks its
// files, reference counts and golden texts.
func TestPackContents(t *testing.T) {
	cands := dataset(t, 10, 640, 800)
	wantRefs := map[string]int{"sora-2": 1, "sora-2-pro": 1, "sora-2-pro-max": 1, "veo-3.1": 3, "veo-3.1-fast": 3, "grok-3": 7}
	for _, p := range compiler.Profiles() {
		if p.SupportsLoRAInjection {
			continue
		}
		t.Run(p.ID, func(t *testing.T) {
			data := write(t, input(cands, p.ID))
			pack, err := charpack.Read(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatalf("reading our own pack: %v", err)
			}
			m := pack.Manifest
			if m.Platform != p.ID || m.ModelID != p.ModelID || m.Identity != (charpack.ManifestIdentity{Name: "alice", Version: "3"}) || m.DatasetHash != "sha256:0123456789abcdef" || m.SchemaVersion != 1 {
				t.Errorf("manifest header %+v", m)
			}
			if len(m.References) != wantRefs[p.ID] {
				t.Errorf("got %d references, want %d", len(m.References), wantRefs[p.ID])
			}
			var names []string
			for _, f := range pack.Files {
				names = append(names, f.Path)
			}
			want := []string{"instructions.md", "params.json", "prompt.txt"}
			if p.Status != compiler.StatusShutDown {
				want = append(want, "request.json", "generate.sh")
			}
			for _, r := range m.References {
				want = append(want, r.Path)
			}
			slices.Sort(want)
			if !slices.Equal(names, want) {
				t.Errorf("got files %v, want %v", names, want)
			}

			var listing strings.Builder
			for _, r := range m.References {
				fmt.Fprintf(&listing, "%s\t%s\t%s\t%dx%d\n", r.Path, r.Role, r.Tag, r.Width, r.Height)
				img, err := jpeg.Decode(bytes.NewReader(pack.File(r.Path).Data))
				if err != nil {
					t.Fatalf("%s is not a JPEG: %v", r.Path, err)
				}
				if b := img.Bounds(); b.Dx() != r.Width || b.Dy() != r.Height || max(b.Dx(), b.Dy()) > p.References.MaxSide {
					t.Errorf("%s is %v, manifest says %dx%d, limit %d", r.Path, b, r.Width, r.Height, p.References.MaxSide)
				}
			}
			golden(t, filepath.Join(p.ID, "references.tsv"), []byte(listing.String()))
			for _, f := range pack.Files {
				if strings.HasPrefix(f.Path, "references/") {
					continue
				}
				if bytes.Contains(bytes.ToLower(f.Data), []byte("ohwx")) || bytes.Contains(f.Data, []byte("<lora:")) {
					t.Errorf("%s carries the trigger word or a LoRA block", f.Path)
				}
				golden(t, filepath.Join(p.ID, f.Path), f.Data)
			}
			instr := string(pack.File("instructions.md").Data)
			for _, must := range []string{p.Checked, "does not train or load a LoRA", p.StatusNote} {
				if !strings.Contains(instr, must) {
					t.Errorf("instructions.md does not say %q", must)
				}
			}
		})
	}
}

// TestSoraPack holds the Sora packs to what they must say honestly.
func TestSoraPack(t *testing.T) {
	cands := dataset(t, 4, 400, 500)
	for _, id := range []string{"sora-2", "sora-2-pro", "sora-2-pro-max"} {
		t.Run(id, func(t *testing.T) {
			data := write(t, input(cands, id))
			pack, err := charpack.Read(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			instr := string(pack.File("instructions.md").Data)
			for _, must := range []string{"cameo", "consent-verified", "human faces are rejected", "Do not upload it as `input_reference`", "shut down"} {
				if !strings.Contains(instr, must) {
					t.Errorf("instructions.md does not say %q", must)
				}
			}
			if strings.Contains(instr, "not a model OpenAI publishes") != (id == "sora-2-pro-max") {
				t.Errorf("the Pro Max disclaimer must appear in the sora-2-pro-max pack only")
			}
			if pack.File("request.json") != nil {
				t.Error("a shut-down API got an example request")
			}
		})
	}
}

func TestReproducible(t *testing.T) {
	cands := dataset(t, 12, 500, 600)
	for _, id := range []string{"grok-3", "veo-3.1", "sora-2"} {
		t.Run(id, func(t *testing.T) {
			first := write(t, input(cands, id))
			// Same photos, another order: the same bytes.
			rev := slices.Clone(cands)
			slices.Reverse(rev)
			second := write(t, input(rev, id))
			if !bytes.Equal(first, second) {
				t.Fatalf("two runs differ: %d and %d bytes", len(first), len(second))
			}
			zr, err := zip.NewReader(bytes.NewReader(first), int64(len(first)))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range zr.File {
				names = append(names, f.Name)
				if !f.Modified.Equal(zr.File[0].Modified) || f.Modified.Year() != 2000 {
					t.Errorf("%s has timestamp %v, want the fixed one", f.Name, f.Modified)
				}
			}
			if !slices.IsSorted(names) {
				t.Errorf("entries not sorted: %v", names)
			}
		})
	}
}

// TestReferencesStripped: orientation applied, metadata gone, bytes new.
func TestReferencesStripped(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "phone.jpg")
	// Stored 800x400 with orientation 6 (rotate 90° clockwise to display).
	orig := writeJPEG(t, path, photo(800, 400, 3), 6)
	if !bytes.Contains(orig, []byte(secretMarker)) {
		t.Fatal("the fixture lost its marker")
	}
	in := input([]compiler.Candidate{{Path: path, SHA256: "abc", Sharpness: 1, Pose: "frontal", Faces: 1, Width: 400, Height: 800}}, "veo-3.1")
	data := write(t, in)
	if bytes.Contains(data, []byte(secretMarker)) || bytes.Contains(data, []byte("Exif")) {
		t.Error("the pack carries the photo's EXIF metadata")
	}
	if bytes.Contains(data, orig[len(orig)/2:len(orig)/2+256]) {
		t.Error("the pack carries the original photo's bytes")
	}
	pack, err := charpack.Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	ref := pack.Manifest.References[0]
	if ref.Width != 400 || ref.Height != 800 {
		t.Errorf("got %dx%d, want 400x800: the EXIF orientation was not applied", ref.Width, ref.Height)
	}
}

func TestPNGWithAlpha(t *testing.T) {
	// A transparent PNG is laid over white: a JPEG cannot keep alpha, and
	// transparent black must not turn into a black reference.
	path := filepath.Join(t.TempDir(), "cutout.png")
	img := image.NewNRGBA(image.Rect(0, 0, 64, 64)) // all transparent black
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	in := input([]compiler.Candidate{{Path: path, SHA256: "a", Pose: "frontal", Faces: 1}}, "grok-3")
	pack, _, err := charpack.Build(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jpeg.Decode(bytes.NewReader(pack.File(pack.Manifest.References[0].Path).Data))
	if err != nil {
		t.Fatal(err)
	}
	if r, g, b, _ := out.At(32, 32).RGBA(); r>>8 < 250 || g>>8 < 250 || b>>8 < 250 {
		t.Errorf("got %v %v %v, want white", r>>8, g>>8, b>>8)
	}
}

func TestBuildErrors(t *testing.T) {
	good := dataset(t, 2, 200, 200)
	bad := slices.Clone(good)
	for i := range bad {
		bad[i].HasError = true
	}
	corrupt := []compiler.Candidate{{Path: filepath.Join(t.TempDir(), "missing.jpg"), SHA256: "x", Faces: 1, Pose: "frontal"}}
	tests := []struct {
		name string
		in   charpack.Input
		code string
	}{
		{"lora pipeline", input(good, "flux-dev"), "lora_pipeline"},
		{"unknown platform", input(good, "sora-3"), "unknown_platform"},
		{"every photo has an error", input(bad, "veo-3.1"), "no_references"},
		{"no photos", input(nil, "grok-3"), "no_references"},
		{"unreadable photo", input(corrupt, "grok-3"), "invalid_reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, _, err := charpack.Write(context.Background(), &buf, tt.in)
			if got := studio.ErrorCode(err); got != tt.code {
				t.Fatalf("got %q (%v), want %q", got, err, tt.code)
			}
			if buf.Len() != 0 {
				t.Error("a failed pack wrote bytes")
			}
		})
	}
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, _, err := charpack.Build(ctx, input(good, "veo-3.1")); err == nil {
			t.Error("a canceled build succeeded")
		}
	})
}

// rezip copies a pack entry by entry, letting edit change, drop (nil) or
// add entries.
func rezip(t *testing.T, data []byte, edit func(name string, b []byte) []byte, extra map[string]string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if b = edit(f.Name, b); b == nil {
			continue
		}
		w, _ := zw.Create(f.Name)
		w.Write(b)
	}
	for name, body := range extra {
		w, _ := zw.Create(name)
		io.WriteString(w, body)
	}
	zw.Close()
	return out.Bytes()
}

func TestReadRejectsTampering(t *testing.T) {
	data := write(t, input(dataset(t, 5, 300, 300), "grok-3"))
	same := func(_ string, b []byte) []byte { return b }
	tests := []struct {
		name string
		pack []byte
		code string
	}{
		{"untouched copy", rezip(t, data, same, nil), ""},
		{"prompt edited", rezip(t, data, func(n string, b []byte) []byte {
			if n == "prompt.txt" {
				return bytes.Replace(b, []byte("harbour"), []byte("harb0ur"), 1)
			}
			return b
		}, nil), "pack_tampered"},
		{"reference swapped", rezip(t, data, func(n string, b []byte) []byte {
			if n == "references/01-frontal.jpg" {
				b = bytes.Clone(b)
				b[len(b)/2] ^= 0xff
			}
			return b
		}, nil), "pack_tampered"},
		{"file removed", rezip(t, data, func(n string, b []byte) []byte {
			if n == "instructions.md" {
				return nil
			}
			return b
		}, nil), "pack_tampered"},
		{"file added", rezip(t, data, same, map[string]string{"references/08-extra.jpg": "not a photo"}), "pack_tampered"},
		{"path escapes", rezip(t, data, same, map[string]string{"../evil.sh": "rm -rf"}), "pack_tampered"},
		{"manifest digest edited", rezip(t, data, func(n string, b []byte) []byte {
			if n == "manifest.json" {
				i := bytes.Index(b, []byte(`"sha256": "`)) + len(`"sha256": "`)
				b = bytes.Clone(b)
				if b[i] == '0' {
					b[i] = '1'
				} else {
					b[i] = '0'
				}
			}
			return b
		}, nil), "pack_tampered"},
		{"manifest removed", rezip(t, data, func(n string, b []byte) []byte {
			if n == "manifest.json" {
				return nil
			}
			return b
		}, nil), "invalid_pack"},
		{"manifest from the future", rezip(t, data, func(n string, b []byte) []byte {
			if n == "manifest.json" {
				return bytes.Replace(b, []byte(`"schema_version": 1`), []byte(`"schema_version": 2`), 1)
			}
			return b
		}, nil), "invalid_pack"},
		{"not a zip", []byte("PK\x03\x04 nope"), "invalid_pack"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := charpack.Read(bytes.NewReader(tt.pack), int64(len(tt.pack)))
			if got := studio.ErrorCode(err); got != tt.code {
				t.Fatalf("got %q (%v), want %q", got, err, tt.code)
			}
		})
	}
}

// TestEncodeHook: a caller's encoder is used, and what it gives is checked.
func TestEncodeHook(t *testing.T) {
	cands := dataset(t, 3, 300, 300)
	leaky := func(_ context.Context, path string, _ int, w io.Writer) error {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		_, err = w.Write(withExif(b, 1)) // the original bytes, EXIF and all
		return err
	}
	huge := func(_ context.Context, _ string, _ int, w io.Writer) error {
		return jpeg.Encode(w, photo(2000, 100, 1), nil)
	}
	var calls atomic.Int32 // the encoder runs on several photos at once
	fine := func(_ context.Context, _ string, maxSide int, w io.Writer) error {
		calls.Add(1)
		return jpeg.Encode(w, photo(maxSide/4, maxSide/4, 9), nil)
	}
	for name, enc := range map[string]func(context.Context, string, int, io.Writer) error{"leaky": leaky, "huge": huge} {
		in := input(cands, "veo-3.1")
		in.Encode = enc
		if _, _, err := charpack.Build(context.Background(), in); err == nil {
			t.Errorf("%s encoder: the pack was built", name)
		}
	}
	in := input(cands, "veo-3.1")
	in.Encode = fine
	pack, _, err := charpack.Build(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 || pack.Manifest.References[0].Width != 256 {
		t.Errorf("got %d calls and %+v, want 3 calls of 256 px", calls.Load(), pack.Manifest.References[0])
	}
}
