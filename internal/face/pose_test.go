package face

import (
	"math"
	"testing"
)

// project places the model head's keypoints turned by yaw, pitch and roll
// (degrees) in a photo, at scale px per unit, orthographically.
func project(yaw, pitch, roll, px float64) [numKeys]Point {
	model := [numKeys][3]float64{
		KeyRightEye: {-0.42, -headEyeRise, headEyeDepth},
		KeyLeftEye:  {0.42, -headEyeRise, headEyeDepth},
		KeyNose:     {0, 0.45, headNoseDepth},
		KeyMouth:    {0, 0.95, 1.25},
		KeyRightEar: {-1, 0, 0},
		KeyLeftEar:  {1, 0, 0},
	}
	r := math.Pi / 180
	sy, cy := math.Sincos(yaw * r)
	sp, cp := math.Sincos(pitch * r)
	sr, cr := math.Sincos(roll * r)
	var out [numKeys]Point
	for i, p := range model {
		x, y, z := p[0], p[1], p[2]
		// Pitch (chin up moves the front of the face up: -y), then yaw.
		y, z = y*cp-z*sp, y*sp+z*cp
		x, z = x*cy+z*sy, -x*sy+z*cy
		x, y = x*cr-y*sr, x*sr+y*cr
		out[i] = Point{200 + px*x, 150 + px*y}
	}
	return out
}

func TestPoseFromKeys(t *testing.T) {
	tests := []struct{ yaw, pitch, roll float64 }{
		{0, 0, 0}, {30, 0, 0}, {-30, 0, 0}, {60, 0, 0}, {-75, 0, 0}, {88, 0, 0},
		{0, 15, 0}, {0, -15, 0}, {0, 0, 20}, {40, 0, -15}, {20, 10, 10},
	}
	for _, tc := range tests {
		for _, px := range []float64{20, 120} {
			got := poseFromKeys(project(tc.yaw, tc.pitch, tc.roll, px))
			if math.Abs(got.Yaw-tc.yaw) > 4 || math.Abs(got.Pitch-tc.pitch) > 5 || math.Abs(got.Roll-tc.roll) > 3 {
				t.Errorf("yaw %v pitch %v roll %v at %v px/unit: got %+v", tc.yaw, tc.pitch, tc.roll, px, got)
			}
		}
	}
}
