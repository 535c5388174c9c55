package dataset

import (
	"bytes"
	"context"
	"errors"
	"image/color"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
)

// The per-image limits let ordinary phone photos through and refuse the
// files whose decoding would not fit.
func TestDecodeCostLimits(t *testing.T) {
	const (
		mp24w, mp24h = 6000, 4000
		mp64         = 8000
	)
	jpeg420 := func(w, h int) int64 { return int64(w)*int64(h) + 2*int64(w/2)*int64(h/2)*2 } // Y + Cb + Cr, 2 bytes a coefficient
	tests := []struct {
		name string
		hd   header
		ok   bool
	}{
		{"24 MP RGB PNG", header{format: formatPNG, width: mp24w, height: mp24h, pngDepth: 8, pngColor: 2}, true},
		{"24 MP grey PNG", header{format: formatPNG, width: mp24w, height: mp24h, pngDepth: 8, pngColor: 0}, true},
		{"24 MP RGB PNG with tRNS", header{format: formatPNG, width: mp24w, height: mp24h, pngDepth: 8, pngColor: 2, pngTRNS: true}, false},
		{"24 MP RGBA PNG", header{format: formatPNG, width: mp24w, height: mp24h, pngDepth: 8, pngColor: 6}, false},
		{"12 MP RGBA PNG", header{format: formatPNG, width: 4000, height: 3000, pngDepth: 8, pngColor: 6}, true},
		{"24 MP 16-bit PNG", header{format: formatPNG, width: mp24w, height: mp24h, pngDepth: 16, pngColor: 2}, false},
		{"12 MP interlaced RGB PNG", header{format: formatPNG, width: 4000, height: 3000, pngDepth: 8, pngColor: 2, pngLaced: true}, true},
		{"24 MP lossy WebP", header{format: formatWebP, width: mp24w, height: mp24h, webpModel: color.YCbCrModel}, true},
		{"16 MP lossless WebP", header{format: formatWebP, width: 4000, height: 4000, webpModel: color.NRGBAModel}, true},
		{"24 MP lossless WebP", header{format: formatWebP, width: mp24w, height: mp24h, webpModel: color.NRGBAModel}, false},
		{"64 MP baseline JPEG", header{format: formatJPEG, width: mp64, height: mp64, orientation: 1, coefBytes: jpeg420(mp64, mp64)}, true},
		{"64 MP progressive JPEG", header{format: formatJPEG, width: mp64, height: mp64, orientation: 1, progressive: true, coefBytes: jpeg420(mp64, mp64)}, true},
		{"64 MP rotated JPEG", header{format: formatJPEG, width: mp64, height: mp64, orientation: 6, coefBytes: jpeg420(mp64, mp64)}, true},
		{"64 MP rotated 4:4:4 JPEG", header{format: formatJPEG, width: mp64, height: mp64, orientation: 6, coefBytes: 3 * mp64 * mp64 * 2}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.hd.format == formatJPEG && strings.Contains(decoderName, "pure Go") {
				t.Skip("image/jpeg decodes at full size: these JPEG costs are libjpeg-turbo's")
			}
			ferr := checkDecodeCost(tt.hd)
			if got := ferr == nil; got != tt.ok {
				t.Errorf("got accepted=%v (cost %d MB, %v), want %v", got, decodeCost(tt.hd)>>20, ferr, tt.ok)
			}
		})
	}
}

// A validation waits while another holds the budget, gives up when its
// context ends, and runs once the budget is free.
func TestValidateQueuesOnBudget(t *testing.T) {
	data, err := os.ReadFile("testdata/photos/grace_hopper_512x512.jpg")
	if err != nil {
		t.Fatal(err)
	}
	src := Source{Name: "grace.jpg", Size: int64(len(data)), Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
	b := NewDecodeBudget(1 << 20)
	start := time.Now()
	if r, err := Validate(t.Context(), []Source{src}, Options{Budget: b}); err != nil || r.ImageCount != 1 {
		t.Fatalf("with the budget free: got %v, %v, want one image", r, err)
	}
	took := time.Since(start)

	release, err := b.acquire(t.Context(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := Validate(ctx, []Source{src}, Options{Budget: b})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("got %v while another held the whole budget, want it to wait", err)
	case <-time.After(max(5*took, 500*time.Millisecond)):
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || studio.ErrorCode(err) != "canceled" {
			t.Errorf("queued, then cancelled: got %v, want canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled validation still waits for the budget")
	}
	release()
	if r, err := Validate(t.Context(), []Source{src}, Options{Budget: b}); err != nil || r.ImageCount != 1 {
		t.Fatalf("with the budget free again: got %v, %v, want one image", r, err)
	}
}
