package compiler_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/promptforge/lorastudio/internal/compiler"
)

func TestSelectReferences(t *testing.T) {
	c := func(name string, sharp float64, pose string) compiler.Candidate {
		return compiler.Candidate{Path: name, SHA256: "sha-" + name, Sharpness: sharp, Pose: pose, Faces: 1, Width: 1024, Height: 1024}
	}
	broken := c("broken", 99, "frontal")
	broken.HasError = true
	group := c("group", 98, "frontal")
	group.Faces = 2
	noface := c("noface", 97, "")
	noface.Faces = 0
	dup := c("copy-of-f1", 90, "frontal")
	dup.SHA256 = "sha-f1"
	cands := []compiler.Candidate{
		broken, group, noface,
		c("f1", 90, "frontal"), dup, c("f2", 95, "frontal"), c("f3", 10, "frontal"),
		c("l1", 40, "three_quarter_left"), c("l2", 60, "three_quarter_left"),
		c("r1", 30, "three_quarter_right"),
		c("pl", 20, "profile_left"),
		c("x1", 80, ""),
	}
	tests := []struct {
		n    int
		want []string
	}{
		{0, nil},
		{1, []string{"f2/frontal"}},
		// Three references cover front, angle and side, before the other
		// three-quarter view.
		{3, []string{"f2/frontal", "l2/three_quarter_left", "pl/profile_left"}},
		{7, []string{"f2/frontal", "l2/three_quarter_left", "pl/profile_left", "r1/three_quarter_right", "copy-of-f1/extra", "x1/extra", "l1/extra"}},
		{20, []string{"f2/frontal", "l2/three_quarter_left", "pl/profile_left", "r1/three_quarter_right", "copy-of-f1/extra", "x1/extra", "l1/extra", "f3/extra"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			// The choice must not depend on the order the photos come in.
			for seed := range uint64(5) {
				shuffled := slices.Clone(cands)
				rand.New(rand.NewPCG(seed, 1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
				var got []string
				for _, s := range compiler.SelectReferences(shuffled, tt.n) {
					got = append(got, s.Path+"/"+s.Role)
				}
				if !slices.Equal(got, tt.want) {
					t.Fatalf("seed %d: got %v, want %v", seed, got, tt.want)
				}
			}
		})
	}
}

func TestSelectReferencesWithoutFrontal(t *testing.T) {
	cands := []compiler.Candidate{
		{Path: "a", SHA256: "a", Sharpness: 5, Pose: "profile_right", Faces: 1},
		{Path: "b", SHA256: "b", Sharpness: 9, Pose: "", Faces: 1},
	}
	got := compiler.SelectReferences(cands, 1)
	if len(got) != 1 || got[0].Path != "a" || got[0].Role != "profile_right" {
		t.Errorf("got %+v, want the profile view before an unknown pose", got)
	}
}

func TestMissingViews(t *testing.T) {
	sel := func(roles ...string) []compiler.Selected {
		var out []compiler.Selected
		for _, r := range roles {
			out = append(out, compiler.Selected{Role: r})
		}
		return out
	}
	tests := []struct {
		sel  []compiler.Selected
		n    int
		want []string
	}{
		{sel("frontal", "three_quarter_right", "profile_left"), 3, nil},
		{sel("frontal", "extra", "extra"), 3, []string{"three-quarter", "profile"}},
		{sel("frontal"), 1, nil},
		{sel("extra"), 1, []string{"frontal"}},
		{sel("three_quarter_left", "extra"), 7, []string{"frontal", "profile"}},
	}
	for _, tt := range tests {
		if got := compiler.MissingViews(tt.sel, tt.n); !slices.Equal(got, tt.want) {
			t.Errorf("MissingViews(%v, %d) = %v, want %v", tt.sel, tt.n, got, tt.want)
		}
	}
}
