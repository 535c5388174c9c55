package dataset_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/studio"
)

func TestIntakeRefusesHostileFiles(t *testing.T) {
	grace := readTestdata(t, "photos/grace_hopper_512x512.jpg")
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	random[0] = 0x42 // not a JPEG marker by accident
	var pngBuf bytes.Buffer
	png.Encode(&pngBuf, image.NewGray(image.Rect(0, 0, 600, 600)))
	heic := append([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), make([]byte, 64)...)
	sof := func(w, h uint16) []byte { // a JPEG that ends right after its frame header
		return append([]byte{0xFF, 0xD8}, segment(0xC0, []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 1, 1, 0x11, 0})...)
	}
	tests := []struct {
		name     string
		data     []byte
		wantCode string // "" means intake accepts it
		wantText string
	}{
		{"jpeg_bomb_65173x65408.jpg", readTestdata(t, "hostile/jpeg_bomb_65173x65408.jpg"), dataset.CodeTooManyPixels, "65173x65408"},
		{"png_bomb_30000x30000.png", readTestdata(t, "hostile/png_bomb_30000x30000.png"), dataset.CodeTooManyPixels, "30000x30000"},
		{"script_named.jpg.php", readTestdata(t, "hostile/script_named.jpg.php"), dataset.CodeUnsupportedFormat, "JPEG, PNG or WebP"},
		{"empty.jpg", []byte{}, dataset.CodeCorrupt, "empty"},
		{"truncated.jpg", grace[:9000], dataset.CodeCorrupt, "export the photo again"},
		{"header_only.jpg", sof(640, 480), dataset.CodeCorrupt, ""},
		{"zero_size.jpg", append(sof(0, 480), 0xFF, 0xD9), dataset.CodeCorrupt, ""},
		{"random_bytes.jpg", random, dataset.CodeUnsupportedFormat, ""},
		{"photo.heic", heic, dataset.CodeUnsupportedFormat, "Most Compatible"},
		{"gif.jpg", []byte("GIF89a\x01\x00\x01\x00"), dataset.CodeUnsupportedFormat, "GIF"},
		{"png_bytes_named.jpg", pngBuf.Bytes(), "", ""},
		{"grace.jpg", grace, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := dataset.Validate(t.Context(), []dataset.Source{memSource(tt.name, tt.data)}, dataset.Options{})
			if err != nil {
				t.Fatal(err)
			}
			it := r.Items[0]
			intake := map[string]bool{dataset.CodeTooManyPixels: true, dataset.CodeUnsupportedFormat: true, dataset.CodeCorrupt: true}
			var got *dataset.Issue
			for i := range it.Issues {
				if intake[it.Issues[i].Code] {
					got = &it.Issues[i]
				}
			}
			switch {
			case tt.wantCode == "" && got != nil:
				t.Fatalf("got %s (%s), want the file accepted", got.Code, got.Message)
			case tt.wantCode == "":
				if r.ImageCount != 1 {
					t.Errorf("got image_count %d, want 1", r.ImageCount)
				}
				return
			case got == nil:
				t.Fatalf("got issues %+v, want %s", it.Issues, tt.wantCode)
			}
			if got.Code != tt.wantCode || got.Severity != "error" || !strings.Contains(got.Message, tt.wantText) {
				t.Errorf("got %s/%s %q, want %s/error containing %q", got.Code, got.Severity, got.Message, tt.wantCode, tt.wantText)
			}
			if r.OK || r.ImageCount != 0 || findFinding(r, tt.wantCode) == nil {
				t.Errorf("got ok=%v image_count=%d findings %v, want a failing report with %s", r.OK, r.ImageCount, codesOf(r.Errors), tt.wantCode)
			}
			// Strip refuses the same file with the same code.
			if _, err := dataset.Strip(t.Context(), memSource(tt.name, tt.data), &bytes.Buffer{}); studio.ErrorCode(err) != tt.wantCode {
				t.Errorf("Strip: got code %q (%v), want %q", studio.ErrorCode(err), err, tt.wantCode)
			}
		})
	}
}

