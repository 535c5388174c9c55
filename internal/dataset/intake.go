package dataset

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image/color"
	"image/png"

	"golang.org/x/image/webp"
)

// Formats recognised by their leading bytes.
const (
	formatJPEG = "jpeg"
	formatPNG  = "png"
	formatWebP = "webp"
)

// header is what intake learns from a file's bytes before decoding any pixel.
type header struct {
	format      string
	width       int // as stored, before orientation
	height      int
	orientation int // EXIF orientation 1..8 (JPEG only); 1 when absent
	components  int // JPEG colour components (1 grey, 3 YCbCr, 4 CMYK)

	// What the decode cost depends on (see decodeCost).
	progressive bool  // JPEG: progressive (its decoder holds every coefficient)
	coefBytes   int64 // JPEG: the DCT coefficients of the whole image, 2 bytes each
	pngDepth    int   // PNG: bits per sample
	pngColor    int   // PNG: colour type (0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA)
	pngLaced    bool  // PNG: Adam7 interlaced (decoded pass by pass, then merged)
	pngTRNS     bool  // PNG: has a tRNS chunk (transparency without an alpha channel)
	webpModel   color.Model
}

// orientedSize returns the size after the EXIF orientation is applied.
func (h header) orientedSize() (w, h2 int) {
	if h.orientation >= 5 {
		return h.height, h.width
	}
	return h.width, h.height
}

// sniff names the format of data from its magic bytes, never from a file name.
// It returns "" with a hint for formats we recognise but do not take.
func sniff(data []byte) (format, hint string) {
	switch {
	case len(data) >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF:
		return formatJPEG, ""
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG, ""
	case len(data) >= 12 && string(data[0:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return formatWebP, ""
	case len(data) >= 12 && string(data[4:8]) == "ftyp":
		switch string(data[8:12]) {
		case "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1":
			return "", "HEIC/HEIF photos cannot be read here: export them as JPEG (on iPhone: Settings > Camera > Formats > Most Compatible, or share the photo, which converts it) and add the JPEG instead"
		case "avif", "avis":
			return "", "AVIF images cannot be read here: convert them to JPEG or PNG and add those instead"
		}
	case bytes.HasPrefix(data, []byte("GIF8")):
		return "", "GIF images are not taken: add the photo as JPEG, PNG or WebP"
	case bytes.HasPrefix(data, []byte("BM")), bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return "", "BMP and TIFF files are not taken: convert the photo to JPEG or PNG and add that instead"
	}
	return "", "this file is not a JPEG, PNG or WebP image: add photos in one of those formats"
}

// readHeader reads the size (and, for JPEG, the EXIF orientation) without
// decoding pixels, so the pixel budget is enforced before any allocation.
func readHeader(data []byte) (header, error) {
	format, hint := sniff(data)
	if format == "" {
		return header{}, &fileError{code: CodeUnsupportedFormat, msg: hint}
	}
	h := header{format: format, orientation: 1}
	switch format {
	case formatJPEG:
		j, err := parseJPEG(data, nil)
		if err != nil {
			return header{}, &fileError{code: CodeCorrupt, msg: "the JPEG file is damaged or incomplete (" + err.Error() + "): export the photo again", err: err}
		}
		h.width, h.height, h.components, h.orientation = j.width, j.height, j.components, j.orientation
		h.progressive, h.coefBytes = j.progressive, j.coefBytes
	case formatPNG:
		c, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return header{}, &fileError{code: CodeCorrupt, msg: "the PNG file is damaged or incomplete: export the photo again", err: err}
		}
		h.width, h.height = c.Width, c.Height
		readIHDR(data, &h)
	case formatWebP:
		c, err := webp.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return header{}, &fileError{code: CodeCorrupt, msg: "the WebP file is damaged or incomplete: export the photo again", err: err}
		}
		h.width, h.height, h.webpModel = c.Width, c.Height, c.ColorModel
	}
	if h.width <= 0 || h.height <= 0 {
		return header{}, &fileError{code: CodeCorrupt, msg: "the image claims to have no pixels: export the photo again"}
	}
	return h, nil
}

// readIHDR reads what the decode cost of a PNG depends on: its IHDR (which
// png.DecodeConfig has checked is there) and whether a tRNS chunk comes
// before the image data.
func readIHDR(data []byte, h *header) {
	h.pngDepth, h.pngColor, h.pngLaced = int(data[24]), int(data[25]), data[28] != 0
	for p := 8; p+8 <= len(data); {
		n := int64(binary.BigEndian.Uint32(data[p:]))
		switch string(data[p+4 : p+8]) {
		case "tRNS":
			h.pngTRNS = true
			return
		case "IDAT", "IEND":
			return
		}
		if n > int64(len(data)-p) {
			return
		}
		p += 12 + int(n)
	}
}

// jpegInfo is what one walk over a JPEG's markers finds.
type jpegInfo struct {
	width, height, components int
	orientation               int
	progressive               bool
	coefBytes                 int64 // see header.coefBytes
}

