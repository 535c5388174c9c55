package dataset_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/promptforge/lorastudio/internal/dataset"
)

// upscaleCase is one photo of the upscale calibration: an original, or an
// enlargement of a base by factor with an ImageMagick filter at a quality.
type upscaleCase struct {
	file    string // path of the JPEG (or PNG) measured
	base    string // what it was made from
	factor  float64
	filter  string // "" for an original
	quality int
	kind    string // original, q70, enlarged, phone
}

// upscaleBases are the fixtures enlarged by the calibration: the small
// originals, and the large ones first brought down to 640 px wide (a sharp
// photo downscaled from a large one is a fair small original).
var upscaleBases = []string{
	"person_clmauthor_video/cap12_01.jpg", "person_clmauthor_video/cap12_06.jpg", "person_clmauthor_video/cap13_05.jpg",
	"person_gocv/gocv_face.jpg", "person_gocv/gocv_face-detect.jpg", "single/grace_hopper_512x512.jpg",
	"single/astronaut_skimage.png", "single/cameraman_skimage.png", "no_face/opencv_baboon.jpg",
	"no_face/skimage_chelsea.png", "no_face/skimage_coffee.png", "no_face/sklearn_china.jpg", "no_face/opencv_fruits.jpg",
	"down:no_face/wall_Kite.jpg", "down:no_face/bimg_test_exif_full_12MP.jpg", "down:no_face/goimagehash_moon_3240.jpg",
	"down:multi/vfa_sample1.jpg", "down:single/gocv_distortion_fisheye.jpg",
}

// magick runs ImageMagick's convert unless out already exists.
func magick(t *testing.T, out string, args ...string) {
	if _, err := os.Stat(out); err == nil {
		return
	}
	tmp := out + ".tmp" + filepath.Ext(out)
	if b, err := exec.Command("convert", append(args, tmp)...).CombinedOutput(); err != nil {
		t.Fatalf("convert %v: %v\n%s", args, err, b)
	}
	if err := os.Rename(tmp, out); err != nil {
		t.Fatal(err)
	}
}

