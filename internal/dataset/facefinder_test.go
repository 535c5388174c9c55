package dataset

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	pigo "github.com/esimov/pigo/core"
)

// TestFaceCascadeMatchesPigo: our evaluation of facefinder returns exactly
// pigo's detections, in pigo's order, on bordered photos of several sizes.
func TestFaceCascadeMatchesPigo(t *testing.T) {
	ref, err := pigo.NewPigo().Unpack(facefinderBin)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := loadCascades()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/photos/*.jpg")
	files = append(files, "testdata/person/cap12_01.jpg", "testdata/person/cap12_07.jpg")
	var ts faceTables // shared across photos, as a worker does
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		hd, err := readHeader(data)
		if err != nil {
			t.Fatal(err)
		}
		var d jpegDecoder
		var rgb, gray []byte
		wi, err := decodeWork(&d, data, hd, workShort, &rgb, &gray)
		d.close()
		g := wi.gray
		if err != nil {
			t.Fatal(err)
		}
		if long := max(g.Rect.Dx(), g.Rect.Dy()); long > detectLong {
			k := float64(detectLong) / float64(long)
			g = resizeGray(g, int(float64(g.Rect.Dx())*k), int(float64(g.Rect.Dy())*k))
		}
		w, h := g.Rect.Dx(), g.Rect.Dy()
		pad := int(math.Round(borderFrac * float64(max(w, h))))
		pw, ph := w+2*pad, h+2*pad
		p := make([]byte, pw*ph)
		for i := range p {
			p[i] = 128
		}
		for y := 0; y < h; y++ {
			copy(p[(y+pad)*pw+pad:], g.Pix[y*g.Stride:y*g.Stride+w])
		}
		cp := pigo.CascadeParams{MinSize: 20, MaxSize: min(pw, ph), ShiftFactor: shiftFactor, ScaleFactor: scaleFactor,
			ImageParams: pigo.ImageParams{Pixels: p, Rows: ph, Cols: pw, Dim: pw}}
		want := ref.RunCascade(cp, 0)
		got := cs.finder.run(cp, pad, pad, pad+w, pad+h, &ts)
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %d detections, want pigo's %d (or they differ)", f, len(got), len(want))
		}
	}
}
