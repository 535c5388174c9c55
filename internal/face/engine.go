package face

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/promptforge/lorastudio/internal/nn"
)

// Engine runs the face models. It is immutable and safe for concurrent use;
// load it once per process (Default) since the models take a few MB each.
type Engine struct {
	det     *nn.Model
	detIn   string
	detN    int
	anchors []Point
	emb     *nn.Model
	embIn   string
	embOut  string
	embN    int
	caffe   bool
	mesh    *nn.Model // optional: head pose from FaceMesh landmarks
	meshIn  string
	meshN   int
}

// Detector and embedding settings, calibrated on ../shared/fixtures and the
// calibration set (see calib/README.md for the numbers behind each).
const (
	// detMinScore is the detector's confidence below which a box is dropped.
	detMinScore = 0.5
	// detOverlap is the IoU above which two boxes are one face.
	detOverlap = 0.3
	// embScale is the side of the embedding's crop over the detector's box
	// (the crop @vladmandic/human gives its face models).
	embScale = 1.4
)

// Input normalisations: the detector wants [-1, 1], the embedding model
// 0..255.
const (
	detMul, detAdd = 2.0 / 255, -1
	embMul, embAdd = 1, 0
)

// ModelFiles is one model's model.json and its weight shards, and for a
// model with several outputs, the one to use.
type ModelFiles struct {
	JSON   []byte
	Shards [][]byte
	Output string
	// Caffe says the model was trained on Keras' "caffe" input: BGR, with
	// the ImageNet means subtracted (0..255 RGB otherwise).
	Caffe bool
}

// NewEngine loads a BlazeFace detector and an embedding model.
func NewEngine(det, emb ModelFiles) (*Engine, error) {
	e := &Engine{}
	var err error
	if e.det, err = nn.Load(det.JSON, det.Shards...); err != nil {
		return nil, fmt.Errorf("face detector: %w", err)
	}
	if e.detIn, e.detN, err = squareInput(e.det); err != nil {
		return nil, fmt.Errorf("face detector: %w", err)
	}
	e.anchors = blazeAnchors(e.detN)
	if e.emb, err = nn.Load(emb.JSON, emb.Shards...); err != nil {
		return nil, fmt.Errorf("face embedding: %w", err)
	}
	if e.embIn, e.embN, err = squareInput(e.emb); err != nil {
		return nil, fmt.Errorf("face embedding: %w", err)
	}
	e.embOut, e.caffe = emb.Output, emb.Caffe
	if outs := e.emb.Outputs(); e.embOut == "" && len(outs) == 1 {
		e.embOut = outs[0]
	}
	if e.embOut == "" {
		return nil, fmt.Errorf("face embedding: name which of its outputs is the embedding")
	}
	return e, nil
}

// squareInput returns a model's single input and its side, from an NHWC
// shape [batch, n, n, 3].
func squareInput(m *nn.Model) (string, int, error) {
	ins := m.Inputs()
	if len(ins) != 1 {
		return "", 0, fmt.Errorf("%d inputs, want 1", len(ins))
	}
	s := m.InputShape(ins[0])
	if len(s) != 4 || s[1] <= 0 || s[1] != s[2] || s[3] != 3 {
		return "", 0, fmt.Errorf("input shape %v, want [1 n n 3]", s)
	}
	return ins[0], s[1], nil
}

// Face is one face in a photo.
type Face struct {
	Detection
	Pose Pose
}

