package dataset

import (
	_ "embed"
	"image"
	"math"
	"slices"
	"sync"

	pigo "github.com/esimov/pigo/core"

	"github.com/promptforge/lorastudio/internal/face"
)

// The cascades are pigo v1.4.6's own files (MIT, see cascade/LICENSE),
// copied because go:embed cannot reach the module cache.
var (
	//go:embed cascade/facefinder
	facefinderBin []byte
	//go:embed cascade/puploc
	puplocBin []byte
	//go:embed cascade/lp93
	lp93Bin []byte
	//go:embed cascade/lp84
	lp84Bin []byte
)

type cascades struct {
	finder *faceCascade
	pigo   *pigo.Pigo // for its ClusterDetections only
	pupil  *landmarkCascade
	nose   *landmarkCascade // lp93: tip of the nose
	mouth  *landmarkCascade // lp84: corner of the mouth (flip for the other)
	loaded error
}

var (
	cascadeOnce sync.Once
	cascadeSet  cascades
)

func loadCascades() (*cascades, error) {
	cascadeOnce.Do(func() {
		c := &cascadeSet
		c.pigo = pigo.NewPigo()
		if c.finder, c.loaded = parseFaceCascade(facefinderBin); c.loaded != nil {
			return
		}
		if c.pupil, c.loaded = parseLandmarkCascade(puplocBin); c.loaded != nil {
			return
		}
		if c.nose, c.loaded = parseLandmarkCascade(lp93Bin); c.loaded != nil {
			return
		}
		c.mouth, c.loaded = parseLandmarkCascade(lp84Bin)
	})
	return &cascadeSet, cascadeSet.loaded
}

// Detector settings, measured on ../shared/fixtures (TestCalibrateFixtures):
// the image is shrunk to detectLong, a grey border of borderFrac of its long
// side is added so that a face filling the frame still fits a detection
// window, windows step by shiftFactor of their size and grow by scaleFactor,
// and a clustered detection needs a score above minScore. A cluster's score
// is the sum of its windows' scores, so it scales with window density: these
// sparser windows (0.15/1.15 rather than pigo's usual 0.1/1.1, three times
// faster) put the real faces of the fixtures at 7 to 270 and the best false
// positive in the face-free photos at 3, hence 4. Faces under minFaceFrac of the short side
// are not searched (they would be face_too_small anyway).
const (
	detectLong   = 360
	borderFrac   = 0.25
	minScore     = 4
	minFaceFrac  = 0.075
	clusterIoU   = 0.2
	shiftFactor  = 0.15
	scaleFactor  = 1.15
	minEyeSpread = 0.15 // eyes closer than this (x face size) are not a face
)

// face is one detection in the coordinates of the image given to detect.
type detected struct {
	x, y, size float64 // centre and side of the square box
	score      float64
	// Landmarks (valid when eyes is true).
	eyes                 bool
	leftEye, rightEye    [2]float64 // image left / image right, (x, y)
	nose                 [2]float64
	mouthLeft, mouthRite [2]float64
	// neural is the neural detector's face, with its pose; nil when pigo
	// found the face.
	neural *face.Face
}

func (f detected) box() (x0, y0, x1, y1 float64) {
	return f.x - f.size/2, f.y - f.size/2, f.x + f.size/2, f.y + f.size/2
}

// detectFaces finds faces in g. The returned faces are strongest first, in
// g's coordinates. ts keeps the detector's tables between calls.
func detectFaces(g *image.Gray, ts *faceTables) ([]detected, error) {
	cs, err := loadCascades()
	if err != nil {
		return nil, err
	}
	w, h := g.Rect.Dx(), g.Rect.Dy()
	k := 1.0
	d := g
	if long := max(w, h); long > detectLong {
		k = float64(detectLong) / float64(long)
		d = resizeGray(g, max(1, int(math.Round(float64(w)*k))), max(1, int(math.Round(float64(h)*k))))
	}
	dw, dh := d.Rect.Dx(), d.Rect.Dy()
	pad := int(math.Round(borderFrac * float64(max(dw, dh))))
	pw, ph := dw+2*pad, dh+2*pad
	p := image.NewGray(image.Rect(0, 0, pw, ph))
	for i := range p.Pix {
		p.Pix[i] = 128
	}
	for y := 0; y < dh; y++ {
		copy(p.Pix[(y+pad)*pw+pad:], d.Pix[y*d.Stride:y*d.Stride+dw])
	}
	params := pigo.CascadeParams{
		MinSize:     max(20, int(minFaceFrac*float64(min(dw, dh)))),
		MaxSize:     min(pw, ph),
		ShiftFactor: shiftFactor,
		ScaleFactor: scaleFactor,
		ImageParams: pigo.ImageParams{Pixels: p.Pix, Rows: ph, Cols: pw, Dim: pw},
	}
	// One pass over the bordered image. (Running the small windows on the
	// bare image instead halves the cost, but shifts the window grid, and the
	// weakest real faces of the fixtures then drop under minScore.)
	dets := cs.pigo.ClusterDetections(cs.finder.run(params, pad, pad, pad+dw, pad+dh, ts), clusterIoU)
	slices.SortFunc(dets, func(a, b pigo.Detection) int {
		switch {
		case a.Q > b.Q:
			return -1
		case a.Q < b.Q:
			return 1
		}
		return 0
	})
	var kept []pigo.Detection
	for _, dt := range dets {
		if dt.Q <= minScore {
			continue
		}
		// A face's centre lies in the real image, not in the border.
		if dt.Col < pad || dt.Col >= pad+dw || dt.Row < pad || dt.Row >= pad+dh {
			continue
		}
		inside := false
		for _, s := range kept {
			if abs(dt.Row-s.Row) <= s.Scale/2 && abs(dt.Col-s.Col) <= s.Scale/2 {
				inside = true
				break
			}
		}
		if !inside {
			kept = append(kept, dt)
		}
	}
	faces := make([]detected, 0, len(kept))
	for _, dt := range kept {
		f := detected{
			x:     float64(dt.Col-pad) / k,
			y:     float64(dt.Row-pad) / k,
			size:  float64(dt.Scale) / k,
			score: float64(dt.Q),
		}
		locateLandmarks(cs, p, dt, pad, k, &f)
		faces = append(faces, f)
	}
	return faces, nil
}

