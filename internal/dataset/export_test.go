package dataset

import "math"

// DecoderName lets the benchmark say which JPEG decoder it measured.
const DecoderName = decoderName

// UpscaleCliff is the calibrated cliff, printed by the calibration.
const UpscaleCliff = upscaleCliff

// MeasureCliff returns what the upscale measure sees in a photo: the cliff
// (see findCliff) and the fraction of its resolution its detail is worth.
func MeasureCliff(data []byte) (drop, at, native float64, err error) {
	hd, herr := readHeader(data)
	if herr != nil {
		return 0, 0, 0, herr
	}
	var w worker
	defer w.close()
	_, _, d, err := w.decode(data, hd)
	return d.cliff.drop, d.cliff.at, d.native, err
}

// LogSpectrum returns log10 of the whitened spectrum the upscale measure
// sees in a photo, bins 1 to 32.
func LogSpectrum(data []byte) ([]float64, error) {
	hd, herr := readHeader(data)
	if herr != nil {
		return nil, herr
	}
	var w worker
	defer w.close()
	wi, err := decodeWork(&w.dec, data, hd, grayDecodeShort(hd), &w.rgb, &w.gray)
	if err != nil {
		return nil, err
	}
	s, _ := detailSpectrum(wi.gray)
	out := make([]float64, specBins)
	for k := 1; k <= specBins; k++ {
		out[k-1] = math.Round(10*math.Log10(float64(k*k)*s[k]+1e-9)) / 10
	}
	return out, nil
}

// ForgetFaces empties the memo of faces found, so a benchmark measures the
// face models and not the memo.
func ForgetFaces() {
	faceMemo.mu.Lock()
	defer faceMemo.mu.Unlock()
	clear(faceMemo.byKey)
	faceMemo.order = nil
}

// decodeWork decodes an image into its working copies, as analyse does,
// at any scale (the tests want full scale for the detail measure). A JPEG is decoded
// with d, scaled in the DCT domain, into *rgb; the luma goes into *gray
// (both grown when too small).
func decodeWork(d *jpegDecoder, data []byte, hd header, minShort int, rgb, gray *[]byte) (workImage, error) {
	if hd.format != formatJPEG {
		img, err := decodeOther(data, hd.format)
		if err != nil {
			return workImage{}, err
		}
		return workFrom(img, hd.orientation, minShort, gray), nil
	}
	c, err := decodeJPEGRGB(d, data, hd, minShort, rgb)
	if err != nil {
		return workImage{}, err
	}
	c = orientRGB(c, hd.orientation)
	return workImage{gray: luma(c, gray), rgb: c}, nil
}

// RememberNoFaces makes the memo say that the photo whose stored copy has
// this sha256 shows no face, so a test can tell the memo was consulted.
func RememberNoFaces(sha string) {
	faceMemo.mu.Lock()
	defer faceMemo.mu.Unlock()
	faceMemo.byKey[sha] = faceResult{}
}
