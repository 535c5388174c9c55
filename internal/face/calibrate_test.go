package face

import (
	"context"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestCalibrate prints what the thresholds are chosen from: with
// LORASTUDIO_CALIB set to a folder of one subfolder per person, the
// embedding distances of every same-person and different-person pair, and
// how many faces were found in each photo. It is a report, run by hand:
//
//	LORASTUDIO_CALIB=/path/to/calib go test -run TestCalibrate -v ./internal/face/
func TestCalibrate(t *testing.T) {
	root := os.Getenv("LORASTUDIO_CALIB")
	if root == "" {
		t.Skip("set LORASTUDIO_CALIB to a folder of one subfolder of photos per person")
	}
	e := testEngine(t)
	ctx := context.Background()
	type sample struct {
		person, file string
		emb          Embedding
	}
	var samples []sample
	// manifest.tsv, when present, names each file's person (folders such
	// as tight/ mix people) and how many faces it shows.
	person := map[string]string{}
	if b, err := os.ReadFile(filepath.Join(root, "manifest.tsv")); err == nil {
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Split(line, "\t")
			if len(f) > 3 && f[1] != "" && f[2] == "1" {
				person[f[0]] = f[1]
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(root, "*", "*"))
	found := map[int]int{}
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		who := person[rel]
		if len(person) == 0 {
			who = filepath.Base(filepath.Dir(f))
		}
		if who == "" {
			continue
		}
		img := loadRGB(t, f)
		if img == nil {
			continue
		}
		faces, err := e.Detect(ctx, img)
		if err != nil {
			t.Fatal(err)
		}
		found[min(len(faces), 2)]++
		if len(faces) == 0 {
			t.Logf("no face: %s", rel)
			continue
		}
		best := largest(faces)
		emb, err := e.Embed(ctx, img, best)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-40s %-12s faces %d score %.2f yaw %5.1f pitch %5.1f roll %5.1f", rel, who, len(faces), best.Score, best.Pose.Yaw, best.Pose.Pitch, best.Pose.Roll)
		samples = append(samples, sample{who, rel, emb})
	}
	t.Logf("photos with 0 / 1 / 2+ faces: %d / %d / %d", found[0], found[1], found[2])
	var same, diff []float64
	for i := range samples {
		for j := i + 1; j < len(samples); j++ {
			d := Distance(samples[i].emb, samples[j].emb)
			if samples[i].person == samples[j].person {
				same = append(same, d)
			} else {
				diff = append(diff, d)
			}
		}
	}
	t.Logf("same person:      %s", quantiles(same))
	t.Logf("different people: %s", quantiles(diff))
	// The threshold that misclassifies the fewest pairs, same and different
	// weighted equally.
	best, bestErr := 0.0, math.Inf(1)
	for th := 0.05; th < 1.5; th += 0.01 {
		fr := float64(countAbove(same, th)) / float64(max(1, len(same)))
		fa := float64(len(diff)-countAbove(diff, th)) / float64(max(1, len(diff)))
		if fr+fa < bestErr {
			best, bestErr = th, fr+fa
		}
	}
	t.Logf("best threshold %.2f: same pairs above %d of %d, different pairs below %d of %d", best,
		countAbove(same, best), len(same), len(diff)-countAbove(diff, best), len(diff))

	// What Group decides on: each face's distance to the medoid of its
	// person's photos, and every other person's faces' distance to it.
	byPerson := map[string][]Embedding{}
	names := map[string][]string{}
	for _, s := range samples {
		byPerson[s.person] = append(byPerson[s.person], s.emb)
		names[s.person] = append(names[s.person], s.file)
	}
	var own, other []float64
	for p, embs := range byPerson {
		if len(embs) < 4 {
			continue
		}
		id := Group(embs, 2) // everyone a member: the medoid of all of them
		m := embs[id.Medoid]
		for i, e := range embs {
			own = append(own, Distance(m, e))
			if d := Distance(m, e); d >= SamePersonBelow {
				t.Logf("far from its own medoid (%s): %s at %.3f", names[p][id.Medoid], names[p][i], d)
			}
		}
		for _, s := range samples {
			if s.person != p {
				other = append(other, Distance(m, s.emb))
			}
		}
	}
	t.Logf("to own medoid:    %s", quantiles(own))
	t.Logf("to other medoids: %s", quantiles(other))
	for _, th := range []float64{0.40, 0.42, 0.44, 0.46, 0.48, 0.50} {
		t.Logf("threshold %.2f: own photos flagged %d of %d, others passed %d of %d", th, countAbove(own, th), len(own), len(other)-countAbove(other, th), len(other))
	}
}

func countAbove(v []float64, th float64) int {
	n := 0
	for _, x := range v {
		if x >= th {
			n++
		}
	}
	return n
}

func quantiles(v []float64) string {
	if len(v) == 0 {
		return "none"
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	q := func(p float64) float64 { return s[int(p*float64(len(s)-1))] }
	return fmt.Sprintf("n %d min %.3f p1 %.3f p5 %.3f median %.3f p95 %.3f p99 %.3f max %.3f", len(s), s[0], q(0.01), q(0.05), q(0.5), q(0.95), q(0.99), s[len(s)-1])
}

func largest(faces []Face) Face {
	best := faces[0]
	for _, f := range faces[1:] {
		if f.Box.W()*f.Box.H() > best.Box.W()*best.Box.H() {
			best = f
		}
	}
	return best
}

func loadRGB(t testing.TB, path string) *RGB {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, _, err := image.Decode(f)
	if err != nil {
		return nil
	}
	return fromImage(m)
}

// fromImage converts any decoded image to RGB, dropping alpha.
func fromImage(m image.Image) *RGB {
	b := m.Bounds()
	out := &RGB{W: b.Dx(), H: b.Dy(), Pix: make([]uint8, 3*b.Dx()*b.Dy())}
	o := 0
	switch src := m.(type) {
	case *image.YCbCr:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				yi, ci := src.YOffset(x, y), src.COffset(x, y)
				out.Pix[o], out.Pix[o+1], out.Pix[o+2] = color.YCbCrToRGB(src.Y[yi], src.Cb[ci], src.Cr[ci])
				o += 3
			}
		}
	case *image.Gray:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for _, v := range src.Pix[src.PixOffset(b.Min.X, y):src.PixOffset(b.Max.X, y)] {
				out.Pix[o], out.Pix[o+1], out.Pix[o+2] = v, v, v
				o += 3
			}
		}
	default:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := m.At(x, y).RGBA()
				out.Pix[o], out.Pix[o+1], out.Pix[o+2] = uint8(r>>8), uint8(g>>8), uint8(bl>>8)
				o += 3
			}
		}
	}
	return out
}
