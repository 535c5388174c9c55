// Command appicon draws LoRA Studio's icon and derives every platform's copy
// from it: build/appicon.png (1024x1024, what Wails reads), the multi-size
// build/windows/icon.ico and the hicolor PNGs under build/linux/icons.
//
//	go run ./scripts/appicon            # draw appicon.png, then derive
//	go run ./scripts/appicon -derive    # derive from an existing appicon.png
//
// The mark is a camera aperture in the studio's violet around a portrait
// silhouette: a face, photographed, turned into a model.
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"

	"golang.org/x/image/draw"
	"golang.org/x/image/vector"
)

// size is the master icon's edge; every other size is scaled from it.
const size = 1024

// The studio's colours (frontend/src/index.css, dark theme): the window
// background and the primary violet, hsl(262 83% 66%).
var (
	background = color.NRGBA{15, 17, 21, 255}
	tileTop    = color.NRGBA{36, 38, 52, 255}
	violet     = color.NRGBA{149, 96, 240, 255}
	pink       = color.NRGBA{226, 104, 196, 255}
	indigo     = color.NRGBA{92, 108, 246, 255}
	portrait   = color.NRGBA{238, 234, 252, 255}
)

// icoSizes are the Windows icon's entries; Explorer picks among them.
var icoSizes = []int{16, 24, 32, 48, 64, 128, 256}

// hicolorSizes are the freedesktop icon theme directories we fill.
var hicolorSizes = []int{16, 24, 32, 48, 64, 128, 256, 512}

func main() {
	root := flag.String("build", "build", "the Wails build directory")
	derive := flag.Bool("derive", false, "only derive the other sizes from an existing appicon.png")
	flag.Parse()
	if err := run(*root, *derive); err != nil {
		fmt.Fprintln(os.Stderr, "appicon:", err)
		os.Exit(1)
	}
}

func run(root string, deriveOnly bool) error {
	master := filepath.Join(root, "appicon.png")
	if !deriveOnly {
		if err := writePNG(master, drawIcon()); err != nil {
			return err
		}
	}
	f, err := os.Open(master)
	if err != nil {
		return err
	}
	src, err := png.Decode(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("read %s: %w", master, err)
	}
	for _, s := range hicolorSizes {
		dir := filepath.Join(root, "linux", "icons", "hicolor", fmt.Sprintf("%dx%d", s, s), "apps")
		if err := writePNG(filepath.Join(dir, "lorastudio.png"), scale(src, s)); err != nil {
			return err
		}
	}
	return writeICO(filepath.Join(root, "windows", "icon.ico"), src)
}

// drawIcon renders the master icon: a rounded tile, six aperture blades and
// a head-and-shoulders portrait in the opening.
func drawIcon() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	c := float32(size) / 2

	// The tile leaves the 100px margin Apple's and GNOME's grids expect.
	tile := newMask()
	roundedRect(tile.r, 100, 100, 924, 924, 185)
	fill(img, tile.done(), verticalGradient{top: tileTop, bottom: background, y0: 100, y1: 924})

	// Aperture: the lines extending each edge of the hexagonal opening cut
	// the ring into six blades; each blade is the region between two such
	// lines that meet at one corner of the opening.
	const blades = 6
	outer, inner := float32(330), float32(168)
	gap := float32(16) // dark seam between blades, in pixels
	corner := func(i int) (float32, float32) {
		a := -math.Pi/2 + float64(i)*2*math.Pi/blades + math.Pi/blades
		return c + inner*float32(math.Cos(a)), c + inner*float32(math.Sin(a))
	}
	shades := []color.NRGBA{violet, mix(violet, pink, 0.5), pink, mix(pink, indigo, 0.45), indigo, mix(indigo, violet, 0.5)}
	for i := 0; i < blades; i++ {
		// Corner p1 of the opening; the blade lies between the extension
		// of edge p0→p1 beyond p1 and edge p1→p2 extended beyond p2.
		x0, y0 := corner(i)
		x1, y1 := corner(i + 1)
		x2, y2 := corner(i + 2)
		qa := circleHit(x1, y1, x1-x0, y1-y0, c, outer)
		qb := circleHit(x2, y2, x2-x1, y2-y1, c, outer)
		m := newMask()
		m.r.MoveTo(x1, y1)
		m.r.LineTo(qa[0], qa[1])
		arc(m.r, c, outer, qa, qb)
		m.r.LineTo(x1, y1)
		m.r.ClosePath()
		blade := m.done()
		// The seam: shrink the blade away from the next line by drawing
		// the line p1→qb in the tile colour afterwards.
		fill(img, blade, radialShade{base: shades[i], cx: c, cy: c, r: outer})
		seam := newMask()
		thickLine(seam.r, x1, y1, qb[0], qb[1], gap)
		fill(img, intersect(seam.done(), blade), image.NewUniform(mix(tileTop, background, 0.5)))
	}

	// The opening and the portrait in it: a head and shoulders, clipped to
	// the hexagon so the shoulders meet the blades.
	hex := newMask()
	for i := 0; i <= blades; i++ {
		x, y := corner(i)
		if i == 0 {
			hex.r.MoveTo(x, y)
		} else {
			hex.r.LineTo(x, y)
		}
	}
	hex.r.ClosePath()
	opening := hex.done()
	fill(img, opening, image.NewUniform(background))

	person := newMask()
	ellipse(person.r, c, c-40, 56, 64)    // head
	ellipse(person.r, c, c+142, 118, 104) // shoulders
	fill(img, intersect(person.done(), opening), verticalGradient{top: portrait, bottom: mix(portrait, violet, 0.35), y0: c - 110, y1: c + 170})
	return img
}

