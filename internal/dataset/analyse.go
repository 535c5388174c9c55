package dataset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"io"
	"math"

	"github.com/corona10/goimagehash"
	"github.com/promptforge/lorastudio/internal/face"
)

// analysis is everything the dataset-level checks need from one file.
type analysis struct {
	item   Item
	usable bool // decoded: counts as an image of the dataset
	short  int  // short side in the photo's own pixels
	// nativeW, nativeH: the size the photo's detail is worth when it looks
	// enlarged (see findCliff), else 0.
	nativeW, nativeH int

	phash      uint64 // whole image
	oneFace    bool
	faceX      float64 // main face centre and side, as fractions of the short side
	faceY      float64
	brightness float64
	emb        face.Embedding // the one face's, nil when not computed
}

// worker is what one goroutine of Validate reuses from file to file: the
// buffer a file is read into, the JPEG decoder and the grey image. Reusing
// them keeps a run from clearing and faulting in ~5 MB of fresh memory per
// photo (a sync.Pool does not: it empties at the GCs those reads trigger);
// the face detector's tables are the same for every photo of one size.
// A worker is not safe for concurrent use.
type worker struct {
	buf    []byte
	gray   []byte
	rgb    []byte
	dec    jpegDecoder
	tables faceTables
}

func (w *worker) close() { w.dec.close() }

// readSource reads a whole source into buf (grown when too small),
// refusing more than limit bytes.
func readSource(src Source, limit int64, buf []byte) ([]byte, *fileError) {
	if src.Size > limit {
		return nil, &fileError{code: CodeFileTooLarge, msg: fmt.Sprintf("the file is over %d MB: export the photo at a smaller size", limit>>20)}
	}
	rc, err := src.Open()
	if err != nil {
		return nil, &fileError{code: CodeUnreadable, msg: "the file could not be opened: check that it still exists and that you may read it", err: err}
	}
	defer rc.Close()
	// Sized from the declared size, a 5 MB photo is read in place, with no
	// chain of doubling copies.
	// A new buffer gets a quarter more, so that the next, slightly larger
	// photo of the same phone fits too.
	if need := int(src.Size) + bytes.MinRead; src.Size > 0 && cap(buf) < need {
		buf = make([]byte, 0, need+need/4)
	}
	b := bytes.NewBuffer(buf[:0])
	_, err = b.ReadFrom(io.LimitReader(rc, limit+1))
	data := b.Bytes()
	if err != nil {
		return nil, &fileError{code: CodeUnreadable, msg: "the file could not be read to the end: copy it again", err: err}
	}
	if int64(len(data)) > limit {
		return nil, &fileError{code: CodeFileTooLarge, msg: fmt.Sprintf("the file is over %d MB: export the photo at a smaller size", limit>>20)}
	}
	if len(data) == 0 {
		return nil, &fileError{code: CodeCorrupt, msg: "the file is empty: copy the photo again"}
	}
	return data, nil
}

// intake reads, identifies and bounds a source. It is shared by Validate,
// Strip and Thumbnail. The bytes are read into buf when it is large enough.
func intake(src Source, maxBytes, maxPixels int64, buf []byte) (data []byte, hd header, ferr *fileError) {
	data, ferr = readSource(src, maxBytes, buf)
	if ferr != nil {
		return nil, header{}, ferr
	}
	hd, err := readHeader(data)
	if err != nil {
		return data, hd, err.(*fileError)
	}
	if px := int64(hd.width) * int64(hd.height); px > maxPixels {
		return data, hd, &fileError{code: CodeTooManyPixels, msg: fmt.Sprintf(
			"the image claims %dx%d pixels (%.0f MP), over the %.0f MP limit: resize it below that or use a different photo",
			hd.width, hd.height, float64(px)/1e6, float64(maxPixels)/1e6)}
	}
	if ferr := checkDecodeCost(hd); ferr != nil {
		return data, hd, ferr
	}
	return data, hd, nil
}

// damaged is the issue of a file whose data breaks off or does not decode.
func damaged(err error) *fileError {
	return &fileError{code: CodeCorrupt, msg: "the image is damaged or incomplete (" + err.Error() + "): export the photo again", err: err}
}

