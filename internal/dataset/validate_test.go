package dataset_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/studio"
)

// webcam is the options under which the 400x300 webcam set is trainable.
var webcam = dataset.Options{MinResolution: 300}

func TestValidateChecks(t *testing.T) {
	person := personSources(t)
	grace := readTestdata(t, "photos/grace_hopper_512x512.jpg")
	gocv := readTestdata(t, "photos/gocv_face.jpg")
	rocket := readTestdata(t, "photos/skimage_rocket.jpg")
	frame := func(i int) []byte { // the bytes of person frame i
		rc, _ := person[i].Open()
		defer rc.Close()
		b := make([]byte, person[i].Size)
		rc.Read(b)
		return b
	}
	group := encodeJPEG(t, sideBySide(decodeJPEG(t, frame(0)), decodeJPEG(t, frame(20))), 92)
	blurred := encodeJPEG(t, imaging.Blur(decodeJPEG(t, frame(15)), 6), 92)
	// A face of ~130 px (11% of the short side) in a 1600x1200 photo.
	canvas := imaging.New(1600, 1200, image.Black.C)
	small := encodeJPEG(t, imaging.Paste(canvas, decodeJPEG(t, frame(16)), image.Pt(600, 450)), 92)
	plus := func(extra ...dataset.Source) []dataset.Source { return append(slices.Clone(person), extra...) }
	var mirrored []dataset.Source
	for i, s := range person {
		mirrored = append(mirrored, memSource("m_"+s.Name, flipped(t, frame(i))))
	}

	tests := []struct {
		name      string
		srcs      []dataset.Source
		opts      dataset.Options
		wantOK    bool
		wantCodes []string // each must be present (errors or warnings)
		notCodes  []string // none may be present
		wantFile  map[string]string
	}{
		{name: "webcam set passes at its resolution", srcs: person, opts: webcam, wantOK: true,
			wantCodes: []string{dataset.CodeNearDuplicate, dataset.CodeLowAngleVariety},
			notCodes: []string{dataset.CodeResolutionTooLow, dataset.CodeNoFace, dataset.CodeMultipleFaces,
				dataset.CodeDuplicate, dataset.CodeTooFewImages, dataset.CodeFewImages, dataset.CodeBlurry, dataset.CodeFaceTooSmall}},
		{name: "default minimum rejects 400x300", srcs: person, wantOK: false,
			wantCodes: []string{dataset.CodeResolutionTooLow}, wantFile: map[string]string{"cap12_01.jpg": dataset.CodeResolutionTooLow}},
		{name: "recommended resolution warns", srcs: person, opts: dataset.Options{MinResolution: 300, RecommendedResolution: 512}, wantOK: true,
			wantCodes: []string{dataset.CodeResolutionBelowRec}},
		{name: "duplicate", srcs: plus(memSource("copy.jpg", frame(3))), opts: webcam, wantOK: false,
			wantCodes: []string{dataset.CodeDuplicate}, wantFile: map[string]string{"copy.jpg": dataset.CodeDuplicate}},
		{name: "same pixels, different metadata", srcs: plus(memSource("tagged.jpg", withMetadata(frame(3), 1))), opts: webcam, wantOK: false,
			wantFile: map[string]string{"tagged.jpg": dataset.CodeDuplicate}},
		{name: "group photo", srcs: plus(memSource("group.jpg", group)), opts: webcam, wantOK: false,
			wantFile: map[string]string{"group.jpg": dataset.CodeMultipleFaces}},
		{name: "no face", srcs: plus(memSource("rocket.jpg", rocket)), opts: webcam, wantOK: false,
			wantFile: map[string]string{"rocket.jpg": dataset.CodeNoFace}},
		{name: "blurry face", srcs: plus(memSource("blurred.jpg", blurred)), opts: webcam, wantOK: true,
			wantFile: map[string]string{"blurred.jpg": dataset.CodeBlurry}},
		{name: "small face", srcs: plus(memSource("small.jpg", small)), opts: webcam, wantOK: true,
			wantFile: map[string]string{"small.jpg": dataset.CodeFaceTooSmall}},
		{name: "too few", srcs: person[:10], opts: webcam, wantOK: false, wantCodes: []string{dataset.CodeTooFewImages}},
		{name: "few", srcs: person[:17], opts: webcam, wantOK: true, wantCodes: []string{dataset.CodeFewImages}, notCodes: []string{dataset.CodeTooFewImages}},
		// The recommended count: from the options, else the base model's data.
		{name: "recommended count from the options", srcs: person, wantOK: true,
			opts:      dataset.Options{MinResolution: 300, RecommendedImages: studio.Range{Min: len(person) + 5, Max: 60}},
			wantCodes: []string{dataset.CodeFewImages}, notCodes: []string{dataset.CodeTooFewImages}},
		{name: "recommended count below the hard minimum is raised to it", srcs: person[:12], wantOK: false,
			opts:      dataset.Options{MinResolution: 300, RecommendedImages: studio.Range{Min: 5, Max: 10}},
			wantCodes: []string{dataset.CodeTooFewImages}, notCodes: []string{dataset.CodeTooManyImages}},
		{name: "a new base model's data sets the recommendations", srcs: person, wantOK: true,
			opts:      dataset.Options{MinResolution: 300, BaseModel: "wan-2.2"},
			wantCodes: []string{dataset.CodeResolutionBelowRec}, notCodes: []string{dataset.CodeFewImages, dataset.CodeTooManyImages}},
		{name: "too many", srcs: append(slices.Clone(person), mirrored...), opts: webcam, wantOK: true, wantCodes: []string{dataset.CodeTooManyImages}},
		{name: "hostile mixed in", srcs: plus(memSource("bomb.jpg", readTestdata(t, "hostile/jpeg_bomb_65173x65408.jpg")),
			memSource("notes.jpg.php", readTestdata(t, "hostile/script_named.jpg.php")), memSource("cut.jpg", grace[:5000])), opts: webcam, wantOK: false,
			wantFile: map[string]string{"bomb.jpg": dataset.CodeTooManyPixels, "notes.jpg.php": dataset.CodeUnsupportedFormat, "cut.jpg": dataset.CodeCorrupt}},
		{name: "portraits are frontal and sharp", srcs: []dataset.Source{memSource("grace.jpg", grace), memSource("gocv.jpg", gocv)}, opts: webcam, wantOK: false,
			wantCodes: []string{dataset.CodeTooFewImages}, notCodes: []string{dataset.CodeNoFace, dataset.CodeBlurry, dataset.CodeFaceTooSmall, dataset.CodeResolutionTooLow}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := dataset.Validate(t.Context(), tt.srcs, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK != tt.wantOK {
				t.Errorf("got ok=%v, want %v (errors %v)", r.OK, tt.wantOK, codesOf(r.Errors))
			}
			for _, c := range tt.wantCodes {
				if findFinding(r, c) == nil {
					t.Errorf("no %s finding; got errors %v warnings %v", c, codesOf(r.Errors), codesOf(r.Warnings))
				}
			}
			for _, c := range tt.notCodes {
				if f := findFinding(r, c); f != nil {
					t.Errorf("unexpected %s: %s %v", c, f.Message, f.Files)
				}
			}
			for file, code := range tt.wantFile {
				it := itemByName(r, file)
				if !hasIssue(it, code) {
					t.Errorf("%s: got %+v, want issue %s", file, it, code)
				}
				if f := findFinding(r, code); f == nil || !slices.Contains(f.Files, file) {
					t.Errorf("%s finding does not list %s", code, file)
				}
			}
			// Every finding is well formed.
			for _, f := range append(slices.Clone(r.Errors), r.Warnings...) {
				if f.Code == "" || f.Message == "" || f.Files == nil || strings.ToLower(f.Message[:1]) != f.Message[:1] && !strings.ContainsAny(f.Message[:1], "0123456789") {
					t.Errorf("malformed finding %+v", f)
				}
			}
		})
	}
}