// mask wraps a rasterizer that fills an alpha mask the size of the icon.
type mask struct{ r *vector.Rasterizer }

func newMask() mask { return mask{vector.NewRasterizer(size, size)} }

func (m mask) done() *image.Alpha {
	a := image.NewAlpha(image.Rect(0, 0, size, size))
	m.r.Draw(a, a.Bounds(), image.Opaque, image.Point{})
	return a
}

// intersect keeps the coverage two masks share.
func intersect(a, b *image.Alpha) *image.Alpha {
	out := image.NewAlpha(a.Bounds())
	for i := range out.Pix {
		out.Pix[i] = uint8(uint16(a.Pix[i]) * uint16(b.Pix[i]) / 255)
	}
	return out
}

func fill(dst *image.NRGBA, m *image.Alpha, src image.Image) {
	draw.DrawMask(dst, dst.Bounds(), src, image.Point{}, m, image.Point{}, draw.Over)
}

func roundedRect(r *vector.Rasterizer, x0, y0, x1, y1, rad float32) {
	const k = 0.5523 // cubic Bézier handle for a quarter circle
	r.MoveTo(x0+rad, y0)
	r.LineTo(x1-rad, y0)
	r.CubeTo(x1-rad+rad*k, y0, x1, y0+rad-rad*k, x1, y0+rad)
	r.LineTo(x1, y1-rad)
	r.CubeTo(x1, y1-rad+rad*k, x1-rad+rad*k, y1, x1-rad, y1)
	r.LineTo(x0+rad, y1)
	r.CubeTo(x0+rad-rad*k, y1, x0, y1-rad+rad*k, x0, y1-rad)
	r.LineTo(x0, y0+rad)
	r.CubeTo(x0, y0+rad-rad*k, x0+rad-rad*k, y0, x0+rad, y0)
	r.ClosePath()
}

func ellipse(r *vector.Rasterizer, cx, cy, rx, ry float32) {
	const steps = 96
	for i := 0; i <= steps; i++ {
		a := 2 * math.Pi * float64(i) / steps
		x, y := cx+rx*float32(math.Cos(a)), cy+ry*float32(math.Sin(a))
		if i == 0 {
			r.MoveTo(x, y)
		} else {
			r.LineTo(x, y)
		}
	}
	r.ClosePath()
}

// arc continues the current path along the circle from a to b, clockwise
// on screen (increasing angle).
func arc(r *vector.Rasterizer, c, rad float32, a, b [2]float32) {
	from := math.Atan2(float64(a[1]-c), float64(a[0]-c))
	to := math.Atan2(float64(b[1]-c), float64(b[0]-c))
	for to < from {
		to += 2 * math.Pi
	}
	const steps = 48
	for i := 1; i <= steps; i++ {
		t := from + (to-from)*float64(i)/steps
		r.LineTo(c+rad*float32(math.Cos(t)), c+rad*float32(math.Sin(t)))
	}
}

