//go:build cgo

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

// decodeJPEGGray decodes the luma of a JPEG at reduced scale in the DCT
// domain (chroma is never inverse-transformed), short side >= minShort.
func decodeJPEGGray(data []byte, hd header, minShort int) (*image.Gray, error) {
	h := C.tjInitDecompress()
	if h == nil {
		return nil, errors.New("cannot start the jpeg decoder")
	}
	defer C.tjDestroy(h)
	w, ht := scaledSize(hd.width, hd.height, minShort)
	img := image.NewGray(image.Rect(0, 0, w, ht))
	rc := C.tjDecompress2(h, (*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)),
		(*C.uchar)(unsafe.Pointer(&img.Pix[0])), C.int(w), C.int(w), C.int(ht), C.TJPF_GRAY,
		C.TJFLAG_FASTDCT|C.TJFLAG_LIMITSCANS)
	if err := turboError(h, rc); err != nil {
		return nil, err
	}
	return img, nil
}

// decodeJPEGColor decodes a JPEG at reduced scale into RGBA (for thumbnails).
func decodeJPEGColor(data []byte, hd header, minShort int) (image.Image, error) {
	h := C.tjInitDecompress()
	if h == nil {
		return nil, errors.New("cannot start the jpeg decoder")
	}
	defer C.tjDestroy(h)
	w, ht := scaledSize(hd.width, hd.height, minShort)
	img := image.NewRGBA(image.Rect(0, 0, w, ht))
	rc := C.tjDecompress2(h, (*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)),
		(*C.uchar)(unsafe.Pointer(&img.Pix[0])), C.int(w), C.int(img.Stride), C.int(ht), C.TJPF_RGBA,
		C.TJFLAG_LIMITSCANS)
	if err := turboError(h, rc); err != nil {
		return nil, err
	}
	return img, nil
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
