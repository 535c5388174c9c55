package dataset

import (
	"encoding/binary"
	"errors"
	"math"
	"unsafe"

	pigo "github.com/esimov/pigo/core"
)

// faceCascade evaluates pigo's face cascade (facefinder) exactly as pigo's
// RunCascade and classifyRegion do (same windows in the same order, same
// float32 sums, so the same detections), only faster:
//
//   - a window's sample points are tables of pixel offsets per scale and
//     row stride (pigo recomputes row*256+code*scale>>8 products at every
//     node; (256r+x)>>8 == r+(x>>8), so the offsets are exact), filled
//     lazily as windows reach deeper trees and kept by the caller from
//     image to image (photos of one size share them all);
//   - windows whose every sample lies in the uniform grey border are not
//     evaluated: on a constant patch every test takes the same branch, so
//     they all score greyScore, which for facefinder is a rejection.
type faceCascade struct {
	depth, leaves, trees int
	codes                []int8 // per tree: 4 padding bytes, then 4 per inner node
	preds                []float32
	thresholds           []float32
	greyScore            float32 // score of any window on a constant patch
}

func parseFaceCascade(b []byte) (*faceCascade, error) {
	if len(b) < 16 {
		return nil, errors.New("face cascade too short")
	}
	c := &faceCascade{
		depth: int(binary.LittleEndian.Uint32(b[8:])),
		trees: int(binary.LittleEndian.Uint32(b[12:])),
	}
	if c.depth < 1 || c.depth > 12 || c.trees < 1 {
		return nil, errors.New("face cascade header out of range")
	}
	c.leaves = 1 << c.depth
	per := 4*c.leaves - 4 + 4*c.leaves + 4
	if len(b)-16 != c.trees*per {
		return nil, errors.New("face cascade size does not match its header")
	}
	c.codes = make([]int8, 0, c.trees*4*c.leaves)
	c.preds = make([]float32, 0, c.trees*c.leaves)
	c.thresholds = make([]float32, 0, c.trees)
	pos := 16
	for range c.trees {
		c.codes = append(c.codes, 0, 0, 0, 0)
		for _, v := range b[pos : pos+4*c.leaves-4] {
			c.codes = append(c.codes, int8(v))
		}
		pos += 4*c.leaves - 4
		for range c.leaves {
			c.preds = append(c.preds, math.Float32frombits(binary.LittleEndian.Uint32(b[pos:])))
			pos += 4
		}
		c.thresholds = append(c.thresholds, math.Float32frombits(binary.LittleEndian.Uint32(b[pos:])))
		pos += 4
	}
	// On a constant patch every test px1 <= px2 holds: the rightmost leaf.
	c.greyScore = -1
	var out float32
	for i := range c.trees {
		out += c.preds[i*c.leaves+c.leaves-1]
		if out <= c.thresholds[i] {
			break
		}
		if i == c.trees-1 {
			c.greyScore = out - c.thresholds[i]
		}
	}
	return c, nil
}

// scaleTable holds the sample offsets of every inner node of the first
// ready trees, at one scale and row stride.
type scaleTable struct {
	off   []int32 // 2 per node: (tree*leaves + node)*2; nodes start at 1
	ready int
	scale int
	dim   int
}

// faceTables are the scale tables a detector keeps between images, by
// scale and row stride. Not safe for concurrent use.
type faceTables map[[2]int]*scaleTable

func (ts *faceTables) get(scale, dim int) *scaleTable {
	if *ts == nil {
		*ts = faceTables{}
	}
	t := (*ts)[[2]int{scale, dim}]
	if t == nil {
		t = &scaleTable{scale: scale, dim: dim}
		(*ts)[[2]int{scale, dim}] = t
	}
	return t
}

func (c *faceCascade) fill(t *scaleTable, upto int) {
	s, dim := t.scale, t.dim
	for i := t.ready; i <= upto; i++ {
		root := i * 4 * c.leaves
		t.off = append(t.off, 0, 0)
		for idx := 1; idx < c.leaves; idx++ {
			k := root + 4*idx
			t.off = append(t.off,
				int32(((int(c.codes[k])*s)>>8)*dim+((int(c.codes[k+1])*s)>>8)),
				int32(((int(c.codes[k+2])*s)>>8)*dim+((int(c.codes[k+3])*s)>>8)))
		}
	}
	t.ready = upto + 1
}

// classify is pigo's classifyRegion for the window centred at pixel base.
// Every sample of a window run places lies inside pix (pigo's own grid
// keeps windows inside the image), so the loads skip bounds checks.
func (c *faceCascade) classify(pix []uint8, base int, t *scaleTable) float32 {
	var out float32
	leaves := c.leaves
	p := unsafe.Pointer(unsafe.SliceData(pix[base:]))
	for i := range c.trees {
		if i >= t.ready {
			c.fill(t, i)
		}
		o := t.off[i*leaves*2 : (i+1)*leaves*2 : (i+1)*leaves*2]
		idx := 1
		for range c.depth {
			a := *(*uint8)(unsafe.Add(p, o[2*idx]))
			b := *(*uint8)(unsafe.Add(p, o[2*idx+1]))
			idx *= 2
			if a <= b {
				idx++
			}
		}
		out += c.preds[i*leaves+idx-leaves]
		if out <= c.thresholds[i] {
			return -1
		}
	}
	return out - c.thresholds[c.trees-1]
}

// run is pigo's RunCascade (angle 0) over an image whose pixels outside
// inner (x0, y0, x1, y1: the real image inside its grey border) are all the
// same value. It returns the same detections in the same order. ts keeps
// the offset tables for the next image.
func (c *faceCascade) run(cp pigo.CascadeParams, x0, y0, x1, y1 int, ts *faceTables) []pigo.Detection {
	var dets []pigo.Detection
	pix, dim := cp.Pixels, cp.Dim
	skip := c.greyScore <= 0
	for scale := cp.MinSize; scale <= cp.MaxSize; scale = int(float64(scale) + math.Max(2, float64(scale)*cp.ScaleFactor-float64(scale))) {
		step := int(math.Max(cp.ShiftFactor*float64(scale), 1))
		offset := scale/2 + 1
		t := ts.get(scale, dim)
		// Samples of a window centred at r lie in [r-lo, r+hi].
		lo, hi := (scale+1)/2, scale/2
		for row := offset; row <= cp.Rows-offset; row += step {
			colFrom, colTo := offset, cp.Cols-offset
			if skip {
				if row+hi < y0 || row-lo >= y1 {
					continue
				}
				// Columns whose samples reach [x0, x1).
				if first := x0 - hi; first > colFrom {
					colFrom += (first - colFrom + step - 1) / step * step
				}
				colTo = min(colTo, x1-1+lo)
			}
			for col := colFrom; col <= colTo; col += step {
				if q := c.classify(pix, row*dim+col, t); q > 0 {
					dets = append(dets, pigo.Detection{Row: row, Col: col, Scale: scale, Q: q})
				}
			}
		}
	}
	return dets
}
