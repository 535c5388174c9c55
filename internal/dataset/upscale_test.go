package dataset_test

import (
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/disintegration/imaging"
	"golang.org/x/image/draw"

	"github.com/promptforge/lorastudio/internal/dataset"
)

// resample scales img to w x h with a golang.org/x/image/draw kernel.
func resample(img image.Image, w, h int, k draw.Interpolator) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	k.Scale(out, out.Bounds(), img, img.Bounds(), draw.Src, nil)
	return out
}

// enlarge is img scaled by f with kernel k.
func enlarge(img image.Image, f float64, k draw.Interpolator) *image.RGBA {
	b := img.Bounds()
	return resample(img, int(math.Round(f*float64(b.Dx()))), int(math.Round(f*float64(b.Dy()))), k)
}

// noisy12MP is a phone-like photo made the way the benchmark makes them: a
// small photo stretched to 4000x3000 with per-pixel sensor noise (sigma 9).
// It is an enlargement, but photos this large are not measured (see
// upscaleFullShort): this is what the benchmark and the end-to-end tests
// upload as a phone photo.
func noisy12MP(img image.Image) *image.RGBA {
	big := resample(img, 4000, 3000, draw.ApproxBiLinear)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range big.Pix {
		if i%4 != 3 {
			big.Pix[i] = uint8(max(0, min(255, int(big.Pix[i])+int(rng.NormFloat64()*9))))
		}
	}
	return big
}

