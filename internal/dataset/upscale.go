package dataset

import (
	"image"
	"math"
	"math/cmplx"
	"slices"
)

// Upscale detection: a photo enlarged from a smaller one has almost no
// energy above the small one's Nyquist frequency, whatever the resampling
// filter. detailSpectrum measures the luma's power spectrum along rows and
// columns on the most detailed tiles of the full-scale image, and findCliff
// finds where that spectrum falls off a cliff.

const (
	specN     = 64 // tile side and FFT length: 32 frequency bins up to Nyquist
	specBins  = specN / 2
	specTiles = 16 // the most detailed tiles measured (a blurred background is skipped)
)

// spectrum is the mean power of the luma per frequency bin k (k/specN cycles
// per pixel, k = 0..specBins), rows and columns summed.
type spectrum [specBins + 1]float64

var (
	fftTwiddle [specN / 2]complex128
	fftRev     [specN]int
	hann       [specN]float64
)

func init() {
	bits := 0
	for 1<<bits < specN {
		bits++
	}
	for i := range fftRev {
		r := 0
		for b := 0; b < bits; b++ {
			if i&(1<<b) != 0 {
				r |= 1 << (bits - 1 - b)
			}
		}
		fftRev[i] = r
	}
	for k := range fftTwiddle {
		fftTwiddle[k] = cmplx.Exp(complex(0, -2*math.Pi*float64(k)/specN))
	}
	for i := range hann {
		hann[i] = 0.5 - 0.5*math.Cos(2*math.Pi*(float64(i)+0.5)/specN)
	}
}

// fft64 transforms x in place (radix 2, decimation in time).
func fft64(x *[specN]complex128) {
	for i, r := range fftRev {
		if i < r {
			x[i], x[r] = x[r], x[i]
		}
	}
	for size := 2; size <= specN; size <<= 1 {
		half, step := size/2, specN/size
		for start := 0; start < specN; start += size {
			for j := 0; j < half; j++ {
				t := fftTwiddle[j*step] * x[start+j+half]
				x[start+j+half] = x[start+j] - t
				x[start+j] += t
			}
		}
	}
}

// addPairPower adds the power spectra of two windowed real lines a and b,
// transformed together as a + ib.
func addPairPower(s *spectrum, a, b *[specN]float64) {
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= specN
	mb /= specN
	var z [specN]complex128
	for i := range z {
		z[i] = complex((a[i]-ma)*hann[i], (b[i]-mb)*hann[i])
	}
	fft64(&z)
	for k := 0; k <= specBins; k++ {
		zk, zn := z[k], cmplx.Conj(z[(specN-k)%specN])
		pa := (zk + zn) / 2
		pb := (zk - zn) / 2
		s[k] += real(pa)*real(pa) + imag(pa)*imag(pa) + real(pb)*real(pb) + imag(pb)*imag(pb)
	}
}

// detailSpectrum measures the power spectrum of g on its specTiles most
// detailed 64x64 tiles (by the sum of absolute horizontal and vertical
// differences), so that a subject in focus in front of a blurred background
// is judged on the subject. ok is false when g is too small for one tile.
func detailSpectrum(g *image.Gray) (s spectrum, ok bool) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	tx, ty := w/specN, h/specN
	if tx == 0 || ty == 0 {
		return s, false
	}
	// Centre the grid of tiles.
	ox, oy := (w-tx*specN)/2, (h-ty*specN)/2
	type tile struct {
		x, y     int
		activity int
	}
	tiles := make([]tile, 0, tx*ty)
	for j := range ty {
		for i := range tx {
			x0, y0 := ox+i*specN, oy+j*specN
			a := 0
			for y := y0; y < y0+specN-1; y += 8 { // every 8th line is enough to rank
				row := g.Pix[y*g.Stride+x0 : y*g.Stride+x0+specN]
				next := g.Pix[(y+1)*g.Stride+x0 : (y+1)*g.Stride+x0+specN]
				for x := 0; x < specN-1; x++ {
					a += absDiff(row[x], row[x+1]) + absDiff(row[x], next[x])
				}
			}
			tiles = append(tiles, tile{x0, y0, a})
		}
	}
	slices.SortFunc(tiles, func(a, b tile) int { return b.activity - a.activity })
	tiles = tiles[:min(len(tiles), specTiles)]
	var a, b [specN]float64
	for _, t := range tiles {
		// Rows, two at a time.
		for y := t.y; y < t.y+specN; y += 2 {
			r0 := g.Pix[y*g.Stride+t.x:]
			r1 := g.Pix[(y+1)*g.Stride+t.x:]
			for x := range specN {
				a[x], b[x] = float64(r0[x]), float64(r1[x])
			}
			addPairPower(&s, &a, &b)
		}
		// Columns, two at a time.
		for x := t.x; x < t.x+specN; x += 2 {
			for y := range specN {
				p := (t.y+y)*g.Stride + x
				a[y], b[y] = float64(g.Pix[p]), float64(g.Pix[p+1])
			}
			addPairPower(&s, &a, &b)
		}
	}
	n := float64(len(tiles) * 2 * specN)
	for k := range s {
		s[k] /= n
	}
	return s, true
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// The thresholds, from TestCalibrateUpscale (see findCliff and the notes
// of issue 13).
const (
	upscaleWindow = 8   // bins a cliff is measured across (1/4 of the band)
	upscaleCliff  = 0.8 // decades: originals fall at most 0.73, 2x Lanczos at least 0.81
	// upscaleFactor is how much smaller than the measured image the
	// estimated native size must be to report an enlargement.
	upscaleFactor = 1.3
	// upscaleMargin is the benefit of the doubt the resolution checks give
	// an estimate: estimates run low more often than high (on the
	// calibration's flagged enlargements, estimated over true native width
	// has a median of 0.84 and a 10th percentile of 0.56: bicubic starts
	// falling below its cutoff, and soft sources have less detail than their
	// pixels), and a photo should not fail for the measure's error.
	upscaleMargin = 1.25
	// upscaleFullShort: JPEGs up to this short side are decoded at full
	// scale to be measured (cheap: at most ~3 MP). Larger ones are decoded
	// DCT-scaled for speed and not measured: at 1/4 scale the averaging
	// removes the sensor noise that, at full scale, is real high-frequency
	// energy, so a noisy 12 MP photo stretched from 400x300 (the benchmark's
	// phone photos) would be flagged while its full-scale pixels are not
	// detail-free; and a 12 MP enlargement under ~5x is invisible there anyway.
	upscaleFullShort = 1600
)

