package main

import (
	"bytes"
	"image"
	_ "image/png"
	"testing"

	_ "golang.org/x/image/webp"

	"github.com/promptforge/lorastudio/internal/dataset/datasettest"
)

// The bombs must be what they claim: tiny files whose headers say tens of
// megapixels. The PNG is made 800 rows high here (a tenth of the bench's,
// a tenth of the time); its size grows with its rows.
func TestBombsClaimTheirSize(t *testing.T) {
	for _, tc := range []struct {
		name    string
		b       []byte
		h       int
		maxSize int
	}{
		{"png", withText(pngBomb(7999, 800), "x"), 800, 60 << 10},
		{"webp", datasettest.LosslessWebPBomb(7999, 8000), 8000, 40},
	} {
		cfg, format, err := image.DecodeConfig(bytes.NewReader(tc.b))
		if err != nil || format != tc.name || cfg.Width != 7999 || cfg.Height != tc.h {
			t.Errorf("%s: %s %dx%d, %v; want %s 7999x%d", tc.name, format, cfg.Width, cfg.Height, err, tc.name, tc.h)
		}
		if len(tc.b) > tc.maxSize {
			t.Errorf("%s: %d bytes, want at most %d", tc.name, len(tc.b), tc.maxSize)
		}
		t.Logf("%s: %d bytes", tc.name, len(tc.b))
	}
}

// A copy made by withText is still a valid PNG (chunk order, CRCs), so the
// server decodes it as the old code did rather than refusing it as corrupt.
func TestWithTextKeepsPNGValid(t *testing.T) {
	img, format, err := image.Decode(bytes.NewReader(withText(pngBomb(100, 100), "u0-1")))
	if err != nil || format != "png" || img.Bounds().Dx() != 100 || img.Bounds().Dy() != 100 {
		t.Fatalf("decode: %v %s", err, format)
	}
}
