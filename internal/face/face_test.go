package face

import (
	"math"
	"testing"
)

// The committed photos (testdata/README.md gives each one's source and
// licence): how many faces each shows and which way the head is turned.
func TestDetect(t *testing.T) {
	e := testEngine(t)
	tests := []struct {
		file    string
		faces   int
		profile bool // |yaw| past the three-quarter range (55 degrees)
	}{
		{"obama_portrait_2012.jpg", 1, false},
		{"obama_yellow_oval_room.jpg", 1, false},
		{"obama_portrait_very_tight_crop.jpg", 1, false},
		{"biden_portrait_2013.jpg", 1, false},
		{"biden_yellow_oval_room.jpg", 1, false},
		{"obama_biden_two_faces.jpg", 2, false},
		{"gocv_face.jpg", 1, false},
		{"grace_hopper.jpg", 1, false},
		{"grace_hopper_tight_crop.jpg", 1, false},
		{"astronaut_collins.jpg", 1, false},
		{"cameraman_profile.jpg", 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			faces, err := e.Detect(t.Context(), loadRGB(t, "testdata/"+tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(faces) != tc.faces {
				t.Fatalf("%d faces, want %d", len(faces), tc.faces)
			}
			if yaw := math.Abs(faces[0].Pose.Yaw); (yaw > 55) != tc.profile {
				t.Errorf("yaw %.1f, profile %v", faces[0].Pose.Yaw, tc.profile)
			}
		})
	}
}

// Photos of one person are closer than SamePersonBelow, photos of
// different people farther.
func TestSamePerson(t *testing.T) {
	e := testEngine(t)
	embed := func(file string) Embedding {
		img := loadRGB(t, "testdata/"+file)
		faces, err := e.Detect(t.Context(), img)
		if err != nil || len(faces) != 1 {
			t.Fatalf("%s: %d faces, %v", file, len(faces), err)
		}
		emb, err := e.Embed(t.Context(), img, faces[0])
		if err != nil {
			t.Fatal(err)
		}
		return emb
	}
	people := map[string][]string{
		"obama":  {"obama_portrait_2012.jpg", "obama_yellow_oval_room.jpg", "obama_portrait_very_tight_crop.jpg"},
		"biden":  {"biden_portrait_2013.jpg", "biden_yellow_oval_room.jpg"},
		"hopper": {"grace_hopper.jpg", "grace_hopper_tight_crop.jpg"},
		"gocv":   {"gocv_face.jpg", "gocv_face_detect_screenshot.jpg"},
	}
	embs := map[string]Embedding{}
	owner := map[string]string{}
	for p, files := range people {
		for _, f := range files {
			embs[f], owner[f] = embed(f), p
		}
	}
	for a, ea := range embs {
		for b, eb := range embs {
			if a >= b {
				continue
			}
			d := Distance(ea, eb)
			if same := owner[a] == owner[b]; same != (d < SamePersonBelow) {
				t.Errorf("%s and %s: distance %.3f, same person %v", a, b, d, same)
			}
		}
	}
}