// The 270-byte JPEG claiming 65173x65408 pixels must be refused from its
// header, without allocating its 4 GB of pixels.
func TestPixelBombCostsNoMemory(t *testing.T) {
	bomb := readTestdata(t, "hostile/jpeg_bomb_65173x65408.jpg")
	pbomb := readTestdata(t, "hostile/png_bomb_30000x30000.png")
	srcs := []dataset.Source{memSource("a.jpg", bomb), memSource("b.png", pbomb)}
	dataset.Validate(t.Context(), srcs, dataset.Options{Workers: 1}) // load the cascades first
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := dataset.Validate(t.Context(), srcs, dataset.Options{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("got %d bytes allocated for two pixel bombs, want under 1 MiB", got)
	}
}

func TestStripRemovesAllMetadata(t *testing.T) {
	grace := readTestdata(t, "photos/grace_hopper_512x512.jpg")
	tagged := withMetadata(grace, 1)
	for _, secret := range []string{"GPS", "Exif", "xmpmeta", "ICC_PROFILE"} {
		if !bytes.Contains(tagged, []byte(secret)) {
			t.Fatalf("test input lacks %q", secret)
		}
	}
	var out bytes.Buffer
	sha, err := dataset.Strip(t.Context(), memSource("tagged.jpg", tagged), &out)
	if err != nil {
		t.Fatal(err)
	}
	stripped := out.Bytes()
	for _, secret := range []string{"GPS", "Exif", "xmpmeta", "ICC_PROFILE", "shot at home", "trailing"} {
		if bytes.Contains(stripped, []byte(secret)) {
			t.Errorf("stripped copy still contains %q", secret)
		}
	}
	for _, m := range markers(t, stripped) {
		if (m >= 0xE0 && m <= 0xEF) || m == 0xFE {
			t.Errorf("stripped copy keeps marker 0x%02X", m)
		}
	}
	if !bytes.HasSuffix(stripped, []byte{0xFF, 0xD9}) {
		t.Error("stripped copy does not end at EOI")
	}
	if s := sha256.Sum256(stripped); hex.EncodeToString(s[:]) != sha {
		t.Errorf("got sha %s, want the sha of the written bytes", sha)
	}
	// Lossless: the pixels are the original's.
	a, b := decodeJPEG(t, grace), decodeJPEG(t, stripped)
	if a.Bounds() != b.Bounds() || a.At(100, 100) != b.At(100, 100) || a.At(400, 300) != b.At(400, 300) {
		t.Error("stripping changed the pixels")
	}
	// Idempotent: what the backend re-strips is what the desktop uploaded.
	var again bytes.Buffer
	sha2, err := dataset.Strip(t.Context(), memSource("s.jpg", stripped), &again)
	if err != nil || sha2 != sha || !bytes.Equal(again.Bytes(), stripped) {
		t.Errorf("stripping twice: got sha %s (%v), want %s", sha2, err, sha)
	}
	// The original is untouched.
	if !bytes.Contains(tagged, []byte("GPS")) {
		t.Error("Strip modified its input")
	}
}

// Each EXIF orientation is applied: a bright block in the stored top-left
// corner must end where the orientation says.
func TestOrientationIsApplied(t *testing.T) {
	const w, h = 320, 240
	src := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8(40)
			if x < 64 && y < 64 {
				v = 230
			}
			src.SetGray(x, y, color.Gray{v})
		}
	}
	base := encodeJPEG(t, src, 95)
	// Where the stored top-left block lands, per orientation (quadrant of the
	// displayed image: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right).
	wantCorner := map[int]int{1: 0, 2: 1, 3: 3, 4: 2, 5: 0, 6: 1, 7: 3, 8: 2}
	for o := 1; o <= 8; o++ {
		t.Run(string(rune('0'+o)), func(t *testing.T) {
			data := withMetadata(base, o)
			var out bytes.Buffer
			if _, err := dataset.Strip(t.Context(), memSource("o.jpg", data), &out); err != nil {
				t.Fatal(err)
			}
			img := decodeJPEG(t, out.Bytes())
			ow, oh := w, h
			if o >= 5 {
				ow, oh = h, w
			}
			if img.Bounds().Dx() != ow || img.Bounds().Dy() != oh {
				t.Fatalf("got %v, want %dx%d", img.Bounds().Size(), ow, oh)
			}
			corners := [4]image.Point{{20, 20}, {ow - 20, 20}, {20, oh - 20}, {ow - 20, oh - 20}}
			for c, p := range corners {
				r, _, _, _ := img.At(p.X, p.Y).RGBA()
				bright := r>>8 > 150
				if bright != (c == wantCorner[o]) {
					t.Errorf("corner %d bright=%v, want the block in corner %d", c, bright, wantCorner[o])
				}
			}
			r, err := dataset.Validate(t.Context(), []dataset.Source{memSource("o.jpg", data)}, dataset.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if it := r.Items[0]; it.Width != ow || it.Height != oh || it.Orientation != o {
				t.Errorf("report: got %dx%d orientation %d, want %dx%d orientation %d", it.Width, it.Height, it.Orientation, ow, oh, o)
			}
		})
	}
}