// coefBytes is the memory libjpeg takes to hold every DCT coefficient of a
// frame (64 coefficients of 2 bytes per 8x8 block of each component, at
// the component's sampling), from the frame header's body.
func coefBytes(body []byte, w, h int) int64 {
	n := int(body[5])
	if len(body) < 6+3*n {
		return 0
	}
	hmax, vmax := 1, 1
	for i := range n {
		f := body[7+3*i]
		hmax, vmax = max(hmax, int(f>>4)), max(vmax, int(f&15))
	}
	var total int64
	for i := range n {
		f := body[7+3*i]
		cw := (w*max(int(f>>4), 1) + hmax - 1) / hmax
		ch := (h*max(int(f&15), 1) + vmax - 1) / vmax
		total += int64((cw+7)/8) * int64((ch+7)/8) * 128
	}
	return total
}

// parseJPEG walks the marker structure of a JPEG: it reads the frame header
// and the EXIF orientation. With emit set it also emits, piece by piece, a
// copy without APPn (except Adobe APP14, which tells decoders the colour
// transform) and COM segments and without anything after EOI (phones append
// secondary images with their own EXIF there). The entropy-coded data is
// passed through verbatim, so stripping is lossless, O(bytes), idempotent,
// and can be hashed without building the copy. Without emit it stops at the
// first scan header.
func parseJPEG(data []byte, emit func([]byte)) (jpegInfo, error) {
	info := jpegInfo{orientation: 1}
	strip := emit != nil
	if strip {
		emit(data[:2])
	}
	pos := 2
	sawSOF, sawSOS := false, false
	for {
		// Find the next marker: 0xFF followed by a byte that is neither 0x00
		// (a stuffed byte in entropy data), 0xFF (fill) nor RSTn.
		start := pos
		for {
			i := bytes.IndexByte(data[pos:], 0xFF)
			if i < 0 {
				return info, fmt.Errorf("no end-of-image marker")
			}
			pos += i
			if pos+1 >= len(data) {
				return info, fmt.Errorf("no end-of-image marker")
			}
			m := data[pos+1]
			if m == 0x00 || (m >= 0xD0 && m <= 0xD7) || m == 0xFF {
				pos++
				continue
			}
			break
		}
		// Bytes before the marker are entropy-coded data after a scan header;
		// elsewhere they are junk that decoders skip (libjpeg warns), and so
		// do we, dropping them from the copy.
		if pos > start && sawSOS && strip {
			emit(data[start:pos])
		}
		marker := data[pos+1]
		if marker == 0xD9 { // EOI
			if !sawSOF || !sawSOS {
				return info, fmt.Errorf("no image data")
			}
			if strip {
				emit(data[pos : pos+2])
			}
			return info, nil
		}
		if marker == 0xD8 || marker == 0x01 {
			return info, fmt.Errorf("unexpected marker 0x%02X", marker)
		}
		if pos+4 > len(data) {
			return info, fmt.Errorf("truncated segment")
		}
		n := int(binary.BigEndian.Uint16(data[pos+2:]))
		if n < 2 || pos+2+n > len(data) {
			return info, fmt.Errorf("truncated segment")
		}
		seg := data[pos : pos+2+n]
		body := seg[4:]
		keep := true
		switch {
		case marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC: // SOFn
			if sawSOF {
				return info, fmt.Errorf("two frame headers")
			}
			if len(body) < 6 {
				return info, fmt.Errorf("short frame header")
			}
			sawSOF = true
			info.height = int(binary.BigEndian.Uint16(body[1:]))
			info.width = int(binary.BigEndian.Uint16(body[3:]))
			info.components = int(body[5])
			info.progressive = marker == 0xC2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE
			info.coefBytes = coefBytes(body, info.width, info.height)
		case marker == 0xDA: // SOS
			if !sawSOF {
				return info, fmt.Errorf("scan before frame header")
			}
			sawSOS = true
		case marker == 0xE1:
			keep = false
			if o, ok := exifOrientation(body); ok && !sawSOS {
				info.orientation = o
			}
		case marker == 0xEE:
			keep = bytes.HasPrefix(body, []byte("Adobe"))
		case marker >= 0xE0 && marker <= 0xEF, marker == 0xFE:
			keep = false
		}
		if strip && keep {
			emit(seg)
		}
		pos += 2 + n
		if !strip && sawSOS {
			// Without a copy to build, the header is all we need; the decoder
			// finds truncation in the entropy data itself.
			return info, nil
		}
	}
}

// exifOrientation reads tag 0x0112 from IFD0 of an APP1 Exif body.
func exifOrientation(b []byte) (int, bool) {
	if !bytes.HasPrefix(b, []byte("Exif\x00\x00")) {
		return 0, false
	}
	t := b[6:]
	if len(t) < 8 {
		return 0, false
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0, false
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 0, false
	}
	count := int(bo.Uint16(t[off:]))
	for i := 0; i < count; i++ {
		e := off + 2 + 12*i
		if e+12 > len(t) {
			return 0, false
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 { // SHORT
			o := int(bo.Uint16(t[e+8:]))
			if o >= 1 && o <= 8 {
				return o, true
			}
			return 0, false
		}
	}
	return 0, false
}
