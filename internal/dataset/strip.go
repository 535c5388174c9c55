package dataset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/jpeg"
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
	data, hd, ferr := intake(src, defaultMaxBytes, defaultMaxPixels)
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
	data, hd, ferr := intake(src, defaultMaxBytes, defaultMaxPixels)
	if ferr != nil {
		return intakeError(ferr)
	}
	var img image.Image
	var err error
	if hd.format == formatJPEG {
		// Decode at the smallest DCT scale that still covers maxSide.
		need := (maxSide*min(hd.width, hd.height) + max(hd.width, hd.height) - 1) / max(hd.width, hd.height)
		img, err = decodeJPEGColor(data, hd, need)
	} else {
		img, err = decodeOther(data, hd.format)
	}
	if err != nil {
		return intakeError(&fileError{code: CodeCorrupt, msg: "the image is damaged or incomplete: export the photo again", err: err})
	}
	img = applyOrientation(img, hd.orientation)
	img = imaging.Fit(img, maxSide, maxSide, imaging.Linear)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}
