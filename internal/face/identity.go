package face

import (
	"math"
	"slices"
)

// Embedding is a face descriptor, L2-normalised, so that the distance of two
// faces of one person is small whatever the photo.
type Embedding []float32

// Normalize scales e to unit length in place and returns it; a zero vector
// stays zero.
func Normalize(e Embedding) Embedding {
	var s float64
	for _, v := range e {
		s += float64(v) * float64(v)
	}
	if s == 0 {
		return e
	}
	k := float32(1 / math.Sqrt(s))
	for i := range e {
		e[i] *= k
	}
	return e
}

// Distance is the cosine distance of two normalised embeddings: 0 for the
// same direction, 1 for orthogonal, 2 for opposite.
func Distance(a, b Embedding) float64 {
	var dot float64
	for i := range min(len(a), len(b)) {
		dot += float64(a[i]) * float64(b[i])
	}
	return 1 - dot
}

// Identity is who a set of photos shows: its main person and the faces that
// are someone else.
type Identity struct {
	// Medoid is the index of the face most typical of the main person (the
	// member whose distances to the other members sum least), -1 when no
	// face could be compared.
	Medoid int
	// Members are the faces of the main person, Others the faces that are
	// not, both ascending indices into the embeddings given to Group.
	Members, Others []int
	// Clear is false when no person is in more than half of the faces: then
	// no face is called "the others", since it is not known who the set is of.
	Clear bool
	// Distance is each face's distance to the medoid, NaN for a face with no
	// embedding.
	Distance []float64
}

// Group finds the main person of a set of faces. A nil embedding is a photo
// without a usable face; it is neither a member nor another person.
//
// The main person is found robustly, not from the first photo: every face
// counts its neighbours closer than sameBelow, the face with the most (ties:
// the smallest total distance) seeds the group, and the group's medoid is
// then its most central member. A face is the same person when it is closer
// than sameBelow to the medoid, or, for a face seen from an angle the medoid
// is not, closer than sameBelow to most members: a profile is nearer the
// three-quarter views of the same person than the frontal medoid.
func Group(embs []Embedding, sameBelow float64) Identity {
	id := Identity{Medoid: -1, Distance: make([]float64, len(embs)), Members: []int{}, Others: []int{}}
	var v []int
	for i, e := range embs {
		id.Distance[i] = math.NaN()
		if len(e) > 0 {
			v = append(v, i)
		}
	}
	if len(v) == 0 {
		return id
	}
	d := make([][]float64, len(embs))
	for _, i := range v {
		d[i] = make([]float64, len(embs))
		for _, j := range v {
			d[i][j] = Distance(embs[i], embs[j])
		}
	}
	near := func(i int) (n int, sum float64) {
		for _, j := range v {
			if d[i][j] < sameBelow {
				n++
			}
			sum += d[i][j]
		}
		return n, sum
	}
	seed, best, bestSum := v[0], -1, math.Inf(1)
	for _, i := range v {
		n, s := near(i)
		if n > best || (n == best && s < bestSum) {
			seed, best, bestSum = i, n, s
		}
	}
	var group []int
	for _, j := range v {
		if d[seed][j] < sameBelow {
			group = append(group, j)
		}
	}
	medoid, bestSum := seed, math.Inf(1)
	for _, i := range group {
		var s float64
		for _, j := range group {
			s += d[i][j]
		}
		if s < bestSum {
			medoid, bestSum = i, s
		}
	}
	id.Medoid = medoid
	var core []int
	for _, j := range v {
		id.Distance[j] = d[medoid][j]
		if d[medoid][j] < sameBelow {
			core = append(core, j)
		}
	}
	for _, j := range v {
		if d[medoid][j] < sameBelow {
			id.Members = append(id.Members, j)
			continue
		}
		close := 0
		for _, c := range core {
			if d[j][c] < sameBelow {
				close++
			}
		}
		if 2*close > len(core) {
			id.Members = append(id.Members, j)
		} else {
			id.Others = append(id.Others, j)
		}
	}
	id.Clear = 2*len(id.Members) > len(v)
	if !id.Clear {
		id.Others = []int{}
	}
	slices.Sort(id.Members)
	return id
}

// SamePersonBelow is the distance to the set's main person under which a
// face is theirs. Calibrated on 115 photos of 25 people (TestCalibrate;
// internal/face/calib/README.md): a face's distance to the medoid of its own
// person's photos has median 0.15, p95 0.38, max 0.50 (a near profile), and
// the closest other people sit at min 0.41, p1 0.46, median 0.63. At 0.44,
// 1 of 91 own photos is flagged (that profile) and 4 of 1,253 other
// people's faces pass (0.3%); at 0.40, 5 own photos and none of the others.
// Erring this way costs a user one photo to replace; erring the other way
// trains a LoRA on someone else's face.
const SamePersonBelow = 0.44