func TestUpscaled(t *testing.T) {
	grace := decodeJPEG(t, readTestdata(t, "photos/grace_hopper_512x512.jpg"))  // 512x512
	gocv := decodeJPEG(t, readTestdata(t, "photos/gocv_face.jpg"))              // 640x480
	large := decodeJPEG(t, readTestdata(t, "photos/bimg_exif_Landscape_6.jpg")) // 1600x1200 as stored
	small := resample(grace, 360, 360, draw.CatmullRom)                         // sharp, under the minimum
	webcam := decodeJPEG(t, readTestdata(t, "person/cap12_01.jpg"))             // 400x300
	// Shallow depth of field: a sharp 360 px portrait in front of a blurred
	// background, most of the frame (the background alone is flagged, see
	// TestHeavySmoothingIsUpscaled).
	bokeh := imaging.Paste(imaging.Blur(resample(large, 1200, 900, draw.CatmullRom), 2), small, image.Pt(420, 270))
	tests := []struct {
		name     string
		data     []byte
		native   int  // the true native short side when enlarged, else 0
		tooSmall bool // under the default minimum of 512 (else judged at a minimum of 300)
	}{
		{name: "original portrait", data: readTestdata(t, "photos/grace_hopper_512x512.jpg")},
		{name: "original webcam photo", data: readTestdata(t, "photos/gocv_face.jpg")},
		{name: "original large photo", data: readTestdata(t, "photos/bimg_exif_Landscape_6.jpg")},
		{name: "downscaled from large", data: encodeJPEG(t, resample(large, 800, 600, draw.CatmullRom), 90)},
		{name: "clean q70 re-encode", data: encodeJPEG(t, gocv, 70)},
		{name: "shallow depth of field", data: encodeJPEG(t, bokeh, 85)},
		{name: "noisy 12 MP phone-like photo", data: encodeJPEG(t, noisy12MP(webcam), 92)},
		{name: "portrait 2x CatmullRom", data: encodeJPEG(t, enlarge(grace, 2, draw.CatmullRom), 90), native: 512},
		{name: "portrait 3x CatmullRom", data: encodeJPEG(t, enlarge(grace, 3, draw.CatmullRom), 90), native: 512},
		{name: "portrait 2x ApproxBiLinear", data: encodeJPEG(t, enlarge(grace, 2, draw.ApproxBiLinear), 90), native: 512},
		{name: "portrait 3x ApproxBiLinear", data: encodeJPEG(t, enlarge(grace, 3, draw.ApproxBiLinear), 90), native: 512},
		{name: "webcam photo 2x CatmullRom", data: encodeJPEG(t, enlarge(gocv, 2, draw.CatmullRom), 90), native: 480},
		{name: "webcam photo 3x ApproxBiLinear", data: encodeJPEG(t, enlarge(gocv, 3, draw.ApproxBiLinear), 90), native: 480},
		{name: "too small, 2x CatmullRom", data: encodeJPEG(t, enlarge(small, 2, draw.CatmullRom), 90), native: 360, tooSmall: true},
		{name: "too small, 3x ApproxBiLinear", data: encodeJPEG(t, enlarge(small, 3, draw.ApproxBiLinear), 90), native: 360, tooSmall: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := dataset.Options{MinResolution: 300}
			if tt.tooSmall {
				opts = dataset.Options{}
			}
			r, err := dataset.Validate(t.Context(), []dataset.Source{memSource("IMG_12.jpg", tt.data)}, opts)
			if err != nil {
				t.Fatal(err)
			}
			it := r.Items[0]
			up := hasIssue(&it, dataset.CodeUpscaled)
			if tt.native == 0 {
				if up || it.NativeWidth != 0 {
					t.Fatalf("%dx%d flagged upscaled from %dx%d: %+v", it.Width, it.Height, it.NativeWidth, it.NativeHeight, it.Issues)
				}
				return
			}
			if !up {
				t.Fatalf("%dx%d not flagged upscaled (issues %+v)", it.Width, it.Height, it.Issues)
			}
			short := min(it.NativeWidth, it.NativeHeight)
			if ratio := float64(short) / float64(tt.native); ratio < 0.75 || ratio > 1.25 {
				t.Errorf("estimated native %dx%d, want a short side within 25%% of %d", it.NativeWidth, it.NativeHeight, tt.native)
			}
			i := slices.IndexFunc(it.Issues, func(is dataset.Issue) bool { return is.Code == dataset.CodeUpscaled })
			is := it.Issues[i]
			if is.Severity != dataset.SeverityWarning || !strings.Contains(is.Message, "IMG_12.jpg looks enlarged from about ") ||
				!strings.Contains(is.Message, "Use the original photo") {
				t.Errorf("got %+v, want a warning naming the file and the estimated size", is)
			}
			if f := findFinding(r, dataset.CodeUpscaled); f == nil || !slices.Contains(f.Files, "IMG_12.jpg") {
				t.Errorf("no upscaled finding listing the file: %+v", r.Warnings)
			}
			// The resolution checks judge the detail, not the pixels: every
			// enlargement here is over 512 pixels on its short side, and the
			// portraits' are at least the recommended 1024.
			if got := hasIssue(&it, dataset.CodeResolutionTooLow); got != tt.tooSmall {
				t.Errorf("resolution_too_low = %v, want %v (short side %d, native %d; issues %+v)", got, tt.tooSmall, min(it.Width, it.Height), short, it.Issues)
			}
			if !tt.tooSmall && !hasIssue(&it, dataset.CodeResolutionBelowRec) {
				t.Errorf("no resolution_below_recommended for native %d: %+v", short, it.Issues)
			}
		})
	}
}

// Smoothing that destroys detail (a blur, a strong denoise or beauty filter)
// is seen like an enlargement: the detail is worth a smaller photo.
func TestHeavySmoothingIsUpscaled(t *testing.T) {
	large := decodeJPEG(t, readTestdata(t, "photos/bimg_exif_Landscape_6.jpg"))
	blurred := imaging.Blur(resample(large, 1200, 900, draw.CatmullRom), 2)
	r, err := dataset.Validate(t.Context(), []dataset.Source{memSource("soft.jpg", encodeJPEG(t, blurred, 90))}, dataset.Options{MinResolution: 300})
	if err != nil {
		t.Fatal(err)
	}
	it := r.Items[0]
	if !hasIssue(&it, dataset.CodeUpscaled) || it.NativeWidth == 0 || it.NativeWidth > it.Width/2 {
		t.Errorf("a 1200x900 photo blurred by 2 px: got native %dx%d, issues %+v; want upscaled, under half its size", it.NativeWidth, it.NativeHeight, it.Issues)
	}
}