// locateLandmarks places pupils, nose tip and mouth corners with pigo's
// cascades, started where pigo's own examples start them.
func locateLandmarks(cs *cascades, p *image.Gray, dt pigo.Detection, pad int, k float64, f *detected) {
	s := float32(dt.Scale)
	r0 := float32(dt.Row) - 0.085*s
	lr, lc, _ := cs.pupil.locate(p, r0, float32(dt.Col)-0.185*s, 0.4*s, false)
	rr, rc, _ := cs.pupil.locate(p, r0, float32(dt.Col)+0.185*s, 0.4*s, false)
	if lr <= 0 || lc <= 0 || rr <= 0 || rc <= 0 || (rc-lc) < minEyeSpread*s {
		return
	}
	// pigo's landmark start: below the eye midpoint, scaled by eye distance.
	dist := float32(math.Hypot(float64(lr-rr), float64(lc-rc)))
	mr := (lr+rr)/2 + 0.25*dist
	mc := (lc+rc)/2 + 0.15*dist
	nr, nc, _ := cs.nose.locate(p, mr, mc, 3*dist, false)
	m1r, m1c, _ := cs.mouth.locate(p, mr, mc, 3*dist, false)
	m2r, m2c, _ := cs.mouth.locate(p, mr, mc, 3*dist, true)
	back := func(r, c float32) [2]float64 {
		return [2]float64{(float64(c) - float64(pad)) / k, (float64(r) - float64(pad)) / k}
	}
	f.eyes = true
	f.leftEye, f.rightEye = back(lr, lc), back(rr, rc)
	f.nose = back(nr, nc)
	f.mouthLeft, f.mouthRite = back(m1r, m1c), back(m2r, m2c)
	if f.mouthLeft[0] > f.mouthRite[0] {
		f.mouthLeft, f.mouthRite = f.mouthRite, f.mouthLeft
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Pose labels, from the subject's point of view: "left" means the person
// turned their head to their own left (the nose points to the image's right
// in an unmirrored photo).
const (
	PoseFrontal           = "frontal"
	PoseThreeQuarterLeft  = "three_quarter_left"
	PoseThreeQuarterRight = "three_quarter_right"
	PoseProfileLeft       = "profile_left"
	PoseProfileRight      = "profile_right"
)

// Yaw thresholds in degrees.
const (
	frontalMaxYaw      = 15
	threeQuarterMaxYaw = 55
)

// estimateYaw returns the head yaw in degrees, positive when the subject
// turned to their own left. It compares where the nose tip sits between the
// two eyes: on a frontal face it is at the midpoint; as the head turns, the
// nose swings towards one eye while the eyes foreshorten. Under a weak
// perspective model the nose offset over the half eye distance is about
// k*tan(yaw) (nose depth over half the eye span, k ~ 1.3 for adults); the
// mouth corners give a second, independent reading of the same midline.
func estimateYaw(f detected) (float64, bool) {
	if !f.eyes {
		return 0, false
	}
	half := (f.rightEye[0] - f.leftEye[0]) / 2
	if half <= 0 {
		return 0, false
	}
	mid := (f.leftEye[0] + f.rightEye[0]) / 2
	noseOff := (f.nose[0] - mid) / half
	mouthMid := (f.mouthLeft[0] + f.mouthRite[0]) / 2
	mouthOff := (f.nose[0] - mouthMid) / half
	r := 0.7*noseOff + 0.3*mouthOff
	return math.Atan(r/1.3) * 180 / math.Pi, true
}

func poseOf(yaw float64, ok bool) string {
	if !ok {
		return ""
	}
	a := math.Abs(yaw)
	switch {
	case a <= frontalMaxYaw:
		return PoseFrontal
	case a <= threeQuarterMaxYaw && yaw > 0:
		return PoseThreeQuarterLeft
	case a <= threeQuarterMaxYaw:
		return PoseThreeQuarterRight
	case yaw > 0:
		return PoseProfileLeft
	}
	return PoseProfileRight
}
