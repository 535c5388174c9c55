package charpack_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/promptforge/lorastudio/internal/compiler"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s differs from the golden file:\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// photo draws a synthetic, photo-like image: smooth gradients, a lit
// ellipse where a face would be, and grain, so JPEG sizes and decode costs
// resemble a real photo's. Seeded, so every run draws the same pixels.
func photo(w, h int, seed uint64) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, seed*7+1))
	base := [3]float64{60 + float64(seed%5)*30, 90, 140 - float64(seed%3)*20}
	cx, cy, rx, ry := float64(w)/2, float64(h)*0.45, float64(w)*0.18, float64(h)*0.22
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			c := [3]float64{base[0] + 80*fx, base[1] + 60*fy, base[2] + 40*fx*fy}
			if dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry; dx*dx+dy*dy < 1 {
				c = [3]float64{200 - 30*dy, 160 - 20*dy, 130 - 10*dy}
			}
			n := rng.NormFloat64() * 9
			i := img.PixOffset(x, y)
			for k := 0; k < 3; k++ {
				img.Pix[i+k] = clamp(c[k] + n)
			}
			img.Pix[i+3] = 0xff
		}
	}
	return img
}

func clamp(v float64) uint8 {
	switch {
	case v < 0:
		return 0
	case v > 255:
		return 255
	}
	return uint8(v)
}

// writeJPEG encodes img to path; with orientation > 0 it adds an EXIF
// APP1 segment carrying that orientation and a marker standing for private
// metadata (a GPS position), which no pack may contain.
func writeJPEG(tb testing.TB, path string, img image.Image, orientation uint16) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 92}); err != nil {
		tb.Fatal(err)
	}
	data := buf.Bytes()
	if orientation > 0 {
		data = withExif(data, orientation)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return data
}

const secretMarker = "GPS-48.858370N-2.294481E-private"

func withExif(jpg []byte, orientation uint16) []byte {
	var p bytes.Buffer
	p.WriteString("Exif\x00\x00")
	p.WriteString("MM\x00\x2a")
	binary.Write(&p, binary.BigEndian, uint32(8))      // IFD0 offset
	binary.Write(&p, binary.BigEndian, uint16(1))      // one entry
	binary.Write(&p, binary.BigEndian, uint16(0x0112)) // Orientation
	binary.Write(&p, binary.BigEndian, uint16(3))      // SHORT
	binary.Write(&p, binary.BigEndian, uint32(1))
	binary.Write(&p, binary.BigEndian, orientation)
	binary.Write(&p, binary.BigEndian, uint16(0))
	binary.Write(&p, binary.BigEndian, uint32(0)) // no next IFD
	p.WriteString(secretMarker)
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(p.Len()+2))
	out := append([]byte{}, jpg[:2]...) // SOI
	out = append(out, seg...)
	out = append(out, p.Bytes()...)
	return append(out, jpg[2:]...)
}

var poses = []string{"frontal", "three_quarter_left", "three_quarter_right", "profile_left", "profile_right", "", "frontal"}

// dataset writes n photos of w x h into a temp dir and returns them as
// candidates, as the dataset engine would describe them.
func dataset(tb testing.TB, n, w, h int) []compiler.Candidate {
	tb.Helper()
	return datasetIn(tb, tb.TempDir(), n, w, h)
}

func datasetIn(tb testing.TB, dir string, n, w, h int) []compiler.Candidate {
	tb.Helper()
	var cands []compiler.Candidate
	for i := range n {
		path := filepath.Join(dir, fmt.Sprintf("img_%02d.jpg", i))
		data := writeJPEG(tb, path, photo(w, h, uint64(i+1)), 0)
		cands = append(cands, compiler.Candidate{
			Path: path, SHA256: fmt.Sprintf("%x", sha256.Sum256(data)), Sharpness: float64((i*37)%100) + 0.5,
			Pose: poses[i%len(poses)], Faces: 1, Width: w, Height: h,
		})
	}
	return cands
}
