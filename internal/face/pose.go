package face

import "math"

// Pose is the head's orientation in degrees.
type Pose struct {
	// Yaw is positive when the person turned to their own left (the nose
	// moves to the right of an unmirrored photo), 0 facing the camera, ±90
	// in full profile.
	Yaw float64
	// Pitch is positive with the chin up.
	Pitch float64
	// Roll is the tilt of the line through the eyes, positive clockwise in
	// the photo.
	Roll float64
}

// A head seen from the front, in units of half the distance between the
// ears' tragions (about 7 cm), with x across, y down, z towards the camera
// and the origin midway between the ears: average adult anthropometry
// (ear to ear ~14.5 cm, tragion to nose tip ~10.5 cm deep, tragion to outer
// eye corner ~7 cm deep, eyes ~1 cm above the tragion).
const (
	headNoseDepth = 1.45
	headEyeDepth  = 0.95
	headEyeRise   = 0.12
)

// poseFromKeys estimates the head pose from BlazeFace's six keypoints,
// under an orthographic camera. Turned by yaw, the ears' half distance
// shrinks to cos(yaw) while the nose tip moves off their midpoint by
// headNoseDepth*sin(yaw), whatever the face's size; so yaw is the angle whose
// tangent is their ratio. Pitch moves the eyes above or below the ears.
func poseFromKeys(k [numKeys]Point) Pose {
	re, le := k[KeyRightEye], k[KeyLeftEye]
	roll := math.Atan2(le.Y-re.Y, le.X-re.X)
	// Undo the roll around the eyes' midpoint, so x is across the face.
	s, c := math.Sincos(-roll)
	mid := Point{(re.X + le.X) / 2, (re.Y + le.Y) / 2}
	rot := func(p Point) Point {
		dx, dy := p.X-mid.X, p.Y-mid.Y
		return Point{c*dx - s*dy, s*dx + c*dy}
	}
	rEar, lEar, nose := rot(k[KeyRightEar]), rot(k[KeyLeftEar]), rot(k[KeyNose])
	eyes := Point{0, 0}
	ears := Point{(rEar.X + lEar.X) / 2, (rEar.Y + lEar.Y) / 2}
	half := math.Abs(lEar.X-rEar.X) / 2
	off := (nose.X - ears.X) / headNoseDepth
	yaw := math.Atan2(off, half)
	// The head's unit in pixels: half=unit*cos(yaw), off=unit*sin(yaw).
	unit := math.Hypot(half, off)
	var pitch float64
	if unit > 0 {
		// Eyes above the ears by headEyeRise when level; raising the chin
		// lifts them further by about headEyeDepth*sin(pitch).
		rise := (ears.Y - eyes.Y) / unit
		pitch = math.Asin(math.Max(-1, math.Min(1, (rise-headEyeRise)/headEyeDepth)))
	}
	deg := 180 / math.Pi
	return Pose{Yaw: yaw * deg, Pitch: pitch * deg, Roll: roll * deg}
}
