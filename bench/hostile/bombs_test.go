package main

import (
	"bytes"
	"image"
	_ "image/png"
	"testing"

	_ "golang.org/x/image/webp"

	"github.com/promptforge/lorastudio/internal/dataset/datasettest"
)

// The bombs must be what they claim: tiny files whose headers say ~64 MP.
func TestBombsClaimTheirSize(t *testing.T) {
	for _, tc := range []struct {
		name    string
		b       []byte
		maxSize int
	}{
		{"png", withText(pngBomb(7999, 8000), "x"), 600 << 10},
		{"webp", datasettest.LosslessWebPBomb(7999, 8000), 40},
	} {
		cfg, format, err := image.DecodeConfig(bytes.NewReader(tc.b))
		if err != nil || format != tc.name || cfg.Width != 7999 || cfg.Height != 8000 {
			t.Errorf("%s: %s %dx%d, %v; want %s 7999x8000", tc.name, format, cfg.Width, cfg.Height, err, tc.name)
		}
		if len(tc.b) > tc.maxSize {
			t.Errorf("%s: %d bytes, want at most %d", tc.name, len(tc.b), tc.maxSize)
		}
		t.Logf("%s: %d bytes", tc.name, len(tc.b))
	}
}