// upscaleCases builds (once, into dir) every photo of the calibration.
func upscaleCases(t *testing.T, root, dir string) []upscaleCase {
	manifest, err := os.ReadFile(filepath.Join(root, "manifest.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []upscaleCase
	var jobs []func()
	slug := func(s string) string { return strings.NewReplacer("/", "_", ":", "_").Replace(s) }
	for _, line := range strings.Split(strings.TrimSpace(string(manifest)), "\n")[1:] {
		c := strings.Split(line, "\t")
		if strings.HasPrefix(c[0], "hostile/") || c[0] == "single/grace_hopper_COPY.jpg" {
			continue
		}
		src := filepath.Join(root, c[0])
		cases = append(cases, upscaleCase{file: src, base: c[0], factor: 1, kind: "original"})
		q70 := filepath.Join(dir, "q70_"+slug(c[0])+".jpg")
		jobs = append(jobs, func() { magick(t, q70, src, "-quality", "70") })
		cases = append(cases, upscaleCase{file: q70, base: c[0], factor: 1, quality: 70, kind: "q70"})
	}
	for _, b := range upscaleBases {
		src := filepath.Join(root, strings.TrimPrefix(b, "down:"))
		if strings.HasPrefix(b, "down:") {
			down := filepath.Join(dir, "base_"+slug(b)+".jpg")
			magick(t, down, src, "-filter", "Lanczos", "-resize", "640x", "-quality", "92")
			cases = append(cases, upscaleCase{file: down, base: b, factor: 1, quality: 92, kind: "original"})
			src = down
		}
		for _, f := range []float64{1.5, 2, 3} {
			for _, filter := range []string{"Lanczos", "Catrom", "Mitchell"} {
				for _, q := range []int{70, 80, 90, 95} {
					out := filepath.Join(dir, fmt.Sprintf("up_%s_x%g_%s_q%d.jpg", slug(b), f, filter, q))
					jobs = append(jobs, func() {
						magick(t, out, src, "-filter", filter, "-resize", fmt.Sprintf("%g%%", 100*f), "-quality", strconv.Itoa(q))
					})
					cases = append(cases, upscaleCase{file: out, base: b, factor: f, filter: filter, quality: q, kind: "enlarged"})
				}
			}
		}
	}
	// Phone-like 12 MP photos (the fixtures README's recipe), which must not
	// be flagged: photos this large are not measured (see upscaleFullShort),
	// although the ones made from small bases are themselves enlargements.
	for _, b := range []string{"person_gocv/gocv_face.jpg", "single/grace_hopper_512x512.jpg", "no_face/wall_Kite.jpg",
		"no_face/bimg_test_exif_full_12MP.jpg", "person_clmauthor_video/cap12_01.jpg"} {
		src := filepath.Join(root, b)
		out := filepath.Join(dir, "phone_"+slug(b)+".jpg")
		jobs = append(jobs, func() {
			magick(t, out, src, "-resize", "4000x3000!", "-attenuate", "0.4", "+noise", "Gaussian", "-quality", "92")
		})
		cases = append(cases, upscaleCase{file: out, base: b, factor: 0, quality: 92, kind: "phone"})
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			j()
		}()
	}
	wg.Wait()
	return cases
}

// TestCalibrateUpscale measures the upscale detector on the fixtures and on
// their 1.5x, 2x and 3x enlargements (Lanczos, Catmull-Rom and Mitchell, at
// JPEG quality 70 to 95) made with ImageMagick, and prints the table and the
// separation. It needs the fixtures and convert; LORASTUDIO_UPSCALE_CACHE
// keeps the generated photos between runs.
//
//	LORASTUDIO_FIXTURES=/work/shared/fixtures LORASTUDIO_UPSCALE_CACHE=/tmp/upscale-cal \
//	  go test -run CalibrateUpscale -v ./internal/dataset/
func TestCalibrateUpscale(t *testing.T) {
	root := os.Getenv("LORASTUDIO_FIXTURES")
	if root == "" {
		t.Skip("set LORASTUDIO_FIXTURES to the fixtures folder to run the calibration")
	}
	if _, err := exec.LookPath("convert"); err != nil {
		t.Skip("ImageMagick's convert is needed: apt-get install -y imagemagick")
	}
	dir := os.Getenv("LORASTUDIO_UPSCALE_CACHE")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := upscaleCases(t, root, dir)
	srcs := make([]dataset.Source, len(cases))
	srcBytes := make([][]byte, len(cases))
	for i, c := range cases {
		b, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		srcs[i], srcBytes[i] = memSource(strconv.Itoa(i), b), b
	}
	r, err := dataset.Validate(t.Context(), srcs, dataset.Options{MinResolution: 1})
	if err != nil {
		t.Fatal(err)
	}
	// flagged[kind/factor] counts; ratio is the estimated native width over
	// the true one (the base's width) for the flagged enlargements.
	type tally struct {
		n, flagged, within int
		drops              []float64
	}
	tallies := map[string]*tally{}
	var ratios []float64
	t.Logf("cliff %.2f decades; file, factor, filter, quality, size, estimated native size, flagged", dataset.UpscaleCliff)
	for i, c := range cases {
		it := itemByName(r, strconv.Itoa(i))
		flagged := slices.ContainsFunc(it.Issues, func(is dataset.Issue) bool { return is.Code == dataset.CodeUpscaled })
		key := fmt.Sprintf("%s x%g", c.kind, c.factor)
		if c.kind == "enlarged" {
			key = fmt.Sprintf("enlarged x%g %s", c.factor, c.filter)
		}
		tl := tallies[key]
		if tl == nil {
			tl = &tally{}
			tallies[key] = tl
		}
		tl.n++
		native := "-"
		if flagged {
			tl.flagged++
			native = fmt.Sprintf("%dx%d", it.NativeWidth, it.NativeHeight)
			if c.kind == "enlarged" {
				ratio := float64(it.NativeWidth) * c.factor / float64(it.Width)
				ratios = append(ratios, ratio)
				if ratio >= 0.75 && ratio <= 1.25 {
					tl.within++
				}
			}
		}
		drop, at, _, err := dataset.MeasureCliff(srcBytes[i])
		if err != nil {
			t.Fatal(err)
		}
		tl.drops = append(tl.drops, drop)
		t.Logf("%-50s x%-3g %-8s q%-3d %5dx%-5d drop %.2f at %.2f native %-10s flagged=%v",
			c.base, c.factor, c.filter, c.quality, it.Width, it.Height, drop, at, native, flagged)
	}
	keys := make([]string, 0, len(tallies))
	for k := range tallies {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	t.Log("separation (flagged / measured; for enlargements, how many estimates are within 25% of the true native width):")
	for _, k := range keys {
		tl := tallies[k]
		t.Logf("  %-28s %3d / %3d flagged, %3d within 25%%; drop %s", k, tl.flagged, tl.n, tl.within, quantiles(tl.drops))
	}
	if len(ratios) > 0 {
		slices.Sort(ratios)
		t.Logf("estimated/true native width over flagged enlargements: p10 %.2f median %.2f p90 %.2f",
			ratios[len(ratios)/10], ratios[len(ratios)/2], ratios[9*len(ratios)/10])
	}
	for _, k := range []string{"original x1", "q70 x1", "phone x0"} {
		if tl := tallies[k]; tl != nil && tl.flagged > 0 {
			t.Errorf("%s: %d of %d flagged, want none", k, tl.flagged, tl.n)
		}
	}
	// What the thresholds were chosen for: every 2x Lanczos enlargement.
	if tl := tallies["enlarged x2 Lanczos"]; tl.flagged < tl.n {
		t.Errorf("2x Lanczos: %d of %d flagged, want all", tl.flagged, tl.n)
	}
}

// quantiles formats the min, 10th percentile, median and max of v.
func quantiles(v []float64) string {
	s := slices.Clone(v)
	slices.Sort(s)
	return fmt.Sprintf("min %.2f p10 %.2f med %.2f max %.2f", s[0], s[len(s)/10], s[len(s)/2], s[len(s)-1])
}
