package dataset_test

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/face"
)

// faceTestdata reads a photo of the face package's test set (other people
// than the person of testdata/person; see ../face/testdata/README.md).
func faceTestdata(tb testing.TB, name string) dataset.Source {
	tb.Helper()
	b, err := os.ReadFile("../face/testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return memSource(name, b)
}

func TestIdentity(t *testing.T) {
	person := personSources(t)
	others := []string{"obama_portrait_2012.jpg", "biden_portrait_2013.jpg", "grace_hopper.jpg", "astronaut_collins.jpg"}
	var otherSrcs []dataset.Source
	for _, o := range others {
		otherSrcs = append(otherSrcs, faceTestdata(t, o))
	}
	tests := []struct {
		name     string
		srcs     []dataset.Source
		clear    bool
		others   []string
		noMain   bool
		minMatch int
	}{
		{"one person", person[:15], true, []string{}, false, 14},
		// The others come first: the main person is found from the faces,
		// not from the first photo.
		{"eleven and four others", slices.Concat(otherSrcs, person[:11]), true, others, false, 10},
		{"no one in most photos", slices.Concat(person[:2], otherSrcs, []dataset.Source{faceTestdata(t, "obama_yellow_oval_room.jpg")}), false, []string{}, true, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := dataset.Validate(t.Context(), tc.srcs, webcam)
			if err != nil {
				t.Fatal(err)
			}
			id := r.Identity
			got := slices.Sorted(slices.Values(id.Others))
			if id.Clear != tc.clear || !slices.Equal(got, slices.Sorted(slices.Values(tc.others))) || id.Members < tc.minMatch {
				t.Fatalf("identity %+v; want clear %v, others %v, at least %d members", id, tc.clear, tc.others, tc.minMatch)
			}
			if id.Reference == "" || id.ReferenceBox == nil {
				t.Errorf("no reference face: %+v", id)
			}
			for _, o := range tc.others {
				if !hasIssue(itemByName(r, o), dataset.CodeDifferentPerson) {
					t.Errorf("%s has no different_person issue", o)
				}
			}
			f := findFinding(r, dataset.CodeDifferentPerson)
			if (f != nil) != (len(tc.others) > 0) || (f != nil && len(f.Files) != len(tc.others)) {
				t.Errorf("different_person finding %+v", f)
			}
			if (findFinding(r, dataset.CodeNoMainPerson) != nil) != tc.noMain {
				t.Errorf("no_main_person finding: %v", codesOf(r.Errors))
			}
			for _, it := range r.Items {
				if slices.Contains(tc.others, it.File) == (it.IdentityDistance != nil && *it.IdentityDistance < face.SamePersonBelow) && tc.clear {
					t.Errorf("%s: distance %v", it.File, it.IdentityDistance)
				}
			}
		})
	}
}

// A profile is found and counted as one; pigo's frontal cascade found none.
func TestProfileIsCountedAsProfile(t *testing.T) {
	r, err := dataset.Validate(t.Context(), []dataset.Source{faceTestdata(t, "cameraman_profile.jpg")}, webcam)
	if err != nil {
		t.Fatal(err)
	}
	it := itemByName(r, "cameraman_profile.jpg")
	if it.Faces != 1 || (it.Pose != dataset.PoseProfileLeft && it.Pose != dataset.PoseProfileRight) {
		t.Fatalf("faces %d pose %q yaw %.1f", it.Faces, it.Pose, it.Yaw)
	}
	if r.Variety.Poses[it.Pose] != 1 {
		t.Errorf("variety %+v does not count the profile", r.Variety.Poses)
	}
}

// A second validation of the same photos (the desktop's after every change)
// reuses the faces found the first time and reports exactly the same.
func TestRevalidationReportsTheSame(t *testing.T) {
	srcs := slices.Concat(personSources(t)[:6], []dataset.Source{faceTestdata(t, "grace_hopper.jpg")})
	dataset.ForgetFaces()
	first, err := dataset.Validate(t.Context(), srcs, webcam)
	if err != nil {
		t.Fatal(err)
	}
	again, err := dataset.Validate(t.Context(), srcs, webcam)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(first)
	b, _ := json.Marshal(again)
	if !bytes.Equal(a, b) {
		t.Errorf("the second report differs:\n%s\n%s", a, b)
	}
	if !slices.Equal(first.Identity.Others, []string{"grace_hopper.jpg"}) {
		t.Errorf("others %v", first.Identity.Others)
	}
	// The same report could come from running the models again: make the
	// memo lie about one photo and see the lie, so the memo is what answered.
	dataset.RememberNoFaces(itemByName(first, "grace_hopper.jpg").SHA256)
	third, err := dataset.Validate(t.Context(), srcs, webcam)
	if err != nil {
		t.Fatal(err)
	}
	if it := itemByName(third, "grace_hopper.jpg"); it.Faces != 0 || !hasIssue(it, dataset.CodeNoFace) {
		t.Errorf("grace_hopper.jpg after the memo said no face: %d faces, issues %+v", it.Faces, it.Issues)
	}
	dataset.ForgetFaces()
}