// analyse runs every per-file check on one source. It never panics: a
// decoder panic on a hostile file becomes a corrupt issue.
func (w *worker) analyse(ctx context.Context, src Source, opts Options) (a analysis) {
	a.item = Item{File: src.Name, Issues: []Issue{}}
	defer func() {
		if r := recover(); r != nil {
			a.usable = false
			a.item.Issues = append(a.item.Issues, Issue{Code: CodeCorrupt, Severity: SeverityError,
				Message: "the image could not be decoded: export the photo again as JPEG"})
		}
	}()
	if ctx.Err() != nil {
		return a
	}
	data, hd, ferr := intake(src, opts.MaxBytes, opts.MaxPixels, w.buf)
	if cap(data) > cap(w.buf) {
		w.buf = data[:0]
	}
	a.item.Format = hd.format
	if ferr != nil {
		a.item.Issues = append(a.item.Issues, Issue{Code: ferr.code, Severity: SeverityError, Message: ferr.msg})
		return a
	}
	a.item.Width, a.item.Height = hd.orientedSize()
	a.item.Orientation = hd.orientation
	a.short = min(a.item.Width, a.item.Height)

	// Wait for the image's decode cost to be free in the budget; a caller
	// that gives up while waiting gets no result (Validate reports it).
	release, err := opts.Budget.acquire(ctx, decodeCost(hd))
	if err != nil {
		return a
	}
	sha, wi, det, err := func() (string, workImage, detail, error) {
		defer release() // also when a hostile file panics the decoder
		return w.decode(data, hd)
	}()
	if err != nil {
		f := damaged(err)
		a.item.Issues = append(a.item.Issues, Issue{Code: f.code, Severity: SeverityError, Message: f.msg})
		return a
	}
	a.item.SHA256 = sha
	a.usable = true
	g := wi.gray
	if det.native < 1 {
		a.nativeW = max(1, int(math.Round(det.native*float64(a.item.Width))))
		a.nativeH = max(1, int(math.Round(det.native*float64(a.item.Height))))
		a.item.NativeWidth, a.item.NativeHeight = a.nativeW, a.nativeH
	}
	a.phash = wholePHash(g)
	a.item.PHash = fmt.Sprintf("%016x", a.phash)

	fr, cached := faceMemo.get(sha)
	if !cached {
		if fr.faces, err = w.findFaces(ctx, opts.faces, wi); err != nil {
			if ctx.Err() != nil {
				return a
			}
			panic(err) // the embedded models are checked before any file
		}
	}
	faces := fr.faces
	a.item.Faces = len(faces)
	if len(faces) == 0 {
		if !cached {
			faceMemo.put(sha, fr)
		}
		return a
	}
	f := faces[0]
	gShort := float64(min(g.Rect.Dx(), g.Rect.Dy()))
	k := float64(a.short) / gShort // working pixels -> photo pixels
	x0, y0, x1, y1 := f.box()
	a.item.FaceBox = &Box{X: int(math.Round(x0 * k)), Y: int(math.Round(y0 * k)),
		W: int(math.Round((x1 - x0) * k)), H: int(math.Round((y1 - y0) * k))}
	a.item.FaceScale = round3(f.size / gShort)
	a.item.Blur = round1(sharpness(g, f))
	a.brightness = meanIn(g, f)
	a.item.Brightness = round1(a.brightness)
	yaw, ok := estimateYaw(f)
	if f.neural != nil {
		p := f.neural.Pose
		yaw, ok = p.Yaw, true
		a.item.Pitch, a.item.Roll = round1(p.Pitch), round1(p.Roll)
	}
	a.item.Yaw = round1(yaw)
	a.item.Pose = poseOf(yaw, ok)
	if len(faces) == 1 {
		a.oneFace = true
		a.faceX, a.faceY = f.x/gShort, f.y/gShort
		// Only a sharp photo of one face is compared: with several, which
		// one is the person is not known (and the photo is an error
		// anyway); a blurred or tiny face no longer looks like anyone in
		// particular (and has its own warning).
		if !cached && a.item.Blur >= blurryBelow && f.size >= minCompareFace {
			if fr.emb, err = opts.faces.Embed(ctx, wi.rgb, f.neuralFace()); err != nil {
				if ctx.Err() != nil {
					return a
				}
				panic(err)
			}
		}
		a.emb = fr.emb
	}
	if !cached {
		faceMemo.put(sha, fr)
	}
	return a
}

// detail is what measureNative found in a photo.
type detail struct {
	native float64 // fraction of the photo's resolution its detail is worth
	cliff  cliff
}

// grayDecodeShort is the short side a JPEG's grey image is decoded at:
// full scale for the detail measure when that is cheap, else the working
// size.
func grayDecodeShort(hd header) int {
	if min(hd.width, hd.height) <= upscaleFullShort {
		return 1 << 30
	}
	return workShort
}