func TestDetectorOnTestdata(t *testing.T) {
	r, err := dataset.Validate(t.Context(), personSources(t), webcam)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range r.Items {
		if it.Faces != 1 || it.FaceBox == nil || it.Pose == "" || it.PHash == "" || it.Blur <= 0 {
			t.Errorf("%s: got faces=%d box=%v pose=%q phash=%q blur=%v, want one located face", it.File, it.Faces, it.FaceBox, it.Pose, it.PHash, it.Blur)
		}
	}
	// The consecutive frames cap12_02..05 are near duplicates of each other.
	f := findFinding(r, dataset.CodeNearDuplicate)
	if f == nil {
		t.Fatal("no near_duplicate finding")
	}
	var group []string
	for _, w := range r.Warnings {
		if w.Code == dataset.CodeNearDuplicate && slices.Contains(w.Files, "cap12_03.jpg") {
			group = w.Files
		}
	}
	for _, want := range []string{"cap12_02.jpg", "cap12_03.jpg", "cap12_04.jpg", "cap12_05.jpg"} {
		if !slices.Contains(group, want) {
			t.Errorf("near-duplicate group %v lacks %s", group, want)
		}
	}
	// The head turned away (cap12_06) is not a near duplicate of anything.
	if hasIssue(itemByName(r, "cap12_06.jpg"), dataset.CodeNearDuplicate) {
		t.Error("cap12_06.jpg (head turned) flagged as a near duplicate")
	}
}

