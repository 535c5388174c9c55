package dataset

import (
	"context"
	"fmt"
	"image/color"

	"golang.org/x/sync/semaphore"
)

// The decode budget, in bytes. An image's decode cost is the memory its
// decoding takes at its peak, estimated from its header before any pixel is
// decoded (see decodeCost). The per-image limits are constants, never
// configuration: the desktop and the server must refuse the same files.
const (
	// maxDecodeBytes is the most a PNG or WebP may cost: they cannot be
	// decoded at a reduced scale, so a 38-byte lossless WebP of 64 MP would
	// otherwise take 550 MB. 128 MiB lets a 24 MP 8-bit RGB phone PNG
	// through (5 bytes a pixel: 120 MB).
	maxDecodeBytes = 128 << 20
	// maxJPEGDecodeBytes is the most a JPEG may cost. A baseline JPEG
	// decodes at 1/8 scale in a few MB whatever its size; a progressive one
	// holds all its coefficients (3 bytes a pixel in 4:2:0), and one with an
	// EXIF rotation twice that while it is turned losslessly. 384 MiB takes
	// any 64 MP 4:2:0 phone photo, rotated or progressive.
	maxJPEGDecodeBytes = 384 << 20
	// DefaultDecodeMemory is the default of what the decodes sharing one
	// DecodeBudget may cost at once.
	DefaultDecodeMemory = 512 << 20
)

// decodeCost estimates, from the header alone, the bytes that analysing,
// stripping or thumbnailing the image takes at its peak.
func decodeCost(hd header) int64 {
	px := int64(hd.width) * int64(hd.height)
	switch hd.format {
	case formatJPEG:
		return jpegDecodeCost(hd)
	case formatPNG:
		return px * int64(pngBytesPerPixel(hd))
	}
	return px * int64(webpHalfBytesPerPixel(hd)) / 2
}

// pngBytesPerPixel is what image/png decodes a pixel into, plus what comes
// after: a grey copy for the checks (1 byte), or, for a decoded form other
// than opaque RGBA, the RGBA copy that JPEG encoding and thumbnails flatten
// it into (4 bytes). An interlaced PNG is decoded pass by pass, then merged.
func pngBytesPerPixel(hd header) int {
	decoded := 4 // RGB and RGBA at 8 bits: RGBA or NRGBA
	switch {
	case hd.pngColor == 0 && hd.pngDepth == 16:
		decoded = 2 // Gray16
	case hd.pngColor == 0 || hd.pngColor == 3:
		decoded = 1 // Gray, Paletted
	case hd.pngDepth == 16:
		decoded = 8 // RGBA64, NRGBA64
	}
	if hd.pngLaced {
		decoded *= 2
	}
	after := 4
	if hd.pngColor == 2 && hd.pngDepth == 8 && !hd.pngTRNS {
		after = 1 // opaque *image.RGBA: flattened and encoded in place
	}
	return decoded + after
}

// webpHalfBytesPerPixel is the cost of a WebP pixel in half bytes: lossy
// WebP decodes to 4:2:0 YCbCr (1.5 bytes, 2.5 with alpha) and is then
// flattened to RGBA (4); lossless WebP decodes to NRGBA (4), which a colour
// indexing transform expands from a second buffer (4 more).
func webpHalfBytesPerPixel(hd header) int {
	switch hd.webpModel {
	case color.YCbCrModel:
		return 3 + 8
	case color.NYCbCrAModel:
		return 5 + 8
	}
	return 16
}

// checkDecodeCost refuses an image whose decode cost is over its format's
// limit, saying what to do about it.
func checkDecodeCost(hd header) *fileError {
	cost, limit := decodeCost(hd), int64(maxDecodeBytes)
	if hd.format == formatJPEG {
		limit = maxJPEGDecodeBytes
	}
	if cost <= limit {
		return nil
	}
	px := int64(hd.width) * int64(hd.height)
	fitMP := float64(limit) / (float64(cost) / float64(px)) / 1e6 // the size at which it would fit
	what, fix := "this "+hd.format, "save it as a JPEG, or scale it below %.0f MP"
	switch {
	case hd.format == formatJPEG:
		what, fix = "this JPEG", "scale it below %.0f MP"
		if hd.progressive {
			what, fix = "this progressive JPEG", "save it as a baseline (non-progressive) JPEG, or scale it below %.0f MP"
		}
	case hd.format == formatPNG && hd.pngDepth == 16:
		what = "this 16-bit PNG"
	case hd.format == formatWebP && hd.webpModel == color.NRGBAModel:
		what = "this lossless WebP"
	}
	return &fileError{code: CodeTooManyPixels, msg: fmt.Sprintf(
		"decoding %s of %dx%d pixels would take about %d MB of memory, over the %d MB limit: "+fix,
		what, hd.width, hd.height, cost>>20, limit>>20, max(1, fitMP))}
}

// DecodeBudget bounds the memory that decoding takes across every
// validation that shares it: each image holds its decode cost from the
// budget while it is decoded, so a burst of large images queues instead of
// growing the process. It is safe for concurrent use.
type DecodeBudget struct {
	sem   *semaphore.Weighted
	total int64
}

// NewDecodeBudget returns a budget of total bytes (DefaultDecodeMemory when
// total <= 0).
func NewDecodeBudget(total int64) *DecodeBudget {
	if total <= 0 {
		total = DefaultDecodeMemory
	}
	return &DecodeBudget{sem: semaphore.NewWeighted(total), total: total}
}

// acquire waits until cost bytes are free (all of the budget when cost is
// larger, so the image runs alone rather than never), or until ctx ends.
func (b *DecodeBudget) acquire(ctx context.Context, cost int64) (release func(), err error) {
	n := min(max(cost, 1), b.total)
	if err := b.sem.Acquire(ctx, n); err != nil {
		return nil, err
	}
	return func() { b.sem.Release(n) }, nil
}
