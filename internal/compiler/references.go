package compiler

import (
	"cmp"
	"slices"
)

// Poses, as the dataset engine names a face's head angle.
const (
	PoseFrontal           = "frontal"
	PoseThreeQuarterLeft  = "three_quarter_left"
	PoseThreeQuarterRight = "three_quarter_right"
	PoseProfileLeft       = "profile_left"
	PoseProfileRight      = "profile_right"
)

// Candidate is one validated photo that may become a reference image. It is
// this package's own small view of a dataset item, so the compiler does not
// depend on the dataset engine.
type Candidate struct {
	Path      string  `json:"path"`
	SHA256    string  `json:"sha256"`
	Sharpness float64 `json:"sharpness"` // higher is sharper
	Pose      string  `json:"pose"`      // one of the Pose* constants, or ""
	Faces     int     `json:"faces"`
	HasError  bool    `json:"has_error"` // any issue of severity "error"
	Width     int     `json:"width"`     // after EXIF orientation
	Height    int     `json:"height"`
	FaceBox   *Box    `json:"face_box,omitempty"` // the main face, in oriented pixels
}

// Box is a rectangle in pixels.
type Box struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

// Selected is a chosen reference: the candidate and the role it fills.
type Selected struct {
	Candidate
	Role string `json:"role"` // the pose it was picked for, or "extra"
}

// wanted is the order in which views are filled: the sharpest frontal
// first (the view every platform reads best), then the sharpest
// three-quarter and profile views of either side, so even three references
// cover the head from the front, at an angle and from the side; then the
// other side of each; whatever is left goes by sharpness.
var wanted = [][]string{
	{PoseFrontal},
	{PoseThreeQuarterLeft, PoseThreeQuarterRight},
	{PoseProfileLeft, PoseProfileRight},
	{PoseThreeQuarterLeft, PoseThreeQuarterRight},
	{PoseProfileLeft, PoseProfileRight},
}

// Views are the three angles a reference set should cover.
var Views = []struct {
	Name  string
	Poses []string
}{
	{"frontal", []string{PoseFrontal}},
	{"three-quarter", []string{PoseThreeQuarterLeft, PoseThreeQuarterRight}},
	{"profile", []string{PoseProfileLeft, PoseProfileRight}},
}

// MissingViews names the views among the first n of Views (n is how many
// references the platform takes) that sel does not cover.
func MissingViews(sel []Selected, n int) []string {
	var out []string
	for i, v := range Views {
		if i >= n {
			break
		}
		if !slices.ContainsFunc(sel, func(s Selected) bool { return slices.Contains(v.Poses, s.Role) }) {
			out = append(out, v.Name)
		}
	}
	return out
}

// SelectReferences picks up to n references from the candidates: never a
// photo with an error, never one without exactly one face, never the same
// bytes twice. Ties are broken by sha256 and path so the choice is
// reproducible.
func SelectReferences(cands []Candidate, n int) []Selected {
	if n <= 0 {
		return nil
	}
	var ok []Candidate
	for _, c := range cands {
		if !c.HasError && c.Faces == 1 && c.Path != "" {
			ok = append(ok, c)
		}
	}
	slices.SortFunc(ok, func(a, b Candidate) int {
		return cmp.Or(cmp.Compare(b.Sharpness, a.Sharpness), cmp.Compare(a.SHA256, b.SHA256), cmp.Compare(a.Path, b.Path))
	})
	// Deduplicate after sorting, so which copy survives does not depend on
	// the order the photos came in.
	seen := map[string]bool{}
	ok = slices.DeleteFunc(ok, func(c Candidate) bool {
		key := c.SHA256
		if key == "" {
			key = "path:" + c.Path
		}
		dup := seen[key]
		seen[key] = true
		return dup
	})
	used := make([]bool, len(ok))
	var out []Selected
	take := func(i int, role string) {
		used[i] = true
		out = append(out, Selected{Candidate: ok[i], Role: role})
	}
	for _, poses := range wanted {
		if len(out) == n {
			return out
		}
		// The sharpest unused photo of any of these poses (ok is sorted).
		for i, c := range ok {
			if !used[i] && slices.Contains(poses, c.Pose) && !slices.ContainsFunc(out, func(s Selected) bool { return s.Role == c.Pose }) {
				take(i, c.Pose)
				break
			}
		}
	}
	for i := range ok {
		if len(out) == n {
			break
		}
		if !used[i] {
			take(i, "extra")
		}
	}
	return out
}