// decode hashes the stored copy of an image (see stripTo) and returns its
// working copies, and the fraction of the photo's own resolution its detail
// is worth (see measureNative). A PNG or WebP is decoded once for both.
func (w *worker) decode(data []byte, hd header) (sha string, wi workImage, d detail, err error) {
	h := sha256.New()
	if hd.format == formatJPEG {
		if err := stripTo(data, hd, func(b []byte) { h.Write(b) }); err != nil {
			return "", wi, d, err
		}
		// A small photo is decoded at full scale for the detail measure,
		// then brought to the working size; a large one is not measured
		// (see upscaleFullShort).
		decodeShort := grayDecodeShort(hd)
		c, err := decodeJPEGRGB(&w.dec, data, hd, decodeShort, &w.rgb)
		if err != nil {
			return "", wi, d, err
		}
		d.native = 1
		if decodeShort != workShort { // full scale
			d.native, d.cliff = measureNative(luma(c, &w.gray))
			c = fitWorkRGB(c)
		}
		c = orientRGB(c, hd.orientation)
		return hex.EncodeToString(h.Sum(nil)), workImage{gray: luma(c, &w.gray), rgb: c}, d, nil
	}
	img, err := decodeOther(data, hd.format)
	if err != nil {
		return "", wi, d, err
	}
	b, err := encodeJPEG(img)
	if err != nil {
		return "", wi, d, err
	}
	h.Write(b)
	d.native, d.cliff = measureNative(toGray(img))
	return hex.EncodeToString(h.Sum(nil)), workFrom(img, hd.orientation, workShort, &w.gray), d, nil
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// wholePHash is goimagehash's DCT perceptual hash of the whole image. The
// image is first area-averaged to 64x64 (what the hash resizes to anyway),
// which is both faster and better anti-aliased than resizing the full image.
func wholePHash(g *image.Gray) uint64 {
	h, err := goimagehash.PerceptionHash(resizeGray(g, 64, 64))
	if err != nil {
		return 0
	}
	return h.GetHash()
}

// cropGray returns the square of side frac*f.size around the face centre,
// clipped to the image, or nil when nothing of it is inside.
func cropGray(g *image.Gray, f detected, frac float64) *image.Gray {
	half := f.size * frac / 2
	r := image.Rect(int(f.x-half), int(f.y-half), int(f.x+half), int(f.y+half)).Intersect(g.Rect)
	if r.Dx() < 4 || r.Dy() < 4 {
		return nil
	}
	return g.SubImage(r).(*image.Gray)
}

// sharpness is the variance of the 4-neighbour Laplacian over the central
// 80% of the face, resampled to 64x64 first so the measure is relative to
// the face's size: a sharp face scores the same whether it is 80 or 800
// pixels wide, and a webcam frame is not judged against a studio portrait.
// Faces smaller than 64 pixels in the working image are measured as they
// are. Sharp faces in the fixtures score 77 (webcam) to 3000 (portrait); a
// Gaussian blur of sigma 3% of the face's side brings every one under 20,
// 2.5% brings four of six (TestBlurryIsRelativeToFace).
func sharpness(g *image.Gray, f detected) float64 {
	c := cropGray(g, f, 0.8)
	if c == nil {
		return 0
	}
	if c.Rect.Dx() >= 64 && c.Rect.Dy() >= 64 {
		c = resizeGray(c, 64, 64)
	} else {
		c = resizeGray(c, c.Rect.Dx(), c.Rect.Dy()) // compact copy
	}
	w, h := c.Rect.Dx(), c.Rect.Dy()
	var sum, sum2 float64
	n := 0
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*c.Stride + x
			l := 4*float64(c.Pix[i]) - float64(c.Pix[i-1]) - float64(c.Pix[i+1]) - float64(c.Pix[i-c.Stride]) - float64(c.Pix[i+c.Stride])
			sum += l
			sum2 += l * l
			n++
		}
	}
	if n == 0 {
		return 0
	}
	m := sum / float64(n)
	return sum2/float64(n) - m*m
}

// meanIn is the mean luma inside the face box.
func meanIn(g *image.Gray, f detected) float64 {
	c := cropGray(g, f, 1.0)
	if c == nil {
		return 0
	}
	var s, n float64
	for y := c.Rect.Min.Y; y < c.Rect.Max.Y; y++ {
		for _, v := range c.Pix[(y-c.Rect.Min.Y)*c.Stride : (y-c.Rect.Min.Y)*c.Stride+c.Rect.Dx()] {
			s += float64(v)
			n++
		}
	}
	return s / n
}