// circleHit is where the ray from (x, y) along (dx, dy) leaves the circle
// of radius rad around (c, c).
func circleHit(x, y, dx, dy, c, rad float32) [2]float32 {
	px, py := float64(x-c), float64(y-c)
	ux, uy := float64(dx), float64(dy)
	n := math.Hypot(ux, uy)
	ux, uy = ux/n, uy/n
	b := px*ux + py*uy
	t := -b + math.Sqrt(b*b-(px*px+py*py-float64(rad*rad)))
	return [2]float32{c + float32(px+t*ux), c + float32(py+t*uy)}
}

func thickLine(r *vector.Rasterizer, x0, y0, x1, y1, w float32) {
	dx, dy := x1-x0, y1-y0
	n := float32(math.Hypot(float64(dx), float64(dy)))
	nx, ny := -dy/n*w/2, dx/n*w/2
	// Extend past both ends so the seam also cuts the outer rim cleanly.
	ex, ey := dx/n*w, dy/n*w
	r.MoveTo(x0+nx-ex, y0+ny-ey)
	r.LineTo(x1+nx+ex, y1+ny+ey)
	r.LineTo(x1-nx+ex, y1-ny+ey)
	r.LineTo(x0-nx-ex, y0-ny-ey)
	r.ClosePath()
}

func mix(a, b color.NRGBA, t float64) color.NRGBA {
	l := func(x, y uint8) uint8 { return uint8(float64(x)*(1-t) + float64(y)*t + 0.5) }
	return color.NRGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), 255}
}

// verticalGradient is an image.Image that blends top to bottom between y0 and y1.
type verticalGradient struct {
	top, bottom color.NRGBA
	y0, y1      float32
}

func (g verticalGradient) ColorModel() color.Model { return color.NRGBAModel }
func (g verticalGradient) Bounds() image.Rectangle { return image.Rect(-1e9, -1e9, 1e9, 1e9) }
func (g verticalGradient) At(x, y int) color.Color {
	t := (float64(y) - float64(g.y0)) / float64(g.y1-g.y0)
	return mix(g.top, g.bottom, math.Max(0, math.Min(1, t)))
}

// radialShade lightens a blade towards the rim, so the ring reads as a lens.
type radialShade struct {
	base      color.NRGBA
	cx, cy, r float32
}

func (s radialShade) ColorModel() color.Model { return color.NRGBAModel }
func (s radialShade) Bounds() image.Rectangle { return image.Rect(-1e9, -1e9, 1e9, 1e9) }
func (s radialShade) At(x, y int) color.Color {
	d := math.Hypot(float64(x)-float64(s.cx), float64(y)-float64(s.cy)) / float64(s.r)
	light := color.NRGBA{255, 255, 255, 255}
	return mix(s.base, light, 0.22*math.Max(0, math.Min(1, d)))
}

// scale resizes the master; at 32px and below it drops the tile's margin,
// which would otherwise cost a pixel or two of an already tiny mark.
func scale(src image.Image, s int) *image.NRGBA {
	dst := image.NewNRGBA(image.Rect(0, 0, s, s))
	from := src.Bounds()
	if s <= 32 {
		m := from.Dx() * 100 / size
		from = from.Inset(m)
	}
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, from, draw.Src, nil)
	return dst
}

func encodePNG(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	err := enc.Encode(&b, img)
	return b.Bytes(), err
}

func writePNG(path string, img image.Image) error {
	data, err := encodePNG(img)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// writeICO writes a Windows icon whose entries are PNG-compressed images,
// which Windows has read since Vista; 256 is stored as 0 in the directory.
func writeICO(path string, src image.Image) error {
	var images [][]byte
	for _, s := range icoSizes {
		data, err := encodePNG(scale(src, s))
		if err != nil {
			return err
		}
		images = append(images, data)
	}
	var b bytes.Buffer
	le := binary.LittleEndian
	binary.Write(&b, le, [3]uint16{0, 1, uint16(len(images))})
	offset := 6 + 16*len(images)
	for i, s := range icoSizes {
		dim := uint8(s)
		if s >= 256 {
			dim = 0
		}
		b.Write([]byte{dim, dim, 0, 0})
		binary.Write(&b, le, [2]uint16{1, 32})
		binary.Write(&b, le, [2]uint32{uint32(len(images[i])), uint32(offset)})
		offset += len(images[i])
	}
	for _, data := range images {
		b.Write(data)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
