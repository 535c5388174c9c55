package face

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// person makes n embeddings of one synthetic person: a fixed direction plus
// noise, so that same-person distances sit near spread and different people
// near 1.
func person(r *rand.Rand, dim, n int, spread float64) []Embedding {
	centre := make([]float64, dim)
	for i := range centre {
		centre[i] = r.NormFloat64()
	}
	out := make([]Embedding, n)
	for k := range out {
		e := make(Embedding, dim)
		for i := range e {
			e[i] = float32(centre[i] + spread*r.NormFloat64())
		}
		out[k] = Normalize(e)
	}
	return out
}

func TestGroup(t *testing.T) {
	const dim, same = 128, 0.5
	r := rand.New(rand.NewPCG(1, 2))
	alice := person(r, dim, 11, 0.5)
	bob := person(r, dim, 4, 0.5)
	carol := person(r, dim, 4, 0.5)
	dave := person(r, dim, 1, 0.5)
	cat := func(parts ...[]Embedding) []Embedding { return slices.Concat(parts...) }
	idx := func(from, to int) []int {
		var out []int
		for i := from; i < to; i++ {
			out = append(out, i)
		}
		return out
	}
	tests := []struct {
		name    string
		embs    []Embedding
		clear   bool
		members []int
		others  []int
	}{
		{"one person", alice, true, idx(0, 11), []int{}},
		// The case: 11 photos of one person and 8 of others; the
		// first photo is one of the others, so "the first photo" would be wrong.
		{"eleven and eight others", cat(bob, alice, carol), true, idx(4, 15), slices.Concat(idx(0, 4), idx(15, 19))},
		{"photos without a face are neither", cat(alice[:5], []Embedding{nil, nil}, dave), true, idx(0, 5), []int{7}},
		// Three people, four photos each: the largest group is one of them.
		{"no clear majority", cat(alice[:4], bob, carol), false, nil, []int{}},
		{"nothing to compare", []Embedding{nil, nil}, false, []int{}, []int{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := Group(tc.embs, same)
			members := tc.members
			if members == nil && len(id.Members) == 4 {
				members = id.Members
			}
			if id.Clear != tc.clear || !slices.Equal(id.Members, members) || !slices.Equal(id.Others, tc.others) {
				t.Fatalf("clear %v members %v others %v; want %v %v %v", id.Clear, id.Members, id.Others, tc.clear, tc.members, tc.others)
			}
			if len(tc.members) > 0 && !slices.Contains(tc.members, id.Medoid) {
				t.Errorf("medoid %d is not a member", id.Medoid)
			}
			for i, e := range tc.embs {
				if (e == nil) != math.IsNaN(id.Distance[i]) {
					t.Errorf("face %d: distance %v", i, id.Distance[i])
				}
			}
		})
	}
}

// A profile far from the frontal medoid but close to most of the person's
// other views stays a member.
func TestGroupKeepsAnAngleCloseToMostMembers(t *testing.T) {
	unit := func(v ...float32) Embedding { return Normalize(Embedding(v)) }
	embs := []Embedding{
		unit(1, 0, 0), unit(1, 0.1, 0), unit(1, -0.1, 0), unit(0.9, 0.5, 0), unit(0.9, 0.55, 0.05),
		unit(0.75, 0.75, 0), // the profile: cos 0.71 to the medoid, closer to the turned views
		unit(0, 0, 1),       // someone else
	}
	id := Group(embs, 0.2)
	if !slices.Equal(id.Others, []int{6}) || !slices.Contains(id.Members, 5) {
		t.Fatalf("members %v others %v (distances %v)", id.Members, id.Others, id.Distance)
	}
}

func TestDistance(t *testing.T) {
	a := Normalize(Embedding{3, 4})
	if d := Distance(a, a); math.Abs(d) > 1e-6 {
		t.Errorf("self distance %v", d)
	}
	if d := Distance(a, Normalize(Embedding{-4, 3})); math.Abs(d-1) > 1e-6 {
		t.Errorf("orthogonal distance %v", d)
	}
	if z := Normalize(Embedding{0, 0}); z[0] != 0 || z[1] != 0 {
		t.Errorf("zero vector became %v", z)
	}
}