// Mirroring a photo reverses the sign of its yaw.
func TestYawSignFollowsMirror(t *testing.T) {
	b := readTestdata(t, "person/cap12_06.jpg")
	r, err := dataset.Validate(t.Context(), []dataset.Source{memSource("a.jpg", b), memSource("b.jpg", flipped(t, b))}, webcam)
	if err != nil {
		t.Fatal(err)
	}
	a, m := itemByName(r, "a.jpg"), itemByName(r, "b.jpg")
	if a.Yaw > -10 || m.Yaw < 10 {
		t.Errorf("got yaw %.1f and mirrored %.1f, want clearly negative then positive", a.Yaw, m.Yaw)
	}
	if a.Pose != dataset.PoseThreeQuarterRight || m.Pose != dataset.PoseThreeQuarterLeft {
		t.Errorf("got poses %q and %q, want three_quarter_right and three_quarter_left", a.Pose, m.Pose)
	}
}

func TestBlurryIsRelativeToFace(t *testing.T) {
	for _, name := range []string{"photos/grace_hopper_512x512.jpg", "photos/gocv_face.jpg", "person/cap12_01.jpg"} {
		img := decodeJPEG(t, readTestdata(t, name))
		sharp, err := dataset.Validate(t.Context(), []dataset.Source{memSource("s.jpg", readTestdata(t, name))}, webcam)
		if err != nil {
			t.Fatal(err)
		}
		it := sharp.Items[0]
		if it.FaceBox == nil || hasIssue(&it, dataset.CodeBlurry) {
			t.Fatalf("%s: got %+v, want a sharp face", name, it)
		}
		// Blur relative to the face's size: sigma 3.5% of the face side.
		blurred := encodeJPEG(t, imaging.Blur(img, 0.035*float64(it.FaceBox.W)), 95)
		r, err := dataset.Validate(t.Context(), []dataset.Source{memSource("b.jpg", blurred)}, webcam)
		if err != nil {
			t.Fatal(err)
		}
		if b := r.Items[0]; !hasIssue(&b, dataset.CodeBlurry) || b.Blur >= it.Blur {
			t.Errorf("%s: blurred got blur %.1f (sharp %.1f) issues %+v, want blurry", name, b.Blur, it.Blur, b.Issues)
		}
	}
}

func TestAngleVarietySaysWhatToAdd(t *testing.T) {
	r, err := dataset.Validate(t.Context(), personSources(t), webcam)
	if err != nil {
		t.Fatal(err)
	}
	f := findFinding(r, dataset.CodeLowAngleVariety)
	if f == nil || !strings.Contains(f.Message, "turned to your left") {
		t.Fatalf("got %+v, want a low_angle_variety warning asking for photos turned left", f)
	}
	v := r.Variety
	total := v.UnknownPose
	for _, n := range v.Poses {
		total += n
	}
	if total == 0 || v.Poses[dataset.PoseFrontal] == 0 || v.FaceScale.Max <= v.FaceScale.Min || v.Brightness.Max <= 0 {
		t.Errorf("got variety %+v, want poses counted and spreads measured", v)
	}
}

