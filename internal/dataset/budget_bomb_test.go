package dataset_test

import (
	"bytes"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/dataset/datasettest"
	"github.com/promptforge/lorastudio/internal/studio"
)

// pngBomb16 is the 16-bit 7999x8000 PNG bomb, made once per test binary.
var pngBomb16 = sync.OnceValue(func() []byte { return datasettest.PNGBomb(7999, 8000, 16) })

// jpegHeader returns a JPEG that stops after its scan header: enough for
// intake, which refuses a file from its header alone. sof is the frame
// marker (0xC0 baseline, 0xC2 progressive), sampling the H<<4|V factor of
// every one of the three components.
func jpegHeader(sof byte, w, h int, sampling byte, orientation int) []byte {
	out := []byte{0xFF, 0xD8}
	if orientation > 1 {
		out = append(out, segment(0xE1, exifAPP1(orientation))...)
	}
	body := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 3}
	for id := byte(1); id <= 3; id++ {
		f := byte(0x11)
		if id == 1 {
			f = sampling
		}
		body = append(body, id, f, 0)
	}
	out = append(out, segment(sof, body)...)
	out = append(out, segment(0xDA, []byte{3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0})...)
	return append(out, 0xFF, 0xD9)
}

// Images under the 64 MP limit whose decoding would take hundreds of MB
// are refused from their header with too_many_pixels, a message that says
// what to do, and next to no memory: the old code decoded the lossless
// WebP (34 bytes) into 550 MB and the 16-bit PNG into more.
func TestDecodeBudgetRefusesBombs(t *testing.T) {
	webp := readTestdata(t, "hostile/webp_lossless_bomb_7999x8000.webp")
	if made := datasettest.LosslessWebPBomb(7999, 8000); !bytes.Equal(made, webp) {
		t.Fatalf("datasettest.LosslessWebPBomb(7999, 8000) = %x, want the committed %x", made, webp)
	}
	tests := []struct {
		name string
		data []byte
		want []string // in the message
	}{
		{"webp_lossless_7999x8000.webp", webp, []string{"lossless WebP", "7999x8000", "save it as a JPEG", "scale it below 17 MP"}},
		{"png16_7999x8000.png", pngBomb16(), []string{"16-bit PNG", "7999x8000", "save it as a JPEG", "scale it below 11 MP"}},
		{"rotated_444_8000x8000.jpg", jpegHeader(0xC0, 8000, 8000, 0x11, 6), []string{"this JPEG", "scale it below 34 MP"}},
		{"progressive_444_rotated_8000x8000.jpg", jpegHeader(0xC2, 8000, 8000, 0x11, 6), []string{"progressive JPEG", "baseline"}},
	}
	var srcs []dataset.Source
	for _, tt := range tests {
		srcs = append(srcs, memSource(tt.name, tt.data))
	}
	dataset.Validate(t.Context(), srcs[:1], dataset.Options{}) // load the cascades first
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	r, err := dataset.Validate(t.Context(), srcs, dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
		t.Errorf("got %d MB allocated for %d bombs, want under 8 MB", got>>20, len(srcs))
	}
	t.Logf("%d bombs refused in %v", len(srcs), elapsed)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := itemByName(r, tt.name)
			if len(it.Issues) != 1 || it.Issues[0].Code != dataset.CodeTooManyPixels {
				t.Fatalf("got issues %+v, want one too_many_pixels", it.Issues)
			}
			for _, w := range tt.want {
				if !strings.Contains(it.Issues[0].Message, w) {
					t.Errorf("got message %q, want it to contain %q", it.Issues[0].Message, w)
				}
			}
			// Strip and Thumbnail (the desktop's import) refuse it the same way.
			if _, err := dataset.Strip(t.Context(), memSource(tt.name, tt.data), &bytes.Buffer{}); studio.ErrorCode(err) != dataset.CodeTooManyPixels {
				t.Errorf("Strip: got %v, want too_many_pixels", err)
			}
			if err := dataset.Thumbnail(t.Context(), memSource(tt.name, tt.data), &bytes.Buffer{}, 0); studio.ErrorCode(err) != dataset.CodeTooManyPixels {
				t.Errorf("Thumbnail: got %v, want too_many_pixels", err)
			}
		})
	}
}
