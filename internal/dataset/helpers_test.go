package dataset_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/draw"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/promptforge/lorastudio/internal/dataset"
)

// memSource is a Source over bytes in memory.
func memSource(name string, data []byte) dataset.Source {
	return dataset.Source{Name: name, Size: int64(len(data)), Open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
}

func readTestdata(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", rel))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// personSources returns the 24 webcam frames of one person.
func personSources(tb testing.TB) []dataset.Source {
	tb.Helper()
	files, err := filepath.Glob("testdata/person/*.jpg")
	if err != nil || len(files) != 24 {
		tb.Fatalf("got %d person frames (%v), want 24", len(files), err)
	}
	var out []dataset.Source
	for _, f := range files {
		out = append(out, memSource(filepath.Base(f), readTestdata(tb, "person/"+filepath.Base(f))))
	}
	return out
}

func decodeJPEG(tb testing.TB, b []byte) image.Image {
	tb.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	return img
}

func encodeJPEG(tb testing.TB, img image.Image, q int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// sideBySide puts images next to each other on one canvas (a group photo).
func sideBySide(imgs ...image.Image) image.Image {
	w, h := 0, 0
	for _, m := range imgs {
		w += m.Bounds().Dx()
		h = max(h, m.Bounds().Dy())
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	x := 0
	for _, m := range imgs {
		draw.Draw(out, image.Rect(x, 0, x+m.Bounds().Dx(), m.Bounds().Dy()), m, m.Bounds().Min, draw.Src)
		x += m.Bounds().Dx()
	}
	return out
}

// segment is one JPEG marker segment.
func segment(marker byte, body []byte) []byte {
	s := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(s[2:], uint16(len(body)+2))
	return append(s, body...)
}

// exifAPP1 builds an APP1 Exif body with an orientation tag and a GPS IFD
// holding a latitude, like a phone writes.
func exifAPP1(orientation int) []byte {
	le := binary.LittleEndian
	t := []byte("II*\x00")
	t = le.AppendUint32(t, 8)
	// IFD0: 2 entries (Orientation, GPS IFD pointer), next IFD 0.
	t = le.AppendUint16(t, 2)
	t = le.AppendUint16(t, 0x0112)
	t = le.AppendUint16(t, 3)
	t = le.AppendUint32(t, 1)
	t = le.AppendUint16(t, uint16(orientation))
	t = le.AppendUint16(t, 0)
	gpsOff := uint32(8 + 2 + 2*12 + 4)
	t = le.AppendUint16(t, 0x8825)
	t = le.AppendUint16(t, 4)
	t = le.AppendUint32(t, 1)
	t = le.AppendUint32(t, gpsOff)
	t = le.AppendUint32(t, 0)
	// GPS IFD: GPSLatitudeRef "N".
	t = le.AppendUint16(t, 1)
	t = le.AppendUint16(t, 0x0001)
	t = le.AppendUint16(t, 2)
	t = le.AppendUint32(t, 2)
	t = append(t, 'N', 0, 0, 0)
	t = le.AppendUint32(t, 0)
	t = append(t, []byte("GPSLatitude 48.8584N 2.2945E")...)
	return append([]byte("Exif\x00\x00"), t...)
}

// withMetadata inserts EXIF (with GPS and orientation), XMP, ICC, a comment
// and a trailing secondary image into a JPEG, the way phones do.
func withMetadata(jpg []byte, orientation int) []byte {
	out := []byte{0xFF, 0xD8}
	out = append(out, segment(0xE1, exifAPP1(orientation))...)
	out = append(out, segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>GPS secret</x:xmpmeta>"))...)
	out = append(out, segment(0xE2, []byte("ICC_PROFILE\x00\x01\x01fakeprofile"))...)
	out = append(out, segment(0xFE, []byte("shot at home, GPS on"))...)
	rest := jpg[2:]
	out = append(out, rest...)
	return append(out, []byte("\xFF\xD8trailing MPF image with Exif GPS")...)
}

// markers lists the marker bytes of a JPEG's header segments (up to SOS).
func markers(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var ms []byte
	pos := 2
	for pos+4 <= len(b) {
		if b[pos] != 0xFF {
			tb.Fatalf("no marker at %d", pos)
		}
		m := b[pos+1]
		ms = append(ms, m)
		if m == 0xDA {
			break
		}
		pos += 2 + int(binary.BigEndian.Uint16(b[pos+2:]))
	}
	return ms
}

func codesOf(fs []dataset.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

func findFinding(r *dataset.Report, code string) *dataset.Finding {
	for _, list := range [][]dataset.Finding{r.Errors, r.Warnings} {
		for i := range list {
			if list[i].Code == code {
				return &list[i]
			}
		}
	}
	return nil
}

func itemByName(r *dataset.Report, name string) *dataset.Item {
	for i := range r.Items {
		if r.Items[i].File == name {
			return &r.Items[i]
		}
	}
	return nil
}

func hasIssue(it *dataset.Item, code string) bool {
	return it != nil && slices.ContainsFunc(it.Issues, func(i dataset.Issue) bool { return i.Code == code })
}

// flipped returns a horizontally mirrored copy (a distinct image with the
// yaw's sign reversed).
func flipped(tb testing.TB, jpg []byte) []byte {
	return encodeJPEG(tb, imaging.FlipH(decodeJPEG(tb, jpg)), 92)
}
