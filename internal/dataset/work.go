package dataset

import (
	"image"
	"image/color"

	"github.com/promptforge/lorastudio/internal/face"
)

// workImage is a photo as the checks see it: oriented, at a short side of
// about workShort, in colour for the face models and in luma for the rest.
type workImage struct {
	gray *image.Gray
	rgb  *face.RGB
}

// workFrom makes the working copies of a decoded image.
func workFrom(img image.Image, orientation, minShort int, gray *[]byte) workImage {
	c := orientRGB(shrinkRGB(img, minShort), orientation)
	return workImage{gray: luma(c, gray), rgb: c}
}

// rgbInto returns a w x h RGB image over *pix, growing it when too small.
// The pixels are not cleared.
func rgbInto(pix *[]byte, w, h int) *face.RGB {
	if cap(*pix) < 3*w*h {
		*pix = make([]byte, 3*w*h)
	}
	return &face.RGB{W: w, H: h, Pix: (*pix)[:3*w*h]}
}

// luma is the grey image of c, with JPEG's (BT.601) weights, so that it
// matches the Y a JPEG decoder would give, over *pix (grown when too small).
func luma(c *face.RGB, pix *[]byte) *image.Gray {
	g := grayInto(pix, c.W, c.H)
	for i := range g.Pix {
		p := c.Pix[3*i : 3*i+3 : 3*i+3]
		g.Pix[i] = uint8((19595*uint32(p[0]) + 38470*uint32(p[1]) + 7471*uint32(p[2]) + 1<<15) >> 16)
	}
	return g
}

// shrinkRGB box-filters any decoded image by the largest integer factor
// that keeps its short side >= minShort, reading common pixel types
// directly.
func shrinkRGB(img image.Image, minShort int) *face.RGB {
	b := img.Bounds()
	f := max(1, min(b.Dx(), b.Dy())/max(minShort, 1))
	w, h := b.Dx()/f, b.Dy()/f
	out := &face.RGB{W: w, H: h, Pix: make([]byte, 3*w*h)}
	px := pixelReader(img)
	n := uint32(f * f)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var r, g, bl uint32
			for sy := 0; sy < f; sy++ {
				for sx := 0; sx < f; sx++ {
					pr, pg, pb := px(b.Min.X+x*f+sx, b.Min.Y+y*f+sy)
					r, g, bl = r+uint32(pr), g+uint32(pg), bl+uint32(pb)
				}
			}
			o := 3 * (y*w + x)
			out.Pix[o], out.Pix[o+1], out.Pix[o+2] = uint8((r+n/2)/n), uint8((g+n/2)/n), uint8((bl+n/2)/n)
		}
	}
	return out
}

// pixelReader returns a fast RGB accessor for img; transparency is
// flattened onto white, as the stored copy is (see encodeJPEG).
func pixelReader(img image.Image) func(x, y int) (uint8, uint8, uint8) {
	switch m := img.(type) {
	case *image.YCbCr:
		return func(x, y int) (uint8, uint8, uint8) {
			return color.YCbCrToRGB(m.Y[m.YOffset(x, y)], m.Cb[m.COffset(x, y)], m.Cr[m.COffset(x, y)])
		}
	case *image.Gray:
		return func(x, y int) (uint8, uint8, uint8) {
			v := m.Pix[m.PixOffset(x, y)]
			return v, v, v
		}
	case *image.NRGBA:
		return func(x, y int) (uint8, uint8, uint8) {
			p := m.Pix[m.PixOffset(x, y):]
			a := uint32(p[3])
			f := func(v uint8) uint8 { return uint8((uint32(v)*a + 255*(255-a) + 127) / 255) }
			return f(p[0]), f(p[1]), f(p[2])
		}
	case *image.RGBA:
		return func(x, y int) (uint8, uint8, uint8) {
			p := m.Pix[m.PixOffset(x, y):]
			w := 255 - p[3] // premultiplied: add white for what is transparent
			return p[0] + w, p[1] + w, p[2] + w
		}
	}
	return func(x, y int) (uint8, uint8, uint8) {
		r, g, b, a := img.At(x, y).RGBA()
		w := 0xffff - a
		return uint8((r + w) >> 8), uint8((g + w) >> 8), uint8((b + w) >> 8)
	}
}

// orientRGB applies an EXIF orientation to an RGB image.
func orientRGB(c *face.RGB, o int) *face.RGB {
	if o < 2 || o > 8 {
		return c
	}
	w, h := c.W, c.H
	ow, oh := w, h
	if o >= 5 {
		ow, oh = h, w
	}
	out := &face.RGB{W: ow, H: oh, Pix: make([]byte, len(c.Pix))}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			copy(out.Pix[3*(dy*ow+dx):3*(dy*ow+dx)+3], c.Pix[3*(y*w+x):3*(y*w+x)+3])
		}
	}
	return out
}

// fitWorkRGB brings a full-scale image to the size the checks work at, by
// area averaging, as a scaled decode would have.
func fitWorkRGB(c *face.RGB) *face.RGB {
	w, h := workSize(c.W, c.H)
	if w == c.W && h == c.H {
		return c
	}
	out := &face.RGB{W: w, H: h, Pix: make([]byte, 3*w*h)}
	xs := make([]int, w+1)
	for x := range xs {
		xs[x] = x * c.W / w
	}
	row := make([]uint32, 3*w)
	for y := 0; y < h; y++ {
		y0, y1 := y*c.H/h, max((y+1)*c.H/h, y*c.H/h+1)
		clear(row)
		for sy := y0; sy < y1; sy++ {
			src := c.Pix[3*sy*c.W:]
			for x := 0; x < w; x++ {
				for sx := xs[x]; sx < max(xs[x+1], xs[x]+1); sx++ {
					row[3*x] += uint32(src[3*sx])
					row[3*x+1] += uint32(src[3*sx+1])
					row[3*x+2] += uint32(src[3*sx+2])
				}
			}
		}
		for x := 0; x < w; x++ {
			n := uint32((y1 - y0) * max(xs[x+1]-xs[x], 1))
			for k := range 3 {
				out.Pix[3*(y*w+x)+k] = uint8((row[3*x+k] + n/2) / n)
			}
		}
	}
	return out
}
