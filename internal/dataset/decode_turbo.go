//go:build cgo && !darwin

// macOS builds use the pure-Go decoder even with cgo (which the Wails window
// needs there): a .app must not link Homebrew's libturbojpeg, which the
// people who download it do not have.

package dataset

/*
#cgo LDFLAGS: -lturbojpeg
#include <stdlib.h>
#include <turbojpeg.h>

// transform wraps tjTransform so Go never builds the struct with a callback.
static int lorastudio_transform(tjhandle h, const unsigned char *src, unsigned long size,
		int op, unsigned char **dst, unsigned long *dstSize) {
	tjtransform t = {0};
	t.op = op;
	t.options = TJXOPT_TRIM | TJXOPT_COPYNONE;
	return tjTransform(h, src, size, 1, dst, dstSize, &t, TJFLAG_LIMITSCANS);
}
*/
import "C"

import (
	"errors"
	"image"
	"strings"
	"unsafe"

	"github.com/promptforge/lorastudio/internal/face"
)

// decoderName says which JPEG decoder this build uses; the benchmark prints it.
const decoderName = "libjpeg-turbo (cgo, DCT scaling)"

// turboError turns the handle's last error into a Go error. Warnings are
// tolerated (phones write harmless ones) except premature end of data.
func turboError(h C.tjhandle, rc C.int) error {
	if rc == 0 {
		return nil
	}
	msg := C.GoString(C.tjGetErrorStr2(h))
	if C.tjGetErrorCode(h) == C.TJERR_WARNING && !strings.Contains(strings.ToLower(msg), "premature end") {
		return nil
	}
	return errors.New(strings.ToLower(msg))
}

// scaledSize picks the smallest libjpeg-turbo scaling factor (M/8) whose
// short side is still at least minShort, or 1/1 when none reaches it.
func scaledSize(w, h, minShort int) (int, int) {
	var n C.int
	sf := C.tjGetScalingFactors(&n)
	factors := unsafe.Slice(sf, int(n))
	bw, bh := w, h
	for _, f := range factors {
		sw := (w*int(f.num) + int(f.denom) - 1) / int(f.denom)
		sh := (h*int(f.num) + int(f.denom) - 1) / int(f.denom)
		if min(sw, sh) >= min(minShort, min(w, h)) && sw*sh < bw*bh {
			bw, bh = sw, sh
		}
	}
	return bw, bh
}

// workSize is the size a DCT-scaled decode for the checks gives a w x h
// JPEG.
func workSize(w, h int) (int, int) { return scaledSize(w, h, workShort) }

// jpegDecoder is one libjpeg-turbo decompressor, kept by a worker from file
// to file (creating one per image costs its allocations every time). The
// zero value is ready; it is not safe for concurrent use.
type jpegDecoder struct{ h C.tjhandle }

func (d *jpegDecoder) handle() (C.tjhandle, error) {
	if d.h == nil {
		if d.h = C.tjInitDecompress(); d.h == nil {
			return nil, errors.New("cannot start the jpeg decoder")
		}
	}
	return d.h, nil
}

// close frees the decompressor; the decoder can be used again after.
func (d *jpegDecoder) close() {
	if d.h != nil {
		C.tjDestroy(d.h)
		d.h = nil
	}
}

// decodeJPEGRGB decodes a JPEG to RGB at reduced scale in the DCT domain,
// short side >= minShort, into *pix (grown when too small).
func decodeJPEGRGB(d *jpegDecoder, data []byte, hd header, minShort int, pix *[]byte) (*face.RGB, error) {
	h, err := d.handle()
	if err != nil {
		return nil, err
	}
	w, ht := scaledSize(hd.width, hd.height, minShort)
	img := rgbInto(pix, w, ht)
	rc := C.tjDecompress2(h, (*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)),
		(*C.uchar)(unsafe.Pointer(&img.Pix[0])), C.int(w), C.int(3*w), C.int(ht), C.TJPF_RGB,
		C.TJFLAG_FASTDCT|C.TJFLAG_FASTUPSAMPLE|C.TJFLAG_LIMITSCANS)
	if err := turboError(h, rc); err != nil {
		return nil, err
	}
	return img, nil
}

// coverScale returns the smallest libjpeg-turbo scaled size (M/8) that is
// at least w x h, or the full size when none is smaller.
func coverScale(fw, fh, w, h int) (int, int) {
	var n C.int
	sf := C.tjGetScalingFactors(&n)
	bw, bh := fw, fh
	for _, f := range unsafe.Slice(sf, int(n)) {
		sw := (fw*int(f.num) + int(f.denom) - 1) / int(f.denom)
		sh := (fh*int(f.num) + int(f.denom) - 1) / int(f.denom)
		if sw >= w && sh >= h && sw*sh < bw*bh {
			bw, bh = sw, sh
		}
	}
	return bw, bh
}

