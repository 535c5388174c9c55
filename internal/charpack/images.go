package charpack

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"
	"runtime"
	"sync"

	// Decoders for the formats the dataset engine accepts.
	_ "image/png"

	_ "golang.org/x/image/webp"

	"github.com/disintegration/imaging"

	"github.com/promptforge/lorastudio/internal/compiler"
	"github.com/promptforge/lorastudio/internal/studio"
)

// jpegQuality is fixed: the same photo always gives the same bytes.
const jpegQuality = 90

// maxPixels refuses to decode anything larger: the dataset engine rejects
// such photos already, this guards callers that skip it.
const maxPixels = 100_000_000

type encoded struct {
	data []byte
	w, h int
}

// encodeReferences decodes each chosen photo with its EXIF orientation
// applied, fits it within maxSide and re-encodes it as a JPEG. The original
// bytes, and with them every metadata segment, never reach the pack. Photos
// are processed in parallel; the output order is the input order.
func encodeReferences(ctx context.Context, sel []compiler.Selected, maxSide int, encode func(context.Context, string, int, io.Writer) error) ([]encoded, error) {
	out := make([]encoded, len(sel))
	errs := make([]error, len(sel))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(sel)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := ctx.Err(); err != nil {
					errs[i] = err
					continue
				}
				if encode != nil {
					out[i], errs[i] = encodeWith(ctx, encode, sel[i].Path, maxSide)
				} else {
					out[i], errs[i] = encodeReference(sel[i].Path, maxSide)
				}
			}
		}()
	}
	for i := range sel {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// encodeWith runs the caller's encoder and checks what it produced: a
// JPEG within the limit, with no EXIF left.
func encodeWith(ctx context.Context, encode func(context.Context, string, int, io.Writer) error, path string, maxSide int) (encoded, error) {
	var buf bytes.Buffer
	if err := encode(ctx, path, maxSide, &buf); err != nil {
		return encoded{}, err
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(buf.Bytes()))
	switch {
	case err != nil || format != "jpeg":
		return encoded{}, fmt.Errorf("reference encoder gave no JPEG for %s: %v", path, err)
	case cfg.Width > maxSide || cfg.Height > maxSide:
		return encoded{}, fmt.Errorf("reference encoder gave %dx%d for %s, over %d", cfg.Width, cfg.Height, path, maxSide)
	case bytes.Contains(buf.Bytes(), []byte("Exif\x00")):
		return encoded{}, fmt.Errorf("reference encoder left EXIF in %s", path)
	}
	return encoded{data: buf.Bytes(), w: cfg.Width, h: cfg.Height}, nil
}

func encodeReference(path string, maxSide int) (encoded, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return encoded{}, studio.Wrap(err, "invalid_reference", "cannot read the reference photo "+path)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return encoded{}, studio.Wrap(err, "invalid_reference", "cannot decode the reference photo "+path)
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return encoded{}, studio.Errorf("invalid_reference", "%s is %dx%d pixels, over the %d-pixel limit", path, cfg.Width, cfg.Height, maxPixels)
	}
	img, err := imaging.Decode(bytes.NewReader(raw), imaging.AutoOrientation(true))
	if err != nil {
		return encoded{}, studio.Wrap(err, "invalid_reference", "cannot decode the reference photo "+path)
	}
	if b := img.Bounds(); b.Dx() > maxSide || b.Dy() > maxSide {
		img = imaging.Fit(img, maxSide, maxSide, imaging.CatmullRom)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, opaque(img), &jpeg.Options{Quality: jpegQuality}); err != nil {
		return encoded{}, fmt.Errorf("encode %s: %w", path, err)
	}
	b := img.Bounds()
	return encoded{data: buf.Bytes(), w: b.Dx(), h: b.Dy()}, nil
}

// opaque hands the JPEG encoder an *image.RGBA, which it converts on a
// fast path (an *image.NRGBA goes pixel by pixel through At). Transparent
// pixels are laid over white, as a JPEG cannot keep them.
func opaque(img image.Image) image.Image {
	n, ok := img.(*image.NRGBA)
	if !ok {
		return img
	}
	pix := n.Pix
	for i := 3; i < len(pix); i += 4 {
		if pix[i] != 0xff {
			pix = blendOverWhite(n.Pix)
			break
		}
	}
	// With every alpha at 255, premultiplied and straight colour agree.
	return &image.RGBA{Pix: pix, Stride: n.Stride, Rect: n.Rect}
}

func blendOverWhite(src []byte) []byte {
	dst := make([]byte, len(src))
	for i := 0; i < len(src); i += 4 {
		a := uint32(src[i+3])
		for c := 0; c < 3; c++ {
			dst[i+c] = uint8((uint32(src[i+c])*a + 255*(255-a) + 127) / 255)
		}
		dst[i+3] = 0xff
	}
	return dst
}
