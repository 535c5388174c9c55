package dataset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/draw"
	"io"

	"github.com/disintegration/imaging"

	"github.com/promptforge/lorastudio/internal/studio"
)

// stripTo emits the copy of an image that is stored and uploaded: a
// JPEG with the EXIF orientation applied and no metadata at all (no EXIF,
// GPS, XMP, IPTC, ICC, comments, nor data after the image). A JPEG without
// orientation is stripped losslessly at the marker level; a rotated JPEG is
// transformed losslessly in the DCT domain with libjpeg-turbo (re-encoded at
// quality 95 in pure-Go builds); PNG and WebP are encoded as JPEG quality 95.
// Stripping a stripped copy returns it unchanged, so the backend, which
// re-validates what it receives, computes the same hashes as the desktop.
func stripTo(data []byte, hd header, emit func([]byte)) error {
	switch hd.format {
	case formatJPEG:
		if hd.orientation > 1 {
			t, err := orientJPEG(data, hd.orientation)
			if err != nil {
				return err
			}
			data = t
		}
		_, err := parseJPEG(data, emit)
		return err
	default:
		img, err := decodeOther(data, hd.format)
		if err != nil {
			return err
		}
		b, err := encodeJPEG(img)
		if err != nil {
			return err
		}
		emit(b)
		return nil
	}
}

// intakeError turns a per-file intake failure into the domain error.
func intakeError(f *fileError) error {
	return &studio.Error{Code: f.code, Message: f.msg, Err: f.err}
}

// Strip writes the orientation-applied, metadata-free JPEG copy of src that
// is stored and uploaded, and returns its sha256 (hex). The source is never
// modified. Returns an error coded unsupported_format, corrupt,
// too_many_pixels, file_too_large or unreadable for a file Validate would
// refuse, and the write error if w fails.
func Strip(ctx context.Context, src Source, w io.Writer) (sha string, err error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	data, hd, ferr := intake(src, studio.MaxPhotoBytes, defaultMaxPixels, nil)
	if ferr != nil {
		return "", intakeError(ferr)
	}
	// Buffer the copy so a file found damaged half-way writes nothing.
	var buf bytes.Buffer
	buf.Grow(len(data))
	if err := stripTo(data, hd, func(b []byte) { buf.Write(b) }); err != nil {
		return "", intakeError(damaged(err))
	}
	s := sha256.Sum256(buf.Bytes())
	if _, err := w.Write(buf.Bytes()); err != nil {
		return "", err
	}
	return hex.EncodeToString(s[:]), nil
}

// Thumbnail writes a JPEG of src, oriented, that fits in maxSide x maxSide
// (default 256), for the UI and Character Packs. It returns the same coded
// errors as Strip.
func Thumbnail(ctx context.Context, src Source, w io.Writer, maxSide int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if maxSide <= 0 {
		maxSide = 256
	}
	data, hd, ferr := intake(src, studio.MaxPhotoBytes, defaultMaxPixels, nil)
	if ferr != nil {
		return intakeError(ferr)
	}
	// The size imaging.Fit gives the oriented photo, and the same before
	// orientation.
	ow, oh := hd.orientedSize()
	tw, th := fitSize(ow, oh, maxSide)
	sw, sh := tw, th
	if hd.orientation >= 5 {
		sw, sh = th, tw
	}
	var img image.Image
	var err error
	if hd.format == formatJPEG {
		img, err = decodeJPEGColor(data, hd, sw, sh)
	} else {
		img, err = decodeOther(data, hd.format)
	}
	if err != nil {
		return intakeError(&fileError{code: CodeCorrupt, msg: "the image is damaged or incomplete: export the photo again", err: err})
	}
	// Resize before orienting: the same pixels, fewer of them to turn.
	rgba := flatten(img)
	if b := rgba.Bounds(); b.Dx() != sw || b.Dy() != sh {
		rgba = asRGBA(imaging.Resize(rgba, sw, sh, imaging.Linear))
	}
	if o, ok := applyOrientation(rgba, hd.orientation).(*image.NRGBA); ok {
		rgba = asRGBA(o)
	}
	b, err := encodeRGBA(rgba, 85)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// fitSize is the size imaging.Fit gives a w x h image in maxSide x maxSide:
// unchanged when it fits, else the long side at maxSide and the other
// scaled and truncated as imaging does.
func fitSize(w, h, maxSide int) (int, int) {
	if w <= maxSide && h <= maxSide {
		return w, h
	}
	if a := float64(w) / float64(h); a > 1 {
		return maxSide, max(1, int(float64(maxSide)/a))
	}
	return max(1, int(float64(maxSide)*float64(w)/float64(h))), maxSide
}

// flatten returns img as an opaque *image.RGBA, laying transparent pixels
// over white (a JPEG cannot keep them, and transparent black must not turn
// into black). An opaque *image.RGBA is returned as it is.
func flatten(img image.Image) *image.RGBA {
	if m, ok := img.(*image.RGBA); ok && m.Opaque() {
		return m
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	if hasAlpha(img) {
		draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Over)
	} else {
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	}
	return dst
}

// asRGBA views an opaque *image.NRGBA (what imaging returns) as the
// *image.RGBA it equals: with every alpha at 255, straight and
// premultiplied colour agree.
func asRGBA(n *image.NRGBA) *image.RGBA {
	return &image.RGBA{Pix: n.Pix, Stride: n.Stride, Rect: n.Rect}
}