// decodeJPEGColor decodes a JPEG into opaque RGBA at the smallest DCT scale
// that is at least w x h (as stored, before orientation): often exactly
// w x h, and then nothing needs resizing.
func decodeJPEGColor(data []byte, hd header, w, h int) (*image.RGBA, error) {
	var d jpegDecoder
	defer d.close()
	th, err := d.handle()
	if err != nil {
		return nil, err
	}
	sw, sh := coverScale(hd.width, hd.height, w, h)
	img := image.NewRGBA(image.Rect(0, 0, sw, sh))
	rc := C.tjDecompress2(th, (*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)),
		(*C.uchar)(unsafe.Pointer(&img.Pix[0])), C.int(sw), C.int(img.Stride), C.int(sh), C.TJPF_RGBA,
		C.TJFLAG_LIMITSCANS)
	if err := turboError(th, rc); err != nil {
		return nil, err
	}
	return img, nil
}

// encodeRGBA encodes opaque pixels as a baseline 4:2:0 JPEG with
// libjpeg-turbo's compressor (several times faster than image/jpeg; its
// SIMD paths are bit-exact with its C ones, so the bytes depend only on the
// pixels and the quality). The only marker it writes is the JFIF header.
func encodeRGBA(img *image.RGBA, quality int) ([]byte, error) {
	b := img.Bounds()
	if b.Empty() {
		return nil, errors.New("nothing to encode")
	}
	h := C.tjInitCompress()
	if h == nil {
		return nil, errors.New("cannot start the jpeg encoder")
	}
	defer C.tjDestroy(h)
	var dst *C.uchar
	var size C.ulong
	rc := C.tjCompress2(h, (*C.uchar)(unsafe.Pointer(&img.Pix[img.PixOffset(b.Min.X, b.Min.Y)])),
		C.int(b.Dx()), C.int(img.Stride), C.int(b.Dy()), C.TJPF_RGBA, &dst, &size, C.TJSAMP_420, C.int(quality), 0)
	if dst != nil {
		defer C.tjFree(dst)
	}
	if rc != 0 {
		return nil, errors.New(strings.ToLower(C.GoString(C.tjGetErrorStr2(h))))
	}
	return C.GoBytes(unsafe.Pointer(dst), C.int(size)), nil
}

// orientJPEG applies an EXIF orientation losslessly on DCT coefficients
// (partial edge MCUs are trimmed) and drops every marker; the caller strips
// the JFIF header libjpeg writes back.
func orientJPEG(data []byte, orientation int) ([]byte, error) {
	ops := [...]C.int{2: C.TJXOP_HFLIP, 3: C.TJXOP_ROT180, 4: C.TJXOP_VFLIP, 5: C.TJXOP_TRANSPOSE,
		6: C.TJXOP_ROT90, 7: C.TJXOP_TRANSVERSE, 8: C.TJXOP_ROT270}
	if orientation < 2 || orientation > 8 {
		return data, nil
	}
	h := C.tjInitTransform()
	if h == nil {
		return nil, errors.New("cannot start the jpeg transformer")
	}
	defer C.tjDestroy(h)
	var dst *C.uchar
	var size C.ulong
	rc := C.lorastudio_transform(h, (*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)), ops[orientation], &dst, &size)
	if dst != nil {
		defer C.tjFree(dst)
	}
	if err := turboError(h, rc); err != nil {
		return nil, err
	}
	if dst == nil {
		return nil, errors.New("jpeg transform produced nothing")
	}
	return C.GoBytes(unsafe.Pointer(dst), C.int(size)), nil
}

// jpegDecodeCost is the peak memory of the libjpeg-turbo paths: the scaled
// output (grey for the checks, RGBA at most for a thumbnail), plus every
// coefficient of the image for a progressive decode, or twice that while an
// EXIF rotation is applied losslessly (source and turned copy). Measured on
// a 64 MP 4:2:0 JPEG: baseline 3 MB, progressive 184 MB, rotated 369 MB.
func jpegDecodeCost(hd header) int64 {
	w, h := scaledSize(hd.width, hd.height, grayDecodeShort(hd))
	cost := int64(w) * int64(h) * 4
	if hd.progressive {
		cost += hd.coefBytes
	}
	if hd.orientation > 1 {
		cost = max(cost, 2*hd.coefBytes)
	}
	return cost
}
