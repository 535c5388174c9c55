package face

import "math"

// RGB is an 8-bit RGB image, three bytes per pixel, rows packed: what a JPEG
// decoder gives without conversion.
type RGB struct {
	W, H int
	Pix  []uint8
}

// Point is a position in pixels.
type Point struct{ X, Y float64 }

// Rect is a box in pixels, from its top-left to its bottom-right corner.
type Rect struct{ X0, Y0, X1, Y1 float64 }

// W is the width of r.
func (r Rect) W() float64 { return r.X1 - r.X0 }

// H is the height of r.
func (r Rect) H() float64 { return r.Y1 - r.Y0 }

// Centre is the middle of r.
func (r Rect) Centre() Point { return Point{(r.X0 + r.X1) / 2, (r.Y0 + r.Y1) / 2} }

func iou(a, b Rect) float64 {
	ix := math.Min(a.X1, b.X1) - math.Max(a.X0, b.X0)
	iy := math.Min(a.Y1, b.Y1) - math.Max(a.Y0, b.Y0)
	if ix <= 0 || iy <= 0 {
		return 0
	}
	inter := ix * iy
	return inter / (a.W()*a.H() + b.W()*b.H() - inter)
}

// window is a rectangle of the image, possibly rotated and possibly
// reaching outside it, resampled to an n x n model input (stretched when
// the rectangle is not square).
type window struct {
	centre Point
	side   float64 // width in image pixels
	sideY  float64 // height in image pixels; 0 means side
	angle  float64 // radians; the window's x axis is the image's turned by angle
	n      int
}

// scale is the image pixels per input pixel, across and down.
func (w window) scale() (float64, float64) {
	ky := w.sideY
	if ky == 0 {
		ky = w.side
	}
	return w.side / float64(w.n), ky / float64(w.n)
}

// toImage maps a point of the n x n input back to image pixels.
func (w window) toImage(u, v float64) Point {
	kx, ky := w.scale()
	dx, dy := (u-float64(w.n)/2)*kx, (v-float64(w.n)/2)*ky
	s, c := math.Sincos(w.angle)
	return Point{w.centre.X + c*dx - s*dy, w.centre.Y + s*dx + c*dy}
}

// sample fills dst (n*n*3 floats, NHWC) with the window's pixels scaled by
// mul and shifted by add (so [-1, 1] is mul 2/255, add -1). Pixels outside
// the image are mid grey. When the window shrinks the image, each input
// pixel averages a grid of bilinear samples over its footprint, so that a
// face is not aliased into noise.
//
// Not instrumented by the race detector (go:norace): it only reads img and
// writes dst, its caller's own buffer, and instrumented it was a third of
// the validator's tests' time under -race.
//
//go:norace
func (w window) sample(img *RGB, dst []float32, mul, add float32) {
	kx, ky := w.scale()
	// Shrinking by 4 or more: box-filter the part of the photo under the
	// window by half the factor first (each pixel read once), then sample
	// that with a few bilinear samples per input pixel. Sampling a 1000x750
	// photo straight down to 128x128 took 36 samples per input pixel and a
	// quarter of the validator's time. Box-filtering by the whole factor is
	// cheaper still, but leaves edges crisper than the detector's threshold
	// tolerates: the moon of a face-free fixture then scored as a face.
	if f := int(math.Min(kx, ky) / 2); f >= 2 {
		if small, origin, ok := w.shrinkUnder(img, f); ok {
			s := w
			s.centre = Point{(w.centre.X - origin.X) / float64(f), (w.centre.Y - origin.Y) / float64(f)}
			s.side /= float64(f)
			s.sideY /= float64(f)
			s.sample(small, dst, mul, add)
			return
		}
	}
	sx := max(1, min(6, int(math.Ceil(kx))))
	sy := max(1, min(6, int(math.Ceil(ky))))
	inv := 1 / float32(sx*sy)
	// The input's axes in image pixels, so that input point (u, v) is
	// o + u*ax + v*ay: one multiply-add per sample instead of a rotation.
	s, c := math.Sincos(w.angle)
	ax := Point{c * kx, s * kx}
	ay := Point{-s * ky, c * ky}
	o := w.toImage(0, 0)
	for v := 0; v < w.n; v++ {
		for u := 0; u < w.n; u++ {
			var r, g, b float32
			for iy := range sy {
				fv := float64(v) + (float64(iy)+0.5)/float64(sy)
				for ix := range sx {
					fu := float64(u) + (float64(ix)+0.5)/float64(sx)
					pr, pg, pb := bilinear(img, o.X+fu*ax.X+fv*ay.X-0.5, o.Y+fu*ax.Y+fv*ay.Y-0.5)
					r, g, b = r+pr, g+pg, b+pb
				}
			}
			i := (v*w.n + u) * 3
			dst[i] = r*inv*mul + add
			dst[i+1] = g*inv*mul + add
			dst[i+2] = b*inv*mul + add
		}
	}
}