// Detect finds the faces of img, strongest first, in img's pixels.
func (e *Engine) Detect(ctx context.Context, img *RGB) ([]Face, error) {
	var all []Detection
	for _, w := range detWindows(img.W, img.H, e.detN) {
		in := nn.NewTensor(1, e.detN, e.detN, 3)
		w.sample(img, in.Data, detMul, detAdd)
		dets, err := e.detect(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, d := range dets {
			// Back from the detector's input to the photo's pixels.
			p0, p1 := w.toImage(d.Box.X0, d.Box.Y0), w.toImage(d.Box.X1, d.Box.Y1)
			d.Box = Rect{p0.X, p0.Y, p1.X, p1.Y}
			for k := range d.Keys {
				d.Keys[k] = w.toImage(d.Keys[k].X, d.Keys[k].Y)
			}
			all = append(all, d)
		}
	}
	dets := suppress(all, detOverlap)
	faces := make([]Face, 0, len(dets))
	for _, d := range dets {
		f := Face{Detection: d, Pose: poseFromKeys(d.Keys)}
		if e.mesh != nil {
			p, ok, err := e.meshPose(ctx, img, d)
			if err != nil {
				return nil, err
			}
			if ok {
				f.Pose = p
			}
		}
		faces = append(faces, f)
	}
	return faces, nil
}

// detWindows are the views of a w x h photo the detector looks at: the
// whole photo stretched to its square input, as @vladmandic/human gives it
// (on the calibration photos this finds tight crops and profiles that a
// letterboxed view misses); a photo more than twice as wide as tall (or
// tall as wide) is instead covered by overlapping windows of 4:3, since
// stretched further a face no longer looks like one. (Tiling from 3:2
// already found a cat's face in skimage's chelsea.png.)
func detWindows(w, h, n int) []window {
	long, short := float64(max(w, h)), float64(min(w, h))
	if long <= 2*short {
		return []window{{centre: Point{float64(w) / 2, float64(h) / 2}, side: float64(w), sideY: float64(h), n: n}}
	}
	span := short * 4 / 3
	count := int(math.Ceil((long-span)/(span/2))) + 1
	step := (long - span) / float64(count-1)
	var out []window
	for i := range count {
		c := span/2 + float64(i)*step
		if w > h {
			out = append(out, window{centre: Point{c, float64(h) / 2}, side: span, sideY: short, n: n})
		} else {
			out = append(out, window{centre: Point{float64(w) / 2, c}, side: short, sideY: span, n: n})
		}
	}
	return out
}

// detect runs the detector on one prepared input and returns its faces in
// input pixels.
func (e *Engine) detect(ctx context.Context, in *nn.Tensor) ([]Detection, error) {
	out, err := e.det.Run(ctx, map[string]*nn.Tensor{e.detIn: in})
	if err != nil {
		return nil, err
	}
	// The outputs are two score tensors ([1 k 1]) and two regressor tensors
	// ([1 k 16]) for the two anchor grids: 512 anchors, then 384.
	var scores, regs [2][]float32
	for _, t := range out {
		if len(t.Shape) != 3 {
			return nil, fmt.Errorf("face detector: output shape %v", t.Shape)
		}
		grid := 0
		if t.Shape[1] != 512 {
			grid = 1
		}
		if t.Shape[2] == 1 {
			scores[grid] = t.Data
		} else {
			regs[grid] = t.Data
		}
	}
	if len(scores[0])+len(scores[1]) != len(e.anchors) || len(regs[0])+len(regs[1]) != 16*len(e.anchors) {
		return nil, fmt.Errorf("face detector: outputs do not match its %d anchors", len(e.anchors))
	}
	return decodeBlaze(slices.Concat(scores[0], scores[1]), slices.Concat(regs[0], regs[1]), e.anchors, detMinScore), nil
}

// Embed returns the normalised embedding of one face of img: the face is cut
// square around its box, turned so the eyes are level, and resampled to the
// model's input.
func (e *Engine) Embed(ctx context.Context, img *RGB, f Face) (Embedding, error) {
	re, le := f.Keys[KeyRightEye], f.Keys[KeyLeftEye]
	w := window{
		centre: f.Box.Centre(),
		side:   embScale * math.Max(f.Box.W(), f.Box.H()),
		angle:  math.Atan2(le.Y-re.Y, le.X-re.X),
		n:      e.embN,
	}
	in := nn.NewTensor(1, e.embN, e.embN, 3)
	w.sample(img, in.Data, embMul, embAdd)
	if e.caffe {
		d := in.Data
		for i := 0; i < len(d); i += 3 {
			d[i], d[i+1], d[i+2] = d[i+2]-103.939, d[i+1]-116.779, d[i]-123.68
		}
	}
	out, err := e.emb.Run(ctx, map[string]*nn.Tensor{e.embIn: in}, e.embOut)
	if err != nil {
		return nil, err
	}
	return Normalize(Embedding(out[e.embOut].Data)), nil
}
