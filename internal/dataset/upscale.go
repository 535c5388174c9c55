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
// columns on the most detailed tiles of the working image, and
// nativeFraction finds where that spectrum falls off a cliff.

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
			for y := y0; y < y0+specN-1; y += 4 { // every 4th line is enough to rank
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

// upscaleWindow, upscaleCliff: see nativeFraction.
const (
	upscaleWindow = 8
	upscaleCliff  = 0.8
	// upscaleFactor is how much smaller than the measured image the
	// estimated native size must be to report an enlargement.
	upscaleFactor = 1.3
	// upscaleFullShort: JPEGs up to this short side are measured at full
	// scale (cheap: at most ~3 MP); larger ones on the DCT-scaled working
	// image, which sees only enlargements beyond its own scale.
	upscaleFullShort = 1600
)

// nativeFraction estimates, from a spectrum, the fraction of the measured
// image's resolution that carries real detail: 1 when nothing is missing,
// about 1/s for an image enlarged s times. It looks for a cliff: the log of
// the whitened spectrum (k^2 times the power, roughly flat for a natural
// photo) falling by upscaleCliff decades or more across upscaleWindow bins
// (1/8 of the band) somewhere between 9/32 and 28/32 of Nyquist. A sharp
// or soft original declines gradually (at most 0.73 decade over such a
// window in the calibration); an enlargement drops to the noise floor just
// above the small image's Nyquist frequency. The native fraction is where
// the cliff crosses halfway between the level before it and the floor
// after it.
func nativeFraction(s spectrum) float64 {
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
	best, kb := math.Inf(-1), 0
	for kc := 9; kc+half <= specBins && kc <= 28; kc++ {
		if d := sm[kc-half] - sm[kc+half]; d > best {
			best, kb = d, kc
		}
	}
	if best < upscaleCliff {
		return 1
	}
	a := kb - half
	hiLevel := max(sm[a], sm[a-1], sm[a-2])
	floor := math.Inf(1)
	for k := kb + half; k <= specBins; k++ {
		floor = min(floor, sm[k])
	}
	mid := (hiLevel + floor) / 2
	for k := a; k <= specBins; k++ {
		if sm[k] < mid {
			return float64(k) / specBins
		}
	}
	return 1
}

// measureNative returns the fraction of a photo's resolution (short side
// short) that its detail is worth, measured on g, a decode of it at any
// scale: 1 when no enlargement is seen. g at a reduced scale can only show
// enlargements beyond that scale.
func measureNative(g *image.Gray, short int) float64 {
	s, ok := detailSpectrum(g)
	if !ok || short <= 0 {
		return 1
	}
	f := nativeFraction(s)
	if f > 1/upscaleFactor {
		return 1 // no enlargement, or too slight to tell
	}
	scale := float64(min(g.Rect.Dx(), g.Rect.Dy())) / float64(short)
	return min(1, f*scale)
}
