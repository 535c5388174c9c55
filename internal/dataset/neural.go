package dataset

import (
	"context"
	"math"

	"github.com/promptforge/lorastudio/internal/face"
)

// pigoPerBlaze is the side of pigo's square face box over the side of the
// neural detector's box for the same face (median over the fixtures), so
// that face size, sharpness and brightness are measured on the same region
// whichever detector found the face.
const pigoPerBlaze = 1.05

// findFaces finds the faces of a working image, strongest first: the
// neural detector first (it finds profiles and tight crops that pigo's
// frontal cascade misses), pigo when it finds none (pigo finds faces too
// small for the neural detector's 128-pixel view of the whole photo).
func (w *worker) findFaces(ctx context.Context, eng *face.Engine, wi workImage) ([]detected, error) {
	nf, err := eng.Detect(ctx, wi.rgb)
	if err != nil {
		return nil, err
	}
	if len(nf) == 0 {
		return detectFaces(wi.gray, &w.tables)
	}
	out := make([]detected, len(nf))
	for i, f := range nf {
		c := f.Box.Centre()
		d := detected{x: c.X, y: c.Y, size: pigoPerBlaze * math.Max(f.Box.W(), f.Box.H()), score: f.Score, neural: &nf[i]}
		d.eyes = true
		d.leftEye = [2]float64{f.Keys[face.KeyRightEye].X, f.Keys[face.KeyRightEye].Y} // the person's right eye is on the image's left
		d.rightEye = [2]float64{f.Keys[face.KeyLeftEye].X, f.Keys[face.KeyLeftEye].Y}
		d.nose = [2]float64{f.Keys[face.KeyNose].X, f.Keys[face.KeyNose].Y}
		m := [2]float64{f.Keys[face.KeyMouth].X, f.Keys[face.KeyMouth].Y}
		d.mouthLeft, d.mouthRite = m, m
		out[i] = d
	}
	return out, nil
}

// neuralFace is the face the embedding model is given for a detection:
// the neural detector's own, or one built from pigo's box and pupils.
func (d detected) neuralFace() face.Face {
	if d.neural != nil {
		return *d.neural
	}
	half := d.size / pigoPerBlaze / 2
	f := face.Face{Detection: face.Detection{Box: face.Rect{X0: d.x - half, Y0: d.y - half, X1: d.x + half, Y1: d.y + half}, Score: d.score}}
	if d.eyes {
		f.Keys[face.KeyRightEye] = face.Point{X: d.leftEye[0], Y: d.leftEye[1]}
		f.Keys[face.KeyLeftEye] = face.Point{X: d.rightEye[0], Y: d.rightEye[1]}
	} else {
		f.Keys[face.KeyRightEye] = face.Point{X: d.x - half/2, Y: d.y}
		f.Keys[face.KeyLeftEye] = face.Point{X: d.x + half/2, Y: d.y}
	}
	return f
}
