package face

import (
	"math"
	"slices"
)

// BlazeFace's six keypoints, as MediaPipe numbers them. "Right" is the
// person's right, which is the image's left in a photo that is not mirrored.
const (
	KeyRightEye = iota
	KeyLeftEye
	KeyNose
	KeyMouth
	KeyRightEar
	KeyLeftEar
	numKeys
)

// Detection is one face found by the detector, in image pixels.
type Detection struct {
	Box   Rect
	Score float64
	Keys  [numKeys]Point
}

// blazeAnchors are the centres, in input pixels, of BlazeFace's 896 anchors
// for an input of side n: a grid of stride n/16 with 2 anchors per cell,
// then one of stride n/8 with 6, in the order the model's outputs list them
// (MediaPipe's SSD anchor options, as @vladmandic/human generates them).
func blazeAnchors(n int) []Point {
	var out []Point
	for _, l := range []struct{ stride, per int }{{n / 16, 2}, {n / 8, 6}} {
		grid := (n + l.stride - 1) / l.stride
		for gy := range grid {
			for gx := range grid {
				for range l.per {
					out = append(out, Point{float64(l.stride) * (float64(gx) + 0.5), float64(l.stride) * (float64(gy) + 0.5)})
				}
			}
		}
	}
	return out
}

// decodeBlaze turns the model's raw outputs into detections above minScore,
// in input pixels. scores holds one logit per anchor; regs 16 values per
// anchor: the box centre's offset from the anchor, its width and height,
// then the six keypoints' offsets, all in input pixels.
func decodeBlaze(scores, regs []float32, anchors []Point, minScore float64) []Detection {
	var out []Detection
	for i, a := range anchors {
		s := 1 / (1 + math.Exp(-math.Max(-100, math.Min(100, float64(scores[i])))))
		if s < minScore {
			continue
		}
		r := regs[i*16 : i*16+16]
		cx, cy := a.X+float64(r[0]), a.Y+float64(r[1])
		w, h := float64(r[2]), float64(r[3])
		d := Detection{Box: Rect{cx - w/2, cy - h/2, cx + w/2, cy + h/2}, Score: s}
		for k := range numKeys {
			d.Keys[k] = Point{a.X + float64(r[4+2*k]), a.Y + float64(r[5+2*k])}
		}
		out = append(out, d)
	}
	return out
}

// suppress keeps the strongest of overlapping detections. Each kept box and
// its keypoints are the score-weighted mean of the detections it suppresses
// (MediaPipe's "weighted" non-maximum suppression), which steadies them.
func suppress(dets []Detection, overlap float64) []Detection {
	slices.SortStableFunc(dets, func(a, b Detection) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	used := make([]bool, len(dets))
	var out []Detection
	for i := range dets {
		if used[i] {
			continue
		}
		var sum float64
		var box Rect
		var keys [numKeys]Point
		for j := i; j < len(dets); j++ {
			if used[j] || iou(dets[i].Box, dets[j].Box) < overlap {
				continue
			}
			used[j] = true
			s := dets[j].Score
			sum += s
			box.X0 += s * dets[j].Box.X0
			box.Y0 += s * dets[j].Box.Y0
			box.X1 += s * dets[j].Box.X1
			box.Y1 += s * dets[j].Box.Y1
			for k := range keys {
				keys[k].X += s * dets[j].Keys[k].X
				keys[k].Y += s * dets[j].Keys[k].Y
			}
		}
		d := Detection{Score: dets[i].Score, Box: Rect{box.X0 / sum, box.Y0 / sum, box.X1 / sum, box.Y1 / sum}}
		for k := range keys {
			d.Keys[k] = Point{keys[k].X / sum, keys[k].Y / sum}
		}
		out = append(out, d)
	}
	return out
}
