package charpack_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"image/jpeg"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/internal/charpack"
	"github.com/promptforge/lorastudio/internal/compiler"
)

// TestReferencesCropHeadAndShoulders: with a face box, a reference is the
// head and shoulders at the platform's aspect ratio, through both encoders.
func TestReferencesCropHeadAndShoulders(t *testing.T) {
	dir := t.TempDir()
	const w, h = 1600, 1200
	path := filepath.Join(dir, "wide.jpg")
	data := writeJPEG(t, path, photo(w, h, 3), 0)
	// photo() draws the face as an ellipse centred at (w/2, 0.45h).
	cand := compiler.Candidate{Path: path, SHA256: fmt.Sprintf("%x", sha256.Sum256(data)), Sharpness: 50, Pose: "frontal", Faces: 1, Width: w, Height: h,
		FaceBox: &compiler.Box{X: 512, Y: 276, W: 576, H: 528}}
	for _, tt := range []struct {
		aspect       string
		wantW, wantH int
		encoder      string
	}{
		{"16:9", 16, 9, "pure"}, {"9:16", 9, 16, "pure"}, {"16:9", 16, 9, "dataset"}, {"9:16", 9, 16, "dataset"},
	} {
		t.Run(tt.aspect+" "+tt.encoder, func(t *testing.T) {
			in := input([]compiler.Candidate{cand}, "veo-3.1")
			in.Request.Options.AspectRatio = tt.aspect
			if tt.encoder == "dataset" {
				in.Encode = charpack.DatasetEncoder
			}
			pack, _, err := charpack.Build(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			ref := pack.Manifest.References[0]
			img, err := jpeg.Decode(bytes.NewReader(pack.File(ref.Path).Data))
			if err != nil {
				t.Fatal(err)
			}
			b := img.Bounds()
			if d := b.Dx()*tt.wantH - b.Dy()*tt.wantW; d > tt.wantW*2 || d < -tt.wantW*2 || max(b.Dx(), b.Dy()) > 1024 {
				t.Errorf("reference is %dx%d, want %s within 1024", b.Dx(), b.Dy(), tt.aspect)
			}
			if b.Dx() == 1024 && b.Dy() == 768 {
				t.Error("the whole photo was kept, not the head and shoulders")
			}
			// The face (a skin-toned ellipse) stays whole: its centre and
			// its top and bottom edges are inside the frame and skin-toned.
			cx := b.Dx() / 2
			var skin int
			for y := 0; y < b.Dy(); y++ {
				r, g, bl, _ := img.At(cx, y).RGBA()
				if r>>8 > 150 && g>>8 > 110 && bl>>8 > 90 && r>>8 > bl>>8+30 {
					skin++
				}
			}
			if tt.aspect == "16:9" && skin < b.Dy()*45/100 || tt.aspect == "9:16" && skin < b.Dy()*25/100 {
				t.Errorf("only %d of %d pixels down the middle are the face", skin, b.Dy())
			}
		})
	}
}

// TestMissingViewsSaid: a set of frontal photos only gives a pack that
// says which angles it lacks.
func TestMissingViewsSaid(t *testing.T) {
	cands := dataset(t, 3, 400, 500)
	for i := range cands {
		cands[i].Pose = "frontal"
	}
	pack, _, err := charpack.Build(context.Background(), input(cands, "veo-3.1"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"three-quarter", "profile"}; !slices.Equal(pack.Manifest.MissingViews, want) {
		t.Errorf("missing views %v, want %v", pack.Manifest.MissingViews, want)
	}
	if instr := string(pack.File("instructions.md").Data); !strings.Contains(instr, "Missing: no three-quarter or profile view") {
		t.Errorf("instructions.md does not say which views are missing")
	}
	full, _, err := charpack.Build(context.Background(), input(dataset(t, 5, 400, 500), "veo-3.1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Manifest.MissingViews) != 0 || strings.Contains(string(full.File("instructions.md").Data), "Missing:") {
		t.Errorf("a set with every view says %v are missing", full.Manifest.MissingViews)
	}
}