// cliff is the first steep fall of a whitened log spectrum (see findCliff).
type cliff struct {
	drop float64 // decades fallen across upscaleWindow bins (the steepest fall when there is no cliff)
	at   float64 // where it crosses halfway down, as a fraction of Nyquist
}

// findCliff looks for the cliff an enlargement leaves in a spectrum: the
// log of the whitened spectrum (k^2 times the power, roughly flat for a
// natural photo) falling by upscaleCliff decades or more across
// upscaleWindow bins, centred between 9/32 and 28/32 of Nyquist. A sharp
// or soft original declines gradually (at most 0.73 decade over such a
// window in the calibration); an enlargement falls just above the small
// image's Nyquist frequency, to the floor or to the attenuated copies of
// its spectrum that the resampling kernel lets through (the first cliff is
// the one that counts: a kernel without prefilter, like x/image/draw's,
// leaves copies with their own falls further up). at is where the cliff
// crosses halfway between the level before it and the one after it: about
// 1/s of Nyquist for an image enlarged s times.
func findCliff(s spectrum) cliff {
	var l [specBins + 1]float64
	for k := 1; k <= specBins; k++ {
		l[k] = math.Log10(float64(k*k)*s[k] + 1e-9)
	}
	var sm [specBins + 1]float64 // smoothed over 3 bins
	for k := 1; k <= specBins; k++ {
		lo, hi := max(1, k-1), min(specBins, k+1)
		for j := lo; j <= hi; j++ {
			sm[k] += l[j]
		}
		sm[k] /= float64(hi - lo + 1)
	}
	half := upscaleWindow / 2
	drop := func(k int) float64 { return sm[k-half] - sm[k+half] }
	const first, last = 9, specBins - upscaleWindow/2
	c, kb := cliff{drop: math.Inf(-1), at: 1}, 0
	for k := first; k <= last; k++ {
		if d := drop(k); d >= upscaleCliff {
			for k < last && drop(k+1) >= d { // climb to the steepest point of this cliff
				k++
				d = drop(k)
			}
			c.drop, kb = d, k
			break
		}
		c.drop = max(c.drop, drop(k))
	}
	if kb == 0 {
		return c
	}
	a := kb - half
	level := max(sm[a], sm[a-1], sm[a-2])
	floor := sm[kb+half]
	mid := (level + floor) / 2
	for k := a; k <= kb+half; k++ {
		if sm[k] < mid {
			c.at = float64(k) / specBins
			break
		}
	}
	return c
}

// enlarged says whether a cliff is the mark of an enlargement.
func (c cliff) enlarged() bool {
	return c.drop >= upscaleCliff && c.at <= 1/upscaleFactor
}

// measureNative returns the fraction of a photo's resolution that its
// detail is worth, measured on g, its full-scale luma: 1 when no
// enlargement is seen.
func measureNative(g *image.Gray) (native float64, c cliff) {
	s, ok := detailSpectrum(g)
	if !ok {
		return 1, cliff{}
	}
	if c = findCliff(s); !c.enlarged() {
		return 1, c
	}
	return c.at, c
}
