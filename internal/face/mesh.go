package face

import (
	"context"
	"fmt"
	"math"

	"github.com/promptforge/lorastudio/internal/nn"
)

// FaceMesh settings: the crop @vladmandic/human gives it (the detector's
// box enlarged 1.4 times, square, not turned), the face-presence score
// under which its landmarks are not trusted, and the landmarks the head's
// axes are taken from (MediaPipe's canonical mesh numbering: 10 top of the
// forehead, 152 chin, 234 and 454 the sides of the face at the ears).
const (
	meshScale    = 1.4
	meshMinScore = 0.5
	meshTop      = 10
	meshChin     = 152
	meshRight    = 234 // the person's right, the image's left
	meshLeft     = 454
	meshPoints   = 468
	// meshYawGain corrects FaceMesh's depth, which is flatter than a real
	// head's: the profiles of the calibration photos (cameraman, two more)
	// read 37 to 50 degrees and a three-quarter view 27, so raw yaw is
	// scaled by 1.8 to put them at 67-90 and 48 degrees, where the pose
	// labels' thresholds (15 and 55) expect them. Pitch needs no gain: a
	// face looking down reads -34.
	meshYawGain = 1.8
)

// WithMesh adds FaceMesh, whose 468 landmarks give the head's pose better
// than the detector's six keypoints (which cannot tell a three-quarter view
// from a profile).
func (e *Engine) WithMesh(m ModelFiles) (*Engine, error) {
	mesh, err := nn.Load(m.JSON, m.Shards...)
	if err != nil {
		return nil, fmt.Errorf("face mesh: %w", err)
	}
	in, n, err := squareInput(mesh)
	if err != nil {
		return nil, fmt.Errorf("face mesh: %w", err)
	}
	c := *e
	c.mesh, c.meshIn, c.meshN = mesh, in, n
	return &c, nil
}

// meshPose runs FaceMesh on one detection and returns the head's pose from
// its landmarks; ok is false when FaceMesh does not see a face there.
func (e *Engine) meshPose(ctx context.Context, img *RGB, d Detection) (Pose, bool, error) {
	w := window{centre: d.Box.Centre(), side: meshScale * math.Max(d.Box.W(), d.Box.H()), n: e.meshN}
	in := nn.NewTensor(1, e.meshN, e.meshN, 3)
	w.sample(img, in.Data, 1.0/255, 0)
	out, err := e.mesh.Run(ctx, map[string]*nn.Tensor{e.meshIn: in})
	if err != nil {
		return Pose{}, false, err
	}
	var mesh, flag *nn.Tensor
	for _, t := range out {
		switch len(t.Data) {
		case 3 * meshPoints:
			mesh = t
		case 1:
			flag = t
		}
	}
	if mesh == nil || flag == nil {
		return Pose{}, false, fmt.Errorf("face mesh: unexpected outputs")
	}
	if s := 1 / (1 + math.Exp(-float64(flag.Data[0]))); s < meshMinScore {
		return Pose{}, false, nil
	}
	k := w.side / float64(e.meshN)
	pt := func(i int) [3]float64 {
		p := w.toImage(float64(mesh.Data[3*i]), float64(mesh.Data[3*i+1]))
		return [3]float64{p.X, p.Y, k * float64(mesh.Data[3*i+2])}
	}
	p := poseFromAxes(sub3(pt(meshLeft), pt(meshRight)), sub3(pt(meshChin), pt(meshTop)))
	p.Yaw = math.Max(-90, math.Min(90, meshYawGain*p.Yaw))
	return p, true, nil
}

// poseFromAxes turns the head's across axis (right ear to left ear) and
// down axis (forehead to chin), in image x right, y down and z away from
// the camera, into yaw, pitch and roll. Turned to its own left, the head's
// left side moves away (+z); chin up, the chin comes closer (-z).
func poseFromAxes(across, down [3]float64) Pose {
	deg := 180 / math.Pi
	return Pose{
		Yaw:   math.Atan2(across[2], math.Hypot(across[0], across[1])) * deg,
		Pitch: math.Atan2(-down[2], math.Hypot(down[0], down[1])) * deg,
		Roll:  math.Atan2(across[1], across[0]) * deg,
	}
}

func sub3(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
