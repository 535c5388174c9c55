//go:build !cgo || darwin

package dataset

import (
	"bytes"
	"image"
	"image/jpeg"

	"github.com/promptforge/lorastudio/internal/face"
)

// decoderName says which JPEG decoder this build uses; the benchmark prints it.
const decoderName = "image/jpeg (pure Go, full-size decode)"

// jpegDecoder has no state in pure-Go builds.
type jpegDecoder struct{}

func (d *jpegDecoder) close() {}

// decodeJPEGRGB decodes at full size (the standard library cannot scale in
// the DCT domain) and box-filters down to a short side >= minShort.
func decodeJPEGRGB(_ *jpegDecoder, data []byte, hd header, minShort int, _ *[]byte) (*face.RGB, error) {
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return shrinkRGB(img, minShort), nil
}

// workSize is the size the checks work at for a w x h image: shrunk by
// the largest integer factor that keeps the short side >= workShort.
func workSize(w, h int) (int, int) {
	f := max(1, min(w, h)/workShort)
	return w / f, h / f
}

// decodeJPEGColor decodes a JPEG at full size (the standard library cannot
// scale in the DCT domain); the caller resizes.
func decodeJPEGColor(data []byte, hd header, w, h int) (image.Image, error) {
	return jpeg.Decode(bytes.NewReader(data))
}

// encodeRGBA encodes opaque pixels as a baseline 4:2:0 JPEG; image/jpeg
// converts an *image.RGBA on its fast path.
func encodeRGBA(img *image.RGBA, quality int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// orientJPEG re-encodes the decoded, oriented pixels: without libjpeg-turbo
// there is no lossless transform, so this path costs one generation of JPEG.
func orientJPEG(data []byte, orientation int) ([]byte, error) {
	if orientation < 2 || orientation > 8 {
		return data, nil
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return encodeJPEG(applyOrientation(img, orientation))
}

// jpegDecodeCost is the peak memory of the image/jpeg paths: the full-size
// samples (half the coefficient bytes) and their grey copy; a progressive
// decode also holds every coefficient as an int32 (twice the libjpeg bytes);
// an EXIF rotation adds an NRGBA copy to re-encode.
func jpegDecodeCost(hd header) int64 {
	px := int64(hd.width) * int64(hd.height)
	cost := hd.coefBytes/2 + px
	if hd.progressive {
		cost += 2 * hd.coefBytes
	}
	if hd.orientation > 1 {
		cost = max(cost, hd.coefBytes/2+4*px)
	}
	return cost
}