func TestOrientationFixture(t *testing.T) {
	data := readTestdata(t, "photos/bimg_exif_Landscape_6.jpg")
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	r, err := dataset.Validate(t.Context(), []dataset.Source{memSource("l6.jpg", data)}, dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	it := r.Items[0]
	if it.Orientation != 6 || it.Width != cfg.Height || it.Height != cfg.Width {
		t.Errorf("got %dx%d orientation %d, want %dx%d orientation 6", it.Width, it.Height, it.Orientation, cfg.Height, cfg.Width)
	}
	var thumb bytes.Buffer
	if err := dataset.Thumbnail(t.Context(), memSource("l6.jpg", data), &thumb, 200); err != nil {
		t.Fatal(err)
	}
	tb := decodeJPEG(t, thumb.Bytes()).Bounds()
	if max(tb.Dx(), tb.Dy()) != 200 || (tb.Dx() > tb.Dy()) != (it.Width > it.Height) {
		t.Errorf("thumbnail %v: want long side 200, oriented like %dx%d", tb.Size(), it.Width, it.Height)
	}
}

func TestThumbnailOfPNG(t *testing.T) {
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 600, 300)))
	var out bytes.Buffer
	if err := dataset.Thumbnail(context.Background(), memSource("p.png", buf.Bytes()), &out, 0); err != nil {
		t.Fatal(err)
	}
	if b := decodeJPEG(t, out.Bytes()).Bounds(); b.Dx() != 256 || b.Dy() != 128 {
		t.Errorf("got %v, want 256x128", b.Size())
	}
}

// TestThumbnailFlattensOnWhite: a JPEG cannot keep alpha, and transparent
// pixels must not turn black.
func TestThumbnailFlattensOnWhite(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 400, 200)) // transparent black
	for y := 0; y < 200; y++ {
		for x := 200; x < 400; x++ {
			img.SetNRGBA(x, y, color.NRGBA{R: 255, A: 128}) // half-transparent red
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := dataset.Thumbnail(context.Background(), memSource("cutout.png", buf.Bytes()), &out, 100); err != nil {
		t.Fatal(err)
	}
	got := decodeJPEG(t, out.Bytes())
	if b := got.Bounds(); b.Dx() != 100 || b.Dy() != 50 {
		t.Fatalf("got %v, want 100x50", b.Size())
	}
	for _, tt := range []struct {
		x, y    int
		r, g, b uint32 // expected, +-8
	}{
		{25, 25, 255, 255, 255}, // transparent: white
		{75, 25, 255, 127, 127}, // red at half alpha over white: pink
	} {
		r, g, b, _ := got.At(tt.x, tt.y).RGBA()
		if d := max(diff(r>>8, tt.r), diff(g>>8, tt.g), diff(b>>8, tt.b)); d > 8 {
			t.Errorf("pixel (%d,%d): got %d %d %d, want %d %d %d", tt.x, tt.y, r>>8, g>>8, b>>8, tt.r, tt.g, tt.b)
		}
	}
}

func diff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}
