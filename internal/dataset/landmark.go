package dataset

import (
	"encoding/binary"
	"errors"
	"image"
	"math"
	"slices"
)

// landmarkCascade evaluates pigo's pupil (puploc) and landmark (lps/lpNN)
// cascades. It reads the same binary format as pigo's PuplocCascade and walks
// the trees the same way, but is deterministic: pigo perturbs the start
// point with the global math/rand (unseedable since Go 1.24) and takes the
// median over a pooled buffer that keeps stale values when fewer than 63
// perturbations run, so the same photo could get a different yaw each run.
type landmarkCascade struct {
	stages, trees, depth int
	scale                float32
	codes                []int8
	preds                []float32
}

func parseLandmarkCascade(b []byte) (*landmarkCascade, error) {
	if len(b) < 16 {
		return nil, errors.New("landmark cascade too short")
	}
	c := &landmarkCascade{
		stages: int(binary.LittleEndian.Uint32(b[0:])),
		scale:  math.Float32frombits(binary.LittleEndian.Uint32(b[4:])),
		trees:  int(binary.LittleEndian.Uint32(b[8:])),
		depth:  int(binary.LittleEndian.Uint32(b[12:])),
	}
	if c.depth < 1 || c.depth > 12 || c.stages < 1 || c.trees < 1 {
		return nil, errors.New("landmark cascade header out of range")
	}
	leaves := 1 << c.depth
	per := 4*leaves - 4 + 8*leaves
	if len(b)-16 != c.stages*c.trees*per {
		return nil, errors.New("landmark cascade size does not match its header")
	}
	c.codes = make([]int8, 0, c.stages*c.trees*(4*leaves-4))
	c.preds = make([]float32, 0, c.stages*c.trees*2*leaves)
	pos := 16
	for range c.stages * c.trees {
		for _, v := range b[pos : pos+4*leaves-4] {
			c.codes = append(c.codes, int8(v))
		}
		pos += 4*leaves - 4
		for range 2 * leaves {
			c.preds = append(c.preds, math.Float32frombits(binary.LittleEndian.Uint32(b[pos:])))
			pos += 4
		}
	}
	return c, nil
}

// regress refines one start point (row, col, scale) through every stage.
// flip mirrors the cascade horizontally (for the other side of the face).
func (c *landmarkCascade) regress(g *image.Gray, r, col, s float32, flip bool) (float32, float32, float32) {
	rows, cols := g.Rect.Dy(), g.Rect.Dx()
	leaves := 1 << c.depth
	root, pred := 0, 0
	sign := int8(1)
	if flip {
		sign = -1
	}
	for range c.stages {
		var dr, dc float32
		is := int(math.Round(float64(s)))
		ir, ic := 256*int(r), 256*int(col)
		for range c.trees {
			idx := 0
			for range c.depth {
				k := root + 4*idx
				r1 := min(rows-1, max(0, (ir+int(c.codes[k])*is)>>8))
				c1 := min(cols-1, max(0, (ic+int(sign*c.codes[k+1])*is)>>8))
				r2 := min(rows-1, max(0, (ir+int(c.codes[k+2])*is)>>8))
				c2 := min(cols-1, max(0, (ic+int(sign*c.codes[k+3])*is)>>8))
				b := 0
				if g.Pix[r1*g.Stride+c1] > g.Pix[r2*g.Stride+c2] {
					b = 1
				}
				idx = 2*idx + 1 + b
			}
			lut := 2 * (pred + idx - (leaves - 1))
			dr += c.preds[lut]
			dc += float32(sign) * c.preds[lut+1]
			root += 4*leaves - 4
			pred += leaves
		}
		r += dr * s
		col += dc * s
		s *= c.scale
	}
	return r, col, s
}

// perturbations is a fixed set of start offsets (a 2-D Halton-like sequence
// scrambled deterministically), in the range pigo draws them from.
var perturbations = func() [31][3]float32 {
	var p [31][3]float32
	h := func(i, base int) float32 {
		f, r := float32(1), float32(0)
		for i > 0 {
			f /= float32(base)
			r += f * float32(i%base)
			i /= base
		}
		return r
	}
	for i := range p {
		p[i] = [3]float32{h(i+1, 2), h(i+1, 3), h(i+1, 5)}
	}
	return p
}()

// locate runs regress from each perturbed start and returns the median.
func (c *landmarkCascade) locate(g *image.Gray, r, col, s float32, flip bool) (float32, float32, float32) {
	var rs, cs, ss [len(perturbations)]float32
	for i, p := range perturbations {
		rs[i], cs[i], ss[i] = c.regress(g,
			r+s*0.15*(0.5-p[0]), col+s*0.15*(0.5-p[1]), s*(0.925+0.15*p[2]), flip)
	}
	slices.Sort(rs[:])
	slices.Sort(cs[:])
	slices.Sort(ss[:])
	m := len(rs) / 2
	return rs[m], cs[m], ss[m]
}
