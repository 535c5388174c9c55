package dataset_test

import (
	"bytes"
	"fmt"
	"image"
	_ "image/png" // image.Decode of the bombs
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/disintegration/imaging"
	_ "golang.org/x/image/webp"

	"github.com/promptforge/lorastudio/internal/dataset"
)

// phoneJPEGs writes n deterministic 4000x3000 JPEGs into dir, like phone
// photos: a test portrait upscaled, with per-pixel sensor noise, quality 92,
// 3 to 5 MB each. Files already there are reused.
func phoneJPEGs(tb testing.TB, dir string, n int) []string {
	tb.Helper()
	bases, _ := filepath.Glob("testdata/person/*.jpg")
	bases = append(bases, "testdata/photos/grace_hopper_512x512.jpg", "testdata/photos/gocv_face.jpg")
	paths := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i := range n {
		paths[i] = filepath.Join(dir, fmt.Sprintf("phone_%02d.jpg", i))
		if _, err := os.Stat(paths[i]); err == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			b, err := os.ReadFile(bases[i%len(bases)])
			if err != nil {
				tb.Error(err)
				return
			}
			img := imaging.Resize(decodeJPEG(tb, b), 4000, 3000, imaging.Linear)
			rng := rand.New(rand.NewPCG(uint64(i), 42))
			for p := 0; p < len(img.Pix); p += 4 {
				for c := 0; c < 3; c++ {
					v := int(img.Pix[p+c]) + int(rng.NormFloat64()*9)
					img.Pix[p+c] = uint8(max(0, min(255, v)))
				}
			}
			if err := os.WriteFile(paths[i], encodeJPEG(tb, img, 92), 0o644); err != nil {
				tb.Error(err)
			}
		}()
	}
	wg.Wait()
	return paths
}

// BenchmarkValidate30Phone12MP validates thirty 12 MP phone-like JPEGs with
// every check on. LORASTUDIO_BENCH_DIR keeps the generated files (for
// bench/dataset/run.sh, which runs the peer on the same files).
//
//	go test -run '^$' -bench Validate30 -benchtime 3x ./internal/dataset/
func BenchmarkValidate30Phone12MP(b *testing.B) {
	dir := os.Getenv("LORASTUDIO_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	paths := phoneJPEGs(b, dir, 30)
	var total int64
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			b.Fatal(err)
		}
		total += st.Size()
	}
	b.Logf("decoder: %s; 30 files, %.1f MB", dataset.DecoderName, float64(total)/1e6)
	srcs, _, err := dataset.FileSources(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		dataset.ForgetFaces() // measure a first validation, not the memo
		r, err := dataset.Validate(b.Context(), srcs, dataset.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if r.ImageCount != 30 {
			b.Fatalf("got %d images, want 30", r.ImageCount)
		}
	}
}

// BenchmarkStripAndThumbnail measures the upload copy and the UI thumbnail of one 12 MP JPEG.
func BenchmarkStripAndThumbnail(b *testing.B) {
	paths := phoneJPEGs(b, b.TempDir(), 1)
	data, err := os.ReadFile(paths[0])
	if err != nil {
		b.Fatal(err)
	}
	src := memSource("p.jpg", data)
	b.ResetTimer()
	for b.Loop() {
		if _, err := dataset.Strip(b.Context(), src, discard{}); err != nil {
			b.Fatal(err)
		}
		if err := dataset.Thumbnail(b.Context(), src, discard{}, 256); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkPixelBomb compares, on each bomb, decoding it in full (what
// validation did before the decode budget, twice per file) with validating
// it now (refused from its header).
//
//	go test -run '^$' -bench PixelBomb -benchtime 1x -benchmem ./internal/dataset/
func BenchmarkPixelBomb(b *testing.B) {
	bombs := []struct {
		name string
		data []byte
	}{
		{"webp_lossless_7999x8000", readTestdata(b, "hostile/webp_lossless_bomb_7999x8000.webp")},
		{"png16_7999x8000", pngBomb16()},
	}
	for _, bomb := range bombs {
		b.Run(bomb.name+"/full_decode", func(b *testing.B) {
			for b.Loop() {
				if _, _, err := image.Decode(bytes.NewReader(bomb.data)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bomb.name+"/validate", func(b *testing.B) {
			srcs := []dataset.Source{memSource(bomb.name, bomb.data)}
			for b.Loop() {
				r, err := dataset.Validate(b.Context(), srcs, dataset.Options{})
				if err != nil || r.Items[0].Issues[0].Code != dataset.CodeTooManyPixels {
					b.Fatalf("got %v, %v, want too_many_pixels", r, err)
				}
			}
		})
	}
}
