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
func encodeReferences(ctx context.Context, sel []compiler.Selected, maxSide int, aspect string, encode func(context.Context, string, int, io.Writer) error) ([]encoded, error) {
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
				crop := headAndShoulders(sel[i].Candidate, aspect)
				if encode != nil {
					out[i], errs[i] = encodeWith(ctx, encode, sel[i].Path, maxSide, crop, sel[i].Width, sel[i].Height)
				} else {
					out[i], errs[i] = encodeReference(sel[i].Path, maxSide, crop)
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

// headAndShoulders is the frame of a reference: the head and shoulders at
// the platform's aspect ratio (three face heights tall, the face's top a
// fifth of the way down), shrunk to fit the photo, in its oriented pixels.
// It is empty, meaning the whole photo, without a face box or an aspect
// ratio, or when the photo is too tight around the face to crop.
func headAndShoulders(c compiler.Candidate, aspect string) image.Rectangle {
	aw, ah := parseAspect(aspect)
	f := c.FaceBox
	if f == nil || aw == 0 || c.Width <= 0 || c.Height <= 0 || f.W <= 0 || f.H <= 0 {
		return image.Rectangle{}
	}
	h := 3 * float64(f.H)
	w := h * float64(aw) / float64(ah)
	if k := min(float64(c.Width)/w, float64(c.Height)/h, 1); k < 1 {
		w, h = w*k, h*k
	}
	if h < 1.2*float64(f.H) || w < float64(f.W) {
		return image.Rectangle{} // a crop this tight would cut the face
	}
	x0 := clampF(float64(f.X)+float64(f.W)/2-w/2, 0, float64(c.Width)-w)
	y0 := clampF(float64(f.Y)-h/5, 0, float64(c.Height)-h)
	r := image.Rect(int(x0+0.5), int(y0+0.5), int(x0+w+0.5), int(y0+h+0.5))
	return r.Intersect(image.Rect(0, 0, c.Width, c.Height))
}

func parseAspect(s string) (int, int) {
	var w, h int
	if _, err := fmt.Sscanf(s, "%d:%d", &w, &h); err != nil || w <= 0 || h <= 0 {
		return 0, 0
	}
	return w, h
}

func clampF(v, lo, hi float64) float64 {
	return max(lo, min(v, hi))
}

// cropFit crops img (whose full, oriented size is fullW x fullH; img may be
// a scaled copy) to crop and fits it within maxSide.
func cropFit(img image.Image, crop image.Rectangle, fullW, fullH, maxSide int) image.Image {
	if !crop.Empty() {
		b := img.Bounds()
		kx, ky := float64(b.Dx())/float64(fullW), float64(b.Dy())/float64(fullH)
		r := image.Rect(b.Min.X+int(float64(crop.Min.X)*kx+0.5), b.Min.Y+int(float64(crop.Min.Y)*ky+0.5),
			b.Min.X+int(float64(crop.Max.X)*kx+0.5), b.Min.Y+int(float64(crop.Max.Y)*ky+0.5))
		img = imaging.Crop(img, r)
	}
	if b := img.Bounds(); b.Dx() > maxSide || b.Dy() > maxSide {
		img = imaging.Fit(img, maxSide, maxSide, imaging.CatmullRom)
	}
	return img
}

// encodeWith runs the caller's encoder and checks what it produced: a
// JPEG within the limit, with no EXIF left. With a crop, it asks for a
// larger image so the cropped frame still reaches maxSide, then crops,
// fits and re-encodes it.
func encodeWith(ctx context.Context, encode func(context.Context, string, int, io.Writer) error, path string, maxSide int, crop image.Rectangle, fullW, fullH int) (encoded, error) {
	side := maxSide
	if !crop.Empty() {
		long := max(fullW, fullH)
		side = min(long, maxSide*long/max(crop.Dx(), crop.Dy(), 1)+1)
	}
	var buf bytes.Buffer
	if err := encode(ctx, path, side, &buf); err != nil {
		return encoded{}, err
	}
	e, err := checkEncoded(buf.Bytes(), path, side)
	if err != nil || crop.Empty() {
		return e, err
	}
	img, err := jpeg.Decode(bytes.NewReader(e.data))
	if err != nil {
		return encoded{}, fmt.Errorf("reference encoder gave an unreadable JPEG for %s: %v", path, err)
	}
	return jpegOf(cropFit(img, crop, fullW, fullH, maxSide), path)
}

// jpegOf encodes a reference at the fixed quality, with no metadata.
func jpegOf(img image.Image, path string) (encoded, error) {
	var out bytes.Buffer
	if err := jpeg.Encode(&out, opaque(img), &jpeg.Options{Quality: jpegQuality}); err != nil {
		return encoded{}, fmt.Errorf("encode %s: %w", path, err)
	}
	b := img.Bounds()
	return encoded{data: out.Bytes(), w: b.Dx(), h: b.Dy()}, nil
}

func checkEncoded(data []byte, path string, maxSide int) (encoded, error) {
	buf := bytes.NewBuffer(data)
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

func encodeReference(path string, maxSide int, crop image.Rectangle) (encoded, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return encoded{}, studio.Wrap(err, studio.EInvalidReference, "cannot read the reference photo "+path)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return encoded{}, studio.Wrap(err, studio.EInvalidReference, "cannot decode the reference photo "+path)
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return encoded{}, studio.Errorf(studio.EInvalidReference, "%s is %dx%d pixels, over the %d-pixel limit", path, cfg.Width, cfg.Height, maxPixels)
	}
	img, err := imaging.Decode(bytes.NewReader(raw), imaging.AutoOrientation(true))
	if err != nil {
		return encoded{}, studio.Wrap(err, studio.EInvalidReference, "cannot decode the reference photo "+path)
	}
	b := img.Bounds()
	return jpegOf(cropFit(img, crop, b.Dx(), b.Dy(), maxSide), path)
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