// shrinkUnder box-filters by f the part of img the window covers (its
// bounding box, clipped to the photo) and returns it with the photo
// position of its top-left corner. A block cut by the photo's edge averages
// only the pixels it has; outside the photo is left to sample's grey.
//
//go:norace
func (w window) shrinkUnder(img *RGB, f int) (*RGB, Point, bool) {
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, c := range [][2]float64{{0, 0}, {float64(w.n), 0}, {0, float64(w.n)}, {float64(w.n), float64(w.n)}} {
		p := w.toImage(c[0], c[1])
		x0, y0, x1, y1 = math.Min(x0, p.X), math.Min(y0, p.Y), math.Max(x1, p.X), math.Max(y1, p.Y)
	}
	bx0, by0 := max(0, int(math.Floor(x0))), max(0, int(math.Floor(y0)))
	bx1, by1 := min(img.W, int(math.Ceil(x1))), min(img.H, int(math.Ceil(y1)))
	if bx1-bx0 < f || by1-by0 < f {
		return nil, Point{}, false
	}
	sw, sh := (bx1-bx0+f-1)/f, (by1-by0+f-1)/f
	out := &RGB{W: sw, H: sh, Pix: make([]uint8, 3*sw*sh)}
	row := make([]uint32, 3*sw)
	cnt := make([]uint32, sw)
	for sy := range sh {
		clear(row)
		clear(cnt)
		for y := by0 + sy*f; y < min(by1, by0+(sy+1)*f); y++ {
			src := img.Pix[3*(y*img.W+bx0) : 3*(y*img.W+bx1)]
			for x := 0; x < bx1-bx0; x++ {
				i := x / f
				row[3*i] += uint32(src[3*x])
				row[3*i+1] += uint32(src[3*x+1])
				row[3*i+2] += uint32(src[3*x+2])
				cnt[i]++
			}
		}
		for i := range sw {
			n := cnt[i]
			o := 3 * (sy*sw + i)
			out.Pix[o] = uint8((row[3*i] + n/2) / n)
			out.Pix[o+1] = uint8((row[3*i+1] + n/2) / n)
			out.Pix[o+2] = uint8((row[3*i+2] + n/2) / n)
		}
	}
	return out, Point{float64(bx0), float64(by0)}, true
}

// bilinear samples img at (x, y) in pixel-centre coordinates; outside the
// image it is mid grey.
//
//go:norace
func bilinear(img *RGB, x, y float64) (r, g, b float32) {
	const grey = 127.5
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	fx, fy := float32(x-float64(x0)), float32(y-float64(y0))
	if x0 >= 0 && y0 >= 0 && x0+1 < img.W && y0+1 < img.H {
		// Inside: the four neighbours, without bounds checks per tap.
		i := (y0*img.W + x0) * 3
		j := i + 3*img.W
		p, q := img.Pix[i:i+6:i+6], img.Pix[j:j+6:j+6]
		w00, w01, w10, w11 := (1-fx)*(1-fy), fx*(1-fy), (1-fx)*fy, fx*fy
		r = w00*float32(p[0]) + w01*float32(p[3]) + w10*float32(q[0]) + w11*float32(q[3])
		g = w00*float32(p[1]) + w01*float32(p[4]) + w10*float32(q[1]) + w11*float32(q[4])
		b = w00*float32(p[2]) + w01*float32(p[5]) + w10*float32(q[2]) + w11*float32(q[5])
		return r, g, b
	}
	var acc [3]float32
	for dy := 0; dy < 2; dy++ {
		wy := fy
		if dy == 0 {
			wy = 1 - fy
		}
		for dx := 0; dx < 2; dx++ {
			wx := fx
			if dx == 0 {
				wx = 1 - fx
			}
			wgt := wx * wy
			if wgt == 0 {
				continue
			}
			px, py := x0+dx, y0+dy
			if px < 0 || py < 0 || px >= img.W || py >= img.H {
				acc[0] += wgt * grey
				acc[1] += wgt * grey
				acc[2] += wgt * grey
				continue
			}
			o := (py*img.W + px) * 3
			acc[0] += wgt * float32(img.Pix[o])
			acc[1] += wgt * float32(img.Pix[o+1])
			acc[2] += wgt * float32(img.Pix[o+2])
		}
	}
	return acc[0], acc[1], acc[2]
}