func TestDatasetHashIgnoresOrder(t *testing.T) {
	srcs := personSources(t)[:16]
	r1, err := dataset.Validate(t.Context(), srcs, webcam)
	if err != nil {
		t.Fatal(err)
	}
	shuffled := slices.Clone(srcs)
	rand.New(rand.NewPCG(7, 7)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	r2, err := dataset.Validate(t.Context(), shuffled, dataset.Options{MinResolution: 300, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r1.DatasetHash != r2.DatasetHash || !strings.HasPrefix(r1.DatasetHash, "sha256:") {
		t.Errorf("got %s and %s, want the same sha256: hash in any order", r1.DatasetHash, r2.DatasetHash)
	}
	j1, _ := json.Marshal(r1)
	j2, _ := json.Marshal(r2)
	if string(j1) != string(j2) {
		t.Error("the report depends on the order of the sources")
	}
	// It is the hash of the sorted sha256s of the stripped copies.
	var shas []string
	for _, s := range srcs {
		sha, err := dataset.Strip(t.Context(), s, &strings.Builder{})
		if err != nil {
			t.Fatal(err)
		}
		shas = append(shas, sha)
	}
	slices.Sort(shas)
	sum := sha256.Sum256([]byte(strings.Join(shas, "\n")))
	if want := "sha256:" + hex.EncodeToString(sum[:]); r1.DatasetHash != want {
		t.Errorf("got %s, want %s", r1.DatasetHash, want)
	}
	r3, _ := dataset.Validate(t.Context(), srcs[1:], webcam)
	if r3.DatasetHash == r1.DatasetHash {
		t.Error("removing a photo did not change the hash")
	}
}

func TestValidateHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	srcs := personSources(t)
	var mu sync.Mutex
	calls := 0
	_, err := dataset.Validate(ctx, srcs, dataset.Options{Workers: 2, Progress: func(p dataset.Progress) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || studio.ErrorCode(err) != "canceled" {
		t.Fatalf("got %v, want a canceled error", err)
	}
	if calls >= len(srcs) {
		t.Errorf("got %d files analysed after cancel, want fewer than %d", calls, len(srcs))
	}
}

func TestProgressIsSerialisedAndComplete(t *testing.T) {
	srcs := personSources(t)
	var got []dataset.Progress
	inside := false
	_, err := dataset.Validate(t.Context(), srcs, dataset.Options{Workers: 4, Progress: func(p dataset.Progress) {
		if inside {
			t.Error("progress called concurrently")
		}
		inside = true
		got = append(got, p)
		inside = false
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(srcs) {
		t.Fatalf("got %d progress calls, want %d", len(got), len(srcs))
	}
	for i, p := range got {
		if p.Done != i+1 || p.Total != len(srcs) || p.File == "" {
			t.Errorf("call %d: got %+v", i, p)
		}
	}
}

func TestOptions(t *testing.T) {
	_, err := dataset.Validate(t.Context(), nil, dataset.Options{BaseModel: "sora-2"})
	if studio.ErrorCode(err) != "unknown_base_model" {
		t.Errorf("got %v, want unknown_base_model", err)
	}
	r, err := dataset.Validate(t.Context(), personSources(t)[:1], dataset.Options{BaseModel: "sdxl", MinResolution: 300})
	if err != nil {
		t.Fatal(err)
	}
	if f := findFinding(r, dataset.CodeResolutionBelowRec); f == nil || !strings.Contains(f.Message, "1024") {
		t.Errorf("got %+v, want the sdxl training resolution (1024) recommended", f)
	}
	r, err = dataset.Validate(t.Context(), nil, dataset.Options{})
	if err != nil || r.OK || findFinding(r, dataset.CodeTooFewImages) == nil || r.Items == nil {
		t.Errorf("empty dataset: got %+v %v, want a failing report", r, err)
	}
}

func TestFileSources(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.jpg", "a.png", ".DS_Store", "Thumbs.db", "notes.txt"} {
		os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644)
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	outside := filepath.Join(t.TempDir(), "secret.jpg")
	os.WriteFile(outside, []byte("x"), 0o644)
	for link, target := range map[string]string{"inside.jpg": "b.jpg", "outside.jpg": outside, "dangling.jpg": "gone.jpg"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Skipf("no symbolic links here: %v", err)
		}
	}
	srcs, skipped, err := dataset.FileSources(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range srcs {
		names = append(names, s.Name)
	}
	if want := []string{"a.png", "b.jpg", "notes.txt"}; !slices.Equal(names, want) {
		t.Errorf("got %v, want %v", names, want)
	}
	// Every entry not taken is said, with why; hidden files and desktop
	// clutter are not entries a person put there.
	wantSkipped := []struct{ name, reason string }{
		{"dangling.jpg", "symbolic link"}, {"inside.jpg", "symbolic link"}, {"outside.jpg", "symbolic link"}, {"sub", "folder"},
	}
	if len(skipped) != len(wantSkipped) {
		t.Fatalf("got skipped %+v, want %v", skipped, wantSkipped)
	}
	for i, w := range wantSkipped {
		if skipped[i].Name != w.name || !strings.Contains(skipped[i].Reason, w.reason) {
			t.Errorf("got skipped %+v, want %s (%s)", skipped[i], w.name, w.reason)
		}
	}
	if _, _, err := dataset.FileSources(filepath.Join(dir, "missing")); studio.ErrorCode(err) != studio.ENotFound {
		t.Errorf("got %v, want not_found", err)
	}
	if _, _, err := dataset.ValidateDir(t.Context(), filepath.Join(dir, "b.jpg"), dataset.Options{}); studio.ErrorCode(err) != studio.ENotFound {
		t.Errorf("file as dir: got %v, want not_found", err)
	}
}
