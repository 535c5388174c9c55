package face

import (
	"math"
	"testing"
)

func TestBlazeAnchors(t *testing.T) {
	for _, n := range []int{128, 256} {
		a := blazeAnchors(n)
		if len(a) != 896 {
			t.Fatalf("%d: %d anchors, want 896", n, len(a))
		}
		s := float64(n) / 16
		if a[0] != (Point{s / 2, s / 2}) || a[1] != a[0] || a[2] != (Point{1.5 * s, s / 2}) {
			t.Errorf("%d: first anchors %v", n, a[:3])
		}
		if last := a[895]; last != (Point{float64(n) - s, float64(n) - s}) {
			t.Errorf("%d: last anchor %v", n, last)
		}
	}
}

func TestDecodeAndSuppress(t *testing.T) {
	anchors := blazeAnchors(128)
	scores := make([]float32, len(anchors))
	regs := make([]float32, 16*len(anchors))
	for i := range scores {
		scores[i] = -10
	}
	// Two overlapping hits on one face around (40, 40), 30 px wide, and a
	// separate weaker one; the rest under the threshold.
	hit := func(i int, logit, dx, w float32) {
		scores[i] = logit
		r := regs[16*i:]
		r[0], r[1], r[2], r[3] = dx, dx, w, w
		r[4], r[5] = -8, -5 // right eye
	}
	a := anchors[2*(4*16+4)] // grid cell (4, 4) of stride 8: centre (36, 36)
	hit(2*(4*16+4), 4, 4, 30)
	hit(2*(4*16+4)+1, 2, 5, 30)
	hit(512+6*(6*8+6), 1, 0, 20) // stride 16 cell (6, 6): centre (104, 104)
	dets := decodeBlaze(scores, regs, anchors, 0.5)
	if len(dets) != 3 {
		t.Fatalf("%d detections, want 3", len(dets))
	}
	kept := suppress(dets, 0.3)
	if len(kept) != 2 {
		t.Fatalf("%d kept, want 2", len(kept))
	}
	f := kept[0] // centre offset: (4*0.982 + 5*0.881) / (0.982 + 0.881)
	if f.Score < 0.98 || math.Abs(f.Box.Centre().X-(a.X+4.47)) > 0.01 || math.Abs(f.Box.W()-30) > 1e-9 {
		t.Errorf("strongest %+v", f)
	}
	if e := f.Keys[KeyRightEye]; math.Abs(e.X-(a.X-8)) > 1e-9 || math.Abs(e.Y-(a.Y-5)) > 1e-9 {
		t.Errorf("right eye %v", e)
	}
	if c := kept[1].Box.Centre(); c != (Point{104, 104}) {
		t.Errorf("second face centre %v", c)
	}
}

func TestWindowSample(t *testing.T) {
	// A 4x2 image: left half red, right half blue.
	img := &RGB{W: 4, H: 2, Pix: make([]uint8, 4*2*3)}
	for y := range 2 {
		for x := range 4 {
			o := (y*4 + x) * 3
			if x < 2 {
				img.Pix[o] = 255
			} else {
				img.Pix[o+2] = 255
			}
		}
	}
	dst := make([]float32, 2*2*3)
	// The whole image as a 4x4 square (one row of grey above and below) to
	// a 2x2 input: each input pixel averages a 2x2 footprint.
	window{centre: Point{2, 1}, side: 4, n: 2}.sample(img, dst, 1, 0)
	want := []float32{
		(255 + 255 + 127.5 + 127.5) / 4, 127.5 / 2, 127.5 / 2, // top left: red + grey
		127.5 / 2, 127.5 / 2, (255 + 255 + 127.5 + 127.5) / 4, // top right: blue + grey
	}
	for i, w := range want {
		if math.Abs(float64(dst[i]-w)) > 0.01 {
			t.Fatalf("dst %v, want %v...", dst, want)
		}
	}
	// Turned by 180 degrees, left and right swap.
	window{centre: Point{2, 1}, side: 4, n: 2, angle: math.Pi}.sample(img, dst, 1, 0)
	if dst[0] > 100 || dst[2] < 100 {
		t.Errorf("turned window %v", dst)
	}
}
