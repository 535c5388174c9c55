package charpack_test

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/promptforge/lorastudio/internal/charpack"
	"github.com/promptforge/lorastudio/internal/compiler"
	engine "github.com/promptforge/lorastudio/internal/dataset"
)

// benchSets caches the 30-photo datasets across benchmarks: drawing and
// encoding them is setup, not the export being measured.
var (
	benchMu   sync.Mutex
	benchSets = map[string][]compiler.Candidate{}
)

func benchDataset(b *testing.B, w, h int) []compiler.Candidate {
	benchMu.Lock()
	defer benchMu.Unlock()
	key := fmt.Sprintf("%dx%d", w, h)
	if c, ok := benchSets[key]; ok {
		return c
	}
	b.StopTimer()
	dir, err := os.MkdirTemp(benchRoot(b), key+"-")
	if err != nil {
		b.Fatal(err)
	}
	cands := datasetIn(b, dir, 30, w, h)
	benchSets[key] = cands
	b.StartTimer()
	return cands
}

// benchDir holds the cached datasets; not b.TempDir, as a set outlives the
// benchmark that drew it. TestMain removes it.
var benchDir string

func benchRoot(b *testing.B) string {
	if benchDir == "" {
		d, err := os.MkdirTemp("", "charpack-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = d
	}
	return benchDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// BenchmarkWritePack exports a Character Pack from 30 validated photos:
// choose the references, compile, decode with orientation, fit, re-encode,
// write the deterministic zip.
//
// encoder=purego is this package's own encoder (image/jpeg, full-size
// decode); encoder=engine is what the CLI passes: the dataset engine's
// Thumbnail, libjpeg-turbo at a reduced DCT scale in cgo builds.
// cpu-ms/op is the CPU time used, which the other builds sharing this
// machine's two cores do not inflate the way they inflate ns/op.
func BenchmarkWritePack(b *testing.B) {
	encoders := map[string]func(context.Context, string, int, io.Writer) error{"purego": nil, "engine": engineThumbnail}
	for _, size := range [][2]int{{1024, 1365}, {3024, 4032}} {
		for _, platform := range []string{"grok-3", "veo-3.1"} {
			for _, enc := range []string{"engine", "purego"} {
				b.Run(fmt.Sprintf("%s/encoder=%s/30x%dx%d", platform, enc, size[0], size[1]), func(b *testing.B) {
					in := input(benchDataset(b, size[0], size[1]), platform)
					in.Encode = encoders[enc]
					b.ResetTimer()
					cpu := cpuTime()
					for b.Loop() {
						if _, _, err := charpack.Write(context.Background(), io.Discard, in); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(cpuTime()-cpu)/1e6/float64(b.N), "cpu-ms/op")
				})
			}
		}
	}
}

func engineThumbnail(ctx context.Context, path string, maxSide int, w io.Writer) error {
	src := engine.Source{Name: path, Open: func() (io.ReadCloser, error) { return os.Open(path) }}
	return engine.Thumbnail(ctx, src, w, maxSide)
}

// cpuTime is the process's user+system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkNaivePack is the peer: the same references and texts, but the
// original files copied as they are (metadata and all, not resized) into
// an archive/zip with its defaults (Deflate, current time). It is what the
// pack writer's decoding and re-encoding cost is measured against.
func BenchmarkNaivePack(b *testing.B) {
	for _, size := range [][2]int{{1024, 1365}, {3024, 4032}} {
		for _, platform := range []string{"grok-3", "veo-3.1"} {
			b.Run(fmt.Sprintf("%s/30x%dx%d", platform, size[0], size[1]), func(b *testing.B) {
				in := input(benchDataset(b, size[0], size[1]), platform)
				b.ResetTimer()
				cpu := cpuTime()
				for b.Loop() {
					if err := naivePack(io.Discard, in); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cpuTime()-cpu)/1e6/float64(b.N), "cpu-ms/op")
			})
		}
	}
}

func naivePack(w io.Writer, in charpack.Input) error {
	p, err := compiler.Lookup(in.Request.Platform)
	if err != nil {
		return err
	}
	sel := compiler.SelectReferences(in.Candidates, p.References.Max)
	req := in.Request
	req.Options.References = len(sel)
	res, err := compiler.Compile(req)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	params, _ := json.MarshalIndent(res.Params, "", "  ")
	for name, data := range map[string][]byte{"prompt.txt": []byte(res.Prompt), "params.json": params} {
		f, err := zw.Create(name)
		if err != nil {
			return err
		}
		f.Write(data)
	}
	for i, s := range sel {
		data, err := os.ReadFile(s.Path)
		if err != nil {
			return err
		}
		f, err := zw.Create(fmt.Sprintf("references/%02d.jpg", i+1))
		if err != nil {
			return err
		}
		f.Write(data)
	}
	return zw.Close()
}
