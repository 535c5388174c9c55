package dataset

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/image/draw"
)

// BenchmarkUpscaleMeasure times the detail measure alone (tiles ranked,
// 16 tiles transformed, cliff found) on the full-scale luma of a 1280x960
// photo (what a small photo costs now) and of a 4000x3000 one (what
// measuring a 12 MP photo at full scale would cost, were it decoded so).
//
//	go test -run '^$' -bench UpscaleMeasure -cpu 1 ./internal/dataset/
func BenchmarkUpscaleMeasure(b *testing.B) {
	src := grayFixture(b)
	for _, size := range []image.Point{{1280, 960}, {4000, 3000}} {
		g := image.NewGray(image.Rectangle{Max: size})
		draw.CatmullRom.Scale(g, g.Rect, src, src.Rect, draw.Src, nil)
		b.Run(size.String(), func(b *testing.B) {
			defer reportCPU(b)()
			for b.Loop() {
				measureNative(g)
			}
		})
	}
}

// BenchmarkGrayDecode compares, on a 1280x960 JPEG, the working-size decode
// the checks had before (DCT-scaled) with the full-scale decode, measure
// and resize they do now.
//
//	go test -run '^$' -bench GrayDecode -cpu 1 ./internal/dataset/
func BenchmarkGrayDecode(b *testing.B) {
	src := grayFixture(b)
	g := image.NewGray(image.Rect(0, 0, 1280, 960))
	draw.CatmullRom.Scale(g, g.Rect, src, src.Rect, draw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, g, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	hd, err := readHeader(data)
	if err != nil {
		b.Fatal(err)
	}
	var d jpegDecoder
	defer d.close()
	var pix, gray []byte
	b.Run("before/working_scale", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := decodeJPEGRGB(&d, data, hd, workShort, &pix); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("after/full_scale+measure+fit", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			c, err := decodeJPEGRGB(&d, data, hd, grayDecodeShort(hd), &pix)
			if err != nil {
				b.Fatal(err)
			}
			measureNative(luma(c, &gray))
			fitWorkRGB(c)
		}
	})
}

func grayFixture(b *testing.B) *image.Gray {
	data, err := os.ReadFile("testdata/photos/grace_hopper_512x512.jpg")
	if err != nil {
		b.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	return toGray(img)
}

// reportCPU reports the process's CPU time per iteration (user + system),
// which, unlike ns/op, does not grow when other processes share the cores.
// Call it before the loop and defer what it returns.
func reportCPU(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() { b.ReportMetric(float64(cpu()-start)/float64(b.N), "cpu-ns/op") }
}
