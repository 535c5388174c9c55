package dataset

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"

	"github.com/disintegration/imaging"
	"golang.org/x/image/webp"
)

// workShort is the short side the checks work at: enough for a face of 10%
// of the frame to be ~50 px, and what makes a 12 MP JPEG decode at 1/4 scale.
const workShort = 480

// decodeOther decodes PNG and WebP at full size (the pixel budget bounds it).
func decodeOther(data []byte, format string) (image.Image, error) {
	if format == formatWebP {
		return webp.Decode(bytes.NewReader(data))
	}
	return png.Decode(bytes.NewReader(data))
}

// grayInto returns a w x h grey image over *pix, growing it when too small.
// The pixels are not cleared.
func grayInto(pix *[]byte, w, h int) *image.Gray {
	if cap(*pix) < w*h {
		*pix = make([]byte, w*h)
	}
	return &image.Gray{Pix: (*pix)[:w*h], Stride: w, Rect: image.Rect(0, 0, w, h)}
}

// toGray returns the luma of img, without copying when it is already there.
func toGray(img image.Image) *image.Gray {
	switch m := img.(type) {
	case *image.Gray:
		return m
	case *image.YCbCr:
		b := m.Bounds()
		g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
		for y := 0; y < b.Dy(); y++ {
			copy(g.Pix[y*g.Stride:y*g.Stride+b.Dx()], m.Y[(y+b.Min.Y-m.Rect.Min.Y)*m.YStride+(b.Min.X-m.Rect.Min.X):])
		}
		return g
	}
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(g, g.Bounds(), img, b.Min, draw.Src)
	return g
}

// resizeGray resamples g to w x h by area averaging (for shrinking) or
// nearest neighbour (for the rare enlargement).
func resizeGray(g *image.Gray, w, h int) *image.Gray {
	sw, sh := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(image.Rect(0, 0, w, h))
	if w <= 0 || h <= 0 || sw <= 0 || sh <= 0 {
		return out
	}
	// Column spans are the same on every row: compute them once.
	xs := make([]int, 2*w)
	for x := 0; x < w; x++ {
		x0, x1 := x*sw/w, (x+1)*sw/w
		if x1 <= x0 {
			x1 = x0 + 1
		}
		xs[2*x], xs[2*x+1] = x0, x1
	}
	row := make([]uint32, w)
	cnt := uint32(0)
	for y := 0; y < h; y++ {
		y0, y1 := y*sh/h, (y+1)*sh/h
		if y1 <= y0 {
			y1 = y0 + 1
		}
		clear(row)
		for sy := y0; sy < y1; sy++ {
			src := g.Pix[sy*g.Stride : sy*g.Stride+sw]
			for x := range row {
				var s uint32
				for _, v := range src[xs[2*x]:xs[2*x+1]] {
					s += uint32(v)
				}
				row[x] += s
			}
		}
		cnt = uint32(y1 - y0)
		dst := out.Pix[y*out.Stride:]
		for x := 0; x < w; x++ {
			n := cnt * uint32(xs[2*x+1]-xs[2*x])
			dst[x] = uint8((row[x] + n/2) / n)
		}
	}
	return out
}

// applyOrientation applies an EXIF orientation to any image.
func applyOrientation(img image.Image, o int) image.Image {
	switch o {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img)
	case 7:
		return imaging.Transverse(img)
	case 8:
		return imaging.Rotate90(img)
	}
	return img
}

// encodeJPEG writes img as a baseline JPEG at quality 95 with no metadata,
// flattening any transparency onto white.
func encodeJPEG(img image.Image) ([]byte, error) {
	if hasAlpha(img) {
		b := img.Bounds()
		flat := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(flat, flat.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
		draw.Draw(flat, flat.Bounds(), img, b.Min, draw.Over)
		img = flat
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func hasAlpha(img image.Image) bool {
	switch m := img.(type) {
	case *image.Gray, *image.YCbCr, *image.Gray16, *image.CMYK:
		return false
	case *image.NRGBA:
		return !m.Opaque()
	case *image.RGBA:
		return !m.Opaque()
	case *image.NRGBA64:
		return !m.Opaque()
	case *image.RGBA64:
		return !m.Opaque()
	case *image.Paletted:
		return !m.Opaque()
	}
	return true
}
