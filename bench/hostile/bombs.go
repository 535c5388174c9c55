package main

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
)

// pngBomb returns a 16-bit RGB PNG of w x h black pixels, its rows
// streamed through zlib at the best compression so that making it holds
// one row: 7999x8000 is ~370 KB (datasettest.PNGBomb's fast compression
// makes 1.5 MB), which image/png decodes into 512 MB of RGBA64 (and the
// old engine decoded each file twice). Copies differ by withText, which
// costs no recompression.
func pngBomb(w, h int) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, 16, 2, 0, 0, 0)
	var idat bytes.Buffer
	z, _ := zlib.NewWriterLevel(&idat, zlib.BestCompression)
	row := make([]byte, 1+w*6) // filter byte 0, then the samples
	for range h {
		z.Write(row)
	}
	z.Close() // writing to memory cannot fail
	out := pngChunk([]byte("\x89PNG\r\n\x1a\n"), "IHDR", ihdr)
	out = pngChunk(out, "IDAT", idat.Bytes())
	return pngChunk(out, "IEND", nil)
}

// withText returns png with a tEXt chunk after IHDR, so that copies of
// one bomb differ (init refuses none, the engine sees distinct files).
func withText(png []byte, text string) []byte {
	const afterIHDR = 8 + 12 + 13
	out := bytes.Clone(png[:afterIHDR])
	out = pngChunk(out, "tEXt", append([]byte("Comment\x00"), text...))
	return append(out, png[afterIHDR:]...)
}

func pngChunk(out []byte, typ string, body []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(body)))
	c := crc32.NewIEEE()
	c.Write([]byte(typ))
	c.Write(body)
	out = append(append(out, typ...), body...)
	return binary.BigEndian.AppendUint32(out, c.Sum32())
}
