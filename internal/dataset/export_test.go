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
